
/*
 * Copyright (C) ct-netsuite authors
 *
 * Stream lengths, pending entries, consumer lag and the dead-letter
 * stream, read from Redis for the status summary and the metrics.
 */


#ifndef _NGX_CT_NETSUITE_PIPELINE_H_INCLUDED_
#define _NGX_CT_NETSUITE_PIPELINE_H_INCLUDED_


#include "ngx_ct_netsuite_query.h"


#define NGX_CT_NETSUITE_GROUP  "ctns-workers"


/* One shard stream and its consumer group; -1 where Redis did not say. */

typedef struct {
    int64_t                      length;
    int64_t                      pending;
    int64_t                      lag;
    int64_t                      entries_read;
    int64_t                      consumers;
    int64_t                      oldest_ms;  /* entry time of the oldest
                                                pending entry */
    ngx_str_t                    oldest;     /* its id */
} ngx_ct_netsuite_shard_t;


typedef struct {
    ngx_uint_t                   nshards;
    ngx_ct_netsuite_shard_t     *shards;
    int64_t                      dlq;
} ngx_ct_netsuite_pipeline_t;


/* The commands that read the pipeline figures; *n is set. */
ngx_ct_netsuite_cmd_t *ngx_ct_netsuite_pipeline_cmds(ngx_http_request_t *r,
    ngx_uint_t *n);

/* NGX_OK, or NGX_DECLINED when a reply is missing (Redis unavailable). */
ngx_int_t ngx_ct_netsuite_pipeline_parse(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, ngx_ct_netsuite_pipeline_t *pl);


#endif /* _NGX_CT_NETSUITE_PIPELINE_H_INCLUDED_ */
