
/*
 * Copyright (C) ct-netsuite authors
 *
 * Counters in shared memory and the Prometheus location.
 *
 * The zone "ct_netsuite_metrics" holds one ngx_ct_netsuite_metrics_t.  On
 * reload nginx hands the old zone to the init callback when name and size
 * are unchanged, and the counters simply continue (limit_req does the same
 * with its state).  Deliveries are counted in the log phase, where the
 * answer is final; Redis round trips where the reply arrives.
 *
 * The metrics location answers from the zone at once when Redis is not
 * ready, and otherwise adds the stream gauges read from Redis; a timeout
 * or a lost connection leaves the gauges out, never the counters.
 */


#include "ngx_ct_netsuite_auth.h"
#include "ngx_ct_netsuite_metrics.h"
#include "ngx_ct_netsuite_pipeline.h"
#include "ngx_ct_netsuite_status.h"


#define NGX_CT_NETSUITE_LINE          128
#define NGX_CT_NETSUITE_UNAUTHORIZED  5    /* in the results below */
#define NGX_CT_NETSUITE_ZONE_PAGES    32   /* the hour of minutes: 47 KB */
#define NGX_CT_NETSUITE_RESET_SPINS   1024


ngx_str_t  ngx_ct_netsuite_metrics_channels[] = {
    ngx_string("hmac"),
    ngx_string("pubsub"),
    ngx_string("sns"),
    ngx_string("eventgrid"),
    ngx_string("token"),
    ngx_string("none"),
    ngx_string("other"),     /* a scheme this table does not know yet */
    ngx_string("unknown")    /* rejected, several schemes on the location */
};


ngx_str_t  ngx_ct_netsuite_metrics_results[] = {
    ngx_string("enqueued"),
    ngx_string("duplicate"),
    ngx_string("test"),
    ngx_string("handshake"),
    ngx_string("malformed"),
    ngx_string("unauthorized"),
    ngx_string("method"),
    ngx_string("too_large"),
    ngx_string("media_type"),
    ngx_string("unavailable"),
    ngx_string("other"),     /* a result this table does not know yet */
    ngx_string("error")      /* no answer of ours: 500, client gone */
};


ngx_str_t  ngx_ct_netsuite_metrics_reasons[] = {
    ngx_string("missing"),   /* no credentials sent */
    ngx_string("duplicate"), /* a credential header sent twice */
    ngx_string("stale"),     /* outside the time window */
    ngx_string("mismatch"),  /* no configured key or secret matches */
    ngx_string("claims"),    /* authentic, but not for us (aud, topic) */
    ngx_string("malformed"),
    ngx_string("other")
};


ngx_uint_t  ngx_ct_netsuite_metrics_bounds_us[] = {
    250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
    500000, 1000000, 2500000, 0 /* +Inf */
};


/*
 * The precise reasons are free text of each scheme (error.log only); the
 * metric keeps a small class.  The first keyword found decides.
 */

static struct {
    const char  *word;
    ngx_uint_t   reason;
} ngx_ct_netsuite_reason_words[] = {
    { "missing", 0 },
    { "twice", 1 },
    { "tolerance", 2 },
    { "expired", 2 },
    { "valid before", 2 },
    { "lifetime", 2 },
    { "match", 3 },
    { "verif", 3 },
    { " kid ", 3 },
    { " iss ", 4 },
    { " aud ", 4 },
    { " email", 4 },
    { "differs", 4 },
    { "empty", 5 },
    { "invalid", 5 },
    { "malformed", 5 },
    { "not ", 5 },
    { "no ", 5 },
    { NULL, 0 }
};


static ngx_int_t
ngx_ct_netsuite_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t            *shpool;
    ngx_ct_netsuite_metrics_t  *m;

    if (data) {
        /* reload: keep counting where the old cycle stopped */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    m = ngx_slab_calloc(shpool, sizeof(ngx_ct_netsuite_metrics_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    shpool->data = m;
    shm_zone->data = m;

    return NGX_OK;
}


static ngx_uint_t
ngx_ct_netsuite_metrics_index(ngx_str_t *names, ngx_uint_t n,
    ngx_str_t *value, ngx_uint_t fallback)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (names[i].len == value->len
            && ngx_strncmp(names[i].data, value->data, value->len) == 0)
        {
            return i;
        }
    }

    return fallback;
}


