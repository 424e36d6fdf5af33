
/*
 * Copyright (C) ct-netsuite authors
 *
 * ct_netsuite_auth sns topic=ARN [topic=ARN ...] cert_dir=DIR
 *                  [min_version=1|2] [max_age=65m] [skew=5m]
 *
 * Amazon SNS HTTP(S) subscriptions: the envelope's RSA signature
 * (SignatureVersion 1 or 2) with the certificate that ctns-keys cached
 * under cert_dir for its SigningCertURL.  A well-formed URL whose
 * certificate is not cached yet gets 503 (SNS retries) and is added to
 * <prefix>:keys:wanted for ctns-keys.  A Notification's Message is the
 * payload; confirmations go to the <prefix>:control stream, where ctns-keys
 * confirms (nginx itself never calls out).
 */


#include "ngx_ct_netsuite_keys.h"
#include "ngx_ct_netsuite_redis.h"

#include "ctns_sns.h"


/* a worker's certificates: SNS uses one or two per region at a time */
#define NGX_CT_NETSUITE_SNS_CERTS  16


typedef struct {
    ngx_ct_netsuite_keyfile_t   file;
    EVP_PKEY                   *key;
    time_t                      not_after;
} ngx_ct_netsuite_sns_cert_t;


typedef struct {
    ngx_str_t                   dir;
    ngx_array_t                *topics;         /* of char * */
    ctns_sns_conf_t             sns;
    ngx_ct_netsuite_sns_cert_t  certs[NGX_CT_NETSUITE_SNS_CERTS];
    ngx_uint_t                  next;           /* slot to reuse */
} ngx_ct_netsuite_sns_conf_t;


static void
ngx_ct_netsuite_sns_cleanup(void *data)
{
    ngx_ct_netsuite_sns_conf_t  *sc = data;

    ngx_uint_t  i;

    for (i = 0; i < NGX_CT_NETSUITE_SNS_CERTS; i++) {
        EVP_PKEY_free(sc->certs[i].key);
        ngx_free(sc->certs[i].file.path.data);
        ngx_memzero(&sc->certs[i], sizeof(ngx_ct_netsuite_sns_cert_t));
    }
}


static ngx_int_t
ngx_ct_netsuite_sns_arg(ngx_conf_t *cf, ngx_ct_netsuite_sns_conf_t *sc,
    ngx_str_t *arg)
{
    char       **topic;
    ngx_int_t    rc;
    ngx_str_t    v;

    if (ngx_ct_netsuite_arg_value(arg, "cert_dir", &v)) {
        if (ngx_conf_full_name(cf->cycle, &v, 1) != NGX_OK) {
            return NGX_ERROR;
        }

        sc->dir = v;
        return NGX_OK;
    }

    if (ngx_ct_netsuite_arg_value(arg, "topic", &v)) {
        topic = ngx_array_push(sc->topics);
        if (topic == NULL) {
            return NGX_ERROR;
        }

        *topic = ngx_ct_netsuite_conf_cstr(cf, &v);
        return *topic ? NGX_OK : NGX_ERROR;
    }

    if (ngx_ct_netsuite_arg_value(arg, "min_version", &v)) {
        sc->sns.min_version = ngx_atoi(v.data, v.len);
        if (sc->sns.min_version != 1 && sc->sns.min_version != 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "min_version must be 1 or 2, not \"%V\"", &v);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    rc = ngx_ct_netsuite_arg_time(cf, arg, "max_age", &sc->sns.max_age);

    if (rc == NGX_DECLINED) {
        rc = ngx_ct_netsuite_arg_time(cf, arg, "skew", &sc->sns.skew);
    }

    if (rc == NGX_DECLINED) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid ct_netsuite_auth sns parameter \"%V\"",
                           arg);
        return NGX_ERROR;
    }

    return rc;
}


static void *
ngx_ct_netsuite_sns_create(ngx_conf_t *cf, ngx_str_t *args, ngx_uint_t nargs)
{
    ngx_uint_t                   i;
    ngx_pool_cleanup_t          *cln;
    ngx_ct_netsuite_sns_conf_t  *sc;

    sc = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_sns_conf_t));
    if (sc == NULL) {
        return NULL;
    }

    sc->topics = ngx_array_create(cf->pool, 1, sizeof(char *));
    if (sc->topics == NULL) {
        return NULL;
    }

    /* SNS retries for at most an hour; its Timestamp is the publish time */
    sc->sns.min_version = 1;
    sc->sns.max_age = 3600 + 300;
    sc->sns.skew = 300;

    for (i = 0; i < nargs; i++) {
        if (ngx_ct_netsuite_sns_arg(cf, sc, &args[i]) != NGX_OK) {
            return NULL;
        }
    }

    if (sc->dir.len == 0 || sc->topics->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "ct_netsuite_auth sns needs cert_dir= and "
                           "topic=");
        return NULL;
    }

    sc->sns.topics = sc->topics->elts;
    sc->sns.n_topics = sc->topics->nelts;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_ct_netsuite_sns_cleanup;
    cln->data = sc;

    return sc;
}


