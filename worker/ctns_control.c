/*
 * Copyright (C) ct-netsuite authors
 *
 * Replay requests from the control stream.  Each entry
 *
 *   type replay  dlq_id <entry id>  requested_by <who>@<addr>  at <ms>
 *
 * is carried out with the code of "ctns-worker replay" (the event back
 * into its shard stream with src "replay", a "replayed" audit entry, off
 * the dead-letter stream), then acknowledged.  The group starts at the
 * beginning of the stream: a request queued while no worker ran is still
 * carried out.  After a Redis failure the requests this consumer holds
 * are read again ("0") before new ones (">").
 */


#include <stdio.h>
#include <string.h>

#include "ctns_cmd.h"
#include "ctns_control.h"
#include "ctns_log.h"


#define CTNS_CONTROL_EVERY_MS  200
#define CTNS_CONTROL_BATCH     16
#define CTNS_CONTROL_ID_PART   20      /* digits of a uint64 */


static struct {
    int64_t      next_ms;
    int          ready;                /* the group exists */
    int          backlog;              /* read our pending entries first */
    char         key[96];
} ctns_control = { 0, 0, 1, "" };


static const char *
ctns_control_field(const redisReply *f, const char *name)
{
    size_t  i;

    for (i = 0; i + 1 < f->elements; i += 2) {
        if (f->element[i]->type == REDIS_REPLY_STRING
            && f->element[i + 1]->type == REDIS_REPLY_STRING
            && strcmp(f->element[i]->str, name) == 0)
        {
            return f->element[i + 1]->str;
        }
    }

    return NULL;
}


/* <ms>-<seq>: anything else would make XRANGE fail on every retry. */

static int
ctns_control_entry_id(const char *id)
{
    size_t       ms, seq;
    const char  *dash;

    dash = strchr(id, '-');

    if (dash == NULL) {
        return 0;
    }

    ms = strspn(id, "0123456789");
    seq = strspn(dash + 1, "0123456789");

    return ms > 0 && ms <= CTNS_CONTROL_ID_PART && id + ms == dash
           && seq > 0 && seq <= CTNS_CONTROL_ID_PART && dash[1 + seq] == '\0';
}


/* 0: done with (acknowledge), -1: Redis failed, try again later. */

static int
ctns_control_replay(ctns_store_t *st, const char *entry, const redisReply *f)
{
    int          found;
    char         last[64];
    const char  *id, *by;

    id = ctns_control_field(f, "dlq_id");
    by = ctns_control_field(f, "requested_by");

    if (id == NULL || !ctns_control_entry_id(id)) {
        ctns_log(CTNS_LOG_ERROR, "replay request without a valid dlq_id",
                 json_pack("{s:s,s:s?}", "control", entry, "dlq_id", id));
        return 0;
    }

    found = 0;

    if (ctns_replay_range(st, id, id, &found, last, sizeof(last)) != 0) {
        ctns_log(CTNS_LOG_ERROR, "replay request failed, will retry",
                 json_pack("{s:s,s:s}", "control", entry, "dlq_id", id));
        return -1;
    }

    /* not found: replayed meanwhile (by us before a crash, or a person) */
    ctns_log(CTNS_LOG_INFO, found ? "dead letter replayed"
                                  : "dead letter to replay is gone",
             json_pack("{s:s,s:s,s:s?,s:s?}", "control", entry,
                       "dlq_id", id, "requested_by", by,
                       "requested_at", ctns_control_field(f, "at")));

    return 0;
}


static int
ctns_control_group(ctns_store_t *st)
{
    snprintf(ctns_control.key, sizeof(ctns_control.key), "%s:control",
             st->conf->stream.prefix);

    if (ctns_redis_group(&st->redis, ctns_control.key, CTNS_CONTROL_GROUP)
        != 0)
    {
        ctns_log(CTNS_LOG_ERROR, "cannot create the control group",
                 json_pack("{s:s,s:s}", "stream", ctns_control.key,
                           "error", st->redis.err));
        return -1;
    }

    return 0;
}


static int
ctns_control_entry(void *data, const char *id, redisReply *fields)
{
    const char  *type;

    if (fields == NULL) {
        return 0;
    }

    type = ctns_control_field(fields, "type");

    if (type != NULL && strcmp(type, "replay") == 0) {
        return ctns_control_replay(data, id, fields) == 0 ? 0 : -1;
    }

    return 0;
}


/* One batch from "0" (ours, pending) or ">" (new); how many, or -1. */

static int
ctns_control_read(ctns_store_t *st, const char *from)
{
    int  n, kept;

    n = ctns_redis_consume(&st->redis, ctns_control.key, CTNS_CONTROL_GROUP,
                           st->consumer, CTNS_CONTROL_BATCH, from,
                           ctns_control_entry, st, &kept);

    if (n < 0) {
        ctns_log(CTNS_LOG_ERROR, "cannot read the control stream",
                 json_pack("{s:s,s:s}", "stream", ctns_control.key,
                           "error", st->redis.err));

        /* the group is gone (stream deleted): create it again */
        ctns_control.ready = 0;
        return -1;
    }

    return kept ? -1 : n;
}


void
ctns_control_poll(ctns_store_t *st, int64_t now)
{
    int  n;

    if (now < ctns_control.next_ms) {
        return;
    }

    ctns_control.next_ms = now + CTNS_CONTROL_EVERY_MS;

    if (ctns_store_ok(st) != 0) {
        return;
    }

    if (!ctns_control.ready) {
        if (ctns_control_group(st) != 0) {
            return;
        }

        ctns_control.ready = 1;
    }

    if (ctns_control.backlog) {
        n = ctns_control_read(st, "0");

        if (n < 0) {
            return;
        }

        /* our pending entries are all done once a read finds fewer */
        ctns_control.backlog = n == CTNS_CONTROL_BATCH;
        return;
    }

    if (ctns_control_read(st, ">") < 0) {
        ctns_control.backlog = 1;
    }
}
