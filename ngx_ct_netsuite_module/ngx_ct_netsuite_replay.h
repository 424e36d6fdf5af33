
/*
 * Copyright (C) ct-netsuite authors
 *
 * POST <status location>/dlq/<entryId>/replay: queues the replay of one
 * dead letter for ctns-worker on the control stream.
 */


#ifndef _NGX_CT_NETSUITE_REPLAY_H_INCLUDED_
#define _NGX_CT_NETSUITE_REPLAY_H_INCLUDED_


#include "ngx_ct_netsuite_module.h"


/* 1 when the status view path (after the location) is dlq/<x>/replay. */
ngx_uint_t ngx_ct_netsuite_replay_uri(ngx_str_t *path);

/* The content handler of that path: NGX_DONE or an answer's status. */
ngx_int_t ngx_ct_netsuite_replay(ngx_http_request_t *r, ngx_str_t *path);


#endif /* _NGX_CT_NETSUITE_REPLAY_H_INCLUDED_ */
