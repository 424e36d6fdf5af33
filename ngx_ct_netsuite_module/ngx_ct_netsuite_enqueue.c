
/*
 * Copyright (C) ct-netsuite authors
 *
 * The dedup + append script, and the bookkeeping that lets a request die
 * while its Redis replies are outstanding.
 *
 * Keys of one event, both in the hash slot of its shard tag {N} so the
 * script stays valid on Redis Cluster:
 *
 *   <prefix>:{N}:events      stream, consumer group ctns-workers
 *   <prefix>:{N}:seen:<id>   the stream entry id, expires after dedup_ttl
 *
 * Stripe payout events use the same script with the tag {settlements}:
 * <prefix>:{settlements}:events and <prefix>:{settlements}:seen:<evt id>.
 *
 * The script returns {1, entry id} for a new event, {0, entry id} for one
 * seen within the dedup window.  Only a reply of either shape lets the
 * module answer 2xx.
 */


#include "ngx_ct_netsuite_enqueue.h"
#include "ngx_ct_netsuite_redis.h"

#include "ctns_shard.h"


#define NGX_CT_NETSUITE_FIELDS     11
/* EVALSHA sha 2 stream seen maxlen ttl, then the fields */
#define NGX_CT_NETSUITE_ARGS       (7 + 2 * NGX_CT_NETSUITE_FIELDS)
#define NGX_CT_NETSUITE_CONTROL_MAXLEN  "100000"


ngx_str_t  ngx_ct_netsuite_enqueue_script = ngx_string(
    "local prev = redis.call('GET', KEYS[2])\n"
    "if prev then return {0, prev} end\n"
    "local id\n"
    "if ARGV[1] == '0' then\n"
    "  id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))\n"
    "else\n"
    "  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',\n"
    "                  unpack(ARGV, 3))\n"
    "end\n"
    "redis.call('SET', KEYS[2], id, 'EX', ARGV[2])\n"
    "return {1, id}\n"
);


typedef struct ngx_ct_netsuite_enqueue_s  ngx_ct_netsuite_enqueue_t;

typedef struct {
    ngx_ct_netsuite_enqueue_t   *rec;
    int                          argc;
    const char                 **argv;       /* in r->pool */
    size_t                      *lens;
    unsigned                     control:1;  /* plain XADD, no script */
    unsigned                     retried:1;
} ngx_ct_netsuite_call_t;


/*
 * Allocated outside the request pool: it outlives the request when the
 * client goes away or the request times out before Redis answers.
 */
struct ngx_ct_netsuite_enqueue_s {
    ngx_http_request_t          *r;
    ngx_http_cleanup_t          *cln;
    ngx_event_t                  timer;
    ngx_uint_t                   waiting;
    ngx_uint_t                   added;
    ngx_uint_t                   duplicates;
    ngx_uint_t                   failed;
    ngx_ct_netsuite_call_t       calls[1];
};


static void
ngx_ct_netsuite_enqueue_detach(ngx_ct_netsuite_enqueue_t *rec)
{
    if (rec->cln) {
        rec->cln->handler = NULL;
    }

    if (rec->timer.timer_set) {
        ngx_del_timer(&rec->timer);
    }

    rec->r = NULL;
}


static void
ngx_ct_netsuite_enqueue_finish(ngx_http_request_t *r,
    ngx_ct_netsuite_enqueue_t *rec)
{
    ngx_int_t               rc;
    ngx_connection_t       *c;
    ngx_ct_netsuite_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_ct_netsuite_module);
    c = r->connection;

    if (rec->failed) {
        ngx_str_set(&ctx->result, "unavailable");
        rc = ngx_ct_netsuite_answer(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable", &ctx->event_id,
                                    "redis unavailable");

    } else if (rec->added) {
        ngx_str_set(&ctx->result, "enqueued");
        rc = ngx_ct_netsuite_answer(r, NGX_HTTP_ACCEPTED, "enqueued",
                                    &ctx->event_id, NULL);

    } else {
        ngx_str_set(&ctx->result, "duplicate");
        rc = ngx_ct_netsuite_answer(r, NGX_HTTP_OK, "duplicate",
                                    &ctx->event_id, NULL);
    }

    ngx_http_finalize_request(r, rc);

    /* we run on the Redis connection's event, not the client's */
    ngx_http_run_posted_requests(c);
}


static ngx_int_t ngx_ct_netsuite_enqueue_call(ngx_ct_netsuite_call_t *call,
    ngx_uint_t eval);


