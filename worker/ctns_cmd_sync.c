/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-worker sync: delta batch mode.  Pages through commercetools orders
 * and payments modified in a window [since, until) with an id cursor
 * (commercetools.md 9.4: sort=id asc, id > last, withTotal=false), and
 * enqueues each resource whose version is newer than the one applied, as
 * a stream entry of src "sync" in its shard stream, deduplicated exactly
 * like the module does (seen key + XADD in one script, one shard's keys).
 *
 * The entry id is "chg:<type>:<id>:<version>:<kind>", the id a change
 * notification of that version carries, so a webhook delivery and a sync
 * of one version are one event.  The payload is the resource in a
 * message body (OrderCreated / PaymentTransactionAdded shape, marked
 * "ctnsSync") because the finance flows map messages.
 *
 * Cursor ctns:cursor:<orders|payments>, JSON {since, until, last}: it
 * advances only after a page is enqueued, so a crash re-reads at most one
 * page (harmless: dedup and version checks).  A finished window moves
 * since to until - overlap, because an order modified during the scan
 * moves forward in time.
 */


#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctns_batch.h"
#include "ctns_clock.h"
#include "ctns_keys_schema.h"
#include "ctns_shard.h"
#include "ctns_time.h"


/* modifications younger than this may not be visible to queries yet */
#define CTNS_SYNC_LAG_MS     2000
#define CTNS_SYNC_DEDUP_TTL  "604800"   /* the module's default, 7 days */


/* the module's dedup + append script (ngx_ct_netsuite_enqueue.c) */
static const char  ctns_sync_script[] =
    "local prev = redis.call('GET', KEYS[2])\n"
    "if prev then return {0, prev} end\n"
    "local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))\n"
    "redis.call('SET', KEYS[2], id, 'EX', ARGV[1])\n"
    "return {1, id}\n";


typedef struct {
    const char          *name;       /* "orders" */
    const char          *rtype;      /* "order" */
    const char          *message;    /* the message type it is mapped as */
    const char          *key;        /* payload member of the resource */
} ctns_sync_kind_t;


static const ctns_sync_kind_t  ctns_sync_kinds[] = {
    { "orders", "order", "OrderCreated", "order" },
    { "payments", "payment", "PaymentTransactionAdded", "payment" },
};


typedef struct {
    ctns_batch_t            *b;
    const ctns_sync_kind_t  *kind;
    char                     cursor_key[128];
    char                     since[40];
    char                     until[40];
    char                     last[80];
    long                     pages;
    long                     resources;
    long                     enqueued;
    long                     skipped;
} ctns_sync_t;


static volatile sig_atomic_t  ctns_sync_stop;


static void
ctns_sync_signal(int signo)
{
    ctns_sync_stop = 1;
}


static void
ctns_sync_progress(const ctns_sync_t *s, int final)
{
    int  tty;

    tty = isatty(2);

    if (!tty && !final) {
        return;
    }

    fprintf(stderr, "%ssync %s: %ld pages, %ld resources, %ld enqueued, "
            "%ld skipped%s", tty ? "\r" : "", s->kind->name, s->pages,
            s->resources, s->enqueued, s->skipped,
            final || !tty ? "\n" : "");
}


static int
ctns_sync_cursor_load(ctns_sync_t *s)
{
    const char   *argv[2];
    json_t       *c;
    redisReply   *r;

    argv[0] = "GET";
    argv[1] = s->cursor_key;

    r = ctns_batch_redis(s->b, 2, argv);
    if (r == NULL) {
        return -1;
    }

    c = (r->type == REDIS_REPLY_STRING) ? json_loads(r->str, 0, NULL) : NULL;
    freeReplyObject(r);

    if (c == NULL || !json_is_string(json_object_get(c, "since"))) {
        json_decref(c);
        fprintf(stderr, "sync %s: no cursor in %s: start with --since\n",
                s->kind->name, s->cursor_key);
        return -1;
    }

    snprintf(s->since, sizeof(s->since), "%s",
             json_string_value(json_object_get(c, "since")));
    snprintf(s->until, sizeof(s->until), "%s",
             json_string_value(json_object_get(c, "until"))
             ? json_string_value(json_object_get(c, "until")) : "");
    snprintf(s->last, sizeof(s->last), "%s",
             json_string_value(json_object_get(c, "last"))
             ? json_string_value(json_object_get(c, "last")) : "");
    json_decref(c);

    return 0;
}


static int
ctns_sync_cursor_save(ctns_sync_t *s)
{
    char         *v;
    json_t       *c;
    const char   *argv[3];
    redisReply   *r;

    c = json_pack("{s:s,s:s,s:s}", "since", s->since, "until", s->until,
                  "last", s->last);
    v = json_dumps(c, JSON_COMPACT);
    json_decref(c);

    argv[0] = "SET";
    argv[1] = s->cursor_key;
    argv[2] = v;

    r = ctns_batch_redis(s->b, 3, argv);
    free(v);
    freeReplyObject(r);

    return r ? 0 : -1;
}


/* the version NetSuite already has: the status hash's rv, or -1 */
static int64_t
ctns_sync_applied(ctns_sync_t *s, const char *id)
{
    int64_t      rv;
    char         key[256];
    const char  *argv[3];
    redisReply  *r;

    snprintf(key, sizeof(key), CTNS_KEY_STATUS, s->b->conf->stream.prefix,
             s->kind->rtype, id);

    argv[0] = "HGET";
    argv[1] = key;
    argv[2] = "rv";

    r = ctns_batch_redis(s->b, 3, argv);
    if (r == NULL) {
        return -2;
    }

    rv = (r->type == REDIS_REPLY_STRING) ? strtoll(r->str, NULL, 10) : -1;
    freeReplyObject(r);

    return rv;
}


/* the stream entry fields of lib/ctns_event.h, after the script's ARGV[1] */
static int
ctns_sync_enqueue(ctns_sync_t *s, const json_t *res, const char *id,
    int64_t version)
{
    int           added;
    unsigned      shard;
    char          eid[256], rid[128], rv[32], rx[32], stream[128], seen[512];
    char         *payload;
    json_t       *msg;
    const char   *store, *at, *argv[32];
    redisReply   *r;
    const char   *prefix = s->b->conf->stream.prefix;

    snprintf(eid, sizeof(eid), "chg:%s:%s:%lld:%s", s->kind->rtype, id,
             (long long) version,
             version == 1 ? "ResourceCreated" : "ResourceUpdated");
    snprintf(rid, sizeof(rid), "%s/%s", s->kind->rtype, id);
    snprintf(rv, sizeof(rv), "%lld", (long long) version);
    snprintf(rx, sizeof(rx), "%lld", (long long) ctns_now_ms());

    shard = ctns_shard((const unsigned char *) id, strlen(id),
                       s->b->conf->stream.shards);
    snprintf(stream, sizeof(stream), CTNS_KEY_EVENTS, prefix, shard);
    snprintf(seen, sizeof(seen), "%s:{%u}:seen:%s", prefix, shard, eid);

    store = json_string_value(json_object_get(json_object_get(res, "store"),
                                              "key"));
    at = json_string_value(json_object_get(res, "lastModifiedAt"));

    msg = json_pack("{s:s,s:s,s:{s:s,s:s},s:I,s:s,s:s,s:O,s:b}",
                    "notificationType", "Message", "type", s->kind->message,
                    "resource", "typeId", s->kind->rtype, "id", id,
                    "resourceVersion", (json_int_t) version,
                    "projectKey", s->b->conf->ct.project_key,
                    "createdAt", at ? at : "", s->kind->key, res,
                    "ctnsSync", 1);
    payload = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);

    argv[0] = "EVAL";
    argv[1] = ctns_sync_script;
    argv[2] = "2";
    argv[3] = stream;
    argv[4] = seen;
    argv[5] = CTNS_SYNC_DEDUP_TTL;
    argv[6] = "id";        argv[7] = eid;
    argv[8] = "type";      argv[9] = s->kind->message;
    argv[10] = "resource"; argv[11] = rid;
    argv[12] = "rv";       argv[13] = rv;
    argv[14] = "seq";      argv[15] = "0";
    argv[16] = "project";  argv[17] = s->b->conf->ct.project_key;
    argv[18] = "store";    argv[19] = store ? store : "";
    argv[20] = "at";       argv[21] = at ? at : "";
    argv[22] = "src";      argv[23] = "sync";
    argv[24] = "rx";       argv[25] = rx;
    argv[26] = "payload";  argv[27] = payload;

    r = ctns_batch_redis(s->b, 28, argv);
    free(payload);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        freeReplyObject(r);
        return -1;
    }

    added = (int) r->element[0]->integer;
    freeReplyObject(r);

    return added;
}


