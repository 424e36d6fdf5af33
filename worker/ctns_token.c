/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ctns_log.h"
#include "ctns_nserror.h"
#include "ctns_token.h"


/* a failed fetch fails the queued requests for this long, then retries */
#define CTNS_TOKEN_FAIL_MS   1000
#define CTNS_TOKEN_EARLY_MS  (5 * 60 * 1000)


static void
ctns_token_drop(ctns_token_t *t)
{
    if (t->bearer) {
        OPENSSL_cleanse(t->bearer, strlen(t->bearer));
        free(t->bearer);
        t->bearer = NULL;
    }
}


/* {"access_token": "...", "expires_in": 3600 | "3600"} */

static int
ctns_token_parse(ctns_token_t *t, const char *body, size_t len)
{
    json_t        *root, *v;
    json_error_t   jerr;
    const char    *tok;
    int64_t        ttl, now;
    size_t         n;

    root = json_loadb(body, len, 0, &jerr);
    tok = json_string_value(json_object_get(root, "access_token"));

    if (tok == NULL || *tok == '\0') {
        json_decref(root);
        snprintf(t->error, sizeof(t->error), "no access_token in response");
        return -1;
    }

    v = json_object_get(root, "expires_in");
    ttl = json_is_integer(v) ? json_integer_value(v)
          : json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
          : 3600;

    if (ttl <= 0) {
        ttl = 3600;
    }

    ctns_token_drop(t);

    n = strlen(tok) + 8;
    t->bearer = malloc(n);
    if (t->bearer == NULL) {
        json_decref(root);
        return -1;
    }

    snprintf(t->bearer, n, "Bearer %s", tok);
    json_decref(root);

    now = ctns_now_ms();
    t->expires_ms = now + ttl * 1000;

    /* renew five minutes early, or at half-life for short tokens */
    t->renew_ms = (ttl * 1000 > 2 * CTNS_TOKEN_EARLY_MS)
                  ? t->expires_ms - CTNS_TOKEN_EARLY_MS
                  : now + ttl * 500;

    return 0;
}


static void
ctns_token_done(ctns_http_req_t *r)
{
    ctns_token_t    *t = r->data;
    ctns_nserror_t   e;

    t->fetching = 0;

    if (r->cerr == CURLE_OK && r->status == 200
        && ctns_token_parse(t, r->resp ? r->resp : "", r->resp_len) == 0)
    {
        t->error[0] = '\0';
        ctns_log(CTNS_LOG_INFO, "token issued",
                 json_pack("{s:s,s:I}", "api", t->name, "latency_ms",
                           (json_int_t) r->latency_ms));

    } else {
        if (r->cerr != CURLE_OK) {
            snprintf(t->error, sizeof(t->error), "token endpoint: %.200s",
                     r->errbuf);

        } else if (r->status != 200) {
            ctns_nserror_parse(&e, (int) r->status, r->resp, r->resp_len);
            snprintf(t->error, sizeof(t->error),
                     "token endpoint answered %ld %s", r->status, e.code);
        }

        t->fail_until_ms = ctns_now_ms() + CTNS_TOKEN_FAIL_MS;

        ctns_log(CTNS_LOG_ERROR, "token request failed",
                 json_pack("{s:s,s:s,s:i}", "api", t->name, "error",
                           t->error, "http", (int) r->status));
    }

    ctns_http_req_free(r);
    ctns_http_kick(t->http);
}


static int
ctns_token_use(ctns_token_t *t, ctns_http_req_t *r)
{
    free(r->auth);
    r->auth = strdup(t->bearer);

    return r->auth ? CTNS_HTTP_READY : CTNS_HTTP_FAIL;
}


int
ctns_token_prepare(ctns_token_t *t, ctns_http_req_t *r)
{
    int64_t           now;
    ctns_http_req_t  *tr;

    now = ctns_now_ms();

    if (t->bearer && now < t->renew_ms) {
        return ctns_token_use(t, r);
    }

    /* an old token still valid serves while its successor is fetched */
    if (t->bearer && now < t->expires_ms - 1000 && t->fetching) {
        return ctns_token_use(t, r);
    }

    if (t->fetching) {
        return CTNS_HTTP_NOTYET;
    }

    if (now < t->fail_until_ms) {
        snprintf(r->errbuf, sizeof(r->errbuf), "%s", t->error);
        return CTNS_HTTP_FAIL;
    }

    tr = t->make(t->data, t->error, sizeof(t->error));
    if (tr == NULL) {
        t->fail_until_ms = now + CTNS_TOKEN_FAIL_MS;
        snprintf(r->errbuf, sizeof(r->errbuf), "%s", t->error);
        return CTNS_HTTP_FAIL;
    }

    tr->urgent = 1;
    tr->noauth = 1;
    tr->done = ctns_token_done;
    tr->data = t;
    t->fetching = 1;

    ctns_http_submit(t->http, tr);

    if (t->bearer && now < t->expires_ms - 1000) {
        return ctns_token_use(t, r);
    }

    return CTNS_HTTP_NOTYET;
}


void
ctns_token_invalidate(ctns_token_t *t, const ctns_http_req_t *r)
{
    if (t->bearer && r->auth && strcmp(t->bearer, r->auth) == 0) {
        ctns_token_drop(t);
    }
}


void
ctns_token_free(ctns_token_t *t)
{
    ctns_token_drop(t);
}
