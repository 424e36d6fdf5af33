
/*
 * Copyright (C) ct-netsuite authors
 *
 * hiredis 0.14 on nginx's event loop: one pipelined connection (a link) per
 * Redis node in each worker process -- the one server, or every master of
 * a cluster (ngx_ct_netsuite_cluster.c routes) -- each with a small state
 * machine (DISCONNECTED -> CONNECTING -> HANDSHAKE -> READY), reconnect
 * with backoff and jitter, connect and liveness timeouts on nginx timers
 * (0.14 has none of its own).
 *
 * Rules that keep this correct (see docs/internals.md):
 *   - the fd is registered level-triggered: hiredis reads at most 16 KiB per
 *     call, and an edge-triggered fd would strand the rest of a reply;
 *   - the fd is closed once, by nginx, and ac->c.fd is then set to -1 so
 *     redisFree() does not close a number that may already be reused;
 *   - our pointer to the context is cleared before anything else when it
 *     dies, and reconnects happen from a timer, never inside a callback.
 */


#include "ngx_ct_netsuite_link.h"
#include "ngx_ct_netsuite_metrics.h"


#define NGX_CT_NETSUITE_BACKOFF_MIN         100
#define NGX_CT_NETSUITE_BACKOFF_MAX         5000


static void ngx_ct_netsuite_link_schedule(ngx_ct_netsuite_link_t *l);
static void ngx_ct_netsuite_link_drop(ngx_ct_netsuite_link_t *l,
    const char *why);


ngx_ct_netsuite_redis_t  ngx_ct_netsuite_redis;


/* --- the five hooks ------------------------------------------------------ */

static void
ngx_ct_netsuite_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    c = ev->data;
    ac = c->data;

    if (c->close) {
        /* worker_shutdown_timeout closes every connection this way */
        ngx_ct_netsuite_link_drop(ac->data, "shutdown");
        return;
    }

    redisAsyncHandleRead(ac);
}


static void
ngx_ct_netsuite_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c;

    c = ev->data;

    redisAsyncHandleWrite(c->data);
}


static void
ngx_ct_netsuite_redis_add_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (!c->read->active) {
        c->read->handler = ngx_ct_netsuite_redis_read_handler;

        if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                          "ct_netsuite: redis add read event failed");
        }
    }
}


static void
ngx_ct_netsuite_redis_del_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_ct_netsuite_redis_add_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (!c->write->active) {
        c->write->handler = ngx_ct_netsuite_redis_write_handler;

        if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                          "ct_netsuite: redis add write event failed");
        }
    }
}


static void
ngx_ct_netsuite_redis_del_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }
}


static void
ngx_ct_netsuite_redis_cleanup(void *privdata)
{
    ngx_connection_t   *c = privdata;
    redisAsyncContext  *ac;

    if (c == NULL) {
        return;
    }

    /* c->data becomes the free-list link inside ngx_close_connection() */
    ac = c->data;

    ngx_close_connection(c);

    ac->c.fd = -1;
    ac->ev.data = NULL;
}


/* --- connection life cycle ------------------------------------------------ */

void
ngx_ct_netsuite_redis_flush(ngx_queue_t *queue)
{
    ngx_queue_t                  *q;
    ngx_ct_netsuite_redis_cmd_t  *cmd;

    while (!ngx_queue_empty(queue)) {
        q = ngx_queue_head(queue);
        ngx_queue_remove(q);

        cmd = ngx_queue_data(q, ngx_ct_netsuite_redis_cmd_t, queue);
        ngx_ct_netsuite_redis_deliver(cmd, NULL);
    }
}


static void
ngx_ct_netsuite_link_lost(ngx_ct_netsuite_link_t *l)
{
    l->ac = NULL;
    l->state = NGX_CT_NETSUITE_REDIS_DISCONNECTED;
    l->pending = 0;

    if (l->watchdog.timer_set) {
        ngx_del_timer(&l->watchdog);
    }

    ngx_ct_netsuite_redis_flush(&l->parked);

    ngx_ct_netsuite_link_schedule(l);

    if (ngx_ct_netsuite_redis.cluster) {
        ngx_ct_netsuite_cluster_link_lost(&ngx_ct_netsuite_redis);
    }
}


static void
ngx_ct_netsuite_link_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_ct_netsuite_link_t  *l = ac->data;

    if (l->ac != ac) {
        return;
    }

    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback returns */
        ngx_log_error(NGX_LOG_ERR, ngx_ct_netsuite_redis.log, 0,
                      "ct_netsuite: redis %s:%d connect failed: %s",
                      l->host, l->port, ac->errstr);
        ngx_ct_netsuite_link_lost(l);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, ngx_ct_netsuite_redis.log, 0,
                  "ct_netsuite: redis %s:%d connected", l->host, l->port);
}