static int
ctns_sync_resource(ctns_sync_t *s, const json_t *res)
{
    int          rc;
    int64_t      version, applied;
    const char  *id;

    id = json_string_value(json_object_get(res, "id"));
    version = json_integer_value(json_object_get(res, "version"));

    if (id == NULL || version <= 0) {
        fprintf(stderr, "sync %s: a result without id or version, "
                "skipped\n", s->kind->name);
        s->skipped++;
        return 0;
    }

    s->resources++;
    applied = ctns_sync_applied(s, id);

    if (applied == -2) {
        return -1;
    }

    if (applied >= version) {
        s->skipped++;
        return 0;
    }

    rc = ctns_sync_enqueue(s, res, id, version);

    if (rc < 0) {
        return -1;
    }

    if (rc == 1) {
        s->enqueued++;

    } else {
        s->skipped++;
    }

    return 0;
}


/* one page of the window after s->last; 1 when it was the last page */
static int
ctns_sync_page(ctns_sync_t *s)
{
    long         status;
    size_t       i, n;
    char         path[768], last[96];
    json_t      *page, *res;
    const char  *id;

    last[0] = '\0';
    if (s->last[0]) {
        snprintf(last, sizeof(last), " and id > \"%s\"", s->last);
    }

    snprintf(path, sizeof(path), "%s?where=lastModifiedAt >= \"%s\" and "
             "lastModifiedAt < \"%s\"%s&sort=id asc&limit=%d"
             "&withTotal=false", s->kind->name, s->since, s->until, last,
             s->b->bconf->page_size);

    page = ctns_batch_ct(s->b, path, &status);

    if (page == NULL || status != 200) {
        fprintf(stderr, "\nsync %s: %s\n", s->kind->name,
                page ? json_string_value(json_object_get(page, "message"))
                       ? json_string_value(json_object_get(page, "message"))
                       : "query refused"
                     : s->b->error);
        json_decref(page);
        return -1;
    }

    n = json_array_size(json_object_get(page, "results"));

    json_array_foreach(json_object_get(page, "results"), i, res) {
        if (ctns_sync_resource(s, res) != 0) {
            fprintf(stderr, "\nsync %s: %s\n", s->kind->name, s->b->error);
            json_decref(page);
            return -1;
        }

        id = json_string_value(json_object_get(res, "id"));
        if (id) {
            snprintf(s->last, sizeof(s->last), "%s", id);
        }
    }

    json_decref(page);
    s->pages++;

    /* the page is enqueued: only now does the cursor move past it */
    if (n > 0 && ctns_sync_cursor_save(s) != 0) {
        return -1;
    }

    ctns_sync_progress(s, 0);

    return n < (size_t) s->b->bconf->page_size;
}


