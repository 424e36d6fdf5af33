
/*
 * Copyright (C) ct-netsuite authors
 *
 * hiredis 0.14 on nginx's event loop: one pipelined connection per worker
 * process, a small state machine (DISCONNECTED -> CONNECTING -> HANDSHAKE ->
 * READY), reconnect with backoff and jitter, connect and liveness timeouts
 * on nginx timers (0.14 has none of its own).
 *
 * Rules that keep this correct (see docs/internals.md):
 *   - the fd is registered level-triggered: hiredis reads at most 16 KiB per
 *     call, and an edge-triggered fd would strand the rest of a reply;
 *   - the fd is closed once, by nginx, and ac->c.fd is then set to -1 so
 *     redisFree() does not close a number that may already be reused;
 *   - our pointer to the context is cleared before anything else when it
 *     dies, and reconnects happen from a timer, never inside a callback.
 */


#include "ngx_ct_netsuite_metrics.h"
#include "ngx_ct_netsuite_redis.h"


#define NGX_CT_NETSUITE_REDIS_DISCONNECTED  0
#define NGX_CT_NETSUITE_REDIS_CONNECTING    1
#define NGX_CT_NETSUITE_REDIS_HANDSHAKE     2
#define NGX_CT_NETSUITE_REDIS_READY         3

#define NGX_CT_NETSUITE_BACKOFF_MIN         100
#define NGX_CT_NETSUITE_BACKOFF_MAX         5000


typedef struct {
    ngx_ct_netsuite_redis_handler_pt   handler;
    void                              *data;
    uint64_t                           sent;       /* for the histogram */
} ngx_ct_netsuite_redis_cmd_t;


typedef struct {
    redisAsyncContext                 *ac;
    ngx_uint_t                         state;
    ngx_uint_t                         exiting;
    ngx_uint_t                         pending;
    ngx_msec_t                         progress;   /* last reply, or first
                                                      command after idle */
    ngx_msec_t                         backoff;
    ngx_event_t                        reconnect;
    ngx_event_t                        watchdog;
    ngx_ct_netsuite_main_conf_t       *conf;
    ngx_log_t                         *log;
    char                               sha[41];
} ngx_ct_netsuite_redis_t;


static void ngx_ct_netsuite_redis_connect(ngx_ct_netsuite_redis_t *rd);
static void ngx_ct_netsuite_redis_schedule(ngx_ct_netsuite_redis_t *rd);
static void ngx_ct_netsuite_redis_drop(ngx_ct_netsuite_redis_t *rd,
    const char *why);


static ngx_ct_netsuite_redis_t  ngx_ct_netsuite_redis;


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
        ngx_ct_netsuite_redis_drop(&ngx_ct_netsuite_redis, "shutdown");
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

static void
ngx_ct_netsuite_redis_lost(ngx_ct_netsuite_redis_t *rd)
{
    rd->ac = NULL;
    rd->state = NGX_CT_NETSUITE_REDIS_DISCONNECTED;
    rd->pending = 0;

    if (rd->watchdog.timer_set) {
        ngx_del_timer(&rd->watchdog);
    }

    ngx_ct_netsuite_redis_schedule(rd);
}


static void
ngx_ct_netsuite_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_ct_netsuite_redis_t  *rd = &ngx_ct_netsuite_redis;

    if (rd->ac != ac) {
        return;
    }

    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback returns */
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: redis connect failed: %s", ac->errstr);
        ngx_ct_netsuite_redis_lost(rd);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, rd->log, 0, "ct_netsuite: redis connected");
}


static void
ngx_ct_netsuite_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_ct_netsuite_redis_t  *rd = &ngx_ct_netsuite_redis;

    if (rd->ac != ac) {
        return;
    }

    if (!rd->exiting) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: redis connection lost: %s",
                      status == REDIS_OK ? "closed" : ac->errstr);
    }

    ngx_ct_netsuite_redis_lost(rd);
}


/*
 * Frees the context from a timer or a handler (never from inside a hiredis
 * callback): every queued command's handler runs with NULL, then the
 * disconnect callback schedules the reconnect.
 */

static void
ngx_ct_netsuite_redis_drop(ngx_ct_netsuite_redis_t *rd, const char *why)
{
    redisAsyncContext  *ac;

    ac = rd->ac;
    if (ac == NULL) {
        return;
    }

    if (!rd->exiting) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: dropping redis connection: %s", why);
    }

    /* our pointer goes first: the callbacks below must not see it */
    rd->ac = NULL;
    redisAsyncFree(ac);

    ngx_ct_netsuite_redis_lost(rd);
}


