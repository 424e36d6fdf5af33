
/*
 * Copyright (C) ct-netsuite authors
 *
 * The webhook location: method and size checks, body, authentication,
 * normalization, then the append to Redis.  The answer is 2xx only once
 * Redis holds every event of the delivery.
 */


#include "ngx_ct_netsuite_auth.h"
#include "ngx_ct_netsuite_enqueue.h"

#include "ctns_normalize.h"


static void ngx_ct_netsuite_webhook_body(ngx_http_request_t *r);


static ngx_int_t
ngx_ct_netsuite_reject(ngx_http_request_t *r, ngx_uint_t status,
    const char *result, const char *error)
{
    ngx_ct_netsuite_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_ct_netsuite_module);

    ctx->result.data = (u_char *) result;
    ctx->result.len = ngx_strlen(result);

    return ngx_ct_netsuite_answer(r, status, result, &ctx->event_id, error);
}


/* Answer without reading the body: drop it and close afterwards. */

static ngx_int_t
ngx_ct_netsuite_reject_early(ngx_http_request_t *r, ngx_uint_t status,
    const char *result, const char *error)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_ct_netsuite_reject(r, status, result, error);
}


ngx_int_t
ngx_ct_netsuite_webhook_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_uint_t                   i;
    ngx_ct_netsuite_ctx_t       *ctx;
    ngx_ct_netsuite_auth_t      *auth;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_ct_netsuite_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_array_init(&ctx->payloads, r->pool, 1,
                       sizeof(ngx_ct_netsuite_payload_t))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_ct_netsuite_module);

    auth = lcf->auth->elts;

    for (i = 0; i < lcf->auth->nelts; i++) {
        if (auth[i].scheme->preflight == NULL) {
            continue;
        }

        rc = auth[i].scheme->preflight(r, auth[i].conf);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_ct_netsuite_reject_early(r, NGX_HTTP_NOT_ALLOWED,
                                            "method", "POST only");
    }

    if (r->headers_in.content_length_n > (off_t) lcf->max_body) {
        r->keepalive = 0;
        return ngx_ct_netsuite_reject_early(r,
                                            NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                            "too_large", "body too large");
    }

    r->request_body_in_single_buf = 1;
    r->request_body_in_clean_file = 1;

    rc = ngx_http_read_client_request_body(r, ngx_ct_netsuite_webhook_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * The body must be something that carries JSON.  Judge the bytes, not a
 * strict header: SNS sends text/plain, Event Grid
 * application/cloudevents+json.  Form or multipart bodies are refused.
 */

static ngx_int_t
ngx_ct_netsuite_media_ok(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char      *p, *last;
    ngx_str_t   *ct;

    if (r->headers_in.content_type) {
        ct = &r->headers_in.content_type->value;

        if (ngx_strlcasestrn(ct->data, ct->data + ct->len,
                             (u_char *) "form", 4 - 1) != NULL
            || ngx_strlcasestrn(ct->data, ct->data + ct->len,
                                (u_char *) "xml", 3 - 1) != NULL)
        {
            return 0;
        }
    }

    p = body->data;
    last = p + body->len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    return p < last && (*p == '{' || *p == '[');
}


static ngx_int_t
ngx_ct_netsuite_verify(ngx_http_request_t *r, ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_int_t                    rc;
    ngx_uint_t                   i;
    ngx_ct_netsuite_auth_t      *auth;
    ngx_ct_netsuite_payload_t   *p;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);
    auth = lcf->auth->elts;
    rc = NGX_DECLINED;

    /* with several schemes on one location, the first that accepts wins */
    for (i = 0; i < lcf->auth->nelts; i++) {
        rc = auth[i].scheme->verify(r, auth[i].conf, ctx);

        if (rc != NGX_DECLINED) {
            break;
        }
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (ctx->payloads.nelts == 0) {
        p = ngx_array_push(&ctx->payloads);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p->data = ctx->body;
        p->src = auth[i].scheme->name;
        p->control = 0;
    }

    return NGX_OK;
}


/*
 * Normalizes every payload into *out; *nout is the number of events to
 * append, 0 for a lone subscription test notification.  NGX_OK, NGX_ERROR,
 * or NGX_HTTP_BAD_REQUEST with ctx->reason (NUL-terminated) naming the
 * field.
 */

static ngx_int_t
ngx_ct_netsuite_normalize(ngx_http_request_t *r, ngx_ct_netsuite_ctx_t *ctx,
    ngx_ct_netsuite_event_t **out, ngx_uint_t *nout)
{
    int                         rc;
    char                       *owned, err[256];
    ngx_uint_t                  i, n;
    ngx_msec_t                  rx;
    ngx_time_t                 *tp;
    ngx_pool_cleanup_t         *cln;
    ngx_ct_netsuite_event_t    *events, *e;
    ngx_ct_netsuite_payload_t  *p;

    p = ctx->payloads.elts;

    events = ngx_pcalloc(r->pool,
                         ctx->payloads.nelts * sizeof(ngx_ct_netsuite_event_t));
    if (events == NULL) {
        return NGX_ERROR;
    }

    tp = ngx_timeofday();
    rx = (ngx_msec_t) tp->sec * 1000 + tp->msec;
    n = 0;

    for (i = 0; i < ctx->payloads.nelts; i++) {
        e = &events[n];

        if (p[i].control) {
            /* not a commercetools payload: the scheme named it (SNS) */
            ngx_cpystrn((u_char *) e->ev.id, ctx->event_id.data,
                        ngx_min(ctx->event_id.len + 1, sizeof(e->ev.id)));
            ngx_cpystrn((u_char *) e->ev.type, ctx->event_type.data,
                        ngx_min(ctx->event_type.len + 1, sizeof(e->ev.type)));
            e->ev.payload = (char *) p[i].data.data;
            e->ev.payload_len = p[i].data.len;
            owned = NULL;
            rc = CTNS_NORM_OK;

        } else {
            rc = ctns_normalize((char *) p[i].data.data, p[i].data.len,
                                &e->ev, &owned, err, sizeof(err));
        }

        if (owned) {
            cln = ngx_pool_cleanup_add(r->pool, 0);
            if (cln == NULL) {
                ngx_free(owned);
                return NGX_ERROR;
            }

            cln->handler = ngx_free;
            cln->data = owned;
        }

        if (rc == CTNS_NORM_ERROR) {
            ctx->reason.len = ngx_strlen(err);
            ctx->reason.data = ngx_pnalloc(r->pool, ctx->reason.len + 1);
            if (ctx->reason.data == NULL) {
                return NGX_ERROR;
            }

            ngx_cpystrn(ctx->reason.data, (u_char *) err,
                        ctx->reason.len + 1);

            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "ct_netsuite: malformed delivery: %V",
                          &ctx->reason);
            return NGX_HTTP_BAD_REQUEST;
        }

        /* the events live in r->pool as long as the variables */
        if (ctx->event_id.len == 0) {
            ctx->event_id.data = (u_char *) e->ev.id;
            ctx->event_id.len = ngx_strlen(e->ev.id);
            ctx->event_type.data = (u_char *) e->ev.type;
            ctx->event_type.len = ngx_strlen(e->ev.type);
        }

        if (rc == CTNS_NORM_TEST) {
            continue;
        }

        ngx_cpystrn((u_char *) e->ev.src, p[i].src.data,
                    ngx_min(p[i].src.len + 1, sizeof(e->ev.src)));
        e->ev.rx = rx;
        e->control = p[i].control;
        n++;
    }

    *out = events;
    *nout = n;

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_webhook_process(ngx_http_request_t *r,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_int_t                    rc;
    ngx_uint_t                   n;
    ngx_ct_netsuite_event_t     *events;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    rc = ngx_ct_netsuite_read_body(r, lcf->max_body, &ctx->body);

    if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
        r->keepalive = 0;
        return ngx_ct_netsuite_reject(r, rc, "too_large", "body too large");
    }

    if (rc != NGX_OK) {
        return rc;
    }

    if (!ngx_ct_netsuite_media_ok(r, &ctx->body)) {
        return ngx_ct_netsuite_reject(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                      "media_type", "a JSON body is required");
    }

    rc = ngx_ct_netsuite_verify(r, ctx);

    if (rc == NGX_DONE) {
        return ngx_ct_netsuite_answer_raw(r, NGX_HTTP_OK, &ctx->response);
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "ct_netsuite: delivery rejected: %V", &ctx->reason);

        if (rc == NGX_DECLINED) {
            return ngx_ct_netsuite_reject(r, NGX_HTTP_UNAUTHORIZED,
                                          "unauthorized",
                                          "signature verification failed");
        }

        if (rc == NGX_HTTP_SERVICE_UNAVAILABLE) {
            return ngx_ct_netsuite_reject(r, rc, "unavailable",
                                          "try again later");
        }

        /* an envelope that does not parse: the reason names the field */
        if (rc == NGX_HTTP_BAD_REQUEST) {
            return ngx_ct_netsuite_reject(r, rc, "malformed",
                                          (char *) ctx->reason.data);
        }

        return rc;
    }

    rc = ngx_ct_netsuite_normalize(r, ctx, &events, &n);

    if (rc == NGX_HTTP_BAD_REQUEST) {
        return ngx_ct_netsuite_reject(r, rc, "malformed",
                                      (char *) ctx->reason.data);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (n == 0) {
        return ngx_ct_netsuite_reject(r, NGX_HTTP_OK, "test", NULL);
    }

    rc = ngx_ct_netsuite_enqueue(r, ctx, events, n);

    if (rc == NGX_HTTP_SERVICE_UNAVAILABLE) {
        return ngx_ct_netsuite_reject(r, rc, "unavailable",
                                      "redis unavailable");
    }

    return rc;
}


static void
ngx_ct_netsuite_webhook_body(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    ngx_ct_netsuite_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_ct_netsuite_module);

    rc = ngx_ct_netsuite_webhook_process(r, ctx);

    if (rc == NGX_DONE) {
        /* the Redis reply finalizes the request */
        return;
    }

    ngx_http_finalize_request(r, rc);
}
