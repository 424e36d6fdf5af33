
/*
 * Copyright (C) ct-netsuite authors
 *
 * The status location, and the pipeline figures it shares with the
 * metrics location.
 */


#ifndef _NGX_CT_NETSUITE_STATUS_H_INCLUDED_
#define _NGX_CT_NETSUITE_STATUS_H_INCLUDED_


#include "ngx_ct_netsuite_query.h"


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


ngx_int_t ngx_ct_netsuite_status_handler(ngx_http_request_t *r);

char *ngx_ct_netsuite_status_token_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_ct_netsuite_status_link_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/*
 * The bearer token and method checks of the status and metrics locations:
 * NGX_DECLINED to go on, or what the content handler returns for the
 * answer already sent (401, 405).
 */
ngx_int_t ngx_ct_netsuite_status_access(ngx_http_request_t *r);

/* The commands that read the pipeline figures; *n is set. */
ngx_ct_netsuite_cmd_t *ngx_ct_netsuite_pipeline_cmds(ngx_http_request_t *r,
    ngx_uint_t *n);

/* NGX_OK, or NGX_DECLINED when a reply is missing (Redis unavailable). */
ngx_int_t ngx_ct_netsuite_pipeline_parse(ngx_http_request_t *r,
    redisReply **replies, ngx_uint_t n, ngx_ct_netsuite_pipeline_t *pl);


#endif /* _NGX_CT_NETSUITE_STATUS_H_INCLUDED_ */