/*
 * Counts a delivery in the slot of the current minute.  The first process
 * to meet a new minute zeroes the slot; the others wait for it (briefly:
 * a process killed in between must not stall the rest, so after a bound
 * the delivery is left out of the chart, never out of the totals).
 */

static void
ngx_ct_netsuite_metrics_count_minute(ngx_ct_netsuite_metrics_t *m,
    ngx_uint_t ch, ngx_uint_t res)
{
    ngx_uint_t                 spins;
    ngx_atomic_uint_t          now, seen;
    ngx_ct_netsuite_minute_t  *slot;

    now = ngx_time() / 60;
    slot = &m->minutes[now % NGX_CT_NETSUITE_MINUTES];

    for (spins = 0; spins < NGX_CT_NETSUITE_RESET_SPINS; spins++) {
        seen = slot->minute;

        if (seen == now) {
            (void) ngx_atomic_fetch_add(&slot->deliveries[ch][res], 1);
            return;
        }

        if (seen & NGX_CT_NETSUITE_RESETTING) {
            ngx_cpu_pause();
            continue;
        }

        if (seen > now) {
            /* the clock went back: the slot is younger than us */
            return;
        }

        if (ngx_atomic_cmp_set(&slot->minute, seen,
                               now | NGX_CT_NETSUITE_RESETTING))
        {
            ngx_memzero((void *) slot->deliveries,
                        sizeof(slot->deliveries));
            ngx_memory_barrier();
            slot->minute = now;
        }
    }
}


ngx_ct_netsuite_minute_t *
ngx_ct_netsuite_metrics_minute(ngx_ct_netsuite_metrics_t *m,
    ngx_atomic_uint_t minute)
{
    ngx_ct_netsuite_minute_t  *slot;

    slot = &m->minutes[minute % NGX_CT_NETSUITE_MINUTES];

    return slot->minute == minute ? slot : NULL;
}


static ngx_uint_t
ngx_ct_netsuite_metrics_reason(ngx_str_t *reason)
{
    ngx_uint_t  i;

    if (reason->len == 0) {
        return NGX_CT_NETSUITE_REASONS - 1;
    }

    for (i = 0; ngx_ct_netsuite_reason_words[i].word; i++) {
        if (ngx_strlcasestrn(reason->data, reason->data + reason->len,
                             (u_char *) ngx_ct_netsuite_reason_words[i].word,
                             ngx_strlen(ngx_ct_netsuite_reason_words[i].word)
                             - 1)
            != NULL)
        {
            return ngx_ct_netsuite_reason_words[i].reason;
        }
    }

    return NGX_CT_NETSUITE_REASONS - 1;
}


/*
 * The channel is the scheme of the location.  With several schemes the
 * one that accepted is found by the stream "src" it gave the payload (the
 * scheme's name, except a renamed token channel); a delivery refused by
 * all of them is "unknown".
 */

static ngx_uint_t
ngx_ct_netsuite_metrics_channel(ngx_ct_netsuite_loc_conf_t *lcf,
    ngx_ct_netsuite_ctx_t *ctx)
{
    ngx_str_t                  *name;
    ngx_uint_t                  i;
    ngx_ct_netsuite_auth_t     *auth;
    ngx_ct_netsuite_payload_t  *p;

    auth = lcf->auth->elts;
    name = NULL;

    if (lcf->auth->nelts == 1) {
        name = &auth[0].scheme->name;

    } else if (ctx->payloads.nelts) {
        p = ctx->payloads.elts;

        for (i = 0; i < lcf->auth->nelts; i++) {
            if (auth[i].scheme->name.len == p[0].src.len
                && ngx_strncmp(auth[i].scheme->name.data, p[0].src.data,
                               p[0].src.len) == 0)
            {
                name = &auth[i].scheme->name;
            }
        }
    }

    if (name == NULL) {
        return NGX_CT_NETSUITE_CHANNELS - 1;
    }

    return ngx_ct_netsuite_metrics_index(ngx_ct_netsuite_metrics_channels,
                                         NGX_CT_NETSUITE_CHANNELS - 1, name,
                                         NGX_CT_NETSUITE_CHANNELS - 2);
}


