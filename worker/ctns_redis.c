/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctns_log.h"
#include "ctns_redis.h"


/* pauses before attempt n: 10, 20, 40, 80, then 100 ms (see follow) */
#define CTNS_REDIS_BACKOFF_MS      10
#define CTNS_REDIS_BACKOFF_STEPS   4
#define CTNS_REDIS_BACKOFF_MAX_MS  100


void
ctns_cmd_add(ctns_cmd_t *c, const char *s, size_t len)
{
    int      cap;
    char   **v, *p;
    size_t  *l;

    if (c->n < 0) {
        return;
    }

    if (c->n == c->cap) {
        cap = c->cap ? c->cap * 2 : 16;
        v = realloc(c->v, cap * sizeof(char *));
        if (v != NULL) {
            c->v = v;
        }

        l = realloc(c->len, cap * sizeof(size_t));
        if (l != NULL) {
            c->len = l;
        }

        if (v == NULL || l == NULL) {
            c->n = -1;
            return;
        }

        c->cap = cap;
    }

    p = malloc(len + 1);
    if (p == NULL) {
        c->n = -1;
        return;
    }

    memcpy(p, s, len);
    p[len] = '\0';

    c->v[c->n] = p;
    c->len[c->n] = len;
    c->n++;
}


void
ctns_cmd_str(ctns_cmd_t *c, const char *s)
{
    ctns_cmd_add(c, s, strlen(s));
}


void
ctns_cmd_fmt(ctns_cmd_t *c, const char *fmt, ...)
{
    va_list  ap;
    char     buf[1024];
    int      n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    if (n < 0 || (size_t) n >= sizeof(buf)) {
        c->n = -1;
        return;
    }

    ctns_cmd_add(c, buf, n);
}


void
ctns_cmd_strs(ctns_cmd_t *c, ...)
{
    va_list      ap;
    const char  *s;

    va_start(ap, c);

    while ((s = va_arg(ap, const char *)) != NULL) {
        ctns_cmd_str(c, s);
    }

    va_end(ap);
}


void
ctns_cmd_free(ctns_cmd_t *c)
{
    int  i;

    for (i = 0; i < c->n; i++) {
        free(c->v[i]);
    }

    free(c->v);
    free(c->len);
    memset(c, 0, sizeof(ctns_cmd_t));
}


/* "host:port" of node i (the one server's address without a cluster) */

static const char *
ctns_redis_where(const ctns_redis_t *r, int i, char *buf, size_t len)
{
    if (r->map == NULL) {
        if (r->conf->port == 0) {
            return r->conf->host;
        }

        snprintf(buf, len, "%s:%d", r->conf->host, r->conf->port);

    } else {
        snprintf(buf, len, strchr(r->map->nodes[i].host, ':') ? "[%s]:%d"
                                                              : "%s:%d",
                 r->map->nodes[i].host, r->map->nodes[i].port);
    }

    return buf;
}


static void
ctns_redis_fail(ctns_redis_t *r, int node, int level, const char *msg,
    const char *command, const char *err)
{
    char  where[CTNS_CLUSTER_HOST_LEN + 300];

    snprintf(r->err, sizeof(r->err), "%s", err);

    ctns_log(level, msg,
             json_pack("{s:s,s:s*,s:s}", "address",
                       ctns_redis_where(r, node, where, sizeof(where)),
                       "command", command, "error", err));
}


/* AUTH or SELECT on a new connection; never logs the argument */

static int
ctns_redis_setup(ctns_redis_t *r, int node, redisContext *c,
    const char *command, const char *arg)
{
    int          ok;
    char         msg[32];
    const char  *argv[2];
    redisReply  *rep;

    argv[0] = command;
    argv[1] = arg;

    rep = redisCommandArgv(c, 2, argv, NULL);
    ok = rep != NULL && rep->type != REDIS_REPLY_ERROR;

    if (!ok) {
        snprintf(msg, sizeof(msg), "redis %s failed", command);
        ctns_redis_fail(r, node, CTNS_LOG_ERROR, msg, NULL,
                        rep ? rep->str : c->errstr);
    }

    freeReplyObject(rep);

    return ok ? 0 : -1;
}