static void
ngx_ct_netsuite_link_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_ct_netsuite_link_t  *l = ac->data;

    if (l->ac != ac) {
        return;
    }

    if (!ngx_ct_netsuite_redis.exiting) {
        ngx_log_error(NGX_LOG_ERR, ngx_ct_netsuite_redis.log, 0,
                      "ct_netsuite: redis %s:%d connection lost: %s",
                      l->host, l->port,
                      status == REDIS_OK ? "closed" : ac->errstr);
    }

    ngx_ct_netsuite_link_lost(l);
}


/*
 * Frees the context from a timer or a handler (never from inside a hiredis
 * callback): every queued command's handler runs with NULL, then the
 * disconnect callback schedules the reconnect.
 */

static void
ngx_ct_netsuite_link_drop(ngx_ct_netsuite_link_t *l, const char *why)
{
    redisAsyncContext  *ac;

    ac = l->ac;
    if (ac == NULL) {
        return;
    }

    if (!ngx_ct_netsuite_redis.exiting) {
        ngx_log_error(NGX_LOG_ERR, ngx_ct_netsuite_redis.log, 0,
                      "ct_netsuite: dropping redis %s:%d connection: %s",
                      l->host, l->port, why);
    }

    /* our pointer goes first: the callbacks below must not see it */
    l->ac = NULL;
    redisAsyncFree(ac);

    ngx_ct_netsuite_link_lost(l);
}


static void
ngx_ct_netsuite_link_schedule(ngx_ct_netsuite_link_t *l)
{
    ngx_msec_t  delay;

    if (ngx_ct_netsuite_redis.exiting || ngx_exiting || ngx_quit
        || ngx_terminate || !l->wanted)
    {
        return;
    }

    if (l->reconnect.timer_set) {
        return;
    }

    ngx_ct_netsuite_metrics_redis_error(ngx_ct_netsuite_redis.conf);

    delay = l->backoff / 2 + ngx_random() % (l->backoff / 2 + 1);

    l->backoff *= 2;
    if (l->backoff > NGX_CT_NETSUITE_BACKOFF_MAX) {
        l->backoff = NGX_CT_NETSUITE_BACKOFF_MAX;
    }

    ngx_add_timer(&l->reconnect, delay);
}


static void
ngx_ct_netsuite_link_reconnect_handler(ngx_event_t *ev)
{
    ngx_ct_netsuite_link_t  *l = ev->data;

    if (l->ac == NULL && !ngx_ct_netsuite_redis.exiting) {
        ngx_ct_netsuite_link_connect(l);
    }
}


/*
 * One timer watches each link: a connect or handshake that takes longer
 * than the timeout, or commands waiting longer than the timeout for any
 * reply (a hung or paused Redis), drop the connection, which answers every
 * waiting request with 503.
 */

static void
ngx_ct_netsuite_link_watchdog_handler(ngx_event_t *ev)
{
    ngx_ct_netsuite_link_t  *l = ev->data;

    ngx_msec_t  timeout;

    if (l->ac == NULL) {
        return;
    }

    if (l->state != NGX_CT_NETSUITE_REDIS_READY) {
        ngx_ct_netsuite_link_drop(l, "connect timed out");
        return;
    }

    timeout = ngx_ct_netsuite_redis.conf->timeout;

    if (l->pending && ngx_current_msec - l->progress >= timeout) {
        ngx_ct_netsuite_link_drop(l, "no reply within timeout");
        return;
    }

    ngx_add_timer(&l->watchdog, timeout / 4 + 1);
}


