/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctns_clock.h"
#include "ctns_keys_schema.h"
#include "ctns_log.h"
#include "ctns_store.h"


#define CTNS_STORE_PAUSE_MIN_MS  5
#define CTNS_STORE_PAUSE_MAX_MS  100


/*
 * Take the lock when free, ours, or left for this event by its retry
 * (ARGV[2]).  A stream entry (ARGV[4] = its ordered member "<ms>-<seq>|id",
 * zero-padded) also queues in the resource's wait set and must be its
 * head: whichever process reads an entry, the resource's entries get the
 * lock in stream order.  A head no longer pending in the group (acked, or
 * trimmed away) is an orphan and leaves the queue.
 */
static const char  ctns_lua_lock[] =
    "if ARGV[4] ~= '' then "
    "  redis.call('ZADD', KEYS[2], 'NX', 0, ARGV[4]) "
    "  redis.call('PEXPIRE', KEYS[2], 604800000) "
    "  for i = 1, 16 do "
    "    local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1] "
    "    if head == ARGV[4] then break end "
    "    local id = string.match(head, '|(.*)$') "
    "    local p = redis.call('XPENDING', KEYS[3], ARGV[5], 'IDLE', 0, id, "
    "                         id, 1) "
    "    if #p > 0 then return 0 end "
    "    redis.call('ZREM', KEYS[2], head) "
    "  end "
    "end "
    "local v = redis.call('GET', KEYS[1]) "
    "if not v or v == ARGV[1] or v == ARGV[2] then "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) return 1 end "
    "return 0";