static void
ngx_ct_netsuite_enqueue_reply(redisReply *reply, void *data)
{
    ngx_ct_netsuite_call_t     *call = data;
    ngx_ct_netsuite_enqueue_t  *rec = call->rec;

    ngx_http_request_t  *r;

    if (reply != NULL && reply->type == REDIS_REPLY_ERROR
        && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0
        && rec->r != NULL && !call->retried
        && ngx_ct_netsuite_enqueue_call(call, 1) == NGX_OK)
    {
        /* the script cache was flushed: EVAL once, it reloads it */
        return;
    }

    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY
        && reply->elements == 2
        && reply->element[0]->type == REDIS_REPLY_INTEGER
        && reply->element[1]->type == REDIS_REPLY_STRING)
    {
        if (reply->element[0]->integer == 1) {
            rec->added++;

        } else {
            rec->duplicates++;
        }

    } else if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
        /* a plain XADD to the control stream */
        rec->added++;

    } else {
        rec->failed++;

        if (reply && reply->type == REDIS_REPLY_ERROR) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "ct_netsuite: redis enqueue failed: %*s",
                          (int) reply->len, reply->str);
        }
    }

    if (--rec->waiting) {
        return;
    }

    r = rec->r;

    if (r != NULL) {
        ngx_ct_netsuite_enqueue_detach(rec);

        if (!ngx_ct_netsuite_redis_exiting()) {
            ngx_ct_netsuite_enqueue_finish(r, rec);
        }
    }

    ngx_free(rec);
}


static void
ngx_ct_netsuite_enqueue_cleanup(void *data)
{
    ngx_ct_netsuite_enqueue_t  *rec = data;

    /* the request is going away; late replies only free rec */
    rec->cln = NULL;
    ngx_ct_netsuite_enqueue_detach(rec);
}


static void
ngx_ct_netsuite_enqueue_timeout(ngx_event_t *ev)
{
    ngx_ct_netsuite_enqueue_t  *rec = ev->data;

    ngx_http_request_t  *r;

    r = rec->r;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "ct_netsuite: redis did not answer in time");

    ngx_ct_netsuite_enqueue_detach(rec);

    rec->failed++;
    rec->added = 0;

    ngx_ct_netsuite_enqueue_finish(r, rec);
}


/* --- building the calls -------------------------------------------------- */

static u_char *
ngx_ct_netsuite_key(ngx_pool_t *pool, ngx_str_t *prefix, ngx_str_t *tag,
    const char *suffix, const char *id, size_t *len)
{
    u_char  *key, *last;
    size_t   size;

    size = prefix->len + sizeof(":{}:") + tag->len + ngx_strlen(suffix)
           + (id ? ngx_strlen(id) + 1 : 0);

    key = ngx_pnalloc(pool, size);
    if (key == NULL) {
        return NULL;
    }

    last = ngx_sprintf(key, "%V:{%V}:%s", prefix, tag, suffix);

    if (id) {
        last = ngx_sprintf(last, ":%s", id);
    }

    *len = last - key;

    return key;
}


static void
ngx_ct_netsuite_arg(ngx_ct_netsuite_call_t *call, const char *s, size_t len)
{
    call->argv[call->argc] = s;
    call->lens[call->argc++] = len;
}


static void
ngx_ct_netsuite_arg_str(ngx_ct_netsuite_call_t *call, const char *s)
{
    ngx_ct_netsuite_arg(call, s, ngx_strlen(s));
}


