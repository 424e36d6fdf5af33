
/*
 * Copyright (C) ct-netsuite authors
 */


#ifndef _NGX_CT_NETSUITE_ENQUEUE_H_INCLUDED_
#define _NGX_CT_NETSUITE_ENQUEUE_H_INCLUDED_


#include "ngx_ct_netsuite_module.h"


/* One normalized event of a delivery, ready to be appended. */

typedef struct {
    ctns_event_t                 ev;
    ngx_uint_t                   control;    /* NGX_CT_NETSUITE_TO_* */
} ngx_ct_netsuite_event_t;


/*
 * Appends every event of the delivery (dedup + XADD, one script call per
 * event) and answers when Redis has answered for all of them: 202 when any
 * was new, 200 when all were duplicates, 503 when any failed (the sender
 * retries the whole delivery; what was appended is then a duplicate).
 * Returns NGX_DONE when the answer is pending, or an HTTP status to answer
 * at once.
 */
ngx_int_t ngx_ct_netsuite_enqueue(ngx_http_request_t *r,
    ngx_ct_netsuite_ctx_t *ctx, ngx_ct_netsuite_event_t *events,
    ngx_uint_t n);


#endif /* _NGX_CT_NETSUITE_ENQUEUE_H_INCLUDED_ */
