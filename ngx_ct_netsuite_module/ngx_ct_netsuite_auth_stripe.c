
/*
 * Copyright (C) ct-netsuite authors
 *
 * ct_netsuite_auth stripe secret_file=PATH | secret=VALUE ... [tolerance=T]
 *
 * Stripe webhooks (payout.paid, payout.failed, payout.canceled): the
 * Stripe-Signature header, "t=<unix>,v1=<hex>[,v1=...]", HMAC-SHA256 of
 * "<t>.<body>" keyed with the endpoint secret "whsec_..." used verbatim.
 * Several secrets at once are how a rolled secret is accepted.
 *
 * Stripe events are no commercetools payloads: a payout event goes to
 * <prefix>:{settlements}:events, deduplicated by its event id "evt_..."
 * (ctns-worker payouts consumes it); any other event type is answered 200
 * and dropped.
 */


#include <jansson.h>

#include "ngx_ct_netsuite_auth.h"

#include "ctns_stripe_sig.h"


typedef struct {
    ngx_ct_netsuite_secrets_t   secrets;
    time_t                      tolerance;
} ngx_ct_netsuite_stripe_conf_t;


static void *
ngx_ct_netsuite_stripe_create(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs)
{
    ngx_int_t                       rc;
    ngx_str_t                       v;
    ngx_uint_t                      i;
    ngx_ct_netsuite_stripe_conf_t  *sc;

    sc = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_stripe_conf_t));
    if (sc == NULL) {
        return NULL;
    }

    /* Stripe's own libraries default to 5 minutes */
    sc->tolerance = 300;

    for (i = 0; i < nargs; i++) {
        if (ngx_ct_netsuite_arg_value(&args[i], "tolerance", &v)) {
            sc->tolerance = ngx_parse_time(&v, 1);
            if (sc->tolerance == (time_t) NGX_ERROR || sc->tolerance == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid tolerance \"%V\"", &v);
                return NULL;
            }

            continue;
        }

        rc = ngx_ct_netsuite_secrets_parse(cf, &sc->secrets, &args[i]);

        if (rc == NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid ct_netsuite_auth stripe parameter "
                               "\"%V\"", &args[i]);
            return NULL;
        }

        if (rc != NGX_OK) {
            return NULL;
        }
    }

    if (ngx_ct_netsuite_secrets_check(cf, &sc->secrets, "stripe") != NGX_OK) {
        return NULL;
    }

    return sc;
}


/* a pool copy of s, NULL when s is empty or does not fit max - 1 */
static u_char *
ngx_ct_netsuite_stripe_copy(ngx_pool_t *pool, const char *s, size_t max,
    size_t *len)
{
    u_char  *p;

    *len = ngx_strlen(s);

    if (*len == 0 || *len >= max) {
        return NULL;
    }

    p = ngx_pnalloc(pool, *len);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, s, *len);

    return p;
}


/*
 * The event id and type, checked after the signature: NGX_OK for a payout
 * event, NGX_DONE for another type, 400 when the body is no Stripe event.
 */
static ngx_int_t
ngx_ct_netsuite_stripe_event(ngx_http_request_t *r,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_int_t      rc;
    json_t        *ev;
    const char    *id, *type;
    json_error_t   jerr;

    ev = json_loadb((char *) ctx->body.data, ctx->body.len, 0, &jerr);

    id = json_string_value(json_object_get(ev, "id"));
    type = json_string_value(json_object_get(ev, "type"));

    if (id == NULL || ngx_strncmp(id, "evt_", 4) != 0 || type == NULL
        || !json_is_object(json_object_get(json_object_get(ev, "data"),
                                           "object")))
    {
        ngx_str_set(&ctx->reason, "not a Stripe event: \"id\" (evt_...), "
                                  "\"type\" and \"data.object\" needed");
        json_decref(ev);
        return NGX_HTTP_BAD_REQUEST;
    }

    ctx->event_id.data = ngx_ct_netsuite_stripe_copy(r->pool, id,
                                                     CTNS_EVENT_ID_LEN,
                                                     &ctx->event_id.len);
    ctx->event_type.data = ngx_ct_netsuite_stripe_copy(r->pool, type,
                                                       CTNS_EVENT_TYPE_LEN,
                                                       &ctx->event_type.len);

    if (ctx->event_id.data == NULL || ctx->event_type.data == NULL) {
        ngx_str_set(&ctx->reason, "Stripe event id or type too long");
        json_decref(ev);
        return NGX_HTTP_BAD_REQUEST;
    }

    rc = ngx_strncmp(type, "payout.", 7) == 0 ? NGX_OK : NGX_DONE;

    json_decref(ev);

    if (rc == NGX_DONE) {
        ngx_str_set(&ctx->response, "{\"result\":\"ignored\"}");
        ngx_str_set(&ctx->result, "ignored");
    }

    return rc;
}


static ngx_int_t
ngx_ct_netsuite_stripe_verify(ngx_http_request_t *r, void *conf,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_ct_netsuite_stripe_conf_t  *sc = conf;

    size_t                      matched;
    ngx_int_t                   rc;
    ngx_str_t                   header, *s;
    ngx_uint_t                  i;
    ngx_array_t                *secrets;
    const u_char               *part;
    ctns_stripe_secret_t       *keys;
    ctns_stripe_sig_rc_e        src;
    ngx_ct_netsuite_payload_t  *p;

    rc = ngx_ct_netsuite_header(r, "stripe-signature", &header);

    if (rc == NGX_ERROR) {
        ngx_str_set(&ctx->reason, "Stripe-Signature is sent twice");
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        ngx_str_set(&ctx->reason, "no Stripe-Signature header");
        return NGX_DECLINED;
    }

    secrets = ngx_ct_netsuite_secrets_get(r, &sc->secrets);
    if (secrets == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    keys = ngx_palloc(r->pool,
                      (secrets->nelts + 1) * sizeof(ctns_stripe_secret_t));
    if (keys == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s = secrets->elts;

    for (i = 0; i < secrets->nelts; i++) {
        keys[i].data = s[i].data;
        keys[i].len = s[i].len;
    }

    part = ctx->body.data;

    src = ctns_stripe_sig_verify(header.data, header.len, &part,
                                 &ctx->body.len, 1, keys, secrets->nelts,
                                 ngx_time(), sc->tolerance, &matched);

    if (src != CTNS_STRIPE_SIG_OK) {
        ctx->reason.data = (u_char *) ctns_stripe_sig_strerror(src);
        ctx->reason.len = ngx_strlen(ctx->reason.data);
        return src == CTNS_STRIPE_SIG_INTERNAL
               ? NGX_HTTP_INTERNAL_SERVER_ERROR : NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "ct_netsuite: stripe verified with secret #%uz",
                   matched + 1);

    rc = ngx_ct_netsuite_stripe_event(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    p = ngx_array_push(&ctx->payloads);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p->data = ctx->body;
    ngx_str_set(&p->src, "stripe");
    p->control = NGX_CT_NETSUITE_TO_SETTLEMENTS;

    return NGX_OK;
}


ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_stripe = {
    ngx_string("stripe"),
    ngx_ct_netsuite_stripe_create,
    NULL,
    ngx_ct_netsuite_stripe_verify
};
