/*
 * Copyright (C) ct-netsuite authors
 */


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ctns_ctclient.h"
#include "ctns_oauth1.h"


static ctns_http_req_t *
ctns_ctclient_token_req(void *data, char *err, size_t errlen)
{
    char              url[600], *body;
    size_t            n;
    ctns_http_req_t  *r;
    ctns_ctclient_t  *c = data;

    snprintf(url, sizeof(url), "%s/oauth/token", c->conf->auth_url);

    n = 3 * strlen(c->conf->scopes) + 64;
    body = malloc(n);
    r = ctns_http_req(CTNS_LANE_CT, "POST", url, c->conf->timeout_ms);

    if (body == NULL || r == NULL
        || ctns_http_header(r, "Content-Type: "
                            "application/x-www-form-urlencoded") != 0)
    {
        free(body);
        ctns_http_req_free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    n = snprintf(body, n, "grant_type=client_credentials");

    if (c->conf->scopes[0]) {
        n += snprintf(body + n, 8, "&scope=");
        n += ctns_oauth1_encode(body + n, c->conf->scopes,
                                strlen(c->conf->scopes));
    }

    r->body = body;
    r->body_len = n;
    r->userpwd = c->userpwd;

    return r;
}


int
ctns_ctclient_init(ctns_ctclient_t *c, const ctns_conf_ct_t *conf,
    ctns_http_t *http)
{
    size_t  n;

    memset(c, 0, sizeof(ctns_ctclient_t));

    c->conf = conf;
    c->token.name = "commercetools";
    c->token.http = http;
    c->token.make = ctns_ctclient_token_req;
    c->token.data = c;

    if (!conf->enabled) {
        return 0;
    }

    n = strlen(conf->client_id) + strlen(conf->client_secret) + 2;
    c->userpwd = malloc(n);
    if (c->userpwd == NULL) {
        return -1;
    }

    snprintf(c->userpwd, n, "%s:%s", conf->client_id, conf->client_secret);

    return 0;
}


void
ctns_ctclient_free(ctns_ctclient_t *c)
{
    if (c->userpwd) {
        OPENSSL_cleanse(c->userpwd, strlen(c->userpwd));
        free(c->userpwd);
    }

    ctns_token_free(&c->token);
}


int
ctns_ctclient_prepare(ctns_http_req_t *r, void *data)
{
    ctns_ctclient_t  *c = data;

    return ctns_token_prepare(&c->token, r);
}


/* Percent-encodes what may not appear raw in a URL (spaces, quotes). */

static void
ctns_url_escape(char *dst, const char *src)
{
    unsigned char        ch;
    static const char    hex[] = "0123456789ABCDEF";

    for ( /* void */ ; *src; src++) {
        ch = (unsigned char) *src;

        if (isalnum(ch) || strchr("-._~!$&'()*+,;=:@/?%", ch)) {
            *dst++ = (char) ch;
            continue;
        }

        *dst++ = '%';
        *dst++ = hex[ch >> 4];
        *dst++ = hex[ch & 0x0f];
    }

    *dst = '\0';
}


ctns_http_req_t *
ctns_ctclient_get(ctns_ctclient_t *c, const char *path)
{
    char             *url;
    size_t            n;
    ctns_http_req_t  *r;

    n = strlen(c->conf->api_url) + strlen(c->conf->project_key)
        + 3 * strlen(path) + 3;

    url = malloc(n);
    if (url == NULL) {
        return NULL;
    }

    n = snprintf(url, n, "%s/%s/", c->conf->api_url, c->conf->project_key);
    ctns_url_escape(url + n, path);

    r = ctns_http_req(CTNS_LANE_CT, "GET", url, c->conf->timeout_ms);
    free(url);

    if (r && ctns_http_header(r, "Accept: application/json") != 0) {
        ctns_http_req_free(r);
        return NULL;
    }

    return r;
}


json_t *
ctns_ctclient_result(const ctns_http_req_t *r, const char *path)
{
    json_t        *root, *res;
    json_error_t   jerr;

    if (r->cerr != CURLE_OK) {
        return NULL;
    }

    if (r->status == 404) {
        return json_null();
    }

    if (r->status != 200 || r->resp == NULL) {
        return NULL;
    }

    root = json_loadb(r->resp, r->resp_len, JSON_ALLOW_NUL, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return NULL;
    }

    /* a query: the first result is the resource meant */
    if (strchr(path, '?') != NULL && json_is_array(json_object_get(root,
                                                                   "results")))
    {
        res = json_array_get(json_object_get(root, "results"), 0);
        res = res ? json_incref(res) : json_null();
        json_decref(root);
        return res;
    }

    return root;
}
