/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-worker payouts [--once]: the consumer of the Stripe payout events
 * the module queues on <prefix>:{settlements}:events (consumer group
 * ctns-payouts, consumer payouts-<hostname>).
 *
 *   payout.paid      the payout's balance transactions are fetched from
 *                    the Stripe API (GET /v1/balance_transactions?payout=,
 *                    paged with starting_after, sources expanded) and the
 *                    payout is posted exactly as import-settlement --format
 *                    stripe posts a file
 *   payout.failed,   a posted deposit is reversed by a journal entry, a
 *   payout.canceled  waiting payout is dropped (ctns_settle_cancel)
 *   anything else    acknowledged and ignored
 *
 * An event is acknowledged once it was handled (posted, already done,
 * reversed, dropped).  One that failed (Stripe, NetSuite or Redis
 * unreachable, a payout that does not add up) or whose payout waits for
 * unmatched lines stays pending: the running consumer claims pending
 * entries idle for a minute (its own, or a dead consumer's) and handles
 * them again; --once handles every pending entry of its consumer, then the
 * new ones, and exits 0 all handled, 3 some payout waits, 1 some event
 * failed or was dead-lettered.  An event that failed on its
 * settlements.max_attempts-th delivery (the group's count) goes to the
 * dead-letter stream with the reason, like the worker's, and is
 * acknowledged; the time of its first failure is kept meanwhile in
 * <prefix>:{settlements}:failing.
 */


#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctns_batch.h"
#include "ctns_time.h"


#define CTNS_PAYOUTS_GROUP     "ctns-payouts"
#define CTNS_PAYOUTS_COUNT     "10"
#define CTNS_PAYOUTS_BLOCK_MS  "1000"
#define CTNS_PAYOUTS_CLAIM_MS  "60000"
#define CTNS_PAYOUTS_RETRY_S   5         /* after a Redis failure */


typedef struct {
    ctns_batch_t              *b;
    const ctns_settle_psp_t   *psp;
    char                       stream[160];
    char                       consumer[96];
    char                      *auth;          /* Authorization header */
    char                       failing[160];  /* hash: entry -> ms */
    int                        failed;
    int                        waiting;
    int                        dead;

    /* why the event in hand failed, for its dead letter */
    long                       http;
    char                       request[160];
    char                       why[320];
} ctns_payouts_t;


static volatile sig_atomic_t  ctns_payouts_stop;


static void
ctns_payouts_signal(int signo)
{
    ctns_payouts_stop = 1;
}


/* The failure of the event in hand: logged, and kept for a dead letter. */

static void
ctns_payouts_fail(ctns_payouts_t *pc, long http, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ctns_payouts_fail(ctns_payouts_t *pc, long http, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(pc->why, sizeof(pc->why), fmt, ap);
    va_end(ap);

    pc->http = http;
    fprintf(stderr, "%s\n", pc->why);
}


static int
ctns_payouts_open(ctns_payouts_t *pc)
{
    char         err[256], *key;
    size_t       n;

    pc->psp = ctns_batch_conf_psp(pc->b->bconf, "stripe");

    if (pc->psp == NULL || pc->psp->api_key[0] == '\0') {
        fprintf(stderr, "payouts: settlements.psp.stripe%s is not "
                "configured: the balance transactions of a payout come from "
                "the Stripe API\n", pc->psp ? ".api.key" : "");
        return -1;
    }

    key = ctns_conf_secret(pc->psp->api_key, err, sizeof(err));
    if (key == NULL) {
        fprintf(stderr, "payouts: settlements.psp.stripe.api.key: %s\n",
                err);
        return -1;
    }

    n = strlen(key) + sizeof("Authorization: Bearer ");
    pc->auth = malloc(n);

    if (pc->auth) {
        snprintf(pc->auth, n, "Authorization: Bearer %s", key);
    }

    explicit_bzero(key, strlen(key));
    free(key);

    if (pc->auth == NULL) {
        return -1;
    }

    ctns_batch_key(pc->b, pc->stream, sizeof(pc->stream),
                   "{settlements}:events");
    ctns_batch_key(pc->b, pc->failing, sizeof(pc->failing),
                   "{settlements}:failing");

    snprintf(pc->consumer, sizeof(pc->consumer), "payouts-");
    gethostname(pc->consumer + 8, sizeof(pc->consumer) - 8);
    pc->consumer[sizeof(pc->consumer) - 1] = '\0';

    if (ctns_redis_group(&pc->b->store.redis, pc->stream, CTNS_PAYOUTS_GROUP)
        != 0)
    {
        fprintf(stderr, "payouts: cannot create the consumer group on %s: "
                "%s\n", pc->stream, pc->b->store.redis.err);
        return -1;
    }

    return 0;
}


static void
ctns_payouts_close(ctns_payouts_t *pc)
{
    if (pc->auth) {
        explicit_bzero(pc->auth, strlen(pc->auth));
        free(pc->auth);
    }
}


/* a Stripe object id as it may go into a URL: [A-Za-z0-9_], bounded */
static int
ctns_payouts_id_ok(const char *id)
{
    size_t  n;

    n = id ? strlen(id) : 0;

    return n > 0 && n < CTNS_SETTLE_ID_LEN
           && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789_") == n;
}


/* Stripe's error message of an answer, for the log */
static const char *
ctns_payouts_error(const json_t *ans)
{
    const char  *m;

    m = json_string_value(json_object_get(json_object_get(ans, "error"),
                                          "message"));

    return m ? m : "(no message)";
}


/*
 * Every balance transaction of the payout, in the shape import-settlement
 * reads: {"payout": {...}, "balance_transactions": {"data": [...],
 * "has_more": false}}.  NULL after a message.
 */
static json_t *
ctns_payouts_fetch(ctns_payouts_t *pc, const json_t *payout, const char *id)
{
    long         status;
    char         url[768];
    json_t      *all, *page, *data;
    const char  *last;

    all = json_array();
    last = NULL;

    for ( ;; ) {
        snprintf(url, sizeof(url), "%s/v1/balance_transactions?payout=%s"
                 "&limit=100&expand[]=data.source%s%s", pc->psp->api_url, id,
                 last ? "&starting_after=" : "", last ? last : "");

        page = ctns_batch_get(pc->b, url, pc->auth, &status);

        if (page == NULL || status != 200
            || !json_is_array(json_object_get(page, "data")))
        {
            snprintf(pc->request, sizeof(pc->request),
                     "GET /v1/balance_transactions?payout=%s", id);
            ctns_payouts_fail(pc, status, "payout stripe %s: the Stripe API "
                              "answered %ld: %s", id, status,
                              page ? ctns_payouts_error(page)
                                   : pc->b->error);
            json_decref(page);
            json_decref(all);
            return NULL;
        }

        data = json_object_get(page, "data");
        json_array_extend(all, data);

        if (!json_is_true(json_object_get(page, "has_more"))
            || json_array_size(data) == 0)
        {
            json_decref(page);
            break;
        }

        /* the id lives in all[], which outlives the page */
        last = json_string_value(json_object_get(
                   json_array_get(all, json_array_size(all) - 1), "id"));
        json_decref(page);

        if (!ctns_payouts_id_ok(last)) {
            ctns_payouts_fail(pc, 0, "payout stripe %s: a balance "
                              "transaction without a valid id", id);
            json_decref(all);
            return NULL;
        }
    }

    return json_pack("{s:O,s:{s:s,s:o,s:b}}", "payout", payout,
                     "balance_transactions", "object", "list", "data", all,
                     "has_more", 0);
}


/* 0 posted or nothing to do, 1 waiting, -1 failed */
static int
ctns_payouts_paid(ctns_payouts_t *pc, const json_t *payout, const char *id)
{
    int                 rc;
    char                state[32];
    json_t             *doc;
    ctns_settlement_t   s;
    ctns_conf_errors_t  errs;

    if (ctns_settle_state(pc->b, "stripe", id, state, sizeof(state)) != 0) {
        return -1;
    }

    /* no Stripe request for what the ledger already settled */
    if (strcmp(state, "posted") == 0 || strcmp(state, "reversed") == 0
        || strcmp(state, "canceled") == 0)
    {
        printf("payout stripe %s: %s, nothing to do\n", id,
               strcmp(state, "posted") == 0 ? "already posted" : state);
        return 0;
    }

    doc = ctns_payouts_fetch(pc, payout, id);
    if (doc == NULL) {
        return -1;
    }

    memset(&errs, 0, sizeof(errs));
    memset(&s, 0, sizeof(s));

    rc = ctns_settle_stripe_parse(doc, &s, &errs);
    json_decref(doc);

    if (rc != 0) {
        ctns_conf_errors_print(&errs, stderr);
        ctns_payouts_fail(pc, 0, "payout stripe %s: %zu error%s, nothing "
                          "posted%s%s%s%s", id, errs.n,
                          errs.n == 1 ? "" : "s", errs.n ? ": " : "",
                          errs.n ? errs.items[0].path : "",
                          errs.n ? ": " : "",
                          errs.n ? errs.items[0].msg : "");
        ctns_conf_errors_free(&errs);
        ctns_settlement_free(&s);
        return -1;
    }

    ctns_conf_errors_free(&errs);

    rc = ctns_settle_import(pc->b, "stripe", &s, 0);
    ctns_settlement_free(&s);

    return rc == 0 ? 0 : rc == 3 ? 1 : -1;
}


/* 0 handled, 1 handled and waiting, -1 failed: leave it pending */
static int
ctns_payouts_event(ctns_payouts_t *pc, const char *type, const char *text)
{
    int            rc;
    char           date[40], why[160];
    json_t        *ev, *po;
    const char    *id, *code;
    json_error_t   jerr;

    ev = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    po = json_object_get(json_object_get(ev, "data"), "object");
    id = json_string_value(json_object_get(po, "id"));

    if (strncmp(type, "payout.", 7) != 0 || id == NULL) {
        printf("event %s: not a payout event, ignored\n", type);
        json_decref(ev);
        return 0;
    }

    if (!ctns_payouts_id_ok(id)) {
        fprintf(stderr, "event %s: payout id \"%.100s\" is not a Stripe id, "
                "ignored\n", type, id);
        json_decref(ev);
        return 0;
    }

    if (strcmp(type, "payout.paid") == 0) {
        rc = ctns_payouts_paid(pc, po, id);

    } else if (strcmp(type, "payout.failed") == 0
               || strcmp(type, "payout.canceled") == 0)
    {
        code = json_string_value(json_object_get(po, "failure_code"));
        snprintf(why, sizeof(why), "%s%s%s", type + 7, code ? ": " : "",
                 code ? code : "");

        /* the journal is dated when Stripe reported the failure */
        ctns_time_iso(json_is_integer(json_object_get(ev, "created"))
                      ? json_integer_value(json_object_get(ev, "created"))
                        * 1000
                      : ctns_now_ms(), date, sizeof(date));
        date[10] = '\0';

        rc = ctns_settle_cancel(pc->b, "stripe", id, date, why);

    } else {
        printf("payout stripe %s: %s, nothing to do\n", id, type);
        rc = 0;
    }

    json_decref(ev);

    return rc;
}


static const char *
ctns_payouts_field(const redisReply *fields, const char *name)
{
    size_t  i;

    for (i = 0; fields && i + 1 < fields->elements; i += 2) {
        if (strcmp(fields->element[i]->str, name) == 0) {
            return fields->element[i + 1]->str;
        }
    }

    return NULL;
}


/* done with: acknowledged, and no longer failing */
static void
ctns_payouts_ack(ctns_payouts_t *pc, const char *entry)
{
    const char  *argv[4];

    argv[0] = "XACK";
    argv[1] = pc->stream;
    argv[2] = CTNS_PAYOUTS_GROUP;
    argv[3] = entry;

    freeReplyObject(ctns_batch_redis(pc->b, 4, argv));

    argv[0] = "HDEL";
    argv[1] = pc->failing;
    argv[2] = entry;

    freeReplyObject(ctns_batch_redis(pc->b, 3, argv));
}


/*
 * A failure of the entry: the time of its first one is kept (HSETNX), and
 * how often the group delivered it is the attempt count.  0 on a Redis
 * failure, which leaves the entry pending.
 */
static long long
ctns_payouts_attempts(ctns_payouts_t *pc, const char *entry)
{
    char         now[24];
    long long    n;
    const char  *argv[6];
    redisReply  *r;

    snprintf(now, sizeof(now), "%lld", (long long) ctns_now_ms());

    argv[0] = "HSETNX";
    argv[1] = pc->failing;
    argv[2] = entry;
    argv[3] = now;

    r = ctns_batch_redis(pc->b, 4, argv);
    if (r == NULL) {
        return 0;
    }

    freeReplyObject(r);

    argv[0] = "XPENDING";
    argv[1] = pc->stream;
    argv[2] = CTNS_PAYOUTS_GROUP;
    argv[3] = entry;
    argv[4] = entry;
    argv[5] = "1";

    /* [[id, consumer, idle ms, deliveries]] */
    r = ctns_batch_redis(pc->b, 6, argv);

    n = (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1
         && r->element[0]->type == REDIS_REPLY_ARRAY
         && r->element[0]->elements == 4
         && r->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
        ? r->element[0]->element[3]->integer : 0;

    freeReplyObject(r);

    return n;
}


/*
 * The dead letter of a payout event, with the fields of the worker's
 * (worker/ctns_result.c): the entry's own, then why, how often and when it
 * failed and where it came from.  Written before the XACK: a crash in
 * between leaves a second dead letter, never none.
 */
static int
ctns_payouts_dead(ctns_payouts_t *pc, const redisReply *e, long long attempts)
{
    char              *err;
    size_t             i;
    json_t            *o;
    int64_t            now;
    ctns_cmd_t         c;
    redisReply        *r;
    const char        *first, *argv[3];
    const redisReply  *f;

    now = ctns_now_ms();
    f = e->element[1];

    o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I}", "http", (json_int_t) pc->http,
                  "code", "", "detail", pc->why, "path", "",
                  "request", pc->request, "at", (json_int_t) now);
    err = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);

    if (err == NULL) {
        return -1;
    }

    memset(&c, 0, sizeof(c));
    ctns_cmd_str(&c, "XADD");
    ctns_cmd_str(&c, pc->b->store.dlq_key);
    ctns_cmd_str(&c, "*");

    for (i = 0; i + 1 < f->elements; i += 2) {
        ctns_cmd_str(&c, f->element[i]->str);
        ctns_cmd_str(&c, f->element[i + 1]->str);
    }

    argv[0] = "HGET";
    argv[1] = pc->failing;
    argv[2] = e->element[0]->str;

    r = ctns_batch_redis(pc->b, 3, argv);
    first = (r && r->type == REDIS_REPLY_STRING) ? r->str : NULL;

    ctns_cmd_str(&c, "error");
    ctns_cmd_str(&c, err);
    ctns_cmd_str(&c, "http");
    ctns_cmd_fmt(&c, "%ld", pc->http);
    ctns_cmd_str(&c, "code");
    ctns_cmd_str(&c, "");
    ctns_cmd_str(&c, "detail");
    ctns_cmd_str(&c, pc->why);
    ctns_cmd_str(&c, "path");
    ctns_cmd_str(&c, "");
    ctns_cmd_str(&c, "request");
    ctns_cmd_str(&c, pc->request);
    ctns_cmd_str(&c, "attempts");
    ctns_cmd_fmt(&c, "%lld", attempts);
    ctns_cmd_str(&c, "first_failure");
    if (first) {
        ctns_cmd_str(&c, first);
    } else {
        ctns_cmd_fmt(&c, "%lld", (long long) now);
    }
    ctns_cmd_str(&c, "last_failure");
    ctns_cmd_fmt(&c, "%lld", (long long) now);
    ctns_cmd_str(&c, "body_sha256");
    ctns_cmd_str(&c, "");
    ctns_cmd_str(&c, "records");
    ctns_cmd_str(&c, "[]");
    ctns_cmd_str(&c, "stream");
    ctns_cmd_str(&c, pc->stream);
    ctns_cmd_str(&c, "entry");
    ctns_cmd_str(&c, e->element[0]->str);
    ctns_cmd_str(&c, "consumer");
    ctns_cmd_str(&c, pc->consumer);

    freeReplyObject(r);
    free(err);

    r = ctns_store_argv(&pc->b->store, &c);
    ctns_cmd_free(&c);

    if (r == NULL || r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        fprintf(stderr, "payouts: cannot write the dead letter of %s\n",
                e->element[0]->str);
        return -1;
    }

    fprintf(stderr, "event %s: failed %lld times, dead letter %s\n",
            e->element[0]->str, attempts, r->str);
    freeReplyObject(r);

    ctns_payouts_ack(pc, e->element[0]->str);

    return 0;
}


/* handles entries ([id, [field, value, ...]] ...): how many were acked */
static int
ctns_payouts_entries(ctns_payouts_t *pc, const redisReply *entries)
{
    int                rc, n;
    size_t             i;
    long long          attempts;
    const char        *type, *payload;
    const redisReply  *e;

    n = 0;

    for (i = 0; i < entries->elements && !ctns_payouts_stop; i++) {
        e = entries->element[i];
        type = ctns_payouts_field(e->element[1], "type");
        payload = ctns_payouts_field(e->element[1], "payload");

        pc->http = 0;
        pc->request[0] = '\0';
        pc->why[0] = '\0';
        pc->b->error[0] = '\0';

        /* an entry trimmed away while pending: nothing left to do */
        rc = (type && payload) ? ctns_payouts_event(pc, type, payload) : 0;

        if (rc < 0) {
            /* settle and Redis failures said why in the log only */
            if (pc->why[0] == '\0') {
                snprintf(pc->why, sizeof(pc->why), "%.40s: %.270s", type,
                         pc->b->error[0] ? pc->b->error
                                         : "failed, see the log");
            }

            attempts = ctns_payouts_attempts(pc, e->element[0]->str);

            if (attempts >= pc->b->bconf->max_attempts
                && ctns_payouts_dead(pc, e, attempts) == 0)
            {
                pc->dead++;
                n++;
                continue;
            }

            pc->failed++;
            continue;
        }

        /* a waiting payout stays pending: tried again later */
        if (rc > 0) {
            pc->waiting++;
            continue;
        }

        ctns_payouts_ack(pc, e->element[0]->str);
        n++;
    }

    return n;
}


/*
 * from ">": new entries; an id ("0" first): this consumer's pending entries
 * after it, and from becomes the last one read.  How many, or -1.
 */
static int
ctns_payouts_read(ctns_payouts_t *pc, char *from, size_t len, int block)
{
    int           n;
    const char   *argv[11];
    redisReply   *r, *entries;

    argv[0] = "XREADGROUP";
    argv[1] = "GROUP";
    argv[2] = CTNS_PAYOUTS_GROUP;
    argv[3] = pc->consumer;
    argv[4] = "COUNT";
    argv[5] = CTNS_PAYOUTS_COUNT;
    n = 6;

    if (block) {
        argv[n++] = "BLOCK";
        argv[n++] = CTNS_PAYOUTS_BLOCK_MS;
    }

    argv[n++] = "STREAMS";
    argv[n++] = pc->stream;
    argv[n++] = from;

    r = ctns_batch_redis(pc->b, n, argv);
    if (r == NULL) {
        fprintf(stderr, "payouts: %s\n", pc->b->error);
        return -1;
    }

    n = (r->type == REDIS_REPLY_ARRAY && r->elements)
        ? (int) r->element[0]->element[1]->elements : 0;

    if (n) {
        entries = r->element[0]->element[1];
        ctns_payouts_entries(pc, entries);

        if (from[0] != '>') {
            snprintf(from, len, "%s",
                     entries->element[n - 1]->element[0]->str);
        }
    }

    freeReplyObject(r);

    return n;
}


/*
 * Pending entries idle for CTNS_PAYOUTS_CLAIM_MS, this consumer's (failed
 * or waiting) or a dead one's: claimed, which restarts their idle time,
 * and handled again.
 */
static int
ctns_payouts_claim(ctns_payouts_t *pc)
{
    const char  *argv[8];
    redisReply  *r;

    argv[0] = "XAUTOCLAIM";
    argv[1] = pc->stream;
    argv[2] = CTNS_PAYOUTS_GROUP;
    argv[3] = pc->consumer;
    argv[4] = CTNS_PAYOUTS_CLAIM_MS;
    argv[5] = "0-0";
    argv[6] = "COUNT";
    argv[7] = "100";

    r = ctns_batch_redis(pc->b, 8, argv);
    if (r == NULL) {
        fprintf(stderr, "payouts: %s\n", pc->b->error);
        return -1;
    }

    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2
        && r->element[1]->type == REDIS_REPLY_ARRAY)
    {
        ctns_payouts_entries(pc, r->element[1]);
    }

    freeReplyObject(r);

    return 0;
}


