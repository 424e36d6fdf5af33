
/*
 * Copyright (C) ct-netsuite authors
 *
 * ct_netsuite_auth eventgrid secret_file=PATH | secret=VALUE ...
 *                  [query=code | header=NAME] [origin=eventgrid.azure.net]
 *                  [max_events=100]
 *
 * Azure Event Grid webhooks.  Event Grid signs nothing: deliveries carry
 * a shared secret in the endpoint URL's query (default parameter "code")
 * or in a custom delivery header, compared in constant time.  Handshakes:
 * the Event Grid schema SubscriptionValidationEvent is answered with its
 * validationResponse (after the secret was checked), the CloudEvents
 * OPTIONS abuse-protection request with WebHook-Allowed-Origin.  A batch
 * is enqueued whole or not acknowledged.
 */


#include "ngx_ct_netsuite_keys.h"

#include "ctns_eventgrid.h"


typedef struct {
    ngx_ct_netsuite_secrets_t   secrets;
    ngx_str_t                   query;
    ngx_str_t                   header;         /* NUL-terminated */
    ngx_str_t                   origin;
    ngx_uint_t                  max_events;
} ngx_ct_netsuite_eventgrid_conf_t;


static ngx_int_t
ngx_ct_netsuite_eventgrid_arg(ngx_conf_t *cf,
    ngx_ct_netsuite_eventgrid_conf_t *ec, ngx_str_t *arg)
{
    ngx_int_t  rc, n;
    ngx_str_t  v;

    if (ngx_ct_netsuite_arg_value(arg, "query", &v)) {
        ec->query = v;
        return NGX_OK;
    }

    if (ngx_ct_netsuite_arg_value(arg, "header", &v)) {
        ec->header.data = (u_char *) ngx_ct_netsuite_conf_cstr(cf, &v);
        ec->header.len = v.len;
        return ec->header.data ? NGX_OK : NGX_ERROR;
    }

    if (ngx_ct_netsuite_arg_value(arg, "origin", &v)) {
        ec->origin = v;
        return NGX_OK;
    }

    if (ngx_ct_netsuite_arg_value(arg, "max_events", &v)) {
        n = ngx_atoi(v.data, v.len);
        if (n < 1 || n > CTNS_EVENTGRID_MAX_EVENTS) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "max_events must be 1..%d, not \"%V\"",
                               CTNS_EVENTGRID_MAX_EVENTS, &v);
            return NGX_ERROR;
        }

        ec->max_events = n;
        return NGX_OK;
    }

    rc = ngx_ct_netsuite_secrets_parse(cf, &ec->secrets, arg);

    if (rc == NGX_DECLINED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid ct_netsuite_auth eventgrid parameter "
                           "\"%V\"", arg);
        return NGX_ERROR;
    }

    return rc;
}


static void *
ngx_ct_netsuite_eventgrid_create(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs)
{
    ngx_uint_t                         i;
    ngx_ct_netsuite_eventgrid_conf_t  *ec;

    ec = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_eventgrid_conf_t));
    if (ec == NULL) {
        return NULL;
    }

    ngx_str_set(&ec->query, "code");
    ngx_str_set(&ec->origin, "eventgrid.azure.net");
    ec->max_events = 100;

    for (i = 0; i < nargs; i++) {
        if (ngx_ct_netsuite_eventgrid_arg(cf, ec, &args[i]) != NGX_OK) {
            return NULL;
        }
    }

    if (ngx_ct_netsuite_secrets_check(cf, &ec->secrets, "eventgrid")
        != NGX_OK)
    {
        return NULL;
    }

    return ec;
}


/*
 * CloudEvents webhook abuse protection: consent to the configured origin
 * only.  Not authentication (the deliveries are), so no secret is needed
 * here; anything else falls through to the POST-only answer, 405.
 */

/*
 * The secret rides in the URL, and nginx writes the request line into
 * error.log lines of the request (and $request into access logs): copy it
 * out of the query and overwrite it there with '*' before anything can log
 * it.  Every occurrence is counted: a second one is refused later, as a
 * header sent twice is.
 */

