
/*
 * Copyright (C) ct-netsuite authors
 */


#ifndef _NGX_CT_NETSUITE_REDIS_H_INCLUDED_
#define _NGX_CT_NETSUITE_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_ct_netsuite_module.h"


/*
 * Called exactly once per command: with the reply, or with NULL when the
 * connection went away first (then answer 503).  The reply is freed by
 * hiredis when the handler returns: copy what is needed.
 */
typedef void (*ngx_ct_netsuite_redis_handler_pt)(redisReply *reply,
    void *data);


ngx_int_t ngx_ct_netsuite_redis_init_process(ngx_cycle_t *cycle,
    ngx_ct_netsuite_main_conf_t *rmcf);
void ngx_ct_netsuite_redis_exit_process(void);

/*
 * Queues a command on this worker's pipelined connection.  NGX_DECLINED
 * when the connection is not ready: the caller answers 503 at once and
 * still owns data.
 */
ngx_int_t ngx_ct_netsuite_redis_send(int argc, const char **argv,
    const size_t *lens, ngx_ct_netsuite_redis_handler_pt handler,
    void *data);

/*
 * SHA1 of the enqueue script (ngx_ct_netsuite_enqueue_script), loaded on
 * every (re)connect before the connection is declared ready.
 */
const char *ngx_ct_netsuite_redis_script_sha(void);

extern ngx_str_t  ngx_ct_netsuite_enqueue_script;

ngx_uint_t ngx_ct_netsuite_redis_exiting(void);


#endif /* _NGX_CT_NETSUITE_REDIS_H_INCLUDED_ */
