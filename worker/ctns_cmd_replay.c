/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-worker replay: dead letters back into their shard stream, with
 * src "replay" (the stale check lets an operator's replay through), a
 * "replayed" entry in the audit trail, then off the dead-letter stream.
 * A Stripe payout event's dead letter goes back to the stream it came
 * from, <prefix>:{settlements}:events, for ctns-worker payouts.
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

/* those of a payout event (ngx_ct_netsuite_auth_stripe.c) */
static const char  *ctns_payout_fields[] = {
    "id", "type", "src", "rx", "payload", NULL
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


/*
 * XADD of the dead letter's fields named in fields to stream, rx fresh
 * and src replaced when src is set: the reply (the new entry id) or NULL.
 */
static redisReply *
ctns_replay_enqueue(ctns_store_t *st, const char *dlq_id, const redisReply *f,
    const char *stream, const char **fields, const char *src)
{
    int          i;
    const char  *v;
    ctns_cmd_t   c;
    redisReply  *r;

    memset(&c, 0, sizeof(c));

    ctns_cmd_str(&c, "XADD");
    ctns_cmd_str(&c, stream);
    ctns_cmd_str(&c, "*");

    for (i = 0; fields[i]; i++) {
        v = ctns_reply_field(f, fields[i]);
        ctns_cmd_str(&c, fields[i]);

        if (strcmp(fields[i], "rx") == 0) {
            ctns_cmd_fmt(&c, "%lld", (long long) ctns_now_ms());

        } else {
            ctns_cmd_str(&c, (src && strcmp(fields[i], "src") == 0) ? src
                             : v ? v : "");
        }
    }

    r = ctns_store_argv(st, &c);
    ctns_cmd_free(&c);

    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        ctns_log(CTNS_LOG_ERROR, "cannot enqueue a dead letter",
                 json_pack("{s:s,s:s}", "dlq_id", dlq_id, "stream", stream));
        return NULL;
    }

    return r;
}


/* back to the payouts stream as it was queued, a fresh rx; no audit */
static int
ctns_replay_payout(ctns_store_t *st, const char *dlq_id, const redisReply *f,
    const char *stream)
{
    int          rc;
    ctns_cmd_t   c;
    redisReply  *r;

    r = ctns_replay_enqueue(st, dlq_id, f, stream, ctns_payout_fields, NULL);
    if (r == NULL) {
        return -1;
    }

    ctns_log(CTNS_LOG_INFO, "dead letter re-enqueued",
             json_pack("{s:s,s:s,s:s}", "dlq_id", dlq_id, "stream", stream,
                       "entry", r->str));
    freeReplyObject(r);

    memset(&c, 0, sizeof(c));
    ctns_cmd_str(&c, "XDEL");
    ctns_cmd_str(&c, st->dlq_key);
    ctns_cmd_str(&c, dlq_id);

    rc = ctns_store_pipeline(st, &c, 1);
    ctns_cmd_free(&c);

    return rc == 0 ? 0 : -1;
}


static int
ctns_replay_one(ctns_store_t *st, const char *dlq_id, const redisReply *f)
{
    int           rc;
    unsigned      shard;
    char          rtype[64], stream[128];
    const char   *res, *slash, *v, *eid;
    ctns_cmd_t    c[2];
    redisReply   *r;
    const char   *prefix = st->conf->stream.prefix;

    snprintf(stream, sizeof(stream), "%s:{settlements}:events", prefix);
    v = ctns_reply_field(f, "stream");

    if (v && strcmp(v, stream) == 0) {
        return ctns_replay_payout(st, dlq_id, f, stream);
    }

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

    r = ctns_replay_enqueue(st, dlq_id, f, stream, ctns_event_fields,
                            "replay");
    if (r == NULL) {
        return -1;
    }

    memset(c, 0, sizeof(c));

    eid = ctns_reply_field(f, "id");

    ctns_cmd_str(&c[0], "XADD");
    ctns_cmd_fmt(&c[0], CTNS_KEY_AUDIT, prefix, rtype, slash + 1);
    ctns_cmd_str(&c[0], "MAXLEN");
    ctns_cmd_str(&c[0], "~");
    ctns_cmd_fmt(&c[0], "%d", CTNS_AUDIT_MAXLEN);
    ctns_cmd_str(&c[0], "*");
    ctns_cmd_str(&c[0], "event");
    ctns_cmd_str(&c[0], eid ? eid : "");
    ctns_cmd_str(&c[0], "type");
    v = ctns_reply_field(f, "type");
    ctns_cmd_str(&c[0], v ? v : "");
    ctns_cmd_str(&c[0], "action");
    ctns_cmd_str(&c[0], "replayed");
    ctns_cmd_str(&c[0], "result");
    ctns_cmd_str(&c[0], "queued");
    ctns_cmd_str(&c[0], "records");
    ctns_cmd_str(&c[0], "[]");
    ctns_cmd_str(&c[0], "http");
    ctns_cmd_str(&c[0], "0");
    ctns_cmd_str(&c[0], "code");
    ctns_cmd_str(&c[0], "");
    ctns_cmd_str(&c[0], "detail");
    ctns_cmd_fmt(&c[0], "dead letter %s replayed as %s %s", dlq_id, stream,
                 r->str);
    ctns_cmd_str(&c[0], "at");
    ctns_cmd_fmt(&c[0], "%lld", (long long) ctns_now_ms());

    ctns_cmd_str(&c[1], "XDEL");
    ctns_cmd_str(&c[1], st->dlq_key);
    ctns_cmd_str(&c[1], dlq_id);

    /* the daemon replays too (control requests): a log line, not stdout */
    ctns_log(CTNS_LOG_INFO, "dead letter re-enqueued",
             json_pack("{s:s,s:s,s:s,s:s}", "dlq_id", dlq_id, "stream",
                       stream, "entry", r->str, "resource", res));
    freeReplyObject(r);

    rc = ctns_store_pipeline(st, &c[0], 2);

    ctns_cmd_free(&c[0]);
    ctns_cmd_free(&c[1]);

    return rc == 0 ? 0 : -1;
}


/* XRANGE dlq from to COUNT n: replays each; *last gets the last id. */

int
ctns_replay_range(ctns_store_t *st, const char *from, const char *to,
    int *found, char *last, size_t lastlen)
{
    int          rc;
    size_t       i;
    ctns_cmd_t   c;
    redisReply  *r, *e;

    memset(&c, 0, sizeof(c));
    ctns_cmd_strs(&c, "XRANGE", st->dlq_key, from, to, "COUNT", "100", NULL);

    r = ctns_redis_cmd(&st->redis, &c);
    ctns_cmd_free(&c);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        ctns_log(CTNS_LOG_ERROR, "reading the dead-letter stream failed",
                 json_pack("{s:s,s:s}", "key", st->dlq_key, "error",
                           r && r->str ? r->str : st->redis.err));
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
