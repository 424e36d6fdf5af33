
/*
 * Copyright (C) ct-netsuite authors
 *
 * The status location: what the worker wrote to Redis, read back as JSON
 * (docs/status.md fixes the field names).
 *
 *   GET <loc>/                           pipeline summary
 *   GET <loc>/orders/<orderId>           status hash + audit trail
 *   GET <loc>/orders/by-number/<number>  index, then the order
 *   GET <loc>/payments/<paymentId>       status hash + audit trail
 *   GET <loc>/events/<messageId>         event status and its stream entry
 *   GET <loc>/psp/<reference>            the PSP reference index
 *   GET <loc>/dlq                        newest dead letters, retry count
 *   GET <loc>/retrying                   retrying events by NetSuite answer
 *   GET <loc>/history                    deliveries per minute, last hour
 *   GET <loc>/netsuite                   NetSuite's answers per minute
 *   GET <loc>/reconcile                  summary of the last reconciliation
 *   POST <loc>/dlq/<entryId>/replay      ngx_ct_netsuite_replay.c
 *
 * Keys read (prefix from ct_netsuite_stream):
 *
 *   <prefix>:status:<type>:<id>          hash: state, records (JSON),
 *                                        attempts, last_error (JSON), rv,
 *                                        seq, last_event, updated_at (ms),
 *                                        order_number
 *   <prefix>:audit:<type>:<id>           stream, newest entries first
 *   <prefix>:idx:order-number:<number>   order id
 *   <prefix>:status:event:<messageId>    hash: state, resource, type,
 *                                        attempts, last_error, updated_at
 *   <prefix>:{N}:seen:<messageId>        stream entry id, for every shard N
 *                                        in one pipelined batch: the shard
 *                                        is not derivable from a message id
 *   <prefix>:idx:psp:<reference>         JSON: the NetSuite payment record
 *   <prefix>:dlq, <prefix>:retry         dead letters, retry schedule
 *   <prefix>:reconcile:last              JSON: the last reconcile summary
 *   <prefix>:stats:netsuite:<minute>     hash: answers by status class
 *
 * Ids are checked before anything is sent to Redis.  Payloads (the
 * commercetools message of a stream entry) are shown only with
 * "ct_netsuite_status_payloads on".
 */


#include <jansson.h>

#include "ngx_ct_netsuite_auth.h"
#include "ngx_ct_netsuite_links.h"
#include "ngx_ct_netsuite_metrics.h"
#include "ngx_ct_netsuite_pipeline.h"
#include "ngx_ct_netsuite_replay.h"
#include "ngx_ct_netsuite_status.h"


#define NGX_CT_NETSUITE_AUDIT_COUNT   "200"
#define NGX_CT_NETSUITE_DLQ_COUNT     "100"
#define NGX_CT_NETSUITE_RETRY_SAMPLE  "199"       /* ZRANGE 0 199: 200 */
#define NGX_CT_NETSUITE_NUMBER_MAX    128
#define NGX_CT_NETSUITE_UUID_LEN      36


typedef struct {
    ngx_str_t                    rtype;      /* "order", "payment" */
    ngx_str_t                    id;
    redisReply                  *hash;       /* events: first batch */
    ngx_uint_t                   shard;
    ngx_str_t                    entry;      /* events: stream entry id */
    const char                  *missing;    /* documents: 404 text */
} ngx_ct_netsuite_view_t;


static ngx_int_t ngx_ct_netsuite_status_resource(ngx_http_request_t *r,
    ngx_ct_netsuite_view_t *v);


/* --- answers ------------------------------------------------------------- */

