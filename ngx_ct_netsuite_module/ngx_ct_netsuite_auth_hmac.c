
/*
 * Copyright (C) ct-netsuite authors
 *
 * ct_netsuite_auth hmac secret_file=PATH | secret=VALUE ... [tolerance=T]
 *
 * Standard Webhooks (relays that sign what they forward): webhook-id,
 * webhook-timestamp, webhook-signature; secrets "whsec_<base64>".
 */


#include "ngx_ct_netsuite_auth.h"
#include "ctns_stdwebhooks.h"


typedef struct {
    ngx_ct_netsuite_secrets_t   secrets;
    ctns_hmac_key_t            *keys;        /* the files' secrets, decoded
                                                once at configuration */
    size_t                      nkeys;
    time_t                      tolerance;
} ngx_ct_netsuite_hmac_conf_t;


static void *
ngx_ct_netsuite_hmac_create(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs)
{
    ngx_int_t                     rc;
    ngx_str_t                     v, *s;
    ngx_uint_t                    i;
    ngx_ct_netsuite_hmac_conf_t  *hc;

    hc = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_hmac_conf_t));
    if (hc == NULL) {
        return NULL;
    }

    hc->tolerance = 300;

    for (i = 0; i < nargs; i++) {
        if (ngx_ct_netsuite_arg_value(&args[i], "tolerance", &v)) {
            hc->tolerance = ngx_parse_time(&v, 1);
            if (hc->tolerance == (time_t) NGX_ERROR || hc->tolerance == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid tolerance \"%V\"", &v);
                return NULL;
            }

            continue;
        }

        rc = ngx_ct_netsuite_secrets_parse(cf, &hc->secrets, &args[i]);

        if (rc == NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid ct_netsuite_auth hmac parameter "
                               "\"%V\"", &args[i]);
            return NULL;
        }

        if (rc != NGX_OK) {
            return NULL;
        }
    }

    if (ngx_ct_netsuite_secrets_check(cf, &hc->secrets, "hmac") != NGX_OK) {
        return NULL;
    }

    s = hc->secrets.values->elts;
    hc->nkeys = hc->secrets.values->nelts;

    hc->keys = ngx_palloc(cf->pool, (hc->nkeys + 1) * sizeof(ctns_hmac_key_t));
    if (hc->keys == NULL) {
        return NULL;
    }

    for (i = 0; i < hc->nkeys; i++) {
        if (ctns_stdwh_parse_secret((char *) s[i].data, s[i].len,
                                    &hc->keys[i])
            != 0)
        {
            /* the secret itself is never printed */
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "ct_netsuite_auth hmac: secret #%ui is not a "
                               "\"whsec_<base64>\" key of 16..64 bytes",
                               i + 1);
            return NULL;
        }
    }

    return hc;
}


static ngx_int_t
ngx_ct_netsuite_hmac_keys(ngx_http_request_t *r,
    ngx_ct_netsuite_hmac_conf_t *hc, ctns_hmac_key_t **keys, size_t *n)
{
    ngx_str_t    *s;
    ngx_uint_t    i;
    ngx_array_t  *secrets;

    if (hc->secrets.complex->nelts == 0) {
        *keys = hc->keys;
        *n = hc->nkeys;
        return NGX_OK;
    }

    /* secrets from variables are decoded per request */
    secrets = ngx_ct_netsuite_secrets_get(r, &hc->secrets);
    if (secrets == NULL) {
        return NGX_ERROR;
    }

    *keys = ngx_palloc(r->pool, (secrets->nelts + 1) * sizeof(ctns_hmac_key_t));
    if (*keys == NULL) {
        return NGX_ERROR;
    }

    s = secrets->elts;
    *n = 0;

    for (i = 0; i < secrets->nelts; i++) {
        if (ctns_stdwh_parse_secret((char *) s[i].data, s[i].len,
                                    &(*keys)[*n])
            != 0)
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "ct_netsuite: hmac secret #%ui is malformed, "
                          "skipped", i + 1);
            continue;
        }

        (*n)++;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_hmac_header(ngx_http_request_t *r, const char *name,
    const u_char **p, size_t *len, ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_int_t  rc;
    ngx_str_t  v;

    rc = ngx_ct_netsuite_header(r, name, &v);

    if (rc == NGX_ERROR) {
        ngx_str_set(&ctx->reason, "a webhook-* header is sent twice");
        return NGX_ERROR;
    }

    *p = rc == NGX_OK ? v.data : NULL;
    *len = rc == NGX_OK ? v.len : 0;

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_hmac_verify(ngx_http_request_t *r, void *conf,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_ct_netsuite_hmac_conf_t  *hc = conf;

    size_t                 n, matched;
    ctns_hmac_key_t       *keys;
    ctns_stdwh_rc_e        rc;
    const unsigned char   *part;
    ctns_stdwh_headers_t   h;

    if (ngx_ct_netsuite_hmac_header(r, "webhook-id", &h.id, &h.id_len, ctx)
        || ngx_ct_netsuite_hmac_header(r, "webhook-timestamp", &h.timestamp,
                                       &h.timestamp_len, ctx)
        || ngx_ct_netsuite_hmac_header(r, "webhook-signature", &h.signature,
                                       &h.signature_len, ctx))
    {
        return NGX_DECLINED;
    }

    if (ngx_ct_netsuite_hmac_keys(r, hc, &keys, &n) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    part = ctx->body.data;

    rc = ctns_stdwh_verify(&h, &part, &ctx->body.len, 1, keys, n,
                           ngx_time(), hc->tolerance, &matched);

    /* a per-request copy is wiped; the configuration's keys stay */
    if (keys != hc->keys) {
        ngx_explicit_memzero(keys, n * sizeof(ctns_hmac_key_t));
    }

    if (rc != CTNS_STDWH_OK) {
        ctx->reason.data = (u_char *) ctns_stdwh_strerror(rc);
        ctx->reason.len = ngx_strlen(ctx->reason.data);
        return rc == CTNS_STDWH_INTERNAL ? NGX_HTTP_INTERNAL_SERVER_ERROR
                                         : NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "ct_netsuite: hmac verified with secret #%uz",
                   matched + 1);

    return NGX_OK;
}


ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_hmac = {
    ngx_string("hmac"),
    ngx_ct_netsuite_hmac_create,
    NULL,
    ngx_ct_netsuite_hmac_verify
};
