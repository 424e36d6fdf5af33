
/*
 * Copyright (C) ct-netsuite authors
 *
 * ct_netsuite_auth token header=NAME secret_file=PATH | secret=VALUE ...
 *                  [channel=NAME]
 *
 * A static header compared with the secrets: EventBridge API destinations
 * (API_KEY connections: header=x-api-key; Basic connections:
 * header=Authorization with the secret "Basic <base64>").
 */


#include "ngx_ct_netsuite_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>


typedef struct {
    ngx_ct_netsuite_secrets_t   secrets;
    ngx_str_t                   header;
    ngx_str_t                   channel;
} ngx_ct_netsuite_token_conf_t;


static void *
ngx_ct_netsuite_token_create(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs)
{
    ngx_int_t                      rc;
    ngx_str_t                      v;
    ngx_uint_t                     i;
    ngx_ct_netsuite_token_conf_t  *tc;

    tc = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_token_conf_t));
    if (tc == NULL) {
        return NULL;
    }

    ngx_str_set(&tc->channel, "token");

    for (i = 0; i < nargs; i++) {
        if (ngx_ct_netsuite_arg_value(&args[i], "header", &v)) {
            /* NUL-terminated for ngx_ct_netsuite_header() */
            tc->header.len = v.len;
            tc->header.data = ngx_pnalloc(cf->pool, v.len + 1);
            if (tc->header.data == NULL) {
                return NULL;
            }

            ngx_cpystrn(tc->header.data, v.data, v.len + 1);
            continue;
        }

        if (ngx_ct_netsuite_arg_value(&args[i], "channel", &v)) {
            tc->channel = v;
            continue;
        }

        rc = ngx_ct_netsuite_secrets_parse(cf, &tc->secrets, &args[i]);

        if (rc == NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid ct_netsuite_auth token parameter "
                               "\"%V\"", &args[i]);
            return NULL;
        }

        if (rc != NGX_OK) {
            return NULL;
        }
    }

    if (tc->header.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "ct_netsuite_auth token needs header=NAME");
        return NULL;
    }

    if (ngx_ct_netsuite_secrets_check(cf, &tc->secrets, "token") != NGX_OK) {
        return NULL;
    }

    return tc;
}


/*
 * Comparing SHA-256 digests keeps the comparison constant-time even when
 * the lengths differ, which CRYPTO_memcmp() alone cannot.
 */

ngx_int_t
ngx_ct_netsuite_secret_equal(ngx_str_t *a, ngx_str_t *b)
{
    unsigned char  da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];

    if (!EVP_Digest(a->data, a->len, da, NULL, EVP_sha256(), NULL)
        || !EVP_Digest(b->data, b->len, db, NULL, EVP_sha256(), NULL))
    {
        return 0;
    }

    return CRYPTO_memcmp(da, db, 32) == 0;
}


static ngx_int_t
ngx_ct_netsuite_token_verify(ngx_http_request_t *r, void *conf,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_ct_netsuite_token_conf_t  *tc = conf;

    ngx_int_t                   rc, ok;
    ngx_str_t                   v, *s;
    ngx_uint_t                  i;
    ngx_array_t                *secrets;
    ngx_ct_netsuite_payload_t  *p;

    rc = ngx_ct_netsuite_header(r, (char *) tc->header.data, &v);

    if (rc == NGX_ERROR) {
        ngx_str_set(&ctx->reason, "token header sent twice");
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        ngx_str_set(&ctx->reason, "token header missing");
        return NGX_DECLINED;
    }

    secrets = ngx_ct_netsuite_secrets_get(r, &tc->secrets);
    if (secrets == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s = secrets->elts;
    ok = 0;

    for (i = 0; i < secrets->nelts; i++) {
        ok |= ngx_ct_netsuite_secret_equal(&v, &s[i]);
    }

    if (!ok) {
        ngx_str_set(&ctx->reason, "token does not match any secret");
        return NGX_DECLINED;
    }

    p = ngx_array_push(&ctx->payloads);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p->data = ctx->body;
    p->src = tc->channel;
    p->control = 0;

    return NGX_OK;
}


ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_token = {
    ngx_string("token"),
    ngx_ct_netsuite_token_create,
    NULL,
    ngx_ct_netsuite_token_verify
};
