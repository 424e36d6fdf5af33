
/*
 * Copyright (C) ct-netsuite authors
 *
 * Redis Cluster routing over the links: the slot map comes from CLUSTER
 * SLOTS (asked of any ready node at start, after a MOVED, after a lost
 * link, and every few seconds), each command goes to the master of its
 * key's slot, MOVED updates the slot and resends, ASK sends ASKING and the
 * command once to the importing node, TRYAGAIN and CLUSTERDOWN resend
 * after a short timer; CTNS_CLUSTER_REDIRECTS and half the Redis timeout
 * bound it all (a script's keys in a slot being migrated answer TRYAGAIN
 * or ASK until the migration ends: such a delivery gets 503).  A command
 * whose node is not ready answers NGX_DECLINED at once (503 and
 * Retry-After for a delivery): a failover is waited out by the senders,
 * never by a blocked request.
 */


#include "ngx_ct_netsuite_link.h"
#include "ngx_ct_netsuite_metrics.h"


#define NGX_CT_NETSUITE_REFRESH_SOON    100
#define NGX_CT_NETSUITE_REFRESH_FAST    1000    /* while a slot is unserved */
#define NGX_CT_NETSUITE_REFRESH_IDLE    10000
#define NGX_CT_NETSUITE_TRYAGAIN        25      /* doubling up to 200 */


static void ngx_ct_netsuite_cluster_refresh(ngx_ct_netsuite_redis_t *rd);


/* Links for the nodes the map learnt since, not connected yet. */

static void
ngx_ct_netsuite_cluster_grow(ngx_ct_netsuite_redis_t *rd)
{
    ngx_uint_t            i;
    ctns_cluster_addr_t  *a;

    for (i = rd->nlinks; i < rd->map.nnodes; i++) {
        a = &rd->map.nodes[i];
        ngx_ct_netsuite_link_init(&rd->links[i], a->host, a->port);
    }

    rd->nlinks = rd->map.nnodes;
}


/* After a new map: wanted are the seeds and the masters serving slots. */

static void
ngx_ct_netsuite_cluster_links(ngx_ct_netsuite_redis_t *rd)
{
    ngx_uint_t               i;
    ngx_ct_netsuite_link_t  *l;

    ngx_ct_netsuite_cluster_grow(rd);

    for (i = rd->conf->nseeds; i < rd->nlinks; i++) {
        rd->links[i].wanted = 0;
    }

    for (i = 0; i < CTNS_CLUSTER_SLOTS; i++) {
        if (rd->map.slot[i]) {
            rd->links[rd->map.slot[i] - 1].wanted = 1;
        }
    }

    for (i = 0; i < rd->nlinks; i++) {
        l = &rd->links[i];

        if (l->wanted && l->ac == NULL) {
            ngx_ct_netsuite_link_connect(l);
        }
    }
}


/* Unserved slots, or masters not ready: look again soon. */

