/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-worker replay: dead letters back into their shard stream, with
 * src "replay" (the stale check lets an operator's replay through), a
 * "replayed" entry in the audit trail, then off the dead-letter stream.
 * A crash in between leaves a duplicate, never a loss: postings are
 * idempotent upserts.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_clock.h"
#include "ctns_cmd.h"
#include "ctns_keys_schema.h"
#include "ctns_log.h"
#include "ctns_shard.h"
#include "ctns_store.h"


/* the fields of lib/ctns_event.h: what goes back into the stream */
static const char  *ctns_event_fields[] = {
    "id", "type", "resource", "rv", "seq", "project", "store", "at", "src",
    "rx", "payload", NULL
};


static const char *
ctns_reply_field(const redisReply *f, const char *name)
{
    size_t  i;

    for (i = 0; i + 1 < f->elements; i += 2) {
        if (strcmp(f->element[i]->str, name) == 0) {
            return f->element[i + 1]->str;
        }
    }

    return NULL;
}


static int
ctns_replay_one(ctns_store_t *st, const char *dlq_id, const redisReply *f)
{
    int           i, rc;
    unsigned      shard;
    char          rtype[64], stream[128];
    const char   *res, *slash, *v, *eid;
    ctns_cmd_t    c[3];
    redisReply   *r;
    const char   *prefix = st->conf->stream.prefix;

    res = ctns_reply_field(f, "resource");
    slash = res ? strchr(res, '/') : NULL;

    if (slash == NULL || slash - res >= (long) sizeof(rtype)) {
        ctns_log(CTNS_LOG_ERROR, "dead letter without a usable resource "
                 "field, left in the dead-letter stream",
                 json_pack("{s:s}", "dlq_id", dlq_id));
        return -1;
    }

    snprintf(rtype, sizeof(rtype), "%.*s", (int) (slash - res), res);
    shard = ctns_shard((const unsigned char *) slash + 1, strlen(slash + 1),
                       st->conf->stream.shards);
    snprintf(stream, sizeof(stream), CTNS_KEY_EVENTS, prefix, shard);

    memset(c, 0, sizeof(c));

    ctns_cmd_str(&c[0], "XADD");
    ctns_cmd_str(&c[0], stream);
    ctns_cmd_str(&c[0], "*");

    for (i = 0; ctns_event_fields[i]; i++) {
        v = ctns_reply_field(f, ctns_event_fields[i]);

        if (strcmp(ctns_event_fields[i], "src") == 0) {
            v = "replay";

        } else if (strcmp(ctns_event_fields[i], "rx") == 0) {
            ctns_cmd_str(&c[0], "rx");
            ctns_cmd_fmt(&c[0], "%lld", (long long) ctns_now_ms());
            continue;
        }

        ctns_cmd_str(&c[0], ctns_event_fields[i]);
        ctns_cmd_str(&c[0], v ? v : "");
    }

    r = ctns_store_argv(st, &c[0]);
    ctns_cmd_free(&c[0]);

    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        ctns_log(CTNS_LOG_ERROR, "cannot enqueue a dead letter",
                 json_pack("{s:s,s:s}", "dlq_id", dlq_id, "stream", stream));
        return -1;
    }

    eid = ctns_reply_field(f, "id");

    ctns_cmd_str(&c[1], "XADD");
    ctns_cmd_fmt(&c[1], CTNS_KEY_AUDIT, prefix, rtype, slash + 1);
    ctns_cmd_str(&c[1], "MAXLEN");
    ctns_cmd_str(&c[1], "~");
    ctns_cmd_fmt(&c[1], "%d", CTNS_AUDIT_MAXLEN);
    ctns_cmd_str(&c[1], "*");
    ctns_cmd_str(&c[1], "event");
    ctns_cmd_str(&c[1], eid ? eid : "");
    ctns_cmd_str(&c[1], "type");
    v = ctns_reply_field(f, "type");
    ctns_cmd_str(&c[1], v ? v : "");
    ctns_cmd_str(&c[1], "action");
    ctns_cmd_str(&c[1], "replayed");
    ctns_cmd_str(&c[1], "result");
    ctns_cmd_str(&c[1], "queued");
    ctns_cmd_str(&c[1], "records");
    ctns_cmd_str(&c[1], "[]");
    ctns_cmd_str(&c[1], "http");
    ctns_cmd_str(&c[1], "0");
    ctns_cmd_str(&c[1], "code");
    ctns_cmd_str(&c[1], "");
    ctns_cmd_str(&c[1], "detail");
    ctns_cmd_fmt(&c[1], "dead letter %s replayed as %s %s", dlq_id, stream,
                 r->str);
    ctns_cmd_str(&c[1], "at");
    ctns_cmd_fmt(&c[1], "%lld", (long long) ctns_now_ms());

    ctns_cmd_str(&c[2], "XDEL");
    ctns_cmd_str(&c[2], st->dlq_key);
    ctns_cmd_str(&c[2], dlq_id);

    /* the daemon replays too (control requests): a log line, not stdout */
    ctns_log(CTNS_LOG_INFO, "dead letter re-enqueued",
             json_pack("{s:s,s:s,s:s,s:s}", "dlq_id", dlq_id, "stream",
                       stream, "entry", r->str, "resource", res));
    freeReplyObject(r);

    rc = ctns_store_pipeline(st, &c[1], 2);

    ctns_cmd_free(&c[1]);
    ctns_cmd_free(&c[2]);

    return rc == 0 ? 0 : -1;
}


