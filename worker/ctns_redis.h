/*
 * Copyright (C) ct-netsuite authors
 *
 * A small synchronous Redis client for the worker and ctns-keys: one
 * server, or a Redis Cluster routed by lib/ctns_cluster (bookworm's
 * hiredis 0.14 has no cluster support).  In a cluster every command goes
 * to the master owning its key's slot, over one connection per master
 * opened on first use; MOVED, ASK, TRYAGAIN and the like are followed
 * here, so callers see the answer as from a single server.
 */

#ifndef _CTNS_REDIS_H_INCLUDED_
#define _CTNS_REDIS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "ctns_cluster.h"


#define CTNS_REDIS_SEEDS_MAX  16


typedef struct {
    char                 host[256];        /* host or "unix:/path" */
    int                  port;
    int                  db;
    char                *password;         /* resolved secret, or NULL */
    int                  timeout_ms;
    ctns_cluster_addr_t  seeds[CTNS_REDIS_SEEDS_MAX];
    int                  nseeds;           /* > 0: a cluster */
} ctns_conf_redis_t;


typedef struct {
    const ctns_conf_redis_t  *conf;
    ctns_cluster_map_t       *map;         /* NULL: one server */
    int                       stale;       /* reload the map before use */
    redisContext             *ctx[CTNS_CLUSTER_NODES_MAX];  /* per map
                                              node; [0]: the one server */
    uint8_t                   down[CTNS_CLUSTER_NODES_MAX];  /* connect
                                              failed, said so */
    char                      err[128];    /* the last failure */
} ctns_redis_t;


/* An argv vector; n is -1 once building it failed (out of memory). */
typedef struct {
    int      n;
    int      cap;
    char   **v;
    size_t  *len;
} ctns_cmd_t;


void ctns_cmd_add(ctns_cmd_t *c, const char *s, size_t len);
void ctns_cmd_str(ctns_cmd_t *c, const char *s);
void ctns_cmd_fmt(ctns_cmd_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* the strings up to a NULL, each as an argument */
void ctns_cmd_strs(ctns_cmd_t *c, ...) __attribute__((sentinel));
void ctns_cmd_free(ctns_cmd_t *c);


/*
 * Connects: to the server, or to the seeds until one gives the slot map.
 * conf must outlive r.  0, or -1 (logged; ctns_redis_close() still due).
 */
int ctns_redis_open(ctns_redis_t *r, const ctns_conf_redis_t *conf);
void ctns_redis_close(ctns_redis_t *r);

/* 0 when commands can be sent (reconnects, reloads a stale slot map). */
int ctns_redis_ok(ctns_redis_t *r);

/*
 * One command.  The reply (an error reply is the caller's to judge), or
 * NULL when no answer came (logged, reason in r->err): then the command
 * may or may not have run.
 */
redisReply *ctns_redis_argv(ctns_redis_t *r, int argc, const char **argv,
    const size_t *lens);
redisReply *ctns_redis_cmd(ctns_redis_t *r, const ctns_cmd_t *c);

/*
 * The commands pipelined: grouped per master in a cluster, in order within
 * each; replies[i] answers cmds[i] (NULL where none came).  0 when every
 * command got a reply.
 */
int ctns_redis_pipeline(ctns_redis_t *r, const ctns_cmd_t *cmds, int n,
    redisReply **replies);

/* Every key matching pattern, on every master; 0 or -1. */
typedef void (*ctns_redis_key_pt)(void *data, const char *key, size_t len);
int ctns_redis_scan(ctns_redis_t *r, const char *pattern,
    ctns_redis_key_pt cb, void *data);

/*
 * One batch of a consumer group's stream from id ("0": this consumer's
 * pending entries, ">": new ones), each entry through cb (fields NULL for
 * a pending entry deleted meanwhile).  Entries cb takes (0) are
 * acknowledged; the others (-1) stay pending for a later pass, counted in
 * *kept.  How many entries came, or -1 with the reason in r->err.
 */
typedef int (*ctns_redis_entry_pt)(void *data, const char *id,
    redisReply *fields);
int ctns_redis_consume(ctns_redis_t *r, const char *stream,
    const char *group, const char *consumer, int count, const char *from,
    ctns_redis_entry_pt cb, void *data, int *kept);

/*
 * XGROUP CREATE stream group 0 MKSTREAM; an existing group is fine.
 * 0, or -1 with the reason in r->err.
 */
int ctns_redis_group(ctns_redis_t *r, const char *stream, const char *group);


#endif /* _CTNS_REDIS_H_INCLUDED_ */