static void
ngx_ct_netsuite_link_handshake_done(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply              *reply = r;
    ngx_queue_t             *q;
    ngx_ct_netsuite_link_t  *l = ac->data;

    ngx_ct_netsuite_redis_cmd_t  *cmd;

    if (reply == NULL || l->ac != ac) {
        return;
    }

    if (reply->type != REDIS_REPLY_STRING || reply->len != 40) {
        ngx_log_error(NGX_LOG_ERR, ngx_ct_netsuite_redis.log, 0,
                      "ct_netsuite: redis %s:%d SCRIPT LOAD failed: %*s",
                      l->host, l->port, (int) reply->len,
                      reply->str ? reply->str : "");
        /* dropped by the watchdog, not inside this callback */
        return;
    }

    ngx_memcpy(ngx_ct_netsuite_redis.sha, reply->str, 40);
    ngx_ct_netsuite_redis.sha[40] = '\0';

    l->state = NGX_CT_NETSUITE_REDIS_READY;
    l->backoff = NGX_CT_NETSUITE_BACKOFF_MIN;

    ngx_log_error(NGX_LOG_INFO, ngx_ct_netsuite_redis.log, 0,
                  "ct_netsuite: redis %s:%d ready", l->host, l->port);

    while (!ngx_queue_empty(&l->parked)) {
        q = ngx_queue_head(&l->parked);
        ngx_queue_remove(q);

        cmd = ngx_queue_data(q, ngx_ct_netsuite_redis_cmd_t, queue);

        if (ngx_ct_netsuite_link_dispatch(l, cmd) != NGX_OK) {
            ngx_ct_netsuite_redis_deliver(cmd, NULL);
        }
    }

    if (ngx_ct_netsuite_redis.cluster) {
        ngx_ct_netsuite_cluster_link_ready(&ngx_ct_netsuite_redis);
    }
}


static void
ngx_ct_netsuite_link_handshake_step(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply              *reply = r;
    ngx_ct_netsuite_link_t  *l = ac->data;

    if (reply == NULL || l->ac != ac) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        /* never log the AUTH argument, only Redis' answer */
        ngx_log_error(NGX_LOG_ERR, ngx_ct_netsuite_redis.log, 0,
                      "ct_netsuite: redis %s:%d %s failed: %*s", l->host,
                      l->port, (char *) privdata, (int) reply->len,
                      reply->str);
    }
}


static ngx_int_t
ngx_ct_netsuite_link_handshake(ngx_ct_netsuite_link_t *l)
{
    char                         db[NGX_INT_T_LEN + 1];
    const char                  *argv[3];
    size_t                       lens[3];
    redisAsyncContext           *ac;
    ngx_ct_netsuite_main_conf_t *conf;

    ac = l->ac;
    conf = ngx_ct_netsuite_redis.conf;

    if (conf->password.len) {
        argv[0] = "AUTH";
        lens[0] = 4;
        argv[1] = (char *) conf->password.data;
        lens[1] = conf->password.len;

        if (redisAsyncCommandArgv(ac, ngx_ct_netsuite_link_handshake_step,
                                  "AUTH", 2, argv, lens) != REDIS_OK)
        {
            return NGX_ERROR;
        }
    }

    if (conf->db) {
        argv[0] = "SELECT";
        lens[0] = 6;
        argv[1] = db;
        lens[1] = ngx_sprintf((u_char *) db, "%i", conf->db) - (u_char *) db;

        if (redisAsyncCommandArgv(ac, ngx_ct_netsuite_link_handshake_step,
                                  "SELECT", 2, argv, lens) != REDIS_OK)
        {
            return NGX_ERROR;
        }
    }

    /* every node that may own a shard runs the enqueue script */
    argv[0] = "SCRIPT";
    lens[0] = 6;
    argv[1] = "LOAD";
    lens[1] = 4;
    argv[2] = (char *) ngx_ct_netsuite_enqueue_script.data;
    lens[2] = ngx_ct_netsuite_enqueue_script.len;

    if (redisAsyncCommandArgv(ac, ngx_ct_netsuite_link_handshake_done, NULL,
                              3, argv, lens) != REDIS_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_ct_netsuite_link_connect(ngx_ct_netsuite_link_t *l)
{
    ngx_log_t          *log;
    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    log = ngx_ct_netsuite_redis.log;

    if (l->ac != NULL || l->reconnect.timer_set) {
        return;
    }

    ac = l->port ? redisAsyncConnect(l->host, l->port)
                 : redisAsyncConnectUnix(l->host);

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "ct_netsuite: redis connect: out of memory");
        ngx_ct_netsuite_link_schedule(l);
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "ct_netsuite: redis %s:%d connect failed: %s",
                      l->host, l->port, ac->errstr);
        redisAsyncFree(ac);
        ngx_ct_netsuite_link_schedule(l);
        return;
    }

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_ct_netsuite_link_schedule(l);
        return;
    }

    c->read->log = log;
    c->write->log = log;
    c->data = ac;

    ac->data = l;
    ac->ev.data = c;
    ac->ev.addRead = ngx_ct_netsuite_redis_add_read;
    ac->ev.delRead = ngx_ct_netsuite_redis_del_read;
    ac->ev.addWrite = ngx_ct_netsuite_redis_add_write;
    ac->ev.delWrite = ngx_ct_netsuite_redis_del_write;
    ac->ev.cleanup = ngx_ct_netsuite_redis_cleanup;

    l->ac = ac;
    l->state = NGX_CT_NETSUITE_REDIS_CONNECTING;
    l->pending = 0;

    /* 0.14 calls addWrite from here: the hooks must exist first */
    redisAsyncSetConnectCallback(ac, ngx_ct_netsuite_link_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_ct_netsuite_link_on_disconnect);

    if (ngx_ct_netsuite_link_handshake(l) != NGX_OK) {
        ngx_ct_netsuite_link_drop(l, "handshake queueing failed");
        return;
    }

    l->state = NGX_CT_NETSUITE_REDIS_HANDSHAKE;

    ngx_add_timer(&l->watchdog, ngx_ct_netsuite_redis.conf->timeout);
}