static void
ctns_redis_drop(ctns_redis_t *r, int node)
{
    if (r->ctx[node] == NULL) {
        return;
    }

    redisFree(r->ctx[node]);
    r->ctx[node] = NULL;

    /* a node that went away: who serves its slots now is to be asked */
    if (r->map) {
        r->stale = 1;
    }
}


/* The connection to node i, opened (AUTH, SELECT) when there is none. */

static redisContext *
ctns_redis_node(ctns_redis_t *r, int node)
{
    int                       port;
    char                      db[16];
    char                      where[CTNS_CLUSTER_HOST_LEN + 300];
    const char               *host;
    redisContext             *c;
    struct timeval            tv;
    const ctns_conf_redis_t  *rc = r->conf;

    if (r->ctx[node] && r->ctx[node]->err == 0) {
        return r->ctx[node];
    }

    ctns_redis_drop(r, node);

    host = r->map ? r->map->nodes[node].host : rc->host;
    port = r->map ? r->map->nodes[node].port : rc->port;

    tv.tv_sec = rc->timeout_ms / 1000;
    tv.tv_usec = (rc->timeout_ms % 1000) * 1000;

    c = (port == 0) ? redisConnectUnixWithTimeout(host + 5, tv)
                    : redisConnectWithTimeout(host, port, tv);

    /* said once per outage: a failover retries a dead master for seconds */
    if (c == NULL || c->err) {
        ctns_redis_fail(r, node, r->down[node] ? CTNS_LOG_DEBUG
                                               : CTNS_LOG_ERROR,
                        "redis connect failed", NULL,
                        c ? c->errstr : "out of memory");
        r->down[node] = 1;
        redisFree(c);
        return NULL;
    }

    if (r->down[node]) {
        ctns_log(CTNS_LOG_INFO, "redis connected again",
                 json_pack("{s:s}", "address",
                           ctns_redis_where(r, node, where, sizeof(where))));
        r->down[node] = 0;
    }

    redisSetTimeout(c, tv);
    snprintf(db, sizeof(db), "%d", rc->db);

    /* a cluster has database 0 only (the configuration refuses db) */
    if ((rc->password
         && ctns_redis_setup(r, node, c, "AUTH", rc->password) != 0)
        || (rc->db && r->map == NULL
            && ctns_redis_setup(r, node, c, "SELECT", db) != 0))
    {
        redisFree(c);
        return NULL;
    }

    r->ctx[node] = c;

    return c;
}


/* The next reply on node i; NULL (logged, connection dropped) if none. */

static redisReply *
ctns_redis_read(ctns_redis_t *r, int node, const char *command)
{
    void  *reply;

    if (redisGetReply(r->ctx[node], &reply) == REDIS_OK) {
        return reply;
    }

    ctns_redis_fail(r, node, CTNS_LOG_ERROR, "redis command failed", command,
                    r->ctx[node]->errstr);
    ctns_redis_drop(r, node);

    return NULL;
}


/* Sends what is buffered, so that all masters work on a batch at once. */

static void
ctns_redis_flush(redisContext *c)
{
    int  done;

    do {
        if (redisBufferWrite(c, &done) != REDIS_OK) {
            return;
        }
    } while (!done);
}


/*
 * One command to node i, after ASKING when asking.  NULL with *lost 0:
 * not sent (no connection); with *lost 1: sent, but no answer came.
 */

static redisReply *
ctns_redis_send(ctns_redis_t *r, int node, int asking, int argc,
    const char **argv, const size_t *lens, int *lost)
{
    redisReply  *ask;

    *lost = 0;

    if (node < 0) {
        snprintf(r->err, sizeof(r->err), "no master known for the slot");
        r->stale = 1;
        return NULL;
    }

    if (ctns_redis_node(r, node) == NULL) {
        return NULL;
    }

    *lost = 1;

    if (asking) {
        redisAppendCommand(r->ctx[node], "ASKING");
    }

    redisAppendCommandArgv(r->ctx[node], argc, argv, lens);

    if (asking) {
        ask = ctns_redis_read(r, node, "ASKING");
        if (ask == NULL) {
            return NULL;
        }

        freeReplyObject(ask);
    }

    return ctns_redis_read(r, node, argv[0]);
}


/* The first node serving any slot: where keyless commands go. */