static ngx_int_t
ngx_ct_netsuite_arg_int(ngx_pool_t *pool, ngx_ct_netsuite_call_t *call,
    int64_t v)
{
    u_char  *p, *last;

    p = ngx_pnalloc(pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, "%L", v);
    ngx_ct_netsuite_arg(call, (char *) p, last - p);

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_fields(ngx_http_request_t *r, ngx_ct_netsuite_call_t *call,
    ctns_event_t *ev)
{
    u_char  *res, *last;

    res = ngx_pnalloc(r->pool, sizeof(ev->rtype) + sizeof(ev->rid));
    if (res == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(res, "%s/%s", ev->rtype, ev->rid);

    ngx_ct_netsuite_arg_str(call, "id");
    ngx_ct_netsuite_arg_str(call, ev->id);
    ngx_ct_netsuite_arg_str(call, "type");
    ngx_ct_netsuite_arg_str(call, ev->type);
    ngx_ct_netsuite_arg_str(call, "resource");
    ngx_ct_netsuite_arg(call, (char *) res, last - res);
    ngx_ct_netsuite_arg_str(call, "rv");
    if (ngx_ct_netsuite_arg_int(r->pool, call, ev->rv) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_arg_str(call, "seq");
    if (ngx_ct_netsuite_arg_int(r->pool, call, ev->seq) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_arg_str(call, "project");
    ngx_ct_netsuite_arg_str(call, ev->project);
    ngx_ct_netsuite_arg_str(call, "store");
    ngx_ct_netsuite_arg_str(call, ev->store);
    ngx_ct_netsuite_arg_str(call, "at");
    ngx_ct_netsuite_arg_str(call, ev->at);
    ngx_ct_netsuite_arg_str(call, "src");
    ngx_ct_netsuite_arg_str(call, ev->src);
    ngx_ct_netsuite_arg_str(call, "rx");
    if (ngx_ct_netsuite_arg_int(r->pool, call, ev->rx) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_arg_str(call, "payload");
    ngx_ct_netsuite_arg(call, ev->payload, ev->payload_len);

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_build(ngx_http_request_t *r, ngx_ct_netsuite_call_t *call,
    ngx_ct_netsuite_event_t *e)
{
    size_t                       len;
    u_char                      *key, shard[NGX_INT_T_LEN];
    ngx_str_t                    tag;
    ngx_ct_netsuite_stream_t    *st;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);
    st = lcf->stream;

    call->argv = ngx_palloc(r->pool, NGX_CT_NETSUITE_ARGS * sizeof(char *));
    call->lens = ngx_palloc(r->pool, NGX_CT_NETSUITE_ARGS * sizeof(size_t));
    if (call->argv == NULL || call->lens == NULL) {
        return NGX_ERROR;
    }

    call->argc = 0;

    if (e->control == NGX_CT_NETSUITE_TO_CONTROL) {
        call->control = 1;

        key = ngx_pnalloc(r->pool, st->prefix.len + sizeof(":control"));
        if (key == NULL) {
            return NGX_ERROR;
        }

        len = ngx_sprintf(key, "%V:control", &st->prefix) - key;

        ngx_ct_netsuite_arg_str(call, "XADD");
        ngx_ct_netsuite_arg(call, (char *) key, len);
        ngx_ct_netsuite_arg_str(call, "MAXLEN");
        ngx_ct_netsuite_arg_str(call, "~");
        ngx_ct_netsuite_arg_str(call, NGX_CT_NETSUITE_CONTROL_MAXLEN);
        ngx_ct_netsuite_arg_str(call, "*");

        return ngx_ct_netsuite_fields(r, call, &e->ev);
    }

    if (e->control == NGX_CT_NETSUITE_TO_SETTLEMENTS) {
        ngx_str_set(&tag, "settlements");

    } else {
        tag.data = shard;
        tag.len = ngx_sprintf(shard, "%ui",
                              ctns_shard((u_char *) e->ev.rid,
                                         ngx_strlen(e->ev.rid), st->shards))
                  - shard;
    }

    /* argv[0..1] are set per attempt: EVALSHA sha, or EVAL script */
    call->argc = 2;

    ngx_ct_netsuite_arg_str(call, "2");

    key = ngx_ct_netsuite_key(r->pool, &st->prefix, &tag, "events", NULL,
                              &len);
    if (key == NULL) {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_arg(call, (char *) key, len);

    key = ngx_ct_netsuite_key(r->pool, &st->prefix, &tag, "seen", e->ev.id,
                              &len);
    if (key == NULL) {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_arg(call, (char *) key, len);

    if (ngx_ct_netsuite_arg_int(r->pool, call, st->maxlen) != NGX_OK
        || ngx_ct_netsuite_arg_int(r->pool, call, st->dedup_ttl) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_ct_netsuite_fields(r, call, &e->ev);
}


static ngx_int_t
ngx_ct_netsuite_enqueue_call(ngx_ct_netsuite_call_t *call, ngx_uint_t eval)
{
    if (!call->control) {

        if (eval) {
            call->retried = 1;
            call->argv[0] = "EVAL";
            call->lens[0] = 4;
            call->argv[1] = (char *) ngx_ct_netsuite_enqueue_script.data;
            call->lens[1] = ngx_ct_netsuite_enqueue_script.len;

        } else {
            call->argv[0] = "EVALSHA";
            call->lens[0] = 7;
            call->argv[1] = ngx_ct_netsuite_redis_script_sha();
            call->lens[1] = 40;
        }
    }

    return ngx_ct_netsuite_redis_send(call->argc, call->argv, call->lens,
                                      ngx_ct_netsuite_enqueue_reply, call);
}


ngx_int_t
ngx_ct_netsuite_enqueue(ngx_http_request_t *r, ngx_ct_netsuite_ctx_t *ctx,
    ngx_ct_netsuite_event_t *events, ngx_uint_t n)
{
    ngx_uint_t                    i;
    ngx_http_cleanup_t           *cln;
    ngx_ct_netsuite_enqueue_t    *rec;
    ngx_ct_netsuite_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_ct_netsuite_module);

    rec = ngx_calloc(sizeof(ngx_ct_netsuite_enqueue_t)
                     + (n - 1) * sizeof(ngx_ct_netsuite_call_t),
                     r->connection->log);
    if (rec == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        rec->calls[i].rec = rec;

        if (ngx_ct_netsuite_build(r, &rec->calls[i], &events[i]) != NGX_OK) {
            ngx_free(rec);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        ngx_free(rec);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rec->r = r;
    rec->cln = cln;

    /* not cancelable: a graceful exit waits for the answer */
    rec->timer.handler = ngx_ct_netsuite_enqueue_timeout;
    rec->timer.data = rec;
    rec->timer.log = r->connection->log;

    for (i = 0; i < n; i++) {
        if (ngx_ct_netsuite_enqueue_call(&rec->calls[i], 0) != NGX_OK) {
            break;
        }

        rec->waiting++;
    }

    if (i < n) {
        /* not ready, or the connection broke while queueing */
        rec->failed++;
    }

    if (rec->waiting == 0) {
        ngx_free(rec);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    cln->handler = ngx_ct_netsuite_enqueue_cleanup;
    cln->data = rec;

    ngx_add_timer(&rec->timer, rmcf->timeout + 500);

    return NGX_DONE;
}