void
ngx_ct_netsuite_link_init(ngx_ct_netsuite_link_t *l, const char *host,
    int port)
{
    ngx_log_t  *log;

    log = ngx_ct_netsuite_redis.log;

    l->host = host;
    l->port = port;
    l->backoff = NGX_CT_NETSUITE_BACKOFF_MIN;

    ngx_queue_init(&l->parked);

    l->reconnect.handler = ngx_ct_netsuite_link_reconnect_handler;
    l->reconnect.data = l;
    l->reconnect.log = log;
    l->reconnect.cancelable = 1;

    l->watchdog.handler = ngx_ct_netsuite_link_watchdog_handler;
    l->watchdog.data = l;
    l->watchdog.log = log;
    l->watchdog.cancelable = 1;
}


ngx_int_t
ngx_ct_netsuite_link_ready(ngx_ct_netsuite_link_t *l)
{
    return l->ac != NULL && l->state == NGX_CT_NETSUITE_REDIS_READY;
}


ngx_int_t
ngx_ct_netsuite_redis_init_process(ngx_cycle_t *cycle,
    ngx_ct_netsuite_main_conf_t *conf)
{
    ngx_ct_netsuite_link_t   *l;
    ngx_ct_netsuite_redis_t  *rd = &ngx_ct_netsuite_redis;

    ngx_memzero(rd, sizeof(ngx_ct_netsuite_redis_t));

    rd->conf = conf;
    rd->log = cycle->log;

    if (conf->nseeds) {
        return ngx_ct_netsuite_cluster_init(rd);
    }

    l = &rd->links[0];
    rd->nlinks = 1;

    ngx_ct_netsuite_link_init(l, (char *) (conf->port ? conf->host.data
                                                      : conf->path.data),
                              (int) conf->port);
    l->wanted = 1;

    ngx_ct_netsuite_link_connect(l);

    return NGX_OK;
}


void
ngx_ct_netsuite_redis_exit_process(void)
{
    ngx_uint_t                i;
    ngx_ct_netsuite_redis_t  *rd = &ngx_ct_netsuite_redis;

    rd->exiting = 1;

    if (rd->cluster) {
        ngx_ct_netsuite_cluster_exit(rd);
    }

    for (i = 0; i < rd->nlinks; i++) {
        ngx_ct_netsuite_link_close(&rd->links[i]);
    }
}


/* Closed for good: no reconnect, no timer left. */

void
ngx_ct_netsuite_link_close(ngx_ct_netsuite_link_t *l)
{
    l->wanted = 0;

    if (l->reconnect.timer_set) {
        ngx_del_timer(&l->reconnect);
    }

    ngx_ct_netsuite_link_drop(l, "closed");
}


ngx_uint_t
ngx_ct_netsuite_redis_exiting(void)
{
    return ngx_ct_netsuite_redis.exiting;
}


const char *
ngx_ct_netsuite_redis_script_sha(void)
{
    return ngx_ct_netsuite_redis.sha;
}


/* --- commands ---------------------------------------------------------------- */

void
ngx_ct_netsuite_redis_deliver(ngx_ct_netsuite_redis_cmd_t *cmd,
    redisReply *reply)
{
    ngx_ct_netsuite_redis_handler_pt   handler;
    void                              *data;

    ngx_ct_netsuite_metrics_redis_reply(ngx_ct_netsuite_redis.conf, reply,
                                        cmd->sent);

    handler = cmd->handler;
    data = cmd->data;

    ngx_free(cmd);

    handler(reply, data);
}


static void
ngx_ct_netsuite_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    ngx_ct_netsuite_link_t       *l = ac->data;
    ngx_ct_netsuite_redis_t      *rd = &ngx_ct_netsuite_redis;
    ngx_ct_netsuite_redis_cmd_t  *cmd = privdata;

    if (l->ac == ac && l->pending) {
        l->pending--;
        l->progress = ngx_current_msec;
    }

    if (rd->cluster && r != NULL && !rd->exiting
        && ngx_ct_netsuite_cluster_redirect(rd, cmd, r) == NGX_OK)
    {
        return;
    }

    ngx_ct_netsuite_redis_deliver(cmd, r);
}