ngx_int_t
ngx_ct_netsuite_status_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *result, ngx_str_t *id, const char *error)
{
    if (ngx_ct_netsuite_add_header(r, "Cache-Control",
                                      (u_char *) "no-store", 8, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_answer(r, status, result, id, error);
}


static ngx_int_t
ngx_ct_netsuite_status_unavailable(ngx_http_request_t *r)
{
    return ngx_ct_netsuite_status_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "unavailable", NULL,
                                        "redis unavailable");
}


/*
 * Views carry their last change as validators: Last-Modified (seconds)
 * and an ETag of the change time in ms and a CRC32 of the body, so that
 * ngx_http_not_modified_filter answers If-None-Match and
 * If-Modified-Since with 304.
 */

ngx_int_t
ngx_ct_netsuite_status_dump(ngx_http_request_t *r, json_t *view,
    ngx_str_t *json)
{
    size_t  size;

    size = json_dumpb(view, NULL, 0, JSON_COMPACT);

    json->data = size ? ngx_pnalloc(r->pool, size + 1) : NULL;
    if (json->data == NULL) {
        json_decref(view);
        return NGX_ERROR;
    }

    json->len = json_dumpb(view, (char *) json->data, size, JSON_COMPACT);
    json_decref(view);

    json->data[json->len++] = '\n';

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_status_send(ngx_http_request_t *r, json_t *view,
    int64_t updated)
{
    u_char     *etag, *last;
    ngx_str_t   json;

    if (ngx_ct_netsuite_status_dump(r, view, &json) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (updated >= 0) {
        etag = ngx_pnalloc(r->pool, 2 * NGX_INT64_LEN + 4);
        if (etag == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        last = ngx_sprintf(etag, "\"%xL-%08xD\"", updated,
                           ngx_crc32_long(json.data, json.len));

        if (ngx_ct_netsuite_add_header(r, "ETag", etag, last - etag,
                                          &r->headers_out.etag)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.last_modified_time = updated / 1000;
    }

    /* caches revalidate every time; the validators make that cheap */
    if (ngx_ct_netsuite_add_header(r, "Cache-Control",
                                      (u_char *) "no-cache", 8, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_answer_raw(r, NGX_HTTP_OK, &json);
}


/* --- access --------------------------------------------------------------- */

/*
 * "Authorization: Bearer <token>" against every configured token, each
 * compared in constant time and all of them: no early exit.
 */

static ngx_int_t
ngx_ct_netsuite_status_token(ngx_http_request_t *r,
    ngx_ct_netsuite_secrets_t *tokens)
{
    ngx_int_t     rc;
    ngx_str_t     v, given, *t;
    ngx_uint_t    i, ok;
    ngx_array_t  *all;

    rc = ngx_ct_netsuite_header(r, "Authorization", &v);

    if (rc != NGX_OK || v.len <= 7
        || ngx_strncasecmp(v.data, (u_char *) "Bearer ", 7) != 0)
    {
        return NGX_DECLINED;
    }

    all = ngx_ct_netsuite_secrets_get(r, tokens);
    if (all == NULL) {
        return NGX_ERROR;
    }

    given.data = v.data + 7;
    given.len = v.len - 7;

    t = all->elts;
    ok = 0;

    for (i = 0; i < all->nelts; i++) {
        ok |= ngx_ct_netsuite_secret_equal(&given, &t[i]);
    }

    return ok ? NGX_OK : NGX_ABORT;
}


ngx_int_t
ngx_ct_netsuite_status_auth(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    /* first: a body left unread would break the keepalive connection */
    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (lcf->status_token == NULL) {
        return NGX_DECLINED;
    }

    rc = ngx_ct_netsuite_status_token(r, lcf->status_token);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK) {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "ct_netsuite: status token %s",
                  rc == NGX_DECLINED ? "missing" : "does not match");

    if (ngx_ct_netsuite_add_header(r, "WWW-Authenticate",
            (u_char *) (rc == NGX_DECLINED
                ? "Bearer realm=\"ct_netsuite\""
                : "Bearer realm=\"ct_netsuite\", "
                  "error=\"invalid_token\""),
            rc == NGX_DECLINED
                ? sizeof("Bearer realm=\"ct_netsuite\"") - 1
                : sizeof("Bearer realm=\"ct_netsuite\", "
                         "error=\"invalid_token\"") - 1,
            NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_status_error(r, NGX_HTTP_UNAUTHORIZED,
                                        "unauthorized", NULL,
                                        "bearer token required");
}


ngx_int_t
ngx_ct_netsuite_status_access(ngx_http_request_t *r)
{
    ngx_int_t  rc;
    ngx_str_t  json;

    rc = ngx_ct_netsuite_status_auth(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_ct_netsuite_add_header(r, "Allow",
                                          (u_char *) "GET, HEAD", 9, NULL)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* not ngx_ct_netsuite_answer(): that one says "Allow: POST" */
        ngx_str_set(&json,
                    "{\"result\":\"method\",\"id\":null,"
                    "\"error\":\"GET or HEAD only\"}\n");

        return ngx_ct_netsuite_answer_raw(r, NGX_HTTP_NOT_ALLOWED, &json);
    }

    return NGX_DECLINED;
}


/* --- ids ------------------------------------------------------------------ */

static ngx_int_t
ngx_ct_netsuite_status_uuid(ngx_http_request_t *r, ngx_str_t *in,
    ngx_str_t *out)
{
    u_char      c;
    ngx_uint_t  i;

    if (in->len != NGX_CT_NETSUITE_UUID_LEN) {
        return NGX_DECLINED;
    }

    out->data = ngx_pnalloc(r->pool, in->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < in->len; i++) {
        c = in->data[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return NGX_DECLINED;
            }

        } else if (!isxdigit(c)) {
            return NGX_DECLINED;
        }

        /* commercetools ids are lowercase */
        out->data[i] = ngx_tolower(c);
    }

    out->len = in->len;

    return NGX_OK;
}


/* Order numbers and derived event ids: [A-Za-z0-9._:-], bounded. */

static ngx_int_t
ngx_ct_netsuite_status_token_id(ngx_str_t *id, size_t max)
{
    u_char      c;
    ngx_uint_t  i;

    if (id->len == 0 || id->len > max) {
        return NGX_DECLINED;
    }

    for (i = 0; i < id->len; i++) {
        c = id->data[i];

        if (!isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-') {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* --- JSON from replies ---------------------------------------------------- */

static json_t *
ngx_ct_netsuite_json_str(redisReply *v)
{
    if (v == NULL || v->type != REDIS_REPLY_STRING || v->len == 0) {
        return json_null();
    }

    return json_stringn(v->str, v->len);
}


static json_t *
ngx_ct_netsuite_json_int(redisReply *v)
{
    int64_t  n;

    n = ngx_ct_netsuite_reply_int(v);

    return n < 0 ? json_null() : json_integer(n);
}


/* A field holding JSON text (records, last_error); kept as text if bad. */

static json_t *
ngx_ct_netsuite_json_embedded(redisReply *v)
{
    json_t  *j;

    if (v == NULL || v->type != REDIS_REPLY_STRING || v->len == 0) {
        return json_null();
    }

    j = json_loadb(v->str, v->len, JSON_DECODE_ANY, NULL);

    return j ? j : json_stringn(v->str, v->len);
}


static json_t *
ngx_ct_netsuite_json_time(int64_t ms)
{
    u_char     buf[sizeof("1970-01-01T00:00:00.000Z")];
    ngx_tm_t   tm;

    if (ms < 0) {
        return json_null();
    }

    ngx_gmtime(ms / 1000, &tm);

    ngx_sprintf(buf, "%4d-%02d-%02dT%02d:%02d:%02d.%03dZ%Z",
                tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                (int) (ms % 1000));

    return json_string((char *) buf);
}


/* Fields whose value is JSON text, and fields that are integers. */

static const char  *ngx_ct_netsuite_json_fields[] = {
    "records", "last_error", "error", NULL
};

static const char  *ngx_ct_netsuite_int_fields[] = {
    "attempts", "rv", "seq", "http", "rx", "first_failure", "last_failure",
    NULL
};


static ngx_uint_t
ngx_ct_netsuite_in(const char **names, const char *name, size_t len)
{
    ngx_uint_t  i;

    for (i = 0; names[i]; i++) {
        if (ngx_strlen(names[i]) == len
            && ngx_strncmp(names[i], name, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Copies a flat field/value reply into obj, typed: JSON text parsed,
 * counters as integers, the rest as strings.  Unknown fields pass through
 * so that a newer worker's additions show up; "payload" never does here.
 */

static void
ngx_ct_netsuite_json_fields_copy(json_t *obj, redisReply *flat)
{
    size_t       i;
    json_t      *v;
    redisReply  *k, *val;

    for (i = 0; i + 1 < flat->elements; i += 2) {
        k = flat->element[i];
        val = flat->element[i + 1];

        if (k->type != REDIS_REPLY_STRING
            || (k->len == 7 && ngx_strncmp(k->str, "payload", 7) == 0)
            || (k->len == 10 && ngx_strncmp(k->str, "updated_at", 10) == 0))
        {
            continue;
        }

        if (ngx_ct_netsuite_in(ngx_ct_netsuite_json_fields, k->str, k->len))
        {
            v = ngx_ct_netsuite_json_embedded(val);

        } else if (ngx_ct_netsuite_in(ngx_ct_netsuite_int_fields, k->str,
                                      k->len))
        {
            v = ngx_ct_netsuite_json_int(val);

        } else {
            v = ngx_ct_netsuite_json_str(val);
        }

        json_object_setn_new(obj, k->str, k->len, v);
    }
}


/* --- orders and payments -------------------------------------------------- */

/*
 * Stream entries as objects: the fields, then the entry id under "name"
 * (last: a dead letter has a field "entry" of its own, the id it had in
 * its shard stream).
 */

static json_t *
ngx_ct_netsuite_status_entries(redisReply *audit, const char *name)
{
    size_t       i;
    json_t      *list, *e;
    redisReply  *entry;

    list = json_array();

    for (i = 0; i < audit->elements; i++) {
        entry = audit->element[i];

        if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2
            || entry->element[0]->type != REDIS_REPLY_STRING
            || entry->element[1]->type != REDIS_REPLY_ARRAY)
        {
            continue;
        }

        e = json_object();
        ngx_ct_netsuite_json_fields_copy(e, entry->element[1]);
        json_object_set_new(e, name,
                            ngx_ct_netsuite_json_str(entry->element[0]));
        json_array_append_new(list, e);
    }

    return list;
}


static ngx_int_t
ngx_ct_netsuite_status_resource_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data)
{
    ngx_ct_netsuite_view_t  *v = data;

    int64_t      updated;
    json_t      *view;
    redisReply  *hash, *audit;

    hash = replies[0];
    audit = replies[1];

    if (hash == NULL || audit == NULL) {
        return ngx_ct_netsuite_status_unavailable(r);
    }

    if (hash->type != REDIS_REPLY_ARRAY) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ct_netsuite: status hash of %V %V: %s", &v->rtype,
                      &v->id, hash->str ? hash->str : "not a hash");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (hash->elements == 0) {
        return ngx_ct_netsuite_status_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", &v->id,
                                            "no status for this id");
    }

    updated = ngx_ct_netsuite_reply_int(
                  ngx_ct_netsuite_reply_field(hash, "updated_at"));

    view = json_object();
    if (view == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_object_set_new(view, "resource",
                        json_stringn((char *) v->rtype.data, v->rtype.len));
    json_object_set_new(view, "id",
                        json_stringn((char *) v->id.data, v->id.len));

    ngx_ct_netsuite_json_fields_copy(view, hash);

    json_object_set_new(view, "updated_at",
                        ngx_ct_netsuite_json_time(updated));
    json_object_set_new(view, "updated_at_ms",
                        updated < 0 ? json_null() : json_integer(updated));

    ngx_ct_netsuite_links(r, json_object_get(view, "records"));

    /* a missing trail (wrong type, trimmed away) is an empty trail */
    json_object_set_new(view, "audit",
                        audit->type == REDIS_REPLY_ARRAY
                        ? ngx_ct_netsuite_status_entries(audit, "entry")
                        : json_array());

    return ngx_ct_netsuite_status_send(r, view, updated);
}


ngx_int_t
ngx_ct_netsuite_status_key(ngx_http_request_t *r, ngx_ct_netsuite_cmd_t *cmd,
    const char *name, const char *key)
{
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    ngx_ct_netsuite_cmd_arg(cmd, name);

    return ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%V:%s",
                                   &lcf->stream->prefix, key);
}


/* Completes an XREVRANGE <key>: the newest count entries. */

static void
ngx_ct_netsuite_status_newest(ngx_ct_netsuite_cmd_t *cmd, const char *count)
{
    ngx_ct_netsuite_cmd_arg(cmd, "+");
    ngx_ct_netsuite_cmd_arg(cmd, "-");
    ngx_ct_netsuite_cmd_arg(cmd, "COUNT");
    ngx_ct_netsuite_cmd_arg(cmd, count);
}


/* Starts a batch: NGX_DONE, or the status of an answer already sent. */

static ngx_int_t
ngx_ct_netsuite_status_run(ngx_http_request_t *r, ngx_ct_netsuite_cmd_t *cmds,
    ngx_uint_t n, ngx_ct_netsuite_query_done_pt done, void *data)
{
    ngx_int_t  rc;

    rc = ngx_ct_netsuite_query(r, cmds, n, done, data);

    if (rc == NGX_DECLINED) {
        return ngx_ct_netsuite_status_unavailable(r);
    }

    if (rc != NGX_DONE) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_ct_netsuite_status_resource(ngx_http_request_t *r,
    ngx_ct_netsuite_view_t *v)
{
    ngx_str_t                   *prefix;
    ngx_ct_netsuite_cmd_t       *cmds;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);
    prefix = &lcf->stream->prefix;

    cmds = ngx_pcalloc(r->pool, 2 * sizeof(ngx_ct_netsuite_cmd_t));
    if (cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(&cmds[0], "HGETALL");
    ngx_ct_netsuite_cmd_arg(&cmds[1], "XREVRANGE");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, &cmds[0], "%V:status:%V:%V",
                                prefix, &v->rtype, &v->id)
        != NGX_OK
        || ngx_ct_netsuite_cmd_fmt(r->pool, &cmds[1], "%V:audit:%V:%V",
                                   prefix, &v->rtype, &v->id)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_status_newest(&cmds[1], NGX_CT_NETSUITE_AUDIT_COUNT);

    return ngx_ct_netsuite_status_run(r, cmds, 2,
                                      ngx_ct_netsuite_status_resource_done, v);
}


static ngx_int_t
ngx_ct_netsuite_status_number_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data)
{
    ngx_ct_netsuite_view_t  *v = data;

    ngx_int_t    rc;
    ngx_str_t    id;
    redisReply  *idx;

    idx = replies[0];

    if (idx == NULL) {
        return ngx_ct_netsuite_status_unavailable(r);
    }

    if (idx->type == REDIS_REPLY_NIL) {
        return ngx_ct_netsuite_status_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", &v->id,
                                            "no order with this number");
    }

    id.data = (u_char *) idx->str;
    id.len = idx->type == REDIS_REPLY_STRING ? idx->len : 0;

    rc = ngx_ct_netsuite_status_uuid(r, &id, &v->id);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ct_netsuite: order number index of \"%V\" holds no "
                      "order id", &v->id);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_status_resource(r, v);
}


/* GET <prefix>:<key><id>, then done. */

static ngx_int_t
ngx_ct_netsuite_status_get(ngx_http_request_t *r, ngx_ct_netsuite_view_t *v,
    const char *key, ngx_ct_netsuite_query_done_pt done)
{
    ngx_ct_netsuite_cmd_t       *cmd;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    cmd = ngx_pcalloc(r->pool, sizeof(ngx_ct_netsuite_cmd_t));
    if (cmd == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(cmd, "GET");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%V:%s%V",
                                &lcf->stream->prefix, key, &v->id)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_status_run(r, cmd, 1, done, v);
}


/* --- events --------------------------------------------------------------- */

static ngx_int_t
ngx_ct_netsuite_status_event_send(ngx_http_request_t *r,
    ngx_ct_netsuite_view_t *v, redisReply *fields)
{
    int64_t                      updated, rx;
    json_t                      *view, *stream;
    redisReply                  *hash;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);
    hash = v->hash;

    view = json_object();
    if (view == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_object_set_new(view, "id",
                        json_stringn((char *) v->id.data, v->id.len));

    if (hash->elements) {
        ngx_ct_netsuite_json_fields_copy(view, hash);
        updated = ngx_ct_netsuite_reply_int(
                      ngx_ct_netsuite_reply_field(hash, "updated_at"));

    } else {
        /* appended by the module, not picked up by a worker yet */
        json_object_set_new(view, "state", json_string("received"));
        json_object_set_new(view, "resource", ngx_ct_netsuite_json_str(
                            ngx_ct_netsuite_reply_field(fields, "resource")));
        json_object_set_new(view, "type", ngx_ct_netsuite_json_str(
                            ngx_ct_netsuite_reply_field(fields, "type")));
        updated = -1;
    }

    rx = ngx_ct_netsuite_reply_int(ngx_ct_netsuite_reply_field(fields, "rx"));

    if (updated < 0) {
        updated = rx;
    }

    json_object_set_new(view, "updated_at",
                        ngx_ct_netsuite_json_time(updated));
    json_object_set_new(view, "updated_at_ms",
                        updated < 0 ? json_null() : json_integer(updated));

    if (v->entry.len) {
        stream = json_object();
        json_object_set_new(stream, "shard", json_integer(v->shard));
        json_object_set_new(stream, "entry",
                            json_stringn((char *) v->entry.data,
                                         v->entry.len));
        json_object_set_new(stream, "src", ngx_ct_netsuite_json_str(
                            ngx_ct_netsuite_reply_field(fields, "src")));
        json_object_set_new(stream, "received_at",
                            ngx_ct_netsuite_json_time(rx));

        if (lcf->status_payloads) {
            json_object_set_new(stream, "payload",
                                ngx_ct_netsuite_json_embedded(
                                    ngx_ct_netsuite_reply_field(fields,
                                                                "payload")));
        }

        json_object_set_new(view, "stream", stream);

    } else {
        json_object_set_new(view, "stream", json_null());
    }

    return ngx_ct_netsuite_status_send(r, view, updated);
}


static ngx_int_t
ngx_ct_netsuite_status_entry_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data)
{
    redisReply  *range, *fields;

    range = replies[0];

    if (range == NULL) {
        return ngx_ct_netsuite_status_unavailable(r);
    }

    fields = NULL;

    /* XRANGE id id: one entry {id, fields}, none once trimmed */
    if (range->type == REDIS_REPLY_ARRAY && range->elements == 1
        && range->element[0]->type == REDIS_REPLY_ARRAY
        && range->element[0]->elements == 2)
    {
        fields = range->element[0]->element[1];
    }

    return ngx_ct_netsuite_status_event_send(r, data, fields);
}


static ngx_int_t
ngx_ct_netsuite_status_event_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data)
{
    ngx_ct_netsuite_view_t  *v = data;

    ngx_uint_t                   i;
    ngx_ct_netsuite_cmd_t       *cmd;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    for (i = 0; i < n; i++) {
        if (replies[i] == NULL) {
            return ngx_ct_netsuite_status_unavailable(r);
        }
    }

    v->hash = replies[0];

    if (v->hash->type != REDIS_REPLY_ARRAY) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ct_netsuite: status hash of event %V: %s", &v->id,
                      v->hash->str ? v->hash->str : "not a hash");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 1; i < n; i++) {
        if (replies[i]->type == REDIS_REPLY_STRING) {
            v->shard = i - 1;
            v->entry.data = (u_char *) replies[i]->str;
            v->entry.len = replies[i]->len;
            break;
        }
    }

    if (v->entry.len == 0) {
        if (v->hash->elements == 0) {
            return ngx_ct_netsuite_status_error(r, NGX_HTTP_NOT_FOUND,
                                                "not_found", &v->id,
                                                "no status for this event");
        }

        /* processed, and the dedup window is over */
        return ngx_ct_netsuite_status_event_send(r, v, NULL);
    }

    cmd = ngx_pcalloc(r->pool, sizeof(ngx_ct_netsuite_cmd_t));
    if (cmd == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(cmd, "XRANGE");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%V:{%ui}:events",
                                &lcf->stream->prefix, v->shard)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(cmd, (char *) v->entry.data);
    ngx_ct_netsuite_cmd_arg(cmd, (char *) v->entry.data);

    return ngx_ct_netsuite_status_run(r, cmd, 1,
                                      ngx_ct_netsuite_status_entry_done, v);
}


static ngx_int_t
ngx_ct_netsuite_status_event(ngx_http_request_t *r, ngx_ct_netsuite_view_t *v)
{
    ngx_str_t                   *prefix;
    ngx_uint_t                   i, n;
    ngx_ct_netsuite_cmd_t       *cmds;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);
    prefix = &lcf->stream->prefix;
    n = lcf->stream->shards + 1;

    cmds = ngx_pcalloc(r->pool, n * sizeof(ngx_ct_netsuite_cmd_t));
    if (cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(&cmds[0], "HGETALL");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, &cmds[0], "%V:status:event:%V",
                                prefix, &v->id)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 1; i < n; i++) {
        ngx_ct_netsuite_cmd_arg(&cmds[i], "GET");

        if (ngx_ct_netsuite_cmd_fmt(r->pool, &cmds[i], "%V:{%ui}:seen:%V",
                                    prefix, i - 1, &v->id)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_ct_netsuite_status_run(r, cmds, n,
                                      ngx_ct_netsuite_status_event_done, v);
}


/* --- pipeline summary ---------------------------------------------------- */

static json_t *
ngx_ct_netsuite_json_known(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}


static json_t *
ngx_ct_netsuite_status_ingest(ngx_http_request_t *r)
{
    ngx_uint_t                    ch, res, i;
    json_t                       *ingest, *deliveries, *by, *failures;
    ngx_atomic_uint_t             total;
    ngx_ct_netsuite_metrics_t    *m;
    ngx_ct_netsuite_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_ct_netsuite_module);

    m = ngx_ct_netsuite_metrics_get(rmcf);
    if (m == NULL) {
        return json_null();
    }

    ingest = json_object();
    deliveries = json_object();
    failures = json_object();

    /* channels with traffic only; every result of such a channel */
    for (ch = 0; ch < NGX_CT_NETSUITE_CHANNELS; ch++) {
        total = 0;

        for (res = 0; res < NGX_CT_NETSUITE_RESULTS; res++) {
            total += m->deliveries[ch][res];
        }

        if (total == 0) {
            continue;
        }

        by = json_object();

        for (res = 0; res < NGX_CT_NETSUITE_RESULTS; res++) {
            json_object_set_new(by,
                (char *) ngx_ct_netsuite_metrics_results[res].data,
                json_integer(m->deliveries[ch][res]));
        }

        json_object_set_new(deliveries,
                            (char *) ngx_ct_netsuite_metrics_channels[ch].data,
                            by);
    }

    for (i = 0; i < NGX_CT_NETSUITE_REASONS; i++) {
        json_object_set_new(failures,
                            (char *) ngx_ct_netsuite_metrics_reasons[i].data,
                            json_integer(m->signature_failures[i]));
    }

    json_object_set_new(ingest, "deliveries", deliveries);
    json_object_set_new(ingest, "signature_failures", failures);
    json_object_set_new(ingest, "received_bytes",
                        json_integer(m->received_bytes));
    json_object_set_new(ingest, "redis_errors",
                        json_integer(m->redis_errors));

    return ingest;
}


/*
 * The counters ctns-worker keeps in <prefix>:settle:summary (exceptions,
 * payouts_waiting, ...), each a number; zeros before any import.
 */
static json_t *
ngx_ct_netsuite_status_settlements(redisReply *h)
{
    size_t   i;
    json_t  *s;

    s = json_pack("{s:i,s:i}", "exceptions", 0, "payouts_waiting", 0);

    for (i = 1; h && h->type == REDIS_REPLY_ARRAY && i < h->elements; i += 2)
    {
        json_object_set_new(s, h->element[i - 1]->str,
                            json_integer(ngx_atoi((u_char *)
                                                  h->element[i]->str,
                                                  h->element[i]->len)));
    }

    return s;
}


static ngx_int_t
ngx_ct_netsuite_status_summary_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data)
{
    int64_t                      now, length, pending, lag;
    json_t                      *view, *list, *s;
    ngx_uint_t                   i;
    ngx_time_t                  *tp;
    ngx_ct_netsuite_shard_t     *sh;
    ngx_ct_netsuite_pipeline_t   pl;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    /* the last reply is the settlement counters */
    if (ngx_ct_netsuite_pipeline_parse(r, replies, n - 1, &pl) != NGX_OK
        || replies[n - 1] == NULL)
    {
        return ngx_ct_netsuite_status_unavailable(r);
    }

    tp = ngx_timeofday();
    now = (int64_t) tp->sec * 1000 + tp->msec;

    view = json_object();
    list = json_array();
    length = pending = lag = 0;

    for (i = 0; i < pl.nshards; i++) {
        sh = &pl.shards[i];

        s = json_object();
        json_object_set_new(s, "shard", json_integer(i));
        json_object_set_new(s, "length", json_integer(sh->length));
        json_object_set_new(s, "pending", json_integer(sh->pending));
        json_object_set_new(s, "lag", ngx_ct_netsuite_json_known(sh->lag));
        json_object_set_new(s, "entries_read",
                            ngx_ct_netsuite_json_known(sh->entries_read));
        json_object_set_new(s, "consumers",
                            ngx_ct_netsuite_json_known(sh->consumers));
        json_object_set_new(s, "oldest_pending",
                            sh->oldest.len
                            ? json_stringn((char *) sh->oldest.data,
                                           sh->oldest.len)
                            : json_null());
        json_object_set_new(s, "oldest_pending_age_ms",
                            sh->oldest_ms < 0 ? json_null()
                            : json_integer(ngx_max(now - sh->oldest_ms, 0)));
        json_array_append_new(list, s);

        length += sh->length;
        pending += sh->pending;
        lag += ngx_max(sh->lag, 0);
    }

    json_object_set_new(view, "prefix",
                        json_stringn((char *) lcf->stream->prefix.data,
                                     lcf->stream->prefix.len));
    json_object_set_new(view, "group", json_string(NGX_CT_NETSUITE_GROUP));
    json_object_set_new(view, "time", ngx_ct_netsuite_json_time(now));
    json_object_set_new(view, "shards", list);

    s = json_object();
    json_object_set_new(s, "length", json_integer(length));
    json_object_set_new(s, "pending", json_integer(pending));
    json_object_set_new(s, "lag", json_integer(lag));
    json_object_set_new(view, "total", s);

    s = json_object();
    json_object_set_new(s, "length", json_integer(pl.dlq));
    json_object_set_new(view, "dlq", s);

    json_object_set_new(view, "ingest", ngx_ct_netsuite_status_ingest(r));
    json_object_set_new(view, "settlements",
                        ngx_ct_netsuite_status_settlements(replies[n - 1]));

    /* changes all the time: no validators */
    return ngx_ct_netsuite_status_send(r, view, -1);
}


static ngx_int_t
ngx_ct_netsuite_status_summary(ngx_http_request_t *r)
{
    ngx_uint_t              n;
    ngx_ct_netsuite_cmd_t  *cmds, *all;

    cmds = ngx_ct_netsuite_pipeline_cmds(r, &n);
    if (cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    all = ngx_palloc(r->pool, (n + 1) * sizeof(ngx_ct_netsuite_cmd_t));
    if (all == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(all, cmds, n * sizeof(ngx_ct_netsuite_cmd_t));
    ngx_memzero(&all[n], sizeof(ngx_ct_netsuite_cmd_t));

    if (ngx_ct_netsuite_status_key(r, &all[n], "HGETALL", "settle:summary")
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_status_run(r, all, n + 1,
                                      ngx_ct_netsuite_status_summary_done,
                                      NULL);
}


/* --- documents: a JSON object under one key ------------------------------ */

/* The PSP index, the reconciliation summary: v->rtype names the key. */

static ngx_int_t
ngx_ct_netsuite_status_doc_done(ngx_http_request_t *r, redisReply **replies,
    ngx_uint_t n, void *data)
{
    ngx_ct_netsuite_view_t  *v = data;

    json_t      *doc;
    redisReply  *value;

    value = replies[0];

    if (value == NULL) {
        return ngx_ct_netsuite_status_unavailable(r);
    }

    if (value->type == REDIS_REPLY_NIL) {
        return ngx_ct_netsuite_status_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found",
                                            v->id.len ? &v->id : NULL,
                                            v->missing);
    }

    doc = NULL;

    if (value->type == REDIS_REPLY_STRING) {
        doc = json_loadb(value->str, value->len, 0, NULL);
    }

    if (!json_is_object(doc)) {
        json_decref(doc);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ct_netsuite: %V%V holds no JSON object",
                      &v->rtype, &v->id);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_status_send(r, doc, -1);
}


/* --- dead letters ------------------------------------------------------- */

static ngx_int_t
ngx_ct_netsuite_status_dlq_done(ngx_http_request_t *r, redisReply **replies,
    ngx_uint_t n, void *data)
{
    json_t      *view;
    ngx_uint_t   i;

    for (i = 0; i < n; i++) {
        if (replies[i] == NULL) {
            return ngx_ct_netsuite_status_unavailable(r);
        }
    }

    view = json_object();
    if (view == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_object_set_new(view, "length",
                        ngx_ct_netsuite_json_int(replies[0]));
    json_object_set_new(view, "retrying",
                        ngx_ct_netsuite_json_int(replies[1]));

    json_object_set_new(view, "entries",
                        replies[2]->type == REDIS_REPLY_ARRAY
                        ? ngx_ct_netsuite_status_entries(replies[2],
                                                         "dlq_id")
                        : json_array());

    return ngx_ct_netsuite_status_send(r, view, -1);
}


static ngx_int_t
ngx_ct_netsuite_status_dlq(ngx_http_request_t *r)
{
    ngx_ct_netsuite_cmd_t  *cmds;

    cmds = ngx_pcalloc(r->pool, 3 * sizeof(ngx_ct_netsuite_cmd_t));

    if (cmds == NULL
        || ngx_ct_netsuite_status_key(r, &cmds[0], "XLEN", "dlq") != NGX_OK
        || ngx_ct_netsuite_status_key(r, &cmds[1], "ZCARD", "retry")
           != NGX_OK
        || ngx_ct_netsuite_status_key(r, &cmds[2], "XREVRANGE", "dlq")
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_status_newest(&cmds[2], NGX_CT_NETSUITE_DLQ_COUNT);

    return ngx_ct_netsuite_status_run(r, cmds, 3,
                                      ngx_ct_netsuite_status_dlq_done, NULL);
}


/* --- retrying events by NetSuite's last answer --------------------------- */

static ngx_int_t
ngx_ct_netsuite_status_retrying_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data)
{
    int64_t  *length = data;

    char         key[NGX_INT64_LEN + 1];
    json_t      *view, *by, *err, *http;
    ngx_uint_t   i;
    json_int_t   count;

    view = json_object();
    by = json_object();

    for (i = 0; i < n; i++) {
        if (replies[i] == NULL) {
            json_decref(view);
            json_decref(by);
            return ngx_ct_netsuite_status_unavailable(r);
        }

        /* an event without a status yet, or with an error of no status */
        err = ngx_ct_netsuite_json_embedded(replies[i]);
        http = json_object_get(err, "http");

        ngx_sprintf((u_char *) key, "%L%Z",
                    json_is_integer(http) ? json_integer_value(http) : 0);
        json_decref(err);

        count = json_integer_value(json_object_get(by, key));
        json_object_set_new(by, key, json_integer(count + 1));
    }

    json_object_set_new(view, "length", json_integer(*length));
    json_object_set_new(view, "sampled", json_integer(n));
    json_object_set_new(view, "by_http", by);

    return ngx_ct_netsuite_status_send(r, view, -1);
}


/*
 * The retry schedule holds the event of each member (its "fields"); the
 * event's status hash holds NetSuite's last answer.  The first round trip
 * reads the schedule, the second the answers of the first events in it.
 */

static ngx_int_t
ngx_ct_netsuite_status_schedule_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data)
{
    int64_t                     *length;
    json_t                      *member, *id;
    ngx_int_t                    rc;
    ngx_uint_t                   i, k;
    redisReply                  *members;
    ngx_ct_netsuite_cmd_t       *cmds;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    if (replies[0] == NULL || replies[1] == NULL) {
        return ngx_ct_netsuite_status_unavailable(r);
    }

    length = ngx_palloc(r->pool, sizeof(int64_t));
    if (length == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *length = ngx_max(ngx_ct_netsuite_reply_int(replies[0]), 0);
    members = replies[1];

    if (members->type != REDIS_REPLY_ARRAY || members->elements == 0) {
        return ngx_ct_netsuite_status_retrying_done(r, NULL, 0, length);
    }

    cmds = ngx_pcalloc(r->pool,
                       members->elements * sizeof(ngx_ct_netsuite_cmd_t));
    if (cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    k = 0;

    for (i = 0; i < members->elements; i++) {
        if (members->element[i]->type != REDIS_REPLY_STRING) {
            continue;
        }

        member = json_loadb(members->element[i]->str,
                            members->element[i]->len, 0, NULL);
        id = json_object_get(json_object_get(member, "fields"), "id");

        if (!json_is_string(id)) {
            /* not written by the worker: nothing to look up */
            json_decref(member);
            continue;
        }

        ngx_ct_netsuite_cmd_arg(&cmds[k], "HGET");

        rc = ngx_ct_netsuite_cmd_fmt(r->pool, &cmds[k], "%V:status:event:%s",
                                     &lcf->stream->prefix,
                                     json_string_value(id));
        json_decref(member);

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_ct_netsuite_cmd_arg(&cmds[k++], "last_error");
    }

    if (k == 0) {
        return ngx_ct_netsuite_status_retrying_done(r, NULL, 0, length);
    }

    return ngx_ct_netsuite_status_run(r, cmds, k,
                                      ngx_ct_netsuite_status_retrying_done,
                                      length);
}


static ngx_int_t
ngx_ct_netsuite_status_retrying(ngx_http_request_t *r)
{
    ngx_ct_netsuite_cmd_t  *cmds;

    cmds = ngx_pcalloc(r->pool, 2 * sizeof(ngx_ct_netsuite_cmd_t));

    if (cmds == NULL
        || ngx_ct_netsuite_status_key(r, &cmds[0], "ZCARD", "retry")
           != NGX_OK
        || ngx_ct_netsuite_status_key(r, &cmds[1], "ZRANGE", "retry")
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(&cmds[1], "0");
    ngx_ct_netsuite_cmd_arg(&cmds[1], NGX_CT_NETSUITE_RETRY_SAMPLE);

    return ngx_ct_netsuite_status_run(r, cmds, 2,
                                      ngx_ct_netsuite_status_schedule_done,
                                      NULL);
}


/* --- deliveries per minute ------------------------------------------------ */

static json_t *
ngx_ct_netsuite_status_minute(ngx_ct_netsuite_minute_t *slot)
{
    ngx_uint_t         ch, res;
    json_t            *all, *by;
    ngx_atomic_uint_t  n;

    all = json_object();

    for (ch = 0; slot && ch < NGX_CT_NETSUITE_CHANNELS; ch++) {
        by = NULL;

        for (res = 0; res < NGX_CT_NETSUITE_RESULTS; res++) {
            n = slot->deliveries[ch][res];

            if (n == 0) {
                continue;
            }

            if (by == NULL) {
                by = json_object();
                json_object_set_new(all,
                    (char *) ngx_ct_netsuite_metrics_channels[ch].data, by);
            }

            json_object_set_new(by,
                (char *) ngx_ct_netsuite_metrics_results[res].data,
                json_integer(n));
        }
    }

    return all;
}


/* The first of the last hour's minutes (since the epoch). */

static ngx_atomic_uint_t
ngx_ct_netsuite_status_hour(void)
{
    return ngx_time() / 60 - (NGX_CT_NETSUITE_MINUTES - 1);
}


/* Appends the minute's entry, {"at", "at_ms", name: counts}, to list. */

static void
ngx_ct_netsuite_status_at(json_t *list, ngx_atomic_uint_t minute,
    const char *name, json_t *counts)
{
    json_t  *e;

    e = json_object();
    json_object_set_new(e, "at", ngx_ct_netsuite_json_time(minute * 60000));
    json_object_set_new(e, "at_ms", json_integer(minute * 60000));
    json_object_set_new(e, name, counts);
    json_array_append_new(list, e);
}


static ngx_int_t
ngx_ct_netsuite_status_minutes_send(ngx_http_request_t *r, json_t *list)
{
    json_t  *view;

    view = json_object();
    json_object_set_new(view, "time",
                        ngx_ct_netsuite_json_time(ngx_time() * 1000));
    json_object_set_new(view, "minutes", list);

    return ngx_ct_netsuite_status_send(r, view, -1);
}


/* The last hour, oldest minute first, the current (partial) one last. */

static ngx_int_t
ngx_ct_netsuite_status_history(ngx_http_request_t *r)
{
    json_t                       *list;
    ngx_uint_t                    i;
    ngx_atomic_uint_t             minute;
    ngx_ct_netsuite_metrics_t    *m;
    ngx_ct_netsuite_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_ct_netsuite_module);
    m = ngx_ct_netsuite_metrics_get(rmcf);

    list = json_array();
    minute = ngx_ct_netsuite_status_hour();

    for (i = 0; i < NGX_CT_NETSUITE_MINUTES; i++, minute++) {
        ngx_ct_netsuite_status_at(list, minute, "deliveries",
            ngx_ct_netsuite_status_minute(
                m ? ngx_ct_netsuite_metrics_minute(m, minute) : NULL));
    }

    return ngx_ct_netsuite_status_minutes_send(r, list);
}


/* --- NetSuite's answers per minute ---------------------------------------- */

/*
 * The worker processes add up NetSuite's answers per minute in
 * <prefix>:stats:netsuite:<minute> (docs/worker.md); replies[i] is the
 * hash of minute *data + i.
 */

static ngx_int_t
ngx_ct_netsuite_status_answers_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data)
{
    ngx_atomic_uint_t  *first = data;

    json_t      *list, *by;
    ngx_uint_t   i, k;
    redisReply  *h;

    list = json_array();

    for (i = 0; i < n; i++) {
        h = replies[i];

        if (h == NULL || h->type != REDIS_REPLY_ARRAY) {
            json_decref(list);
            return ngx_ct_netsuite_status_unavailable(r);
        }

        by = json_object();

        for (k = 0; k + 1 < h->elements; k += 2) {
            if (h->element[k]->type == REDIS_REPLY_STRING) {
                json_object_setn_new(by, h->element[k]->str,
                                     h->element[k]->len,
                                     ngx_ct_netsuite_json_int(
                                         h->element[k + 1]));
            }
        }

        ngx_ct_netsuite_status_at(list, *first + i, "answers", by);
    }

    return ngx_ct_netsuite_status_minutes_send(r, list);
}


static ngx_int_t
ngx_ct_netsuite_status_answers(ngx_http_request_t *r)
{
    ngx_uint_t                   i;
    ngx_atomic_uint_t           *first;
    ngx_ct_netsuite_cmd_t       *cmds;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    cmds = ngx_pcalloc(r->pool,
                       NGX_CT_NETSUITE_MINUTES * sizeof(ngx_ct_netsuite_cmd_t));
    first = ngx_palloc(r->pool, sizeof(ngx_atomic_uint_t));

    if (cmds == NULL || first == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *first = ngx_ct_netsuite_status_hour();

    for (i = 0; i < NGX_CT_NETSUITE_MINUTES; i++) {
        ngx_ct_netsuite_cmd_arg(&cmds[i], "HGETALL");

        if (ngx_ct_netsuite_cmd_fmt(r->pool, &cmds[i],
                                    "%V:stats:netsuite:%uA",
                                    &lcf->stream->prefix, *first + i)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_ct_netsuite_status_run(r, cmds, NGX_CT_NETSUITE_MINUTES,
                                      ngx_ct_netsuite_status_answers_done,
                                      first);
}


/* --- routing -------------------------------------------------------------- */

static ngx_uint_t
ngx_ct_netsuite_status_prefix(ngx_str_t *path, const char *prefix)
{
    size_t  len;

    len = ngx_strlen(prefix);

    if (path->len < len || ngx_strncmp(path->data, prefix, len) != 0) {
        return 0;
    }

    path->data += len;
    path->len -= len;

    return 1;
}


static ngx_int_t
ngx_ct_netsuite_status_bad(ngx_http_request_t *r, const char *error)
{
    return ngx_ct_netsuite_status_error(r, NGX_HTTP_BAD_REQUEST,
                                        "malformed", NULL, error);
}


static ngx_int_t
ngx_ct_netsuite_status_route(ngx_http_request_t *r, ngx_str_t *path)
{
    ngx_int_t                rc;
    ngx_ct_netsuite_view_t  *v;

    if (path->len == 0) {
        return ngx_ct_netsuite_status_summary(r);
    }

    if (path->len == 3 && ngx_strncmp(path->data, "dlq", 3) == 0) {
        return ngx_ct_netsuite_status_dlq(r);
    }

    if (path->len == 7 && ngx_strncmp(path->data, "history", 7) == 0) {
        return ngx_ct_netsuite_status_history(r);
    }

    if (path->len == 8 && ngx_strncmp(path->data, "retrying", 8) == 0) {
        return ngx_ct_netsuite_status_retrying(r);
    }

    if (path->len == 8 && ngx_strncmp(path->data, "netsuite", 8) == 0) {
        return ngx_ct_netsuite_status_answers(r);
    }

    v = ngx_pcalloc(r->pool, sizeof(ngx_ct_netsuite_view_t));
    if (v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (path->len == 9 && ngx_strncmp(path->data, "reconcile", 9) == 0) {
        ngx_str_set(&v->rtype, "reconcile:last");
        v->missing = "no reconciliation run yet";
        return ngx_ct_netsuite_status_get(r, v, "reconcile:last",
                                          ngx_ct_netsuite_status_doc_done);
    }

    if (ngx_ct_netsuite_status_prefix(path, "psp/")) {
        if (ngx_ct_netsuite_status_token_id(path, NGX_CT_NETSUITE_NUMBER_MAX)
            != NGX_OK)
        {
            return ngx_ct_netsuite_status_bad(r, "invalid PSP reference");
        }

        ngx_str_set(&v->rtype, "idx:psp:");
        v->id = *path;
        v->missing = "no payment with this PSP reference";
        return ngx_ct_netsuite_status_get(r, v, "idx:psp:",
                                          ngx_ct_netsuite_status_doc_done);
    }

    ngx_str_set(&v->rtype, "order");

    if (ngx_ct_netsuite_status_prefix(path, "orders/by-number/")) {
        if (ngx_ct_netsuite_status_token_id(path, NGX_CT_NETSUITE_NUMBER_MAX)
            != NGX_OK)
        {
            return ngx_ct_netsuite_status_bad(r, "invalid order number");
        }

        v->id = *path;
        return ngx_ct_netsuite_status_get(r, v, "idx:order-number:",
                                          ngx_ct_netsuite_status_number_done);
    }

    if (ngx_ct_netsuite_status_prefix(path, "events/")) {
        if (ngx_ct_netsuite_status_token_id(path, CTNS_EVENT_ID_LEN - 1)
            != NGX_OK)
        {
            return ngx_ct_netsuite_status_bad(r, "invalid message id");
        }

        v->id = *path;
        return ngx_ct_netsuite_status_event(r, v);
    }

    if (!ngx_ct_netsuite_status_prefix(path, "orders/")) {

        if (!ngx_ct_netsuite_status_prefix(path, "payments/")) {
            return ngx_ct_netsuite_status_error(r, NGX_HTTP_NOT_FOUND,
                                                "not_found", NULL,
                                                "no such status view");
        }

        ngx_str_set(&v->rtype, "payment");
    }

    rc = ngx_ct_netsuite_status_uuid(r, path, &v->id);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_ct_netsuite_status_bad(r, "the id is not a UUID");
    }

    return ngx_ct_netsuite_status_resource(r, v);
}


ngx_int_t
ngx_ct_netsuite_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  path;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* the view is the part of the URI after the location's prefix */
    path = r->uri;

    if (path.len >= clcf->name.len
        && ngx_strncmp(path.data, clcf->name.data, clcf->name.len) == 0)
    {
        path.data += clcf->name.len;
        path.len -= clcf->name.len;
    }

    while (path.len && path.data[0] == '/') {
        path.data++;
        path.len--;
    }

    if (ngx_ct_netsuite_replay_uri(&path)) {
        /* the one write: its own method and CSRF rules */
        rc = ngx_ct_netsuite_replay(r, &path);

    } else {
        rc = ngx_ct_netsuite_status_access(r);

        if (rc == NGX_DECLINED) {
            rc = ngx_ct_netsuite_status_route(r, &path);
        }
    }

    if (rc == NGX_DONE) {
        /* a Redis reply finalizes the request */
        r->main->count++;
    }

    return rc;
}


/* --- directives ----------------------------------------------------------- */

static ngx_int_t
ngx_ct_netsuite_status_token_arg(ngx_conf_t *cf,
    ngx_ct_netsuite_secrets_t *tokens, const char *kind, ngx_str_t *value)
{
    ngx_str_t  arg;

    arg.len = ngx_strlen(kind) + value->len;
    arg.data = ngx_pnalloc(cf->pool, arg.len);
    if (arg.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(arg.data, kind, ngx_strlen(kind)), value->data,
               value->len);

    return ngx_ct_netsuite_secrets_parse(cf, tokens, &arg);
}


/*
 * ct_netsuite_status_token file=PATH | VALUE ...: one token per non-empty
 * line of each file, or a value that may hold variables; several at once
 * for rotation.  The webhook's secrets code reads and keeps them.
 */

char *
ngx_ct_netsuite_status_token_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_ct_netsuite_loc_conf_t  *lcf = conf;

    ngx_int_t                   rc;
    ngx_str_t                  *value, v;
    ngx_uint_t                  i;
    ngx_ct_netsuite_secrets_t  *tokens;

    if (lcf->status_token != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    tokens = ngx_pcalloc(cf->pool, sizeof(ngx_ct_netsuite_secrets_t));
    if (tokens == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_ct_netsuite_arg_value(&value[i], "file", &v)) {
            rc = ngx_ct_netsuite_status_token_arg(cf, tokens, "secret_file=",
                                                  &v);

        } else {
            rc = ngx_ct_netsuite_status_token_arg(cf, tokens, "secret=",
                                                  &value[i]);
        }

        if (rc != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (tokens->values->nelts + tokens->complex->nelts == 0) {
        return "has no token (the files hold only comments)";
    }

    lcf->status_token = tokens;

    return NGX_CONF_OK;
}