/* XRANGE dlq from to COUNT n: replays each; *last gets the last id. */

int
ctns_replay_range(ctns_store_t *st, const char *from, const char *to,
    int *found, char *last, size_t lastlen)
{
    int          rc;
    size_t       i;
    redisReply  *r, *e;

    r = redisCommand(st->ctx, "XRANGE %s %s %s COUNT 100", st->dlq_key, from,
                     to);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        ctns_log(CTNS_LOG_ERROR, "reading the dead-letter stream failed",
                 json_pack("{s:s,s:s}", "key", st->dlq_key, "error",
                           r && r->str ? r->str : st->ctx->errstr));
        freeReplyObject(r);
        return -1;
    }

    rc = 0;
    *found = (int) r->elements;

    for (i = 0; i < r->elements; i++) {
        e = r->element[i];

        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) {
            continue;
        }

        snprintf(last, lastlen, "%s", e->element[0]->str);

        if (ctns_replay_one(st, e->element[0]->str, e->element[1]) != 0) {
            rc = -1;
        }
    }

    freeReplyObject(r);

    return rc;
}


int
ctns_cmd_replay(const ctns_conf_t *conf, int all, char **ids, int nids)
{
    int           i, rc, found, total;
    char          from[80], last[64];
    ctns_store_t  st;

    if (ctns_store_open(&st, conf, "replay") != 0) {
        fprintf(stderr, "ctns-worker: cannot connect to redis\n");
        ctns_store_close(&st);
        return 1;
    }

    rc = 0;
    total = 0;

    if (all) {
        snprintf(from, sizeof(from), "-");

        do {
            if (ctns_replay_range(&st, from, "+", &found, last, sizeof(last))
                != 0)
            {
                rc = 1;
            }

            total += found;
            snprintf(from, sizeof(from), "(%s", last);
        } while (found == 100);
    }

    for (i = 0; i < nids; i++) {
        if (ctns_replay_range(&st, ids[i], ids[i], &found, last, sizeof(last))
            != 0)
        {
            rc = 1;
        }

        if (found == 0) {
            fprintf(stderr, "%s: no such dead letter\n", ids[i]);
            rc = 1;
        }

        total += found;
    }

    printf("%d dead letter%s replayed\n", total, total == 1 ? "" : "s");

    ctns_store_close(&st);

    return rc;
}