/* extend our lock, or hand it over to another token (ARGV[2]) */
static const char  ctns_lua_refresh[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end "
    "return 0";

static const char  ctns_lua_unlock[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";

/* due members, leased to the caller by moving their score ahead */
static const char  ctns_lua_due[] =
    "local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], "
    "'LIMIT', 0, tonumber(ARGV[3])) "
    "for _, x in ipairs(m) do redis.call('ZADD', KEYS[1], ARGV[2], x) end "
    "return m";


int
ctns_store_open(ctns_store_t *st, const ctns_conf_t *conf,
    const char *consumer)
{
    int     i;
    size_t  n;

    memset(st, 0, sizeof(ctns_store_t));

    st->conf = conf;
    st->pause_ms = CTNS_STORE_PAUSE_MIN_MS;
    snprintf(st->consumer, sizeof(st->consumer), "%s", consumer);
    snprintf(st->retry_key, sizeof(st->retry_key), CTNS_KEY_RETRY,
             conf->stream.prefix);
    snprintf(st->dlq_key, sizeof(st->dlq_key), CTNS_KEY_DLQ,
             conf->stream.prefix);

    st->streams = calloc(conf->stream.shards, sizeof(char *));
    if (st->streams == NULL) {
        return -1;
    }

    for (i = 0; i < conf->stream.shards; i++) {
        n = strlen(conf->stream.prefix) + 32;
        st->streams[i] = malloc(n);
        if (st->streams[i] == NULL) {
            return -1;
        }

        snprintf(st->streams[i], n, CTNS_KEY_EVENTS, conf->stream.prefix,
                 (unsigned) i);
    }

    return ctns_redis_open(&st->redis, &conf->redis);
}


void
ctns_store_close(ctns_store_t *st)
{
    int  i;

    ctns_redis_close(&st->redis);

    for (i = 0; st->streams && i < st->conf->stream.shards; i++) {
        free(st->streams[i]);
    }

    free(st->streams);
    memset(st, 0, sizeof(ctns_store_t));
}


int
ctns_store_ok(ctns_store_t *st)
{
    return ctns_redis_ok(&st->redis);
}


redisReply *
ctns_store_argv(ctns_store_t *st, ctns_cmd_t *c)
{
    redisReply  *r;

    r = ctns_redis_cmd(&st->redis, c);

    if (r != NULL && r->type == REDIS_REPLY_ERROR) {
        ctns_log(CTNS_LOG_ERROR, "redis error",
                 json_pack("{s:s,s:s}", "command", c->v[0], "error",
                           r->str));
    }

    return r;
}


/* One command whose reply does not matter beyond success; frees c. */

static int
ctns_store_run(ctns_store_t *st, ctns_cmd_t *c)
{
    redisReply  *r;

    r = ctns_store_argv(st, c);
    ctns_cmd_free(c);

    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        freeReplyObject(r);
        return -1;
    }

    freeReplyObject(r);

    return 0;
}


int
ctns_store_pipeline(ctns_store_t *st, ctns_cmd_t *cmds, int n)
{
    int           i, rc;
    redisReply  **replies;

    replies = calloc(n ? n : 1, sizeof(redisReply *));
    if (replies == NULL) {
        return -1;
    }

    rc = ctns_redis_pipeline(&st->redis, cmds, n, replies);

    for (i = 0; i < n; i++) {
        if (replies[i] && replies[i]->type == REDIS_REPLY_ERROR) {
            ctns_log(CTNS_LOG_ERROR, "redis error",
                     json_pack("{s:s,s:s}", "command", cmds[i].v[0],
                               "error", replies[i]->str));
            rc = -1;
        }

        freeReplyObject(replies[i]);
    }

    free(replies);

    return rc;
}


int
ctns_store_groups(ctns_store_t *st)
{
    int  i;

    for (i = 0; i < st->conf->stream.shards; i++) {
        if (ctns_redis_group(&st->redis, st->streams[i], CTNS_GROUP) != 0) {
            ctns_log(CTNS_LOG_ERROR, "cannot create the consumer group",
                     json_pack("{s:s,s:s}", "stream", st->streams[i],
                               "error", st->redis.err));
            return -1;
        }
    }

    return 0;
}


static json_t *
ctns_store_fields(const redisReply *f)
{
    size_t   i;
    json_t  *o;

    o = json_object();

    for (i = 0; o && f && f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements;
         i += 2)
    {
        if (f->element[i]->type == REDIS_REPLY_STRING
            && f->element[i + 1]->type == REDIS_REPLY_STRING)
        {
            json_object_set_new(o, f->element[i]->str,
                                json_stringn(f->element[i + 1]->str,
                                             f->element[i + 1]->len));
        }
    }

    return o;
}


/* The delivery count of a pending entry; 1 when it cannot be read. */

static long
ctns_store_deliveries(ctns_store_t *st, int shard, const char *id)
{
    long         n;
    ctns_cmd_t   c;
    redisReply  *r, *e;

    memset(&c, 0, sizeof(c));
    ctns_cmd_strs(&c, "XPENDING", st->streams[shard], CTNS_GROUP, "IDLE",
                  "0", id, id, "1", NULL);

    r = ctns_redis_cmd(&st->redis, &c);
    ctns_cmd_free(&c);

    e = (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
        ? r->element[0] : NULL;

    n = (e && e->type == REDIS_REPLY_ARRAY && e->elements == 4
         && e->element[3]->type == REDIS_REPLY_INTEGER)
        ? (long) e->element[3]->integer : 1;

    freeReplyObject(r);

    return n;
}


/* [[id, [f, v, ...]], ...] of one stream; claimed: look up deliveries */

static int
ctns_store_entries(ctns_store_t *st, int shard, const redisReply *list,
    int claimed, ctns_entry_pt cb, void *data)
{
    size_t             i;
    int                n;
    long               deliveries;
    const redisReply  *e;

    n = 0;

    for (i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements; i++) {
        e = list->element[i];

        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
            || e->element[0]->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        deliveries = claimed ? ctns_store_deliveries(st, shard,
                                                     e->element[0]->str)
                             : 1;

        cb(data, shard, e->element[0]->str, ctns_store_fields(e->element[1]),
           deliveries);
        n++;
    }

    return n;
}


static int
ctns_store_shard_of(ctns_store_t *st, const char *key)
{
    int  i;

    for (i = 0; i < st->conf->stream.shards; i++) {
        if (strcmp(st->streams[i], key) == 0) {
            return i;
        }
    }

    return -1;
}


/* XREADGROUP up to STREAMS, for new entries (">") */

static void
ctns_store_xread(ctns_store_t *st, ctns_cmd_t *c, int count, int block_ms)
{
    ctns_cmd_strs(c, "XREADGROUP", "GROUP", CTNS_GROUP, st->consumer,
                  "COUNT", NULL);
    ctns_cmd_fmt(c, "%d", count);

    if (block_ms > 0) {
        ctns_cmd_str(c, "BLOCK");
        ctns_cmd_fmt(c, "%d", block_ms);
    }

    ctns_cmd_str(c, "STREAMS");
}


/* An XREADGROUP reply, [[stream, entries], ...] or NIL; how many, or -1. */

static int
ctns_store_streams(ctns_store_t *st, const redisReply *r, ctns_entry_pt cb,
    void *data)
{
    int                n, shard;
    size_t             i;
    const redisReply  *s;

    if (r == NULL) {
        return -1;
    }

    if (r->type == REDIS_REPLY_ERROR) {
        ctns_log(CTNS_LOG_ERROR, "redis error",
                 json_pack("{s:s,s:s}", "command", "XREADGROUP", "error",
                           r->str));

        /* a stream or group deleted under us: create it again */
        if (strncmp(r->str, "NOGROUP", 7) == 0) {
            ctns_store_groups(st);
        }

        return -1;
    }

    n = 0;

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        s = r->element[i];

        if (s->type != REDIS_REPLY_ARRAY || s->elements != 2
            || s->element[0]->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        shard = ctns_store_shard_of(st, s->element[0]->str);

        if (shard >= 0) {
            n += ctns_store_entries(st, shard, s->element[1], 0, cb, data);
        }
    }

    return n;
}


/* One server: one XREADGROUP over every shard stream, BLOCK block_ms. */

static int
ctns_store_read_all(ctns_store_t *st, int count, int block_ms,
    ctns_entry_pt cb, void *data)
{
    int          i, n;
    ctns_cmd_t   c;
    redisReply  *r;

    memset(&c, 0, sizeof(c));

    ctns_store_xread(st, &c, count, block_ms);

    for (i = 0; i < st->conf->stream.shards; i++) {
        ctns_cmd_str(&c, st->streams[i]);
    }

    for (i = 0; i < st->conf->stream.shards; i++) {
        ctns_cmd_str(&c, ">");
    }

    r = ctns_redis_cmd(&st->redis, &c);
    ctns_cmd_free(&c);

    n = ctns_store_streams(st, r, cb, data);
    freeReplyObject(r);

    return n;
}


/*
 * A cluster refuses one XREADGROUP over keys of several slots (CROSSSLOT):
 * an XREADGROUP per shard stream, pipelined per master, without BLOCK.
 * How many entries; -1 when none came and some shard failed.
 */

static int
ctns_store_read_shards(ctns_store_t *st, int count, ctns_entry_pt cb,
    void *data)
{
    int           i, n, k, failed, shards;
    ctns_cmd_t   *cmds;
    redisReply  **replies;

    shards = st->conf->stream.shards;

    cmds = calloc(shards, sizeof(ctns_cmd_t));
    replies = calloc(shards, sizeof(redisReply *));

    if (cmds == NULL || replies == NULL) {
        free(cmds);
        free(replies);
        return -1;
    }

    for (i = 0; i < shards; i++) {
        ctns_store_xread(st, &cmds[i], count, 0);
        ctns_cmd_strs(&cmds[i], st->streams[i], ">", NULL);
    }

    ctns_redis_pipeline(&st->redis, cmds, shards, replies);

    n = 0;
    failed = 0;

    for (i = 0; i < shards; i++) {
        k = ctns_store_streams(st, replies[i], cb, data);

        if (k < 0) {
            failed = 1;

        } else {
            n += k;
        }

        freeReplyObject(replies[i]);
        ctns_cmd_free(&cmds[i]);
    }

    free(cmds);
    free(replies);

    return (n == 0 && failed) ? -1 : n;
}


/*
 * In a cluster the wait for new entries is a poll: a pause growing from
 * 5 ms to min(block_ms, 100 ms) while nothing comes, back to 5 ms once
 * something does, never past block_ms in all.
 */

int
ctns_store_read(ctns_store_t *st, int count, int block_ms, ctns_entry_pt cb,
    void *data)
{
    int      n, cap;
    int64_t  left, pause, deadline;

    if (st->redis.map == NULL) {
        return ctns_store_read_all(st, count, block_ms, cb, data);
    }

    cap = block_ms < CTNS_STORE_PAUSE_MAX_MS ? block_ms
                                             : CTNS_STORE_PAUSE_MAX_MS;
    deadline = ctns_now_ms() + block_ms;

    for ( ;; ) {
        n = ctns_store_read_shards(st, count, cb, data);

        if (n > 0) {
            st->pause_ms = CTNS_STORE_PAUSE_MIN_MS;
        }

        left = deadline - ctns_now_ms();

        if (n != 0 || left <= 0) {
            return n;
        }

        pause = (left < st->pause_ms) ? left : st->pause_ms;
        usleep(pause * 1000);

        st->pause_ms = (st->pause_ms * 2 < cap) ? st->pause_ms * 2 : cap;

        /* waited to the end: the caller's next round reads again */
        if (pause == left) {
            return 0;
        }
    }
}


int
ctns_store_autoclaim(ctns_store_t *st, int64_t min_idle_ms, int count,
    ctns_entry_pt cb, void *data)
{
    int          i, n;
    ctns_cmd_t   c;
    redisReply  *r;

    n = 0;

    for (i = 0; i < st->conf->stream.shards; i++) {
        memset(&c, 0, sizeof(c));
        ctns_cmd_strs(&c, "XAUTOCLAIM", st->streams[i], CTNS_GROUP,
                      st->consumer, NULL);
        ctns_cmd_fmt(&c, "%lld", (long long) min_idle_ms);
        ctns_cmd_str(&c, "0-0");
        ctns_cmd_str(&c, "COUNT");
        ctns_cmd_fmt(&c, "%d", count);

        r = ctns_store_argv(st, &c);
        ctns_cmd_free(&c);

        if (r == NULL) {
            return -1;
        }

        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2) {
            n += ctns_store_entries(st, i, r->element[1], 1, cb, data);
        }

        freeReplyObject(r);
    }

    return n;
}


int
ctns_store_touch(ctns_store_t *st, int shard, const char **ids, int n,
    int64_t idle_ms)
{
    int          i;
    ctns_cmd_t   c;

    memset(&c, 0, sizeof(c));

    ctns_cmd_str(&c, "XCLAIM");
    ctns_cmd_str(&c, st->streams[shard]);
    ctns_cmd_str(&c, CTNS_GROUP);
    ctns_cmd_str(&c, st->consumer);
    ctns_cmd_str(&c, "0");

    for (i = 0; i < n; i++) {
        ctns_cmd_str(&c, ids[i]);
    }

    ctns_cmd_str(&c, "IDLE");
    ctns_cmd_fmt(&c, "%lld", (long long) idle_ms);
    ctns_cmd_str(&c, "JUSTID");

    return ctns_store_run(st, &c);
}


/* A command answering an integer: the integer, or -1; frees c. */

static int
ctns_store_int(ctns_store_t *st, ctns_cmd_t *c)
{
    long long    v;
    redisReply  *r;

    r = ctns_store_argv(st, c);
    ctns_cmd_free(c);

    if (r == NULL) {
        return -1;
    }

    v = (r->type == REDIS_REPLY_INTEGER) ? r->integer : -1;
    freeReplyObject(r);

    return (int) v;
}


static int
ctns_store_eval_int(ctns_store_t *st, const char *script, const char *key,
    const char *a1, const char *a2, int64_t a3)
{
    ctns_cmd_t   c;

    memset(&c, 0, sizeof(c));

    ctns_cmd_str(&c, "EVAL");
    ctns_cmd_str(&c, script);
    ctns_cmd_str(&c, "1");
    ctns_cmd_str(&c, key);
    ctns_cmd_str(&c, a1);
    ctns_cmd_str(&c, a2);
    ctns_cmd_fmt(&c, "%lld", (long long) a3);

    return ctns_store_int(st, &c);
}


int
ctns_store_lock(ctns_store_t *st, int shard, const char *key,
    const char *wait, const char *member, const char *token, const char *alt,
    int64_t ttl_ms)
{
    ctns_cmd_t   c;

    memset(&c, 0, sizeof(c));

    ctns_cmd_str(&c, "EVAL");
    ctns_cmd_str(&c, ctns_lua_lock);
    ctns_cmd_str(&c, "3");
    ctns_cmd_str(&c, key);
    ctns_cmd_str(&c, wait);
    ctns_cmd_str(&c, st->streams[shard]);
    ctns_cmd_str(&c, token);
    ctns_cmd_str(&c, alt);
    ctns_cmd_fmt(&c, "%lld", (long long) ttl_ms);
    ctns_cmd_str(&c, member);
    ctns_cmd_str(&c, CTNS_GROUP);

    return ctns_store_int(st, &c);
}


int
ctns_store_lock_refresh(ctns_store_t *st, const char *key, const char *token,
    const char *to, int64_t ttl_ms)
{
    return ctns_store_eval_int(st, ctns_lua_refresh, key, token, to, ttl_ms);
}


int
ctns_store_unlock(ctns_store_t *st, const char *key, const char *token)
{
    return ctns_store_eval_int(st, ctns_lua_unlock, key, token, "", 0);
}


int
ctns_store_retry_due(ctns_store_t *st, int64_t now_ms, int64_t lease_ms,
    int count, ctns_retry_pt cb, void *data)
{
    size_t       i;
    ctns_cmd_t   c;
    redisReply  *r;

    memset(&c, 0, sizeof(c));

    ctns_cmd_str(&c, "EVAL");
    ctns_cmd_str(&c, ctns_lua_due);
    ctns_cmd_str(&c, "1");
    ctns_cmd_str(&c, st->retry_key);
    ctns_cmd_fmt(&c, "%lld", (long long) now_ms);
    ctns_cmd_fmt(&c, "%lld", (long long) (now_ms + lease_ms));
    ctns_cmd_fmt(&c, "%d", count);

    r = ctns_store_argv(st, &c);
    ctns_cmd_free(&c);

    if (r == NULL) {
        return -1;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        if (r->element[i]->type == REDIS_REPLY_STRING) {
            cb(data, r->element[i]->str);
        }
    }

    i = (r->type == REDIS_REPLY_ARRAY) ? r->elements : 0;
    freeReplyObject(r);

    return (int) i;
}


int
ctns_store_retry_lease(ctns_store_t *st, const char *member,
    int64_t until_ms)
{
    ctns_cmd_t   c;

    memset(&c, 0, sizeof(c));

    ctns_cmd_str(&c, "ZADD");
    ctns_cmd_str(&c, st->retry_key);
    ctns_cmd_str(&c, "XX");
    ctns_cmd_fmt(&c, "%lld", (long long) until_ms);
    ctns_cmd_str(&c, member);

    return ctns_store_run(st, &c);
}
