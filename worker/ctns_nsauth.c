/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "ctns_nsauth.h"
#include "ctns_oauth1.h"
#include "ctns_oauth2.h"


#define CTNS_ASSERTION_TTL  1800


static const char  ctns_alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";


/* 20 characters of [A-Za-z0-9], as NetSuite recommends */

static int
ctns_nonce(char *nonce)
{
    int            i;
    unsigned char  rnd[20];

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return -1;
    }

    for (i = 0; i < 20; i++) {
        nonce[i] = ctns_alnum[rnd[i] % (sizeof(ctns_alnum) - 1)];
    }

    nonce[20] = '\0';

    return 0;
}


static int
ctns_nsauth_tba(const ctns_conf_netsuite_t *ns, ctns_http_req_t *r)
{
    char                 nonce[21], ts[24];
    ctns_oauth1_creds_t  c;

    if (ctns_nonce(nonce) != 0) {
        return CTNS_HTTP_FAIL;
    }

    snprintf(ts, sizeof(ts), "%lld", (long long) time(NULL));

    c.realm = ns->realm;
    c.consumer_key = ns->consumer_key;
    c.consumer_secret = ns->consumer_secret;
    c.token_id = ns->token_id;
    c.token_secret = ns->token_secret;

    free(r->auth);
    r->auth = ctns_oauth1_header(&c, r->method, r->url, nonce, ts);

    return r->auth ? CTNS_HTTP_READY : CTNS_HTTP_FAIL;
}


static ctns_http_req_t *
ctns_nsauth_token_req(void *data, char *err, size_t errlen)
{
    char                  *jws, *body;
    size_t                 n;
    ctns_http_req_t       *r;
    ctns_oauth2_claims_t   c;
    ctns_nsauth_t         *a = data;
    const ctns_conf_netsuite_t  *ns = a->conf;

    c.alg = ns->algorithm;
    c.kid = ns->certificate_id;
    c.iss = ns->client_id;
    c.aud = ns->token_url;
    c.iat = time(NULL);
    c.exp = c.iat + CTNS_ASSERTION_TTL;

    jws = ctns_oauth2_assertion(&c, ns->pkey, err, errlen);
    if (jws == NULL) {
        return NULL;
    }

    n = strlen(jws) + 200;
    body = malloc(n);
    r = ctns_http_req(CTNS_LANE_NS, "POST", ns->token_url, ns->timeout_ms);

    if (body == NULL || r == NULL
        || ctns_http_header(r, "Content-Type: "
                            "application/x-www-form-urlencoded") != 0)
    {
        free(jws);
        free(body);
        ctns_http_req_free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    /* a JWS is base64url and '.', nothing to percent-encode */
    r->body_len = snprintf(body, n, "grant_type=client_credentials"
                           "&client_assertion_type=urn%%3Aietf%%3Aparams"
                           "%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
                           "&client_assertion=%s", jws);
    r->body = body;
    free(jws);

    return r;
}


void
ctns_nsauth_init(ctns_nsauth_t *a, const ctns_conf_netsuite_t *conf,
    ctns_http_t *http)
{
    memset(a, 0, sizeof(ctns_nsauth_t));

    a->conf = conf;
    a->token.name = "netsuite";
    a->token.http = http;
    a->token.make = ctns_nsauth_token_req;
    a->token.data = a;
}


int
ctns_nsauth_prepare(ctns_http_req_t *r, void *data)
{
    ctns_nsauth_t  *a = data;

    if (a->conf->auth == CTNS_AUTH_TBA) {
        return ctns_nsauth_tba(a->conf, r);
    }

    return ctns_token_prepare(&a->token, r);
}


void
ctns_nsauth_rejected(ctns_nsauth_t *a, const ctns_http_req_t *r)
{
    ctns_token_invalidate(&a->token, r);
}


void
ctns_nsauth_free(ctns_nsauth_t *a)
{
    ctns_token_free(&a->token);
}
