
/*
 * Copyright (C) ct-netsuite authors
 *
 * Counters shared by every worker process, in one shared memory zone that
 * survives "nginx -s reload".  Each counter is an ngx_atomic_t bumped with
 * ngx_atomic_fetch_add(), like stub_status' counters: no mutex.
 */


#ifndef _NGX_CT_NETSUITE_METRICS_H_INCLUDED_
#define _NGX_CT_NETSUITE_METRICS_H_INCLUDED_


#include "ngx_ct_netsuite_module.h"

#include <hiredis/hiredis.h>


#define NGX_CT_NETSUITE_CHANNELS   8
#define NGX_CT_NETSUITE_RESULTS    12
#define NGX_CT_NETSUITE_REASONS    7
#define NGX_CT_NETSUITE_BUCKETS    14
#define NGX_CT_NETSUITE_MINUTES    60


/*
 * One minute of deliveries in the ring of the last hour.  "minute" is the
 * minute since the epoch the counters belong to; the process that first
 * meets a new minute in a slot zeroes it, with NGX_CT_NETSUITE_RESETTING
 * set meanwhile so that the others wait instead of adding to old counts.
 */

#define NGX_CT_NETSUITE_RESETTING  ((ngx_atomic_uint_t) 1 << 31)

typedef struct {
    ngx_atomic_t   minute;
    ngx_atomic_t   deliveries[NGX_CT_NETSUITE_CHANNELS]
                             [NGX_CT_NETSUITE_RESULTS];
} ngx_ct_netsuite_minute_t;


typedef struct {
    ngx_atomic_t   deliveries[NGX_CT_NETSUITE_CHANNELS]
                             [NGX_CT_NETSUITE_RESULTS];
    ngx_atomic_t   signature_failures[NGX_CT_NETSUITE_REASONS];
    ngx_atomic_t   received_bytes;
    ngx_atomic_t   redis_errors;
    ngx_atomic_t   redis_buckets[NGX_CT_NETSUITE_BUCKETS]; /* not cumulative,
                                                            last is +Inf */
    ngx_atomic_t   redis_sum_us;
    ngx_ct_netsuite_minute_t  minutes[NGX_CT_NETSUITE_MINUTES];
} ngx_ct_netsuite_metrics_t;


/* Label values, in the order of the arrays above. */
extern ngx_str_t   ngx_ct_netsuite_metrics_channels[];
extern ngx_str_t   ngx_ct_netsuite_metrics_results[];
extern ngx_str_t   ngx_ct_netsuite_metrics_reasons[];
extern ngx_uint_t  ngx_ct_netsuite_metrics_bounds_us[];  /* bucket "le" */


ngx_int_t ngx_ct_netsuite_metrics_init_conf(ngx_conf_t *cf,
    ngx_ct_netsuite_main_conf_t *rmcf);

/* NULL before the zone exists (configurations without a Redis location). */
ngx_ct_netsuite_metrics_t *ngx_ct_netsuite_metrics_get(
    ngx_ct_netsuite_main_conf_t *rmcf);

/*
 * The slot of "minute" (minutes since the epoch) when it holds that minute,
 * NULL when it holds another one (no delivery in that minute).
 */
ngx_ct_netsuite_minute_t *ngx_ct_netsuite_metrics_minute(
    ngx_ct_netsuite_metrics_t *m, ngx_atomic_uint_t minute);

/* Microseconds of a monotonic clock, for round trip times. */
uint64_t ngx_ct_netsuite_metrics_now(void);

/* One Redis reply (NULL: the connection went away) sent at "sent". */
void ngx_ct_netsuite_metrics_redis_reply(ngx_ct_netsuite_main_conf_t *rmcf,
    redisReply *reply, uint64_t sent);

/* A connection that failed or was lost. */
void ngx_ct_netsuite_metrics_redis_error(ngx_ct_netsuite_main_conf_t *rmcf);

ngx_int_t ngx_ct_netsuite_metrics_handler(ngx_http_request_t *r);


#endif /* _NGX_CT_NETSUITE_METRICS_H_INCLUDED_ */