static void
ngx_ct_netsuite_redis_schedule(ngx_ct_netsuite_redis_t *rd)
{
    ngx_msec_t  delay;

    if (rd->exiting || ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (rd->reconnect.timer_set) {
        return;
    }

    ngx_ct_netsuite_metrics_redis_error(rd->conf);

    delay = rd->backoff / 2 + ngx_random() % (rd->backoff / 2 + 1);

    rd->backoff *= 2;
    if (rd->backoff > NGX_CT_NETSUITE_BACKOFF_MAX) {
        rd->backoff = NGX_CT_NETSUITE_BACKOFF_MAX;
    }

    ngx_add_timer(&rd->reconnect, delay);
}


static void
ngx_ct_netsuite_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_ct_netsuite_redis_t  *rd = ev->data;

    if (rd->ac == NULL && !rd->exiting) {
        ngx_ct_netsuite_redis_connect(rd);
    }
}


/*
 * One timer watches the connection: a connect or handshake that takes
 * longer than the timeout, or commands waiting longer than the timeout for
 * any reply (a hung or paused Redis), drop the connection, which answers
 * every waiting request with 503.
 */

static void
ngx_ct_netsuite_redis_watchdog_handler(ngx_event_t *ev)
{
    ngx_ct_netsuite_redis_t  *rd = ev->data;

    if (rd->ac == NULL) {
        return;
    }

    if (rd->state != NGX_CT_NETSUITE_REDIS_READY) {
        ngx_ct_netsuite_redis_drop(rd, "connect timed out");
        return;
    }

    if (rd->pending
        && ngx_current_msec - rd->progress >= rd->conf->timeout)
    {
        ngx_ct_netsuite_redis_drop(rd, "no reply within timeout");
        return;
    }

    ngx_add_timer(&rd->watchdog, rd->conf->timeout / 4 + 1);
}


static void
ngx_ct_netsuite_redis_handshake_done(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply               *reply = r;
    ngx_ct_netsuite_redis_t  *rd = &ngx_ct_netsuite_redis;

    if (reply == NULL || rd->ac != ac) {
        return;
    }

    if (reply->type != REDIS_REPLY_STRING || reply->len != 40) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: redis SCRIPT LOAD failed: %*s",
                      (int) reply->len, reply->str ? reply->str : "");
        /* drop from the watchdog, not inside this callback */
        rd->state = NGX_CT_NETSUITE_REDIS_HANDSHAKE;
        return;
    }

    ngx_memcpy(rd->sha, reply->str, 40);
    rd->sha[40] = '\0';

    rd->state = NGX_CT_NETSUITE_REDIS_READY;
    rd->backoff = NGX_CT_NETSUITE_BACKOFF_MIN;

    ngx_log_error(NGX_LOG_INFO, rd->log, 0, "ct_netsuite: redis ready");
}


static void
ngx_ct_netsuite_redis_handshake_step(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply               *reply = r;
    ngx_ct_netsuite_redis_t  *rd = &ngx_ct_netsuite_redis;

    if (reply == NULL || rd->ac != ac) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        /* never log the AUTH argument, only Redis' answer */
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: redis %s failed: %*s", (char *) privdata,
                      (int) reply->len, reply->str);
    }
}


