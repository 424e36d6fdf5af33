
/*
 * Copyright (C) ct-netsuite authors
 *
 * ct_netsuite_auth pubsub jwks_file=PATH audience=AUD [audience=AUD ...]
 *                  [email=SERVICE_ACCOUNT] [skew=60s] [max_lifetime=1h]
 *
 * Google Cloud Pub/Sub push subscriptions with OIDC authentication:
 * "Authorization: Bearer <JWT>", RS256 with a key of Google's JWKS (the
 * file ctns-keys keeps current), audience and push service account as
 * configured.  The wrapped push body's message.data is the payload.
 */


#include "ngx_ct_netsuite_keys.h"

#include "ctns_jwt.h"
#include "ctns_pubsub.h"


typedef struct {
    ngx_ct_netsuite_keyfile_t   file;
    ctns_jwks_t                *jwks;
    ngx_array_t                *audiences;      /* of char * */
    ctns_jwt_conf_t             jwt;
} ngx_ct_netsuite_pubsub_conf_t;


static void
ngx_ct_netsuite_pubsub_cleanup(void *data)
{
    ngx_ct_netsuite_pubsub_conf_t  *pc = data;

    ctns_jwks_free(pc->jwks);
    pc->jwks = NULL;
}


/* A new file replaces the keys only when it parses; else the old stay. */

static void
ngx_ct_netsuite_pubsub_reload(ngx_ct_netsuite_pubsub_conf_t *pc,
    ngx_log_t *log)
{
    ctns_jwks_t        *jwks;
    ctns_verify_err_t   err;

    if (!ngx_ct_netsuite_keyfile_changed(&pc->file, log)) {
        return;
    }

    if (!pc->file.present) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "ct_netsuite: JWKS \"%V\" vanished, keeping the "
                      "keys read before", &pc->file.path);
        return;
    }

    jwks = ctns_jwks_load((char *) pc->file.path.data, &err);
    if (jwks == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "ct_netsuite: JWKS \"%V\" refused, keeping the keys "
                      "read before: %s", &pc->file.path, err.reason);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "ct_netsuite: JWKS \"%V\" loaded, %uz keys",
                  &pc->file.path, ctns_jwks_count(jwks));

    ctns_jwks_free(pc->jwks);
    pc->jwks = jwks;
}


static ngx_int_t
ngx_ct_netsuite_pubsub_arg(ngx_conf_t *cf, ngx_ct_netsuite_pubsub_conf_t *pc,
    ngx_str_t *arg)
{
    char       **aud;
    ngx_int_t    rc;
    ngx_str_t    v;

    if (ngx_ct_netsuite_arg_value(arg, "jwks_file", &v)) {
        if (ngx_conf_full_name(cf->cycle, &v, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        pc->file.path.data = (u_char *) ngx_ct_netsuite_conf_cstr(cf, &v);
        pc->file.path.len = v.len;

        return pc->file.path.data ? NGX_OK : NGX_ERROR;
    }

    if (ngx_ct_netsuite_arg_value(arg, "audience", &v)) {
        aud = ngx_array_push(pc->audiences);
        if (aud == NULL) {
            return NGX_ERROR;
        }

        *aud = ngx_ct_netsuite_conf_cstr(cf, &v);
        return *aud ? NGX_OK : NGX_ERROR;
    }

    if (ngx_ct_netsuite_arg_value(arg, "email", &v)) {
        pc->jwt.email = ngx_ct_netsuite_conf_cstr(cf, &v);
        return pc->jwt.email ? NGX_OK : NGX_ERROR;
    }

    rc = ngx_ct_netsuite_arg_time(cf, arg, "skew", &pc->jwt.skew);

    if (rc == NGX_DECLINED) {
        rc = ngx_ct_netsuite_arg_time(cf, arg, "max_lifetime",
                                      &pc->jwt.max_lifetime);
    }

    if (rc == NGX_DECLINED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid ct_netsuite_auth pubsub parameter \"%V\"",
                           arg);
        return NGX_ERROR;
    }

    return rc;
}


static void *
ngx_ct_netsuite_pubsub_create(ngx_conf_t *cf, ngx_str_t *args,
    ngx_uint_t nargs)
{
    ngx_uint_t                      i;
    ctns_verify_err_t               err;
    ngx_pool_cleanup_t             *cln;
    ngx_ct_netsuite_pubsub_conf_t  *pc;

    pc = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_pubsub_conf_t));
    if (pc == NULL) {
        return NULL;
    }

    pc->audiences = ngx_array_create(cf->pool, 1, sizeof(char *));
    if (pc->audiences == NULL) {
        return NULL;
    }

    pc->jwt.skew = 60;
    pc->jwt.max_lifetime = 3600;

    for (i = 0; i < nargs; i++) {
        if (ngx_ct_netsuite_pubsub_arg(cf, pc, &args[i]) != NGX_OK) {
            return NULL;
        }
    }

    if (pc->file.path.len == 0 || pc->audiences->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "ct_netsuite_auth pubsub needs jwks_file= and "
                           "audience=");
        return NULL;
    }

    pc->jwt.audiences = pc->audiences->elts;
    pc->jwt.n_audiences = pc->audiences->nelts;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_ct_netsuite_pubsub_cleanup;
    cln->data = pc;

    /* a bad file fails the (re)load; a missing one only delays deliveries */
    if (!ngx_ct_netsuite_keyfile_changed(&pc->file, cf->log)) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "JWKS \"%V\" does not exist yet: Pub/Sub "
                           "deliveries get 503 until ctns-keys wrote it",
                           &pc->file.path);
        return pc;
    }

    pc->jwks = ctns_jwks_load((char *) pc->file.path.data, &err);
    if (pc->jwks == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid JWKS \"%V\": %s",
                           &pc->file.path, err.reason);
        return NULL;
    }

    return pc;
}