/* The cache slot of a certificate file, a free or the oldest one if new. */

static ngx_ct_netsuite_sns_cert_t *
ngx_ct_netsuite_sns_slot(ngx_http_request_t *r,
    ngx_ct_netsuite_sns_conf_t *sc, const char *name)
{
    size_t                       len;
    u_char                      *path;
    ngx_uint_t                   i;
    ngx_ct_netsuite_sns_cert_t  *c;

    len = sc->dir.len + 1 + CTNS_SNS_CERT_NAME_LEN;

    for (i = 0; i < NGX_CT_NETSUITE_SNS_CERTS; i++) {
        c = &sc->certs[i];

        if (c->file.path.len == len - 1
            && ngx_strcmp(c->file.path.data + sc->dir.len + 1, name) == 0)
        {
            return c;
        }
    }

    /* worker-local memory, kept as long as the configuration */
    path = ngx_alloc(len, r->connection->log);
    if (path == NULL) {
        return NULL;
    }

    c = &sc->certs[sc->next];
    sc->next = (sc->next + 1) % NGX_CT_NETSUITE_SNS_CERTS;

    EVP_PKEY_free(c->key);
    ngx_free(c->file.path.data);
    ngx_memzero(c, sizeof(ngx_ct_netsuite_sns_cert_t));

    ngx_sprintf(path, "%V/%s%Z", &sc->dir, name);
    c->file.path.data = path;
    c->file.path.len = len - 1;

    return c;
}


static ctns_verify_rc_t
ngx_ct_netsuite_sns_key(ngx_http_request_t *r, ngx_ct_netsuite_sns_conf_t *sc,
    const ctns_sns_msg_t *m, EVP_PKEY **key, ctns_verify_err_t *err)
{
    char                         name[CTNS_SNS_CERT_NAME_LEN];
    ctns_verify_rc_t             rc;
    ngx_ct_netsuite_sns_cert_t  *c;

    ctns_sns_cert_file_name(m->signing_cert_url, m->signing_cert_url_len,
                            name);

    c = ngx_ct_netsuite_sns_slot(r, sc, name);
    if (c == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    if (ngx_ct_netsuite_keyfile_changed(&c->file, r->connection->log)) {
        EVP_PKEY_free(c->key);
        c->key = NULL;

        if (c->file.present) {
            rc = ctns_sns_cert_load((char *) c->file.path.data, ngx_time(),
                                    &c->key, &c->not_after, err);
            if (rc != CTNS_VERIFY_OK) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "ct_netsuite: SNS certificate \"%V\" refused: "
                              "%s", &c->file.path, err->reason);
            }
        }
    }

    *key = c->key;

    if (c->key != NULL) {
        /* cached past its end: refused until ctns-keys brings a new one */
        return ngx_time() <= c->not_after
               ? CTNS_VERIFY_OK
               : ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                  "SNS certificate %s expired", name);
    }

    return c->file.present
           ? ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                              "SNS certificate %s unusable", name)
           : ctns_verify_fail(err, CTNS_VERIFY_NOKEY,
                              "SNS certificate %s not cached yet", name);
}


static void
ngx_ct_netsuite_sns_wanted_sent(redisReply *reply, void *data)
{
    /* nothing to do: SNS retries, and the retry asks again if need be */
}


/* SADD <prefix>:keys:wanted URL, for ctns-keys; best effort. */

static void
ngx_ct_netsuite_sns_want(ngx_http_request_t *r, const ctns_sns_msg_t *m)
{
    u_char                      *key;
    size_t                       lens[3];
    const char                  *argv[3];
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    key = ngx_pnalloc(r->pool, lcf->stream->prefix.len
                               + sizeof(":keys:wanted"));
    if (key == NULL) {
        return;
    }

    argv[0] = "SADD";
    lens[0] = 4;
    argv[1] = (char *) key;
    lens[1] = ngx_sprintf(key, "%V:keys:wanted", &lcf->stream->prefix) - key;
    argv[2] = m->signing_cert_url;
    lens[2] = m->signing_cert_url_len;

    if (ngx_ct_netsuite_redis_send(3, argv, lens,
                                   ngx_ct_netsuite_sns_wanted_sent, NULL)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "ct_netsuite: cannot record SNS certificate URL "
                      "for ctns-keys: Redis not ready");
    }
}


