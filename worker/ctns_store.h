/*
 * Copyright (C) ct-netsuite authors
 *
 * The worker's Redis side: consumer group reads and claims over all
 * shards, per-resource locks, the retry schedule.  Synchronous, through
 * ctns_redis (one server or a cluster) with short timeouts: Redis answers
 * in microseconds on the loop's path, and only the read may wait, and
 * only when no HTTP transfer is active.
 */

#ifndef _CTNS_STORE_H_INCLUDED_
#define _CTNS_STORE_H_INCLUDED_


#include <hiredis/hiredis.h>
#include <jansson.h>

#include "ctns_conf.h"


typedef struct {
    ctns_redis_t         redis;
    const ctns_conf_t   *conf;
    char                 consumer[128];
    char               **streams;         /* one key per shard */
    char                 retry_key[96];
    char                 dlq_key[96];
    int                  pause_ms;        /* cluster: the next poll pause */
} ctns_store_t;


/*
 * A stream entry handed to the engine: fields as a JSON object of strings,
 * and how often the group delivered it (1 unless claimed from a consumer
 * that died on it).
 */
typedef void (*ctns_entry_pt)(void *data, int shard, const char *id,
    json_t *fields, long deliveries);


int ctns_store_open(ctns_store_t *st, const ctns_conf_t *conf,
    const char *consumer);
void ctns_store_close(ctns_store_t *st);

/* Reconnects after an error; 0 when the connection is usable. */
int ctns_store_ok(ctns_store_t *st);

/* Creates the consumer group on every shard stream (idempotent). */
int ctns_store_groups(ctns_store_t *st);

/*
 * New entries for this consumer, at most count per shard; may wait up to
 * block_ms for some (XREADGROUP BLOCK on one server; short polls in a
 * cluster, where one XREADGROUP cannot span the shards' slots).
 */
int ctns_store_read(ctns_store_t *st, int count, int block_ms,
    ctns_entry_pt cb, void *data);

/* Entries of dead consumers idle longer than min_idle_ms. */
int ctns_store_autoclaim(ctns_store_t *st, int64_t min_idle_ms, int count,
    ctns_entry_pt cb, void *data);

/*
 * Sets the idle time of entries this consumer holds: 0 while it still works
 * on them, or the claim threshold to hand them to another consumer now.
 */
int ctns_store_touch(ctns_store_t *st, int shard, const char **ids, int n,
    int64_t idle_ms);

/*
 * Locks: token is this job's, alt a token that may be taken over (the
 * retry token of this very event); member queues a stream entry in the
 * wait set (see ctns_store.c), "" for a scheduled retry.  1 taken, 0 held
 * by another or an older entry of the resource waits, -1 error.
 */
int ctns_store_lock(ctns_store_t *st, int shard, const char *key,
    const char *wait, const char *member, const char *token, const char *alt,
    int64_t ttl_ms);
int ctns_store_lock_refresh(ctns_store_t *st, const char *key,
    const char *token, const char *to, int64_t ttl_ms);
int ctns_store_unlock(ctns_store_t *st, const char *key, const char *token);

/* Due retry members (leased for lease_ms), through cb as JSON strings. */
typedef void (*ctns_retry_pt)(void *data, const char *member);
int ctns_store_retry_due(ctns_store_t *st, int64_t now_ms, int64_t lease_ms,
    int count, ctns_retry_pt cb, void *data);
int ctns_store_retry_lease(ctns_store_t *st, const char *member,
    int64_t until_ms);

/*
 * Sends the commands pipelined, in order on each Redis node (see
 * ctns_redis_pipeline); 0 when every reply was good.
 */
int ctns_store_pipeline(ctns_store_t *st, ctns_cmd_t *cmds, int n);

/* One command, synchronously; the reply or NULL (logged). */
redisReply *ctns_store_argv(ctns_store_t *st, ctns_cmd_t *c);


#endif /* _CTNS_STORE_H_INCLUDED_ */