static ngx_uint_t
ngx_ct_netsuite_cluster_degraded(ngx_ct_netsuite_redis_t *rd)
{
    ngx_uint_t  i;

    for (i = 0; i < CTNS_CLUSTER_SLOTS; i++) {
        if (rd->map.slot[i] == 0
            || !ngx_ct_netsuite_link_ready(&rd->links[rd->map.slot[i] - 1]))
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_ct_netsuite_cluster_refresh_at(ngx_ct_netsuite_redis_t *rd,
    ngx_msec_t delay)
{
    if (rd->exiting || ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    /* ngx_add_timer() moves a pending timer; only ever bring it closer */
    if (rd->refresh.timer_set
        && rd->refresh.timer.key <= ngx_current_msec + delay)
    {
        return;
    }

    ngx_add_timer(&rd->refresh, delay);
}


static ngx_ct_netsuite_link_t *ngx_ct_netsuite_cluster_route(
    ngx_ct_netsuite_redis_t *rd, ngx_ct_netsuite_redis_cmd_t *cmd);


/* Commands that came before the first map go now, or fail. */

static void
ngx_ct_netsuite_cluster_reroute(ngx_ct_netsuite_redis_t *rd)
{
    ngx_queue_t                  *q;
    ngx_ct_netsuite_link_t       *l;
    ngx_ct_netsuite_redis_cmd_t  *cmd;

    while (!ngx_queue_empty(&rd->unrouted)) {
        q = ngx_queue_head(&rd->unrouted);
        ngx_queue_remove(q);

        cmd = ngx_queue_data(q, ngx_ct_netsuite_redis_cmd_t, queue);
        l = ngx_ct_netsuite_cluster_route(rd, cmd);

        if (l == NULL || ngx_ct_netsuite_link_submit(l, cmd) != NGX_OK) {
            ngx_ct_netsuite_redis_deliver(cmd, NULL);
        }
    }
}


static void
ngx_ct_netsuite_cluster_slots(redisReply *reply, void *data)
{
    int                       rc;
    ngx_ct_netsuite_redis_t  *rd = data;

    rd->refreshing = 0;

    if (rd->exiting) {
        return;
    }

    rc = ctns_cluster_map_load(&rd->map, reply);

    if (rc == 0) {
        rd->loaded = 1;

    } else if (rc == CTNS_CLUSTER_FULL) {
        /* not from inside this reply's callback: from the timer */
        rd->reset = 1;
        ngx_ct_netsuite_cluster_refresh_at(rd, 0);
        return;

    } else {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: redis CLUSTER SLOTS failed: %*s",
                      reply ? (int) reply->len : 0,
                      reply && reply->str ? reply->str : "no reply");
    }

    ngx_ct_netsuite_cluster_links(rd);
    ngx_ct_netsuite_cluster_reroute(rd);

    ngx_ct_netsuite_cluster_refresh_at(rd,
                                       ngx_ct_netsuite_cluster_degraded(rd)
                                       ? NGX_CT_NETSUITE_REFRESH_FAST
                                       : NGX_CT_NETSUITE_REFRESH_IDLE);
}


static ngx_ct_netsuite_link_t *
ngx_ct_netsuite_cluster_any(ngx_ct_netsuite_redis_t *rd)
{
    ngx_uint_t               i;
    ngx_ct_netsuite_link_t  *l;

    for (i = 0; i < rd->nlinks; i++) {
        l = &rd->links[(rd->next + i) % rd->nlinks];

        if (ngx_ct_netsuite_link_ready(l)) {
            rd->next = (rd->next + i + 1) % rd->nlinks;
            return l;
        }
    }

    return NULL;
}


static void
ngx_ct_netsuite_cluster_refresh(ngx_ct_netsuite_redis_t *rd)
{
    ngx_ct_netsuite_link_t       *l;
    ngx_ct_netsuite_redis_cmd_t  *cmd;

    static const char   *argv[] = { "CLUSTER", "SLOTS" };
    static size_t        lens[] = { 7, 5 };

    if (rd->refreshing || rd->exiting) {
        return;
    }

    l = ngx_ct_netsuite_cluster_any(rd);

    if (l == NULL) {
        /* nothing to ask yet: the links reconnect on their own */
        ngx_ct_netsuite_cluster_refresh_at(rd, NGX_CT_NETSUITE_REFRESH_FAST);
        return;
    }

    cmd = ngx_calloc(sizeof(ngx_ct_netsuite_redis_cmd_t), rd->log);
    if (cmd == NULL) {
        return;
    }

    cmd->argc = 2;
    cmd->argv = argv;
    cmd->lens = lens;
    cmd->handler = ngx_ct_netsuite_cluster_slots;
    cmd->data = rd;
    cmd->sent = ngx_ct_netsuite_metrics_now();
    cmd->start = ngx_current_msec;

    if (ngx_ct_netsuite_link_dispatch(l, cmd) != NGX_OK) {
        ngx_free(cmd);
        ngx_ct_netsuite_cluster_refresh_at(rd, NGX_CT_NETSUITE_REFRESH_FAST);
        return;
    }

    rd->refreshing = 1;
}


/* The seeds are the map's first nodes, and stay wanted. */

static void
ngx_ct_netsuite_cluster_seed(ngx_ct_netsuite_redis_t *rd)
{
    ngx_uint_t  i;

    for (i = 0; i < rd->conf->nseeds; i++) {
        (void) ctns_cluster_map_node(&rd->map, &rd->conf->seeds[i]);
    }

    ngx_ct_netsuite_cluster_links(rd);

    for (i = 0; i < rd->nlinks; i++) {
        rd->links[i].wanted = 1;
        ngx_ct_netsuite_link_connect(&rd->links[i]);
    }
}


/*
 * Every address a worker ever saw keeps its node index (link i is node
 * i); when masters keep coming back under new addresses the table fills
 * up, and the worker starts over from the seeds, as after a reload.
 */

static void
ngx_ct_netsuite_cluster_reset(ngx_ct_netsuite_redis_t *rd)
{
    ngx_uint_t  i;

    ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                  "ct_netsuite: redis cluster named more than %d node "
                  "addresses: starting over from the seeds",
                  CTNS_CLUSTER_NODES_MAX);

    rd->reset = 0;
    rd->loaded = 0;

    for (i = 0; i < rd->nlinks; i++) {
        ngx_ct_netsuite_link_close(&rd->links[i]);
    }

    rd->nlinks = 0;
    ngx_memzero(&rd->map, sizeof(ctns_cluster_map_t));

    ngx_ct_netsuite_cluster_seed(rd);
}


static void
ngx_ct_netsuite_cluster_refresh_handler(ngx_event_t *ev)
{
    ngx_ct_netsuite_redis_t  *rd = ev->data;

    if (rd->reset) {
        ngx_ct_netsuite_cluster_reset(rd);
    }

    ngx_ct_netsuite_cluster_refresh(rd);
}


ngx_int_t
ngx_ct_netsuite_cluster_init(ngx_ct_netsuite_redis_t *rd)
{
    rd->cluster = 1;

    ngx_queue_init(&rd->unrouted);

    rd->refresh.handler = ngx_ct_netsuite_cluster_refresh_handler;
    rd->refresh.data = rd;
    rd->refresh.log = rd->log;
    rd->refresh.cancelable = 1;

    ngx_ct_netsuite_cluster_seed(rd);

    return NGX_OK;
}


void
ngx_ct_netsuite_cluster_exit(ngx_ct_netsuite_redis_t *rd)
{
    if (rd->refresh.timer_set) {
        ngx_del_timer(&rd->refresh);
    }

    ngx_ct_netsuite_redis_flush(&rd->unrouted);
}


/* The first link ready asks for the map; a lost one makes us look again. */

void
ngx_ct_netsuite_cluster_link_ready(ngx_ct_netsuite_redis_t *rd)
{
    ngx_ct_netsuite_cluster_refresh_at(rd, 0);
}


/* Some link is connected or connecting: a map may still come. */

static ngx_uint_t
ngx_ct_netsuite_cluster_alive(ngx_ct_netsuite_redis_t *rd)
{
    ngx_uint_t  i;

    for (i = 0; i < rd->nlinks; i++) {
        if (rd->links[i].ac != NULL) {
            return 1;
        }
    }

    return 0;
}


void
ngx_ct_netsuite_cluster_link_lost(ngx_ct_netsuite_redis_t *rd)
{
    ngx_ct_netsuite_cluster_refresh_at(rd, NGX_CT_NETSUITE_REFRESH_SOON);

    if (!ngx_ct_netsuite_cluster_alive(rd)) {
        ngx_ct_netsuite_redis_flush(&rd->unrouted);
    }
}


static ngx_ct_netsuite_link_t *
ngx_ct_netsuite_cluster_route(ngx_ct_netsuite_redis_t *rd,
    ngx_ct_netsuite_redis_cmd_t *cmd)
{
    int  k, node;

    k = ctns_cluster_key_index(cmd->argc, cmd->argv, cmd->lens);

    if (k < 0) {
        return ngx_ct_netsuite_cluster_any(rd);
    }

    node = ctns_cluster_map_route(&rd->map, cmd->argv[k], cmd->lens[k]);

    return node < 0 ? NULL : &rd->links[node];
}


ngx_int_t
ngx_ct_netsuite_cluster_send(ngx_ct_netsuite_redis_t *rd,
    ngx_ct_netsuite_redis_cmd_t *cmd)
{
    ngx_ct_netsuite_link_t  *l;

    l = ngx_ct_netsuite_cluster_route(rd, cmd);

    if (l != NULL && ngx_ct_netsuite_link_submit(l, cmd) == NGX_OK) {
        return NGX_OK;
    }

    if (l == NULL && !rd->loaded && ngx_ct_netsuite_cluster_alive(rd)) {
        /* a fresh worker: wait for the map while a seed is connecting */
        ngx_queue_insert_tail(&rd->unrouted, &cmd->queue);
        return NGX_OK;
    }

    ngx_ct_netsuite_cluster_refresh_at(rd, NGX_CT_NETSUITE_REFRESH_SOON);

    return NGX_DECLINED;
}


/* Resent to l now, or when it is ready; answered NULL when it fails. */

static void
ngx_ct_netsuite_cluster_resend(ngx_ct_netsuite_link_t *l,
    ngx_ct_netsuite_redis_cmd_t *cmd)
{
    if (l == NULL) {
        ngx_ct_netsuite_redis_deliver(cmd, NULL);
        return;
    }

    if (ngx_ct_netsuite_link_ready(l)) {
        if (ngx_ct_netsuite_link_dispatch(l, cmd) != NGX_OK) {
            ngx_ct_netsuite_redis_deliver(cmd, NULL);
        }

        return;
    }

    ngx_ct_netsuite_link_park(l, cmd);
}


static void
ngx_ct_netsuite_cluster_retry_handler(ngx_event_t *ev)
{
    ngx_ct_netsuite_redis_cmd_t  *cmd = ev->data;
    ngx_ct_netsuite_redis_t      *rd = &ngx_ct_netsuite_redis;

    if (rd->exiting) {
        ngx_ct_netsuite_redis_deliver(cmd, NULL);
        return;
    }

    ngx_ct_netsuite_cluster_resend(ngx_ct_netsuite_cluster_route(rd, cmd),
                                   cmd);
}


ngx_int_t
ngx_ct_netsuite_cluster_redirect(ngx_ct_netsuite_redis_t *rd,
    ngx_ct_netsuite_redis_cmd_t *cmd, redisReply *reply)
{
    int                   kind, node;
    unsigned              slot;
    ctns_cluster_addr_t   to;

    if (reply->type != REDIS_REPLY_ERROR) {
        return NGX_DECLINED;
    }

    kind = ctns_cluster_reply_kind(reply->str, reply->len, &slot, &to);

    if (kind == CTNS_CLUSTER_REPLY_OK) {
        return NGX_DECLINED;
    }

    if (++cmd->redirects > CTNS_CLUSTER_REDIRECTS
        || ngx_current_msec - cmd->start >= rd->conf->timeout / 2)
    {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: redis cluster still redirecting after "
                      "%ui attempts: %*s", cmd->redirects - 1,
                      (int) reply->len, reply->str);
        ngx_ct_netsuite_cluster_refresh_at(rd, NGX_CT_NETSUITE_REFRESH_SOON);
        return NGX_DECLINED;
    }

    if (kind == CTNS_CLUSTER_REPLY_TRYAGAIN) {
        /* a slot in migration or a failover: not instant, not for long */
        cmd->asking = 0;
        cmd->retry.handler = ngx_ct_netsuite_cluster_retry_handler;
        cmd->retry.data = cmd;
        cmd->retry.log = rd->log;

        ngx_add_timer(&cmd->retry,
                      ngx_min(NGX_CT_NETSUITE_TRYAGAIN << (cmd->redirects - 1),
                              200));
        ngx_ct_netsuite_cluster_refresh_at(rd, NGX_CT_NETSUITE_REFRESH_SOON);

        return NGX_OK;
    }

    node = ctns_cluster_map_node(&rd->map, &to);

    if (node < 0) {
        return NGX_DECLINED;
    }

    /* the resend connects the target; the refresh settles the rest */
    ngx_ct_netsuite_cluster_grow(rd);

    if (kind == CTNS_CLUSTER_REPLY_MOVED) {
        rd->map.slot[slot] = (uint8_t) (node + 1);
        rd->links[node].wanted = 1;
        cmd->asking = 0;

        ngx_ct_netsuite_cluster_refresh_at(rd, NGX_CT_NETSUITE_REFRESH_SOON);

    } else {
        cmd->asking = 1;
    }

    ngx_ct_netsuite_cluster_resend(&rd->links[node], cmd);

    return NGX_OK;
}
