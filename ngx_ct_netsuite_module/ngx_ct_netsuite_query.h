
/*
 * Copyright (C) ct-netsuite authors
 *
 * Redis queries of one request (status, metrics, a replay request): a
 * batch of pipelined commands whose replies are copied into r->pool, then
 * one callback that builds the answer.  The request may die while the batch
 * is in flight; the bookkeeping lives outside its pool for that reason.
 * A write sent this way may land although its request got no answer (or a
 * 503 after the timeout): only idempotent writes belong here.
 */


#ifndef _NGX_CT_NETSUITE_QUERY_H_INCLUDED_
#define _NGX_CT_NETSUITE_QUERY_H_INCLUDED_


#include "ngx_ct_netsuite_module.h"

#include <hiredis/hiredis.h>


/* enough for the enqueue script call: 7 + 2 x 11 stream fields */
#define NGX_CT_NETSUITE_QUERY_ARGS  32


typedef struct {
    int                          argc;
    const char                  *argv[NGX_CT_NETSUITE_QUERY_ARGS];
    size_t                       lens[NGX_CT_NETSUITE_QUERY_ARGS];
} ngx_ct_netsuite_cmd_t;


/*
 * Runs once per batch with the request alive, when every reply arrived or
 * the request timed out first: replies[i] is a copy in r->pool, NULL when
 * none came (connection lost, timeout).  Returns what
 * ngx_http_finalize_request() gets, or NGX_DONE after starting another
 * batch for the same request.
 */
typedef ngx_int_t (*ngx_ct_netsuite_query_done_pt)(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, void *data);


/*
 * NGX_DONE: the batch is in flight and done() finalizes the request;
 * NGX_DECLINED: Redis is not ready, nothing was sent; NGX_ERROR.
 */
ngx_int_t ngx_ct_netsuite_query(ngx_http_request_t *r,
    ngx_ct_netsuite_cmd_t *cmds, ngx_uint_t n,
    ngx_ct_netsuite_query_done_pt done, void *data);

/* Appends a NUL-terminated argument that outlives the batch. */
void ngx_ct_netsuite_cmd_arg(ngx_ct_netsuite_cmd_t *cmd, const char *s);

/* Appends len bytes at s (binary safe), which outlive the batch. */
void ngx_ct_netsuite_cmd_argn(ngx_ct_netsuite_cmd_t *cmd, const char *s,
    size_t len);

/* Appends an argument formatted with ngx_sprintf() into pool. */
ngx_int_t ngx_ct_netsuite_cmd_fmt(ngx_pool_t *pool, ngx_ct_netsuite_cmd_t *cmd,
    const char *fmt, ...);

/* The value of a field in a flat field/value array (HGETALL, entries). */
redisReply *ngx_ct_netsuite_reply_field(redisReply *flat, const char *name);

/* A non-negative integer reply or numeric string; -1 otherwise. */
int64_t ngx_ct_netsuite_reply_int(redisReply *v);


#endif /* _NGX_CT_NETSUITE_QUERY_H_INCLUDED_ */
