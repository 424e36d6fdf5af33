
/*
 * Copyright (C) ct-netsuite authors
 *
 * The dedup + append script.  Keys of one event, both in the hash slot of
 * its shard tag {N} so the script stays valid on Redis Cluster:
 *
 *   <prefix>:{N}:events      stream, consumer group ctns-workers
 *   <prefix>:{N}:seen:<id>   the stream entry id, expires after dedup_ttl
 *
 * Stripe payout events use the same script with the tag {settlements}:
 * <prefix>:{settlements}:events and <prefix>:{settlements}:seen:<evt id>.
 * Control requests (SNS confirmations) are plain XADDs to <prefix>:control.
 *
 * The script returns {1, entry id} for a new event, {0, entry id} for one
 * seen within the dedup window.  Only a reply of either shape lets the
 * module answer 2xx.  The calls of one delivery go out as one query batch
 * (ngx_ct_netsuite_query.c), which keeps the request's lifetime safe.
 */


#include "ngx_ct_netsuite_enqueue.h"
#include "ngx_ct_netsuite_query.h"
#include "ngx_ct_netsuite_redis.h"

#include "ctns_shard.h"


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


/* One delivery's bookkeeping across batches, in r->pool. */

typedef struct {
    ngx_ct_netsuite_cmd_t       *cmds;
    ngx_uint_t                   n;
    ngx_uint_t                   added;
    ngx_uint_t                   duplicates;
    ngx_uint_t                   failed;
    ngx_uint_t                   retried;    /* EVAL after NOSCRIPT, once */
} ngx_ct_netsuite_enqueue_t;


static ngx_int_t ngx_ct_netsuite_enqueue_done(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data);


/* --- building the calls -------------------------------------------------- */

static ngx_int_t
ngx_ct_netsuite_key(ngx_pool_t *pool, ngx_ct_netsuite_cmd_t *cmd,
    ngx_str_t *prefix, ngx_str_t *tag, const char *suffix, const char *id)
{
    if (id) {
        return ngx_ct_netsuite_cmd_fmt(pool, cmd, "%V:{%V}:%s:%s", prefix,
                                       tag, suffix, id);
    }

    return ngx_ct_netsuite_cmd_fmt(pool, cmd, "%V:{%V}:%s", prefix, tag,
                                   suffix);
}