static ngx_int_t
ngx_ct_netsuite_redis_handshake(ngx_ct_netsuite_redis_t *rd)
{
    char                         db[NGX_INT_T_LEN + 1];
    const char                  *argv[3];
    size_t                       lens[3];
    redisAsyncContext           *ac;
    ngx_ct_netsuite_main_conf_t *conf;

    ac = rd->ac;
    conf = rd->conf;

    if (conf->password.len) {
        argv[0] = "AUTH";
        lens[0] = 4;
        argv[1] = (char *) conf->password.data;
        lens[1] = conf->password.len;

        if (redisAsyncCommandArgv(ac, ngx_ct_netsuite_redis_handshake_step,
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

        if (redisAsyncCommandArgv(ac, ngx_ct_netsuite_redis_handshake_step,
                                  "SELECT", 2, argv, lens) != REDIS_OK)
        {
            return NGX_ERROR;
        }
    }

    argv[0] = "SCRIPT";
    lens[0] = 6;
    argv[1] = "LOAD";
    lens[1] = 4;
    argv[2] = (char *) ngx_ct_netsuite_enqueue_script.data;
    lens[2] = ngx_ct_netsuite_enqueue_script.len;

    if (redisAsyncCommandArgv(ac, ngx_ct_netsuite_redis_handshake_done, NULL,
                              3, argv, lens) != REDIS_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_ct_netsuite_redis_connect(ngx_ct_netsuite_redis_t *rd)
{
    ngx_connection_t             *c;
    redisAsyncContext            *ac;
    ngx_ct_netsuite_main_conf_t  *conf;

    conf = rd->conf;

    if (conf->port) {
        ac = redisAsyncConnect((char *) conf->host.data, (int) conf->port);

    } else {
        ac = redisAsyncConnectUnix((char *) conf->path.data);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: redis connect: out of memory");
        ngx_ct_netsuite_redis_schedule(rd);
        return;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "ct_netsuite: redis connect failed: %s", ac->errstr);
        redisAsyncFree(ac);
        ngx_ct_netsuite_redis_schedule(rd);
        return;
    }

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_ct_netsuite_redis_schedule(rd);
        return;
    }

    c->read->log = rd->log;
    c->write->log = rd->log;
    c->data = ac;

    ac->ev.data = c;
    ac->ev.addRead = ngx_ct_netsuite_redis_add_read;
    ac->ev.delRead = ngx_ct_netsuite_redis_del_read;
    ac->ev.addWrite = ngx_ct_netsuite_redis_add_write;
    ac->ev.delWrite = ngx_ct_netsuite_redis_del_write;
    ac->ev.cleanup = ngx_ct_netsuite_redis_cleanup;

    rd->ac = ac;
    rd->state = NGX_CT_NETSUITE_REDIS_CONNECTING;
    rd->pending = 0;

    /* 0.14 calls addWrite from here: the hooks must exist first */
    redisAsyncSetConnectCallback(ac, ngx_ct_netsuite_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_ct_netsuite_redis_on_disconnect);

    if (ngx_ct_netsuite_redis_handshake(rd) != NGX_OK) {
        ngx_ct_netsuite_redis_drop(rd, "handshake queueing failed");
        return;
    }

    rd->state = NGX_CT_NETSUITE_REDIS_HANDSHAKE;

    ngx_add_timer(&rd->watchdog, conf->timeout);
}


ngx_int_t
ngx_ct_netsuite_redis_init_process(ngx_cycle_t *cycle,
    ngx_ct_netsuite_main_conf_t *conf)
{
    ngx_ct_netsuite_redis_t  *rd = &ngx_ct_netsuite_redis;

    ngx_memzero(rd, sizeof(ngx_ct_netsuite_redis_t));

    rd->conf = conf;
    rd->log = cycle->log;
    rd->backoff = NGX_CT_NETSUITE_BACKOFF_MIN;

    rd->reconnect.handler = ngx_ct_netsuite_redis_reconnect_handler;
    rd->reconnect.data = rd;
    rd->reconnect.log = cycle->log;
    rd->reconnect.cancelable = 1;

    rd->watchdog.handler = ngx_ct_netsuite_redis_watchdog_handler;
    rd->watchdog.data = rd;
    rd->watchdog.log = cycle->log;
    rd->watchdog.cancelable = 1;

    ngx_ct_netsuite_redis_connect(rd);

    return NGX_OK;
}


void
ngx_ct_netsuite_redis_exit_process(void)
{
    ngx_ct_netsuite_redis_t  *rd = &ngx_ct_netsuite_redis;
    redisAsyncContext        *ac;

    rd->exiting = 1;

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    ac = rd->ac;
    if (ac) {
        rd->ac = NULL;
        redisAsyncFree(ac);
    }

    if (rd->watchdog.timer_set) {
        ngx_del_timer(&rd->watchdog);
    }
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

static void
ngx_ct_netsuite_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    ngx_ct_netsuite_redis_t      *rd = &ngx_ct_netsuite_redis;
    ngx_ct_netsuite_redis_cmd_t   cmd;

    cmd = *(ngx_ct_netsuite_redis_cmd_t *) privdata;
    ngx_free(privdata);

    if (rd->ac == ac && rd->pending) {
        rd->pending--;
        rd->progress = ngx_current_msec;
    }

    ngx_ct_netsuite_metrics_redis_reply(rd->conf, r, cmd.sent);

    cmd.handler(r, cmd.data);
}


ngx_int_t
ngx_ct_netsuite_redis_send(int argc, const char **argv, const size_t *lens,
    ngx_ct_netsuite_redis_handler_pt handler, void *data)
{
    ngx_ct_netsuite_redis_t      *rd = &ngx_ct_netsuite_redis;
    ngx_ct_netsuite_redis_cmd_t  *cmd;

    if (rd->ac == NULL || rd->state != NGX_CT_NETSUITE_REDIS_READY) {
        return NGX_DECLINED;
    }

    cmd = ngx_alloc(sizeof(ngx_ct_netsuite_redis_cmd_t), rd->log);
    if (cmd == NULL) {
        return NGX_DECLINED;
    }

    cmd->handler = handler;
    cmd->data = data;
    cmd->sent = ngx_ct_netsuite_metrics_now();

    if (redisAsyncCommandArgv(rd->ac, ngx_ct_netsuite_redis_reply, cmd,
                              argc, argv, lens) != REDIS_OK)
    {
        ngx_free(cmd);
        return NGX_DECLINED;
    }

    if (rd->pending++ == 0) {
        rd->progress = ngx_current_msec;
    }

    return NGX_OK;
}