static ngx_int_t
ngx_ct_netsuite_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                    ch, res, reason;
    ngx_ct_netsuite_ctx_t        *ctx;
    ngx_ct_netsuite_metrics_t    *m;
    ngx_ct_netsuite_loc_conf_t   *lcf;
    ngx_ct_netsuite_main_conf_t  *rmcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);
    ctx = ngx_http_get_module_ctx(r, ngx_ct_netsuite_module);

    if (!lcf->webhook || ctx == NULL) {
        return NGX_OK;
    }

    rmcf = ngx_http_get_module_main_conf(r, ngx_ct_netsuite_module);

    m = ngx_ct_netsuite_metrics_get(rmcf);
    if (m == NULL) {
        return NGX_OK;
    }

    ch = ngx_ct_netsuite_metrics_channel(lcf, ctx);

    if (ctx->result.len == 0) {
        res = NGX_CT_NETSUITE_RESULTS - 1;

    } else {
        res = ngx_ct_netsuite_metrics_index(ngx_ct_netsuite_metrics_results,
                                            NGX_CT_NETSUITE_RESULTS - 1,
                                            &ctx->result,
                                            NGX_CT_NETSUITE_RESULTS - 2);
    }

    (void) ngx_atomic_fetch_add(&m->deliveries[ch][res], 1);
    (void) ngx_atomic_fetch_add(&m->received_bytes, ctx->body.len);
    ngx_ct_netsuite_metrics_count_minute(m, ch, res);

    if (res == NGX_CT_NETSUITE_UNAUTHORIZED) {
        reason = ngx_ct_netsuite_metrics_reason(&ctx->reason);
        (void) ngx_atomic_fetch_add(&m->signature_failures[reason], 1);
    }

    return NGX_OK;
}


ngx_int_t
ngx_ct_netsuite_metrics_init_conf(ngx_conf_t *cf,
    ngx_ct_netsuite_main_conf_t *rmcf)
{
    ngx_str_t                   name = ngx_string("ct_netsuite_metrics");
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    /* same name and size on every load: the zone is reused on reload */
    rmcf->metrics = ngx_shared_memory_add(cf, &name,
                                          NGX_CT_NETSUITE_ZONE_PAGES
                                          * ngx_pagesize,
                                          &ngx_ct_netsuite_module);
    if (rmcf->metrics == NULL) {
        return NGX_ERROR;
    }

    rmcf->metrics->init = ngx_ct_netsuite_metrics_init_zone;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_ct_netsuite_metrics_log;

    return NGX_OK;
}


ngx_ct_netsuite_metrics_t *
ngx_ct_netsuite_metrics_get(ngx_ct_netsuite_main_conf_t *rmcf)
{
    if (rmcf->metrics == NULL) {
        return NULL;
    }

    return rmcf->metrics->data;
}