/* The unsigned x-amz-sns-* headers, when sent, must say what is signed. */

static ngx_int_t
ngx_ct_netsuite_sns_headers(ngx_http_request_t *r, ngx_ct_netsuite_ctx_t *ctx,
    const ctns_sns_msg_t *m)
{
    ngx_str_t  v;

    if (ngx_ct_netsuite_header(r, "x-amz-sns-message-type", &v) == NGX_ERROR
        || ngx_ct_netsuite_header(r, "x-amz-sns-topic-arn", &v) == NGX_ERROR)
    {
        ngx_str_set(&ctx->reason, "an x-amz-sns-* header is sent twice");
        return NGX_DECLINED;
    }

    if (ngx_ct_netsuite_header(r, "x-amz-sns-message-type", &v)
        != NGX_DECLINED
        && (v.len != ngx_strlen(m->type_name)
            || ngx_strncmp(v.data, m->type_name, v.len) != 0))
    {
        ngx_str_set(&ctx->reason, "x-amz-sns-message-type differs from the "
                                  "signed Type");
        return NGX_DECLINED;
    }

    if (ngx_ct_netsuite_header(r, "x-amz-sns-topic-arn", &v) != NGX_DECLINED
        && (v.len != ngx_strlen(m->topic_arn)
            || ngx_strncmp(v.data, m->topic_arn, v.len) != 0))
    {
        ngx_str_set(&ctx->reason, "x-amz-sns-topic-arn differs from the "
                                  "signed TopicArn");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* A Notification's Message, or the whole confirmation for ctns:control. */

static ngx_int_t
ngx_ct_netsuite_sns_payload(ngx_http_request_t *r, ngx_ct_netsuite_ctx_t *ctx,
    const ctns_sns_msg_t *m)
{
    ngx_ct_netsuite_payload_t  *p;

    p = ngx_array_push(&ctx->payloads);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&p->src, "sns");

    if (m->type != CTNS_SNS_NOTIFICATION) {
        p->data = ctx->body;
        p->control = 1;

        ctx->event_type.len = ngx_strlen(m->type_name);
        ctx->event_type.data = (u_char *) m->type_name;
        ctx->event_id.len = ngx_strlen(m->message_id);
        ctx->event_id.data = ngx_pnalloc(r->pool, ctx->event_id.len);
        if (ctx->event_id.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(ctx->event_id.data, m->message_id, ctx->event_id.len);

        return NGX_OK;
    }

    p->control = 0;
    p->data.len = m->message_len;
    p->data.data = ngx_pnalloc(r->pool, m->message_len);
    if (p->data.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p->data.data, m->message, m->message_len);

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_sns_verify(ngx_http_request_t *r, void *conf,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_ct_netsuite_sns_conf_t  *sc = conf;

    ngx_int_t           rc;
    ngx_str_t           v;
    EVP_PKEY           *key;
    ctns_sns_msg_t     *m;
    ctns_verify_rc_t    vrc;
    ctns_verify_err_t   err;

    if (ngx_ct_netsuite_header(r, "x-amz-sns-rawdelivery", &v) != NGX_DECLINED)
    {
        ngx_str_set(&ctx->reason, "SNS raw message delivery carries no "
                                  "signature: disable it on the subscription");
        return NGX_DECLINED;
    }

    vrc = ctns_sns_parse((char *) ctx->body.data, ctx->body.len, &m, &err);
    if (vrc != CTNS_VERIFY_OK) {
        return ngx_ct_netsuite_lib_result(r, ctx, vrc, &err);
    }

    rc = ngx_ct_netsuite_sns_headers(r, ctx, m);
    if (rc != NGX_OK) {
        goto done;
    }

    key = NULL;
    vrc = ctns_sns_check(&sc->sns, m, ngx_time(), &err);

    if (vrc == CTNS_VERIFY_OK) {
        vrc = ngx_ct_netsuite_sns_key(r, sc, m, &key, &err);

        if (vrc == CTNS_VERIFY_NOKEY) {
            ngx_ct_netsuite_sns_want(r, m);
        }
    }

    if (vrc == CTNS_VERIFY_OK) {
        vrc = ctns_sns_verify_signature(m, key, &err);
    }

    rc = ngx_ct_netsuite_lib_result(r, ctx, vrc, &err);

    if (rc == NGX_OK) {
        rc = ngx_ct_netsuite_sns_payload(r, ctx, m);
    }

done:

    ctns_sns_free(m);

    return rc;
}


ngx_ct_netsuite_scheme_t  ngx_ct_netsuite_auth_sns = {
    ngx_string("sns"),
    ngx_ct_netsuite_sns_create,
    NULL,
    ngx_ct_netsuite_sns_verify
};