/*
 * --once: every pending entry of this consumer, then the new ones until
 * none is left.  Running: the pending entries idle long enough, then one
 * blocking read of new ones.
 */
static int
ctns_payouts_pass(ctns_payouts_t *pc, int once)
{
    int   n;
    char  from[64];

    if (!once) {
        n = ctns_payouts_claim(pc);

    } else {
        snprintf(from, sizeof(from), "0");

        do {
            n = ctns_payouts_read(pc, from, sizeof(from), 0);
        } while (n > 0 && !ctns_payouts_stop);
    }

    if (n < 0) {
        return -1;
    }

    snprintf(from, sizeof(from), ">");

    do {
        n = ctns_payouts_read(pc, from, sizeof(from), !once);
    } while (n > 0 && once && !ctns_payouts_stop);

    return n < 0 ? -1 : 0;
}


int
ctns_cmd_payouts(ctns_batch_t *b, const ctns_batch_opts_t *o)
{
    int             rc, s;
    ctns_payouts_t  pc;

    if (o->nargs || o->format) {
        fprintf(stderr, "payouts takes no arguments but --once\n");
        return 2;
    }

    memset(&pc, 0, sizeof(pc));
    pc.b = b;

    if (ctns_payouts_open(&pc) != 0) {
        ctns_payouts_close(&pc);
        return 1;
    }

    signal(SIGTERM, ctns_payouts_signal);
    signal(SIGINT, ctns_payouts_signal);

    rc = 0;

    while (!ctns_payouts_stop) {
        rc = ctns_payouts_pass(&pc, o->once);
        fflush(stdout);

        if (o->once) {
            break;
        }

        /* Redis failed: not in a tight loop */
        for (s = 0; rc && s < CTNS_PAYOUTS_RETRY_S && !ctns_payouts_stop;
             s++)
        {
            sleep(1);
        }
    }

    ctns_payouts_close(&pc);

    if (!o->once) {
        return 0;
    }

    if (rc || pc.failed || pc.dead) {
        return 1;
    }

    return pc.waiting ? 3 : 0;
}