static int
ctns_redis_any(const ctns_redis_t *r)
{
    unsigned  s;

    for (s = 0; s < CTNS_CLUSTER_SLOTS; s++) {
        if (r->map->slot[s]) {
            return r->map->slot[s] - 1;
        }
    }

    return -1;
}


/*
 * Node indexes are stable for the client's life; when masters keep coming
 * back under new addresses the table fills up: start over from the seeds.
 */

static void
ctns_redis_forget(ctns_redis_t *r)
{
    int  i;

    ctns_log(CTNS_LOG_WARN, "redis cluster named too many node addresses: "
             "starting over from the seeds",
             json_pack("{s:i}", "nodes", CTNS_CLUSTER_NODES_MAX));

    for (i = 0; i < CTNS_CLUSTER_NODES_MAX; i++) {
        if (r->ctx[i]) {
            redisFree(r->ctx[i]);
            r->ctx[i] = NULL;
        }

        r->down[i] = 0;
    }

    memset(r->map, 0, sizeof(ctns_cluster_map_t));

    for (i = 0; i < r->conf->nseeds; i++) {
        ctns_cluster_map_node(r->map, &r->conf->seeds[i]);
    }
}


/* CLUSTER SLOTS from node i into the map; 0, or -1. */

static int
ctns_redis_load(ctns_redis_t *r, int node)
{
    int          rc, lost, changed;
    size_t       lens[2];
    redisReply  *rep;
    uint8_t      old[CTNS_CLUSTER_SLOTS];
    char         where[CTNS_CLUSTER_HOST_LEN + 300];
    const char  *argv[2] = { "CLUSTER", "SLOTS" };

    lens[0] = 7;
    lens[1] = 5;

    rep = ctns_redis_send(r, node, 0, 2, argv, lens, &lost);
    if (rep == NULL) {
        return -1;
    }

    memcpy(old, r->map->slot, sizeof(old));

    rc = ctns_cluster_map_load(r->map, rep);

    if (rc != 0) {
        snprintf(r->err, sizeof(r->err), "CLUSTER SLOTS: %s",
                 rep->type == REDIS_REPLY_ERROR ? rep->str
                                                : "not a slot table");
    }

    freeReplyObject(rep);

    if (rc == CTNS_CLUSTER_FULL) {
        ctns_redis_forget(r);
    }

    if (rc != 0) {
        return -1;
    }

    changed = memcmp(old, r->map->slot, sizeof(old)) != 0;

    ctns_log(changed ? CTNS_LOG_INFO : CTNS_LOG_DEBUG,
             "redis cluster slot map loaded",
             json_pack("{s:s,s:b}", "from",
                       ctns_redis_where(r, node, where, sizeof(where)),
                       "changed", changed));

    return 0;
}


/*
 * Reloads the slot map: from node first (the target of a MOVED), else
 * from a node already connected, else from any known node or seed.
 */

static int
ctns_redis_refresh(ctns_redis_t *r, int first)
{
    int       pass;
    unsigned  i;

    r->stale = 0;

    if (first >= 0 && ctns_redis_load(r, first) == 0) {
        r->stale = 0;
        return 0;
    }

    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < r->map->nnodes; i++) {
            if ((int) i != first && (r->ctx[i] != NULL) == (pass == 0)
                && ctns_redis_load(r, i) == 0)
            {
                r->stale = 0;
                return 0;
            }
        }
    }

    r->stale = 1;

    ctns_log(CTNS_LOG_ERROR, "redis cluster slot map unavailable",
             json_pack("{s:s}", "error", r->err));

    return -1;
}


static int
ctns_redis_route(ctns_redis_t *r, int argc, const char **argv,
    const size_t *lens)
{
    int  k;

    if (r->stale) {
        ctns_redis_refresh(r, -1);
    }

    k = ctns_cluster_key_index(argc, argv, lens);

    if (k < 0 || k >= argc) {
        return ctns_redis_any(r);
    }

    return ctns_cluster_map_route(r->map, argv[k], lens[k]);
}


/*
 * A command in a cluster, until an answer that is no redirection: reply
 * is the first one when the command was already sent (in a pipeline).
 * MOVED: the slot is the target's now, and the map is reloaded; ASK: the
 * target once, after ASKING, the map unchanged; TRYAGAIN, CLUSTERDOWN,
 * LOADING, MASTERDOWN or no connection: a brief pause.  A command sent
 * whose answer was lost is not sent again: it may have run.
 */

