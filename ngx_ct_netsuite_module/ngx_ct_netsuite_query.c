
/*
 * Copyright (C) ct-netsuite authors
 *
 * A batch of commands for one request.  The record is allocated
 * outside the request pool: when the client goes away or the request times
 * out first, the cleanup handler or the timer detach the request and the
 * late replies only count down and free the record.
 */


#include "ngx_ct_netsuite_query.h"
#include "ngx_ct_netsuite_redis.h"


#define NGX_CT_NETSUITE_ARG_MAX  512


typedef struct ngx_ct_netsuite_query_s  ngx_ct_netsuite_query_t;

typedef struct {
    ngx_ct_netsuite_query_t     *query;
    ngx_uint_t                   index;
} ngx_ct_netsuite_slot_t;


struct ngx_ct_netsuite_query_s {
    ngx_http_request_t          *r;
    ngx_http_cleanup_t          *cln;
    ngx_event_t                  timer;
    ngx_uint_t                   waiting;
    ngx_uint_t                   n;
    redisReply                 **replies;    /* in r->pool */
    ngx_ct_netsuite_query_done_pt  done;
    void                        *data;
    ngx_ct_netsuite_slot_t       slots[1];
};


/* Replies are freed by hiredis after the callback: a deep copy. */

static redisReply *
ngx_ct_netsuite_reply_copy(ngx_pool_t *pool, redisReply *src)
{
    size_t       i;
    redisReply  *dst;

    dst = ngx_pcalloc(pool, sizeof(redisReply));
    if (dst == NULL) {
        return NULL;
    }

    dst->type = src->type;
    dst->integer = src->integer;

    if (src->str) {
        dst->str = ngx_pnalloc(pool, src->len + 1);
        if (dst->str == NULL) {
            return NULL;
        }

        ngx_memcpy(dst->str, src->str, src->len);
        dst->str[src->len] = '\0';
        dst->len = src->len;
    }

    if (src->elements == 0) {
        return dst;
    }

    dst->element = ngx_palloc(pool, src->elements * sizeof(redisReply *));
    if (dst->element == NULL) {
        return NULL;
    }

    for (i = 0; i < src->elements; i++) {
        dst->element[i] = ngx_ct_netsuite_reply_copy(pool, src->element[i]);
        if (dst->element[i] == NULL) {
            return NULL;
        }
    }

    dst->elements = src->elements;

    return dst;
}


static void
ngx_ct_netsuite_query_detach(ngx_ct_netsuite_query_t *q)
{
    if (q->cln) {
        q->cln->handler = NULL;
    }

    if (q->timer.timer_set) {
        ngx_del_timer(&q->timer);
    }

    q->r = NULL;
}


static void
ngx_ct_netsuite_query_finish(ngx_http_request_t *r,
    ngx_ct_netsuite_query_t *q)
{
    ngx_int_t          rc;
    ngx_connection_t  *c;

    c = r->connection;

    rc = q->done(r, q->replies, q->n, q->data);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }

    /* we run on the Redis connection's event, not the client's */
    ngx_http_run_posted_requests(c);
}


static void
ngx_ct_netsuite_query_reply(redisReply *reply, void *data)
{
    ngx_ct_netsuite_slot_t   *slot = data;
    ngx_ct_netsuite_query_t  *q = slot->query;

    ngx_http_request_t  *r;

    r = q->r;

    if (r != NULL && reply != NULL) {
        q->replies[slot->index] = ngx_ct_netsuite_reply_copy(r->pool, reply);
    }

    if (--q->waiting) {
        return;
    }

    if (r != NULL) {
        ngx_ct_netsuite_query_detach(q);

        if (!ngx_ct_netsuite_redis_exiting()) {
            ngx_ct_netsuite_query_finish(r, q);
        }
    }

    ngx_free(q);
}


static void
ngx_ct_netsuite_query_cleanup(void *data)
{
    ngx_ct_netsuite_query_t  *q = data;

    /* the request is going away; late replies only free q */
    q->cln = NULL;
    ngx_ct_netsuite_query_detach(q);
}


static void
ngx_ct_netsuite_query_timeout(ngx_event_t *ev)
{
    ngx_ct_netsuite_query_t  *q = ev->data;

    ngx_http_request_t  *r;

    r = q->r;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "ct_netsuite: redis did not answer in time");

    ngx_ct_netsuite_query_detach(q);

    /* the replies still missing are NULL; q is freed by the last one */
    ngx_ct_netsuite_query_finish(r, q);
}