static ngx_int_t
ngx_ct_netsuite_fields(ngx_http_request_t *r, ngx_ct_netsuite_cmd_t *cmd,
    ctns_event_t *ev)
{
    ngx_ct_netsuite_cmd_arg(cmd, "id");
    ngx_ct_netsuite_cmd_arg(cmd, ev->id);
    ngx_ct_netsuite_cmd_arg(cmd, "type");
    ngx_ct_netsuite_cmd_arg(cmd, ev->type);
    ngx_ct_netsuite_cmd_arg(cmd, "resource");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%s/%s", ev->rtype, ev->rid)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(cmd, "rv");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%L", ev->rv) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(cmd, "seq");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%L", ev->seq) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(cmd, "project");
    ngx_ct_netsuite_cmd_arg(cmd, ev->project);
    ngx_ct_netsuite_cmd_arg(cmd, "store");
    ngx_ct_netsuite_cmd_arg(cmd, ev->store);
    ngx_ct_netsuite_cmd_arg(cmd, "at");
    ngx_ct_netsuite_cmd_arg(cmd, ev->at);
    ngx_ct_netsuite_cmd_arg(cmd, "src");
    ngx_ct_netsuite_cmd_arg(cmd, ev->src);
    ngx_ct_netsuite_cmd_arg(cmd, "rx");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%L", ev->rx) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(cmd, "payload");
    ngx_ct_netsuite_cmd_argn(cmd, ev->payload, ev->payload_len);

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_build(ngx_http_request_t *r, ngx_ct_netsuite_cmd_t *cmd,
    ngx_ct_netsuite_event_t *e)
{
    u_char                       shard[NGX_INT_T_LEN];
    ngx_str_t                    tag;
    ngx_ct_netsuite_stream_t    *st;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);
    st = lcf->stream;

    if (e->control == NGX_CT_NETSUITE_TO_CONTROL) {
        ngx_ct_netsuite_cmd_arg(cmd, "XADD");

        if (ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%V:control", &st->prefix)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_ct_netsuite_cmd_arg(cmd, "MAXLEN");
        ngx_ct_netsuite_cmd_arg(cmd, "~");
        ngx_ct_netsuite_cmd_arg(cmd, NGX_CT_NETSUITE_CONTROL_MAXLEN);
        ngx_ct_netsuite_cmd_arg(cmd, "*");

        return ngx_ct_netsuite_fields(r, cmd, &e->ev);
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

    ngx_ct_netsuite_cmd_arg(cmd, "EVALSHA");
    ngx_ct_netsuite_cmd_argn(cmd, ngx_ct_netsuite_redis_script_sha(), 40);
    ngx_ct_netsuite_cmd_arg(cmd, "2");

    if (ngx_ct_netsuite_key(r->pool, cmd, &st->prefix, &tag, "events", NULL)
        != NGX_OK
        || ngx_ct_netsuite_key(r->pool, cmd, &st->prefix, &tag, "seen",
                               e->ev.id) != NGX_OK
        || ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%ui", st->maxlen) != NGX_OK
        || ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%T", st->dedup_ttl)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_ct_netsuite_fields(r, cmd, &e->ev);
}


/* --- the answer -------------------------------------------------------------- */

static ngx_int_t
ngx_ct_netsuite_enqueue_answer(ngx_http_request_t *r,
    ngx_ct_netsuite_enqueue_t *eq)
{
    ngx_ct_netsuite_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_ct_netsuite_module);

    if (eq->failed) {
        ngx_str_set(&ctx->result, "unavailable");
        return ngx_ct_netsuite_answer(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "unavailable", &ctx->event_id,
                                      "redis unavailable");
    }

    if (eq->added) {
        ngx_str_set(&ctx->result, "enqueued");
        return ngx_ct_netsuite_answer(r, NGX_HTTP_ACCEPTED, "enqueued",
                                      &ctx->event_id, NULL);
    }

    ngx_str_set(&ctx->result, "duplicate");
    return ngx_ct_netsuite_answer(r, NGX_HTTP_OK, "duplicate",
                                  &ctx->event_id, NULL);
}


static ngx_uint_t
ngx_ct_netsuite_noscript(redisReply *reply)
{
    return reply != NULL && reply->type == REDIS_REPLY_ERROR
           && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0;
}


/*
 * The script cache was flushed (SCRIPT FLUSH, a failover to a replica that
 * never loaded it): those calls go again once with EVAL, which reloads it.
 */

static ngx_int_t
ngx_ct_netsuite_enqueue_retry(ngx_http_request_t *r,
    ngx_ct_netsuite_enqueue_t *eq, redisReply **replies, ngx_uint_t n)
{
    ngx_uint_t              i, k;
    ngx_ct_netsuite_cmd_t  *again;

    again = ngx_palloc(r->pool, n * sizeof(ngx_ct_netsuite_cmd_t));
    if (again == NULL) {
        return NGX_ERROR;
    }

    for (i = 0, k = 0; i < n; i++) {
        if (ngx_ct_netsuite_noscript(replies[i])) {
            again[k] = eq->cmds[i];
            again[k].argv[0] = "EVAL";
            again[k].lens[0] = 4;
            again[k].argv[1] = (char *) ngx_ct_netsuite_enqueue_script.data;
            again[k].lens[1] = ngx_ct_netsuite_enqueue_script.len;
            k++;
        }
    }

    eq->cmds = again;
    eq->n = k;
    eq->retried = 1;

    return ngx_ct_netsuite_query(r, again, k, ngx_ct_netsuite_enqueue_done,
                                 eq);
}


static ngx_int_t
ngx_ct_netsuite_enqueue_done(ngx_http_request_t *r, redisReply **replies,
    ngx_uint_t n, void *data)
{
    ngx_ct_netsuite_enqueue_t  *eq = data;

    ngx_uint_t   i, noscript;
    redisReply  *reply;

    noscript = 0;

    for (i = 0; i < n; i++) {
        reply = replies[i];

        if (reply != NULL && reply->type == REDIS_REPLY_ARRAY
            && reply->elements == 2
            && reply->element[0]->type == REDIS_REPLY_INTEGER
            && reply->element[1]->type == REDIS_REPLY_STRING)
        {
            if (reply->element[0]->integer == 1) {
                eq->added++;

            } else {
                eq->duplicates++;
            }

        } else if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
            /* a plain XADD to the control stream */
            eq->added++;

        } else if (ngx_ct_netsuite_noscript(reply) && !eq->retried) {
            noscript++;

        } else {
            eq->failed++;

            if (reply && reply->type == REDIS_REPLY_ERROR) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "ct_netsuite: redis enqueue failed: %s",
                              reply->str);
            }
        }
    }

    if (noscript && !eq->failed
        && ngx_ct_netsuite_enqueue_retry(r, eq, replies, n) == NGX_DONE)
    {
        return NGX_DONE;
    }

    eq->failed += noscript;

    return ngx_ct_netsuite_enqueue_answer(r, eq);
}


ngx_int_t
ngx_ct_netsuite_enqueue(ngx_http_request_t *r, ngx_ct_netsuite_ctx_t *ctx,
    ngx_ct_netsuite_event_t *events, ngx_uint_t n)
{
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    ngx_ct_netsuite_enqueue_t  *eq;

    eq = ngx_pcalloc(r->pool, sizeof(ngx_ct_netsuite_enqueue_t));
    if (eq == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    eq->n = n;
    eq->cmds = ngx_pcalloc(r->pool, n * sizeof(ngx_ct_netsuite_cmd_t));
    if (eq->cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (ngx_ct_netsuite_build(r, &eq->cmds[i], &events[i]) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = ngx_ct_netsuite_query(r, eq->cmds, n, ngx_ct_netsuite_enqueue_done,
                               eq);

    if (rc == NGX_DECLINED) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    return rc == NGX_DONE ? NGX_DONE : NGX_HTTP_INTERNAL_SERVER_ERROR;
}