static ngx_int_t
ngx_ct_netsuite_eventgrid_take_secret(ngx_http_request_t *r,
    ngx_ct_netsuite_eventgrid_conf_t *ec, ngx_ct_netsuite_ctx_t *ctx)
{
    u_char  *p, *end, *name, *value, *dst;

    p = r->args.data;
    end = p + r->args.len;

    while (p < end) {
        name = p;

        while (p < end && *p != '&') {
            p++;
        }

        value = ngx_strlchr(name, p, '=');

        if (value != NULL && (size_t) (value - name) == ec->query.len
            && ngx_strncmp(name, ec->query.data, ec->query.len) == 0)
        {
            value++;

            if (ctx->url_secrets++ == 0) {
                ctx->url_secret.data = ngx_pnalloc(r->pool, p - value);
                if (ctx->url_secret.data == NULL) {
                    return NGX_ERROR;
                }

                /* Event Grid sends the endpoint URL as configured */
                dst = ctx->url_secret.data;
                ngx_unescape_uri(&dst, &value, p - value, 0);
                ctx->url_secret.len = dst - ctx->url_secret.data;
            }

            ngx_memset(name + ec->query.len + 1, '*',
                       p - (name + ec->query.len + 1));
        }

        p++;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_eventgrid_preflight(ngx_http_request_t *r, void *conf)
{
    ngx_ct_netsuite_eventgrid_conf_t  *ec = conf;

    ngx_int_t               rc;
    ngx_str_t               origin, rate, allow;
    ngx_ct_netsuite_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_ct_netsuite_module);

    if (ec->header.len == 0
        && ngx_ct_netsuite_eventgrid_take_secret(r, ec, ctx) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method != NGX_HTTP_OPTIONS
        || ngx_ct_netsuite_header(r, "WebHook-Request-Origin", &origin)
           != NGX_OK
        || origin.len != ec->origin.len
        || ngx_strncasecmp(origin.data, ec->origin.data, origin.len) != 0)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_str_set(&allow, "POST");
    ngx_str_set(&rate, "*");

    if (ngx_ct_netsuite_add_header(r, "WebHook-Allowed-Origin",
                                      ec->origin.data, ec->origin.len, NULL) != NGX_OK
        || ngx_ct_netsuite_add_header(r, "Allow", allow.data, allow.len,
                                         NULL) != NGX_OK
        || (ngx_ct_netsuite_header(r, "WebHook-Request-Rate", &origin)
            == NGX_OK
            && ngx_ct_netsuite_add_header(r, "WebHook-Allowed-Rate",
                                          rate.data, rate.len, NULL) != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_answer(r, NGX_HTTP_OK, "handshake", NULL, NULL);
}


static ngx_int_t
ngx_ct_netsuite_eventgrid_secret(ngx_http_request_t *r,
    ngx_ct_netsuite_eventgrid_conf_t *ec, ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_int_t     ok;
    ngx_str_t     presented, *s;
    ngx_uint_t    i;
    ngx_array_t  *secrets;

    if (ec->header.len) {
        if (ngx_ct_netsuite_header(r, (char *) ec->header.data, &presented)
            != NGX_OK)
        {
            ngx_str_set(&ctx->reason, "Event Grid secret header missing or "
                                      "sent twice");
            return NGX_DECLINED;
        }

    } else {
        if (ctx->url_secrets != 1) {
            ngx_str_set(&ctx->reason, "Event Grid secret query parameter "
                                      "missing or sent twice");
            return NGX_DECLINED;
        }

        presented = ctx->url_secret;
    }

    secrets = ngx_ct_netsuite_secrets_get(r, &ec->secrets);
    if (secrets == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s = secrets->elts;
    ok = 0;

    for (i = 0; i < secrets->nelts; i++) {
        ok |= ngx_ct_netsuite_secret_equal(&presented, &s[i]);
    }

    if (!ok) {
        ngx_str_set(&ctx->reason, "Event Grid secret does not match");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_eventgrid_verify(ngx_http_request_t *r, void *conf,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_ct_netsuite_eventgrid_conf_t  *ec = conf;

    size_t                      n;
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    ctns_verify_rc_t            vrc;
    ctns_verify_err_t           err;
    ctns_eventgrid_batch_t     *b;
    ngx_ct_netsuite_payload_t  *p;

    rc = ngx_ct_netsuite_eventgrid_secret(r, ec, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    vrc = ctns_eventgrid_parse((char *) ctx->body.data, ctx->body.len,
                               ec->max_events, &b, &err);
    if (vrc != CTNS_VERIFY_OK) {
        return ngx_ct_netsuite_lib_result(r, ctx, vrc, &err);
    }

    rc = NGX_OK;

    if (b->kind == CTNS_EVENTGRID_VALIDATION) {
        ctx->response.data = ngx_pnalloc(r->pool, CTNS_EVENTGRID_CODE_MAX
                                                  + 32);
        if (ctx->response.data == NULL) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

        n = ctns_eventgrid_validation_response(b, (char *) ctx->response.data,
                                               CTNS_EVENTGRID_CODE_MAX + 32);
        ctx->response.len = n;
        ngx_str_set(&ctx->result, "handshake");
        rc = NGX_DONE;
        goto done;
    }

    /* the data spans point into ctx->body, which lives in r->pool */
    for (i = 0; i < b->n; i++) {
        p = ngx_array_push(&ctx->payloads);
        if (p == NULL) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

        p->data.data = (u_char *) b->events[i].data;
        p->data.len = b->events[i].data_len;
        ngx_str_set(&p->src, "eventgrid");
        p->control = 0;
    }

done:

    ctns_eventgrid_free(b);

    return rc;
}


ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_eventgrid = {
    ngx_string("eventgrid"),
    ngx_ct_netsuite_eventgrid_create,
    ngx_ct_netsuite_eventgrid_preflight,
    ngx_ct_netsuite_eventgrid_verify
};