ngx_int_t
ngx_ct_netsuite_link_dispatch(ngx_ct_netsuite_link_t *l,
    ngx_ct_netsuite_redis_cmd_t *cmd)
{
    if (!ngx_ct_netsuite_link_ready(l)) {
        return NGX_DECLINED;
    }

    /* an ASK redirection: this node serves the slot for one command */
    if (cmd->asking
        && redisAsyncCommand(l->ac, NULL, NULL, "ASKING") != REDIS_OK)
    {
        return NGX_DECLINED;
    }

    if (redisAsyncCommandArgv(l->ac, ngx_ct_netsuite_redis_reply, cmd,
                              cmd->argc, cmd->argv, cmd->lens)
        != REDIS_OK)
    {
        return NGX_DECLINED;
    }

    if (l->pending++ == 0) {
        l->progress = ngx_current_msec;
    }

    return NGX_OK;
}


void
ngx_ct_netsuite_link_park(ngx_ct_netsuite_link_t *l,
    ngx_ct_netsuite_redis_cmd_t *cmd)
{
    ngx_queue_insert_tail(&l->parked, &cmd->queue);

    ngx_ct_netsuite_link_connect(l);
}


ngx_int_t
ngx_ct_netsuite_link_submit(ngx_ct_netsuite_link_t *l,
    ngx_ct_netsuite_redis_cmd_t *cmd)
{
    if (ngx_ct_netsuite_link_ready(l)) {
        return ngx_ct_netsuite_link_dispatch(l, cmd);
    }

    if (l->ac == NULL) {
        return NGX_DECLINED;
    }

    /* bounded by the watchdog: a handshake that hangs drops the link */
    ngx_ct_netsuite_link_park(l, cmd);

    return NGX_OK;
}


/* In a cluster the arguments are copied: a redirection resends them. */

static ngx_ct_netsuite_redis_cmd_t *
ngx_ct_netsuite_redis_cmd(int argc, const char **argv, const size_t *lens,
    ngx_uint_t copy)
{
    int                           i;
    u_char                       *p;
    size_t                        size;
    ngx_ct_netsuite_redis_cmd_t  *cmd;

    size = sizeof(ngx_ct_netsuite_redis_cmd_t);

    if (copy) {
        size += argc * (sizeof(char *) + sizeof(size_t));

        for (i = 0; i < argc; i++) {
            size += lens[i];
        }
    }

    cmd = ngx_alloc(size, ngx_ct_netsuite_redis.log);
    if (cmd == NULL) {
        return NULL;
    }

    ngx_memzero(cmd, sizeof(ngx_ct_netsuite_redis_cmd_t));

    cmd->argc = argc;
    cmd->argv = argv;
    cmd->lens = (size_t *) lens;

    if (!copy) {
        return cmd;
    }

    cmd->lens = (size_t *) (cmd + 1);
    cmd->argv = (const char **) (cmd->lens + argc);
    p = (u_char *) (cmd->argv + argc);

    for (i = 0; i < argc; i++) {
        cmd->argv[i] = (char *) p;
        cmd->lens[i] = lens[i];
        p = ngx_cpymem(p, argv[i], lens[i]);
    }

    return cmd;
}


ngx_int_t
ngx_ct_netsuite_redis_send(int argc, const char **argv, const size_t *lens,
    ngx_ct_netsuite_redis_handler_pt handler, void *data)
{
    ngx_int_t                     rc;
    ngx_ct_netsuite_redis_t      *rd = &ngx_ct_netsuite_redis;
    ngx_ct_netsuite_redis_cmd_t  *cmd;

    if (!rd->cluster && rd->links[0].ac == NULL) {
        return NGX_DECLINED;
    }

    cmd = ngx_ct_netsuite_redis_cmd(argc, argv, lens, rd->cluster);
    if (cmd == NULL) {
        return NGX_DECLINED;
    }

    cmd->handler = handler;
    cmd->data = data;
    cmd->sent = ngx_ct_netsuite_metrics_now();
    cmd->start = ngx_current_msec;

    rc = rd->cluster ? ngx_ct_netsuite_cluster_send(rd, cmd)
                     : ngx_ct_netsuite_link_submit(&rd->links[0], cmd);

    if (rc != NGX_OK) {
        ngx_free(cmd);
        return NGX_DECLINED;
    }

    return NGX_OK;
}