static redisReply *
ctns_redis_follow(ctns_redis_t *r, int argc, const char **argv,
    const size_t *lens, redisReply *reply)
{
    int                  attempt, node, asking, kind, lost;
    unsigned             slot;
    ctns_cluster_addr_t  to;

    node = -1;
    asking = 0;

    for (attempt = 1; /* void */ ; attempt++) {
        if (reply == NULL) {
            if (!asking) {
                node = ctns_redis_route(r, argc, argv, lens);
            }

            reply = ctns_redis_send(r, node, asking, argc, argv, lens,
                                    &lost);
            if (reply == NULL && lost) {
                return NULL;
            }
        }

        asking = 0;
        kind = CTNS_CLUSTER_REPLY_TRYAGAIN;

        if (reply != NULL) {
            if (reply->type != REDIS_REPLY_ERROR) {
                return reply;
            }

            kind = ctns_cluster_reply_kind(reply->str, reply->len, &slot,
                                           &to);
            if (kind == CTNS_CLUSTER_REPLY_OK) {
                return reply;
            }
        }

        if (attempt == CTNS_CLUSTER_REDIRECTS) {
            /* the last redirection is the answer: the caller retries */
            return reply;
        }

        ctns_log(CTNS_LOG_DEBUG, "redis redirected",
                 json_pack("{s:s,s:s,s:i}", "command", argv[0], "reply",
                           reply ? reply->str : r->err, "attempt", attempt));

        freeReplyObject(reply);
        reply = NULL;

        /*
         * A slot's new owner becomes known to each master at its own
         * moment: during a move two masters may send a client to each
         * other for a while.  Only the first two redirections are
         * followed at once.
         */
        if (kind == CTNS_CLUSTER_REPLY_TRYAGAIN || attempt > 2) {
            usleep((attempt > CTNS_REDIS_BACKOFF_STEPS
                    ? CTNS_REDIS_BACKOFF_MAX_MS
                    : CTNS_REDIS_BACKOFF_MS << (attempt - 1)) * 1000);
        }

        switch (kind) {

        case CTNS_CLUSTER_REPLY_MOVED:
            ctns_redis_refresh(r, ctns_cluster_map_node(r->map, &to));

            /* again: a refresh that started over renumbered the nodes */
            node = ctns_cluster_map_node(r->map, &to);

            if (node >= 0) {
                r->map->slot[slot] = (uint8_t) (node + 1);
            }

            break;

        case CTNS_CLUSTER_REPLY_ASK:
            node = ctns_cluster_map_node(r->map, &to);
            asking = node >= 0;
            break;

        default:
            r->stale = 1;
        }
    }
}


int
ctns_redis_open(ctns_redis_t *r, const ctns_conf_redis_t *conf)
{
    int  i;

    memset(r, 0, sizeof(ctns_redis_t));
    r->conf = conf;

    if (conf->nseeds == 0) {
        return ctns_redis_node(r, 0) ? 0 : -1;
    }

    r->map = calloc(1, sizeof(ctns_cluster_map_t));
    if (r->map == NULL) {
        return -1;
    }

    for (i = 0; i < conf->nseeds; i++) {
        ctns_cluster_map_node(r->map, &conf->seeds[i]);
    }

    return ctns_redis_refresh(r, -1);
}


void
ctns_redis_close(ctns_redis_t *r)
{
    int  i;

    for (i = 0; i < CTNS_CLUSTER_NODES_MAX; i++) {
        if (r->ctx[i]) {
            redisFree(r->ctx[i]);
        }
    }

    free(r->map);
    memset(r, 0, sizeof(ctns_redis_t));
}


int
ctns_redis_ok(ctns_redis_t *r)
{
    if (r->map == NULL) {
        return ctns_redis_node(r, 0) ? 0 : -1;
    }

    if (r->stale) {
        return ctns_redis_refresh(r, -1);
    }

    return 0;
}


redisReply *
ctns_redis_argv(ctns_redis_t *r, int argc, const char **argv,
    const size_t *lens)
{
    int  lost;

    if (r->map == NULL) {
        return ctns_redis_send(r, 0, 0, argc, argv, lens, &lost);
    }

    return ctns_redis_follow(r, argc, argv, lens, NULL);
}