static int
ctns_sync_kind(ctns_batch_t *b, const ctns_sync_kind_t *kind,
    const char *since)
{
    int          rc;
    int64_t      ms;
    ctns_sync_t  s;

    memset(&s, 0, sizeof(s));
    s.b = b;
    s.kind = kind;
    ctns_batch_key(b, s.cursor_key, sizeof(s.cursor_key), "cursor:%s",
                   kind->name);

    if (since) {
        snprintf(s.since, sizeof(s.since), "%s", since);

    } else if (ctns_sync_cursor_load(&s) != 0) {
        return -1;
    }

    /* a window that was interrupted resumes where its cursor stopped */
    if (since || s.until[0] == '\0' || s.last[0] == '\0') {
        s.last[0] = '\0';
        ctns_time_iso(ctns_now_ms() - CTNS_SYNC_LAG_MS, s.until,
                       sizeof(s.until));
    }

    do {
        rc = ctns_sync_page(&s);
    } while (rc == 0 && !ctns_sync_stop);

    if (rc < 0) {
        return -1;
    }

    if (rc == 1) {
        ctns_time_parse(s.until, ctns_now_ms(), &ms);
        ctns_time_iso(ms - (int64_t) b->bconf->overlap_seconds * 1000,
                       s.since, sizeof(s.since));
        s.until[0] = '\0';
        s.last[0] = '\0';

        if (ctns_sync_cursor_save(&s) != 0) {
            fprintf(stderr, "sync %s: %s\n", kind->name, b->error);
            return -1;
        }
    }

    ctns_sync_progress(&s, 1);

    return 0;
}


static int
ctns_sync_once(ctns_batch_t *b, const char *since)
{
    size_t  i;

    for (i = 0; i < sizeof(ctns_sync_kinds) / sizeof(ctns_sync_kinds[0]);
         i++)
    {
        if ((i == 0 && !b->bconf->orders) || (i == 1 && !b->bconf->payments))
        {
            continue;
        }

        if (ctns_sync_kind(b, &ctns_sync_kinds[i], since) != 0) {
            return -1;
        }
    }

    return 0;
}


int
ctns_cmd_sync(ctns_batch_t *b, const ctns_batch_opts_t *o)
{
    int64_t      ms;
    long         every, waited;
    char         since[40];
    const char  *from;

    if ((o->since == NULL) == (o->resume == 0) || o->nargs) {
        fprintf(stderr, "sync needs exactly one of --since TIME and "
                "--resume\n");
        return 2;
    }

    every = o->every ? (long) (ctns_time_span(o->every) / 1000) : 0;
    if (o->every && every <= 0) {
        fprintf(stderr, "sync: --every takes 30s, 15m, 1h, 1d\n");
        return 2;
    }

    from = NULL;

    if (o->since) {
        if (ctns_time_parse(o->since, ctns_now_ms(), &ms) != 0) {
            fprintf(stderr, "sync: --since \"%s\" is not a time "
                    "(2026-07-01T00:00:00Z, 2026-07-01, -2h)\n", o->since);
            return 2;
        }

        ctns_time_iso(ms, since, sizeof(since));
        from = since;
    }

    signal(SIGTERM, ctns_sync_signal);
    signal(SIGINT, ctns_sync_signal);

    for ( ;; ) {
        if (ctns_sync_once(b, from) != 0) {
            return 1;
        }

        /* later runs go on from the cursors this one left */
        from = NULL;

        if (every == 0 || ctns_sync_stop) {
            return 0;
        }

        for (waited = 0; waited < every && !ctns_sync_stop; waited++) {
            sleep(1);
        }

        if (ctns_sync_stop) {
            return 0;
        }
    }
}