static ngx_int_t
ngx_ct_netsuite_pubsub_verify(ngx_http_request_t *r, void *conf,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_ct_netsuite_pubsub_conf_t  *pc = conf;

    size_t                      len;
    ngx_int_t                   rc;
    ngx_str_t                   v;
    const char                 *token;
    ctns_verify_rc_t            vrc;
    ctns_verify_err_t           err;
    ctns_pubsub_msg_t          *m;
    ngx_ct_netsuite_payload_t  *p;

    rc = ngx_ct_netsuite_header(r, "Authorization", &v);

    if (rc != NGX_OK) {
        ngx_str_set(&ctx->reason, "Authorization header missing or sent "
                                  "twice");
        return NGX_DECLINED;
    }

    token = ctns_jwt_from_authorization((char *) v.data, v.len, &len);
    if (token == NULL) {
        ngx_str_set(&ctx->reason, "Authorization is not a Bearer token");
        return NGX_DECLINED;
    }

    ngx_ct_netsuite_pubsub_reload(pc, r->connection->log);

    if (pc->jwks == NULL) {
        ngx_str_set(&ctx->reason, "JWKS not loaded yet (run ctns-keys)");
        ngx_str_set(&ctx->result, "unavailable");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    vrc = ctns_jwt_verify(&pc->jwt, pc->jwks, token, len, ngx_time(), &err);
    if (vrc != CTNS_VERIFY_OK) {
        return ngx_ct_netsuite_lib_result(r, ctx, vrc, &err);
    }

    vrc = ctns_pubsub_parse((char *) ctx->body.data, ctx->body.len, &m, &err);
    if (vrc != CTNS_VERIFY_OK) {
        return ngx_ct_netsuite_lib_result(r, ctx, vrc, &err);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "ct_netsuite: pubsub message %s of %s",
                   m->message_id, m->subscription ? m->subscription : "-");

    p = ngx_array_push(&ctx->payloads);
    if (p == NULL) {
        ctns_pubsub_free(m);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p->data.len = m->data_len;
    p->data.data = ngx_pnalloc(r->pool, m->data_len);
    if (p->data.data == NULL) {
        ctns_pubsub_free(m);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p->data.data, m->data, m->data_len);
    ngx_str_set(&p->src, "pubsub");
    p->control = 0;

    ctns_pubsub_free(m);

    return NGX_OK;
}


ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_pubsub = {
    ngx_string("pubsub"),
    ngx_ct_netsuite_pubsub_create,
    NULL,
    ngx_ct_netsuite_pubsub_verify
};