redisReply *
ctns_redis_cmd(ctns_redis_t *r, const ctns_cmd_t *c)
{
    if (c->n <= 0) {
        snprintf(r->err, sizeof(r->err), "command too large");
        ctns_log(CTNS_LOG_ERROR, "redis command too large", NULL);
        return NULL;
    }

    return ctns_redis_argv(r, c->n, (const char **) c->v, c->len);
}


/*
 * Appends node's commands (nodes[i] == node) and sends them; without a
 * connection they are marked -1, to be sent one by one.
 */

static void
ctns_redis_append(ctns_redis_t *r, int node, const ctns_cmd_t *cmds, int n,
    int *nodes)
{
    int  i, any;

    any = 0;

    for (i = 0; i < n; i++) {
        any |= nodes[i] == node;
    }

    if (!any) {
        return;
    }

    if (ctns_redis_node(r, node) == NULL) {
        for (i = 0; i < n; i++) {
            nodes[i] = (nodes[i] == node) ? -1 : nodes[i];
        }

        return;
    }

    for (i = 0; i < n; i++) {
        if (nodes[i] == node) {
            redisAppendCommandArgv(r->ctx[node], cmds[i].n,
                                   (const char **) cmds[i].v, cmds[i].len);
        }
    }

    ctns_redis_flush(r->ctx[node]);
}


/* node's replies in order; after a lost connection the rest stay NULL */

static void
ctns_redis_collect(ctns_redis_t *r, int node, const ctns_cmd_t *cmds,
    int n, const int *nodes, redisReply **replies)
{
    int  i;

    for (i = 0; i < n; i++) {
        if (nodes[i] != node || r->ctx[node] == NULL) {
            continue;
        }

        replies[i] = ctns_redis_read(r, node, cmds[i].v[0]);
    }
}


int
ctns_redis_pipeline(ctns_redis_t *r, const ctns_cmd_t *cmds, int n,
    redisReply **replies)
{
    int   i, node, nnodes, rc, *nodes;

    for (i = 0; i < n; i++) {
        replies[i] = NULL;

        if (cmds[i].n <= 0) {
            snprintf(r->err, sizeof(r->err), "command too large");
            ctns_log(CTNS_LOG_ERROR, "redis command too large", NULL);
            return -1;
        }
    }

    nodes = calloc(n ? n : 1, sizeof(int));
    if (nodes == NULL) {
        return -1;
    }

    for (i = 0; r->map && i < n; i++) {
        nodes[i] = ctns_redis_route(r, cmds[i].n, (const char **) cmds[i].v,
                                    cmds[i].len);
    }

    nnodes = r->map ? (int) r->map->nnodes : 1;

    for (node = 0; node < nnodes; node++) {
        ctns_redis_append(r, node, cmds, n, nodes);
    }

    for (node = 0; node < nnodes; node++) {
        ctns_redis_collect(r, node, cmds, n, nodes, replies);
    }

    rc = 0;

    for (i = 0; i < n; i++) {
        /* not sent (-1), or a redirection: on its own, in batch order */
        if (r->map && (nodes[i] < 0 || replies[i] != NULL)) {
            replies[i] = ctns_redis_follow(r, cmds[i].n,
                                           (const char **) cmds[i].v,
                                           cmds[i].len, replies[i]);
        }

        if (replies[i] == NULL) {
            rc = -1;
        }
    }

    free(nodes);

    return rc;
}


/* SCAN on node i: the matching keys through cb; 0 or -1. */

static int
ctns_redis_scan_node(ctns_redis_t *r, int node, const char *pattern,
    ctns_redis_key_pt cb, void *data)
{
    int          lost;
    char         cursor[32];
    size_t       i, lens[6];
    const char  *argv[6];
    redisReply  *rep, *keys;

    snprintf(cursor, sizeof(cursor), "0");

    do {
        argv[0] = "SCAN";
        argv[1] = cursor;
        argv[2] = "MATCH";
        argv[3] = pattern;
        argv[4] = "COUNT";
        argv[5] = "500";

        for (i = 0; i < 6; i++) {
            lens[i] = strlen(argv[i]);
        }

        rep = ctns_redis_send(r, node, 0, 6, argv, lens, &lost);

        if (rep == NULL || rep->type != REDIS_REPLY_ARRAY
            || rep->elements != 2
            || rep->element[0]->type != REDIS_REPLY_STRING
            || rep->element[1]->type != REDIS_REPLY_ARRAY)
        {
            if (rep != NULL) {
                snprintf(r->err, sizeof(r->err), "SCAN: %s",
                         rep->type == REDIS_REPLY_ERROR ? rep->str
                                                        : "unexpected reply");
            }

            freeReplyObject(rep);
            return -1;
        }

        snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
        keys = rep->element[1];

        for (i = 0; i < keys->elements; i++) {
            if (keys->element[i]->type == REDIS_REPLY_STRING) {
                cb(data, keys->element[i]->str, keys->element[i]->len);
            }
        }

        freeReplyObject(rep);

    } while (strcmp(cursor, "0") != 0);

    return 0;
}