uint64_t
ngx_ct_netsuite_metrics_now(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


void
ngx_ct_netsuite_metrics_redis_reply(ngx_ct_netsuite_main_conf_t *rmcf,
    redisReply *reply, uint64_t sent)
{
    uint64_t                    us;
    ngx_uint_t                  i;
    ngx_ct_netsuite_metrics_t  *m;

    m = ngx_ct_netsuite_metrics_get(rmcf);
    if (m == NULL) {
        return;
    }

    if (reply == NULL) {
        /* the lost connection itself is counted once, not per command */
        return;
    }

    /*
     * The status reads ask about streams and groups that may not exist
     * yet; those answers are not failures.
     */
    if (reply->type == REDIS_REPLY_ERROR
        && ngx_strncmp(reply->str, "NOGROUP", 7) != 0
        && ngx_strncmp(reply->str, "ERR no such key", 15) != 0)
    {
        (void) ngx_atomic_fetch_add(&m->redis_errors, 1);
    }

    us = ngx_ct_netsuite_metrics_now() - sent;

    for (i = 0; i < NGX_CT_NETSUITE_BUCKETS - 1; i++) {
        if (us <= ngx_ct_netsuite_metrics_bounds_us[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&m->redis_buckets[i], 1);
    (void) ngx_atomic_fetch_add(&m->redis_sum_us, us);
}


void
ngx_ct_netsuite_metrics_redis_error(ngx_ct_netsuite_main_conf_t *rmcf)
{
    ngx_ct_netsuite_metrics_t  *m;

    m = ngx_ct_netsuite_metrics_get(rmcf);

    if (m != NULL) {
        (void) ngx_atomic_fetch_add(&m->redis_errors, 1);
    }
}


/* --- Prometheus text exposition, version 0.0.4 ---------------------------- */

static u_char *
ngx_ct_netsuite_metrics_family(u_char *p, const char *name, const char *type,
    const char *help)
{
    return ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n",
                       name, help, name, type);
}


static u_char *
ngx_ct_netsuite_metrics_counters(u_char *p, ngx_ct_netsuite_metrics_t *m)
{
    ngx_uint_t    ch, res, i;
    ngx_atomic_t  n, sum;

    p = ngx_ct_netsuite_metrics_family(p, "ctns_deliveries_total", "counter",
            "Webhook deliveries answered, by channel and result.");

    for (ch = 0; ch < NGX_CT_NETSUITE_CHANNELS; ch++) {
        for (res = 0; res < NGX_CT_NETSUITE_RESULTS; res++) {
            p = ngx_sprintf(p, "ctns_deliveries_total{channel=\"%V\","
                            "result=\"%V\"} %uA\n",
                            &ngx_ct_netsuite_metrics_channels[ch],
                            &ngx_ct_netsuite_metrics_results[res],
                            m->deliveries[ch][res]);
        }
    }

    p = ngx_ct_netsuite_metrics_family(p, "ctns_signature_failures_total",
            "counter", "Deliveries refused with 401, by reason class.");

    for (i = 0; i < NGX_CT_NETSUITE_REASONS; i++) {
        p = ngx_sprintf(p, "ctns_signature_failures_total{reason=\"%V\"} "
                        "%uA\n", &ngx_ct_netsuite_metrics_reasons[i],
                        m->signature_failures[i]);
    }

    p = ngx_ct_netsuite_metrics_family(p, "ctns_received_bytes_total",
            "counter", "Bytes of webhook request bodies read.");
    p = ngx_sprintf(p, "ctns_received_bytes_total %uA\n", m->received_bytes);

    p = ngx_ct_netsuite_metrics_family(p, "ctns_redis_errors_total",
            "counter", "Redis connection failures, losses and error "
            "replies.");
    p = ngx_sprintf(p, "ctns_redis_errors_total %uA\n", m->redis_errors);

    p = ngx_ct_netsuite_metrics_family(p, "ctns_redis_duration_seconds",
            "histogram", "Round trip of Redis commands sent by nginx.");

    sum = m->redis_sum_us;
    n = 0;

    for (i = 0; i < NGX_CT_NETSUITE_BUCKETS; i++) {
        n += m->redis_buckets[i];

        if (i == NGX_CT_NETSUITE_BUCKETS - 1) {
            p = ngx_sprintf(p, "ctns_redis_duration_seconds_bucket"
                            "{le=\"+Inf\"} %uA\n", n);
            break;
        }

        p = ngx_sprintf(p, "ctns_redis_duration_seconds_bucket"
                        "{le=\"%ui.%06ui\"} %uA\n",
                        ngx_ct_netsuite_metrics_bounds_us[i] / 1000000,
                        ngx_ct_netsuite_metrics_bounds_us[i] % 1000000, n);
    }

    return ngx_sprintf(p, "ctns_redis_duration_seconds_sum %uA.%06uA\n"
                       "ctns_redis_duration_seconds_count %uA\n",
                       sum / 1000000, sum % 1000000, n);
}


static u_char *
ngx_ct_netsuite_metrics_gauges(u_char *p, ngx_ct_netsuite_pipeline_t *pl)
{
    ngx_uint_t  i;

    p = ngx_ct_netsuite_metrics_family(p, "ctns_stream_length", "gauge",
            "Entries in the shard's event stream.");

    for (i = 0; i < pl->nshards; i++) {
        p = ngx_sprintf(p, "ctns_stream_length{shard=\"%ui\"} %L\n",
                        i, pl->shards[i].length);
    }

    p = ngx_ct_netsuite_metrics_family(p, "ctns_stream_pending", "gauge",
            "Entries delivered to a worker and not acknowledged yet.");

    for (i = 0; i < pl->nshards; i++) {
        p = ngx_sprintf(p, "ctns_stream_pending{shard=\"%ui\"} %L\n",
                        i, pl->shards[i].pending);
    }

    p = ngx_ct_netsuite_metrics_family(p, "ctns_stream_lag", "gauge",
            "Entries not delivered to the worker group yet.");

    for (i = 0; i < pl->nshards; i++) {
        if (pl->shards[i].lag >= 0) {
            p = ngx_sprintf(p, "ctns_stream_lag{shard=\"%ui\"} %L\n",
                            i, pl->shards[i].lag);
        }
    }

    p = ngx_ct_netsuite_metrics_family(p, "ctns_dlq_length", "gauge",
            "Entries in the dead-letter stream.");

    return ngx_sprintf(p, "ctns_dlq_length %L\n", pl->dlq);
}


static ngx_int_t
ngx_ct_netsuite_metrics_send(ngx_http_request_t *r,
    ngx_ct_netsuite_pipeline_t *pl)
{
    size_t                        size;
    ngx_int_t                     rc;
    ngx_buf_t                    *b;
    ngx_chain_t                  *out;
    ngx_ct_netsuite_metrics_t    *m, none;
    ngx_ct_netsuite_main_conf_t  *rmcf;

    rmcf = ngx_http_get_module_main_conf(r, ngx_ct_netsuite_module);

    m = ngx_ct_netsuite_metrics_get(rmcf);
    if (m == NULL) {
        ngx_memzero(&none, sizeof(ngx_ct_netsuite_metrics_t));
        m = &none;
    }

    /* one line per series plus the HELP/TYPE pairs, generously */
    size = (NGX_CT_NETSUITE_CHANNELS * NGX_CT_NETSUITE_RESULTS
            + NGX_CT_NETSUITE_REASONS + NGX_CT_NETSUITE_BUCKETS + 32
            + (pl ? 3 * pl->nshards : 0))
           * NGX_CT_NETSUITE_LINE;

    b = ngx_create_temp_buf(r->pool, size);
    out = ngx_alloc_chain_link(r->pool);
    if (b == NULL || out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_ct_netsuite_metrics_counters(b->last, m);

    if (pl) {
        b->last = ngx_ct_netsuite_metrics_gauges(b->last, pl);
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    out->buf = b;
    out->next = NULL;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, out);
}


static ngx_int_t
ngx_ct_netsuite_metrics_done(ngx_http_request_t *r, redisReply **replies,
    ngx_uint_t n, void *data)
{
    ngx_ct_netsuite_pipeline_t  pl;

    if (ngx_ct_netsuite_pipeline_parse(r, replies, n, &pl) != NGX_OK) {
        return ngx_ct_netsuite_metrics_send(r, NULL);
    }

    return ngx_ct_netsuite_metrics_send(r, &pl);
}


ngx_int_t
ngx_ct_netsuite_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t               rc;
    ngx_uint_t              n;
    ngx_ct_netsuite_cmd_t  *cmds;

    rc = ngx_ct_netsuite_status_access(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    cmds = ngx_ct_netsuite_pipeline_cmds(r, &n);
    if (cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_ct_netsuite_query(r, cmds, n, ngx_ct_netsuite_metrics_done,
                               NULL);

    if (rc == NGX_DECLINED) {
        /* Redis is down: the counters alone */
        return ngx_ct_netsuite_metrics_send(r, NULL);
    }

    if (rc != NGX_DONE) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}