ngx_int_t
ngx_ct_netsuite_query(ngx_http_request_t *r, ngx_ct_netsuite_cmd_t *cmds,
    ngx_uint_t n, ngx_ct_netsuite_query_done_pt done, void *data)
{
    ngx_uint_t                    i;
    ngx_http_cleanup_t           *cln;
    ngx_ct_netsuite_query_t      *q;
    ngx_ct_netsuite_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_ct_netsuite_module);

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    q = ngx_calloc(sizeof(ngx_ct_netsuite_query_t)
                   + (n - 1) * sizeof(ngx_ct_netsuite_slot_t),
                   r->connection->log);
    if (q == NULL) {
        return NGX_ERROR;
    }

    q->replies = ngx_pcalloc(r->pool, n * sizeof(redisReply *));
    if (q->replies == NULL) {
        ngx_free(q);
        return NGX_ERROR;
    }

    q->r = r;
    q->cln = cln;
    q->n = n;
    q->done = done;
    q->data = data;

    /* not cancelable: a graceful exit waits for the answer */
    q->timer.handler = ngx_ct_netsuite_query_timeout;
    q->timer.data = q;
    q->timer.log = r->connection->log;

    for (i = 0; i < n; i++) {
        q->slots[i].query = q;
        q->slots[i].index = i;

        if (ngx_ct_netsuite_redis_send(cmds[i].argc, cmds[i].argv,
                                       cmds[i].lens,
                                       ngx_ct_netsuite_query_reply,
                                       &q->slots[i])
            != NGX_OK)
        {
            /* what was queued still answers; the rest stays NULL */
            break;
        }

        q->waiting++;
    }

    if (q->waiting == 0) {
        ngx_free(q);
        return NGX_DECLINED;
    }

    cln->handler = ngx_ct_netsuite_query_cleanup;
    cln->data = q;

    ngx_add_timer(&q->timer, rmcf->timeout + 500);

    return NGX_DONE;
}


void
ngx_ct_netsuite_cmd_arg(ngx_ct_netsuite_cmd_t *cmd, const char *s)
{
    ngx_ct_netsuite_cmd_argn(cmd, s, ngx_strlen(s));
}


void
ngx_ct_netsuite_cmd_argn(ngx_ct_netsuite_cmd_t *cmd, const char *s,
    size_t len)
{
    cmd->argv[cmd->argc] = s;
    cmd->lens[cmd->argc++] = len;
}


ngx_int_t
ngx_ct_netsuite_cmd_fmt(ngx_pool_t *pool, ngx_ct_netsuite_cmd_t *cmd,
    const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = ngx_pnalloc(pool, NGX_CT_NETSUITE_ARG_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    va_start(args, fmt);
    last = ngx_vslprintf(p, p + NGX_CT_NETSUITE_ARG_MAX, fmt, args);
    va_end(args);

    ngx_ct_netsuite_cmd_argn(cmd, (char *) p, last - p);

    return NGX_OK;
}


redisReply *
ngx_ct_netsuite_reply_field(redisReply *flat, const char *name)
{
    size_t  i, len;

    if (flat == NULL || flat->type != REDIS_REPLY_ARRAY) {
        return NULL;
    }

    len = ngx_strlen(name);

    for (i = 0; i + 1 < flat->elements; i += 2) {
        if (flat->element[i]->type == REDIS_REPLY_STRING
            && flat->element[i]->len == len
            && ngx_strncmp(flat->element[i]->str, name, len) == 0)
        {
            return flat->element[i + 1];
        }
    }

    return NULL;
}


int64_t
ngx_ct_netsuite_reply_int(redisReply *v)
{
    int64_t  n;
    char    *end;

    if (v == NULL) {
        return -1;
    }

    if (v->type == REDIS_REPLY_INTEGER) {
        return v->integer;
    }

    if (v->type != REDIS_REPLY_STRING || v->len == 0) {
        return -1;
    }

    errno = 0;
    n = strtoll(v->str, &end, 10);

    if (errno || *end != '\0' || n < 0) {
        return -1;
    }

    return n;
}