int
ctns_redis_scan(ctns_redis_t *r, const char *pattern, ctns_redis_key_pt cb,
    void *data)
{
    unsigned  s;
    uint8_t   master[CTNS_CLUSTER_NODES_MAX];
    int       i;

    if (ctns_redis_ok(r) != 0) {
        return -1;
    }

    if (r->map == NULL) {
        return ctns_redis_scan_node(r, 0, pattern, cb, data);
    }

    memset(master, 0, sizeof(master));

    for (s = 0; s < CTNS_CLUSTER_SLOTS; s++) {
        if (r->map->slot[s]) {
            master[r->map->slot[s] - 1] = 1;
        }
    }

    for (i = 0; i < CTNS_CLUSTER_NODES_MAX; i++) {
        if (master[i] && ctns_redis_scan_node(r, i, pattern, cb, data) != 0)
        {
            return -1;
        }
    }

    return 0;
}


int
ctns_redis_group(ctns_redis_t *r, const char *stream, const char *group)
{
    int          ok;
    ctns_cmd_t   c;
    redisReply  *rep;

    memset(&c, 0, sizeof(c));
    ctns_cmd_strs(&c, "XGROUP", "CREATE", stream, group, "0", "MKSTREAM",
                  NULL);

    rep = ctns_redis_cmd(r, &c);
    ctns_cmd_free(&c);

    ok = rep != NULL && (rep->type != REDIS_REPLY_ERROR
                         || strncmp(rep->str, "BUSYGROUP", 9) == 0);

    if (!ok && rep != NULL) {
        snprintf(r->err, sizeof(r->err), "%s", rep->str);
    }

    freeReplyObject(rep);

    return ok ? 0 : -1;
}


int
ctns_redis_consume(ctns_redis_t *r, const char *stream, const char *group,
    const char *consumer, int count, const char *from,
    ctns_redis_entry_pt cb, void *data, int *kept)
{
    int          n;
    size_t       i;
    ctns_cmd_t   c;
    redisReply  *rep, *entries, *e, *fields;

    *kept = 0;

    memset(&c, 0, sizeof(c));
    ctns_cmd_strs(&c, "XREADGROUP", "GROUP", group, consumer, "COUNT", NULL);
    ctns_cmd_fmt(&c, "%d", count);
    ctns_cmd_strs(&c, "STREAMS", stream, from, NULL);

    rep = ctns_redis_cmd(r, &c);
    ctns_cmd_free(&c);

    if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
        if (rep != NULL) {
            snprintf(r->err, sizeof(r->err), "%s", rep->str);
        }

        freeReplyObject(rep);
        return -1;
    }

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
        freeReplyObject(rep);
        return 0;
    }

    entries = rep->element[0]->element[1];

    for (i = 0; i < entries->elements; i++) {
        e = entries->element[i];

        /* a pending entry trimmed meanwhile comes back without fields */
        fields = e->element[1]->type == REDIS_REPLY_ARRAY ? e->element[1]
                                                          : NULL;

        if (cb(data, e->element[0]->str, fields) != 0) {
            (*kept)++;
            continue;
        }

        memset(&c, 0, sizeof(c));
        ctns_cmd_strs(&c, "XACK", stream, group, NULL);
        ctns_cmd_add(&c, e->element[0]->str, e->element[0]->len);
        freeReplyObject(ctns_redis_cmd(r, &c));
        ctns_cmd_free(&c);
    }

    n = (int) entries->elements;
    freeReplyObject(rep);

    return n;
}
