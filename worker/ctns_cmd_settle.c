/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-worker import-settlement and settlements --unmatched.
 *
 * Redis keys (prefix first):
 *   settle:payout:<psp>:<payoutId>     hash: state (posted|waiting|
 *                                      reversed|canceled), deposit
 *                                      (internal id), externalId, amount,
 *                                      currency, at; after a reversal
 *                                      reversal (journal internal id),
 *                                      reversalExternalId, reason
 *   settle:item:<psp>:<lineId>         the payout a line was deposited in
 *   settle:eid:<externalId>            the payout that settled a record
 *   settle:unmatched                   set of payouts with exceptions
 *   settle:unmatched:<psp>:<payoutId>  hash: line id -> JSON exception
 *   settle:first-seen                  hash: externalId -> ms, for index
 *                                      entries without a capture time
 *   settle:summary                     hash: counters for the status API
 *
 * A payout already posted is not posted again; a payout whose lines do not
 * all link waits (policy "wait") or books them on the clearing account.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_batch.h"
#include "ctns_clock.h"
#include "ctns_eid.h"
#include "ctns_money.h"
#include "ctns_nserror.h"
#include "ctns_settle.h"
#include "ctns_time.h"


#define CTNS_DAY_MS  86400000LL


typedef struct {
    ctns_batch_t              *b;
    const ctns_settle_psp_t   *psp;
    const ctns_payout_t       *p;
    ctns_settle_link_t        *links;
    char                       key[256];
    int                        dry_run;
} ctns_settle_run_t;


static redisReply *
ctns_settle_redis(ctns_batch_t *b, const char *a0, const char *a1,
    const char *a2, const char *a3)
{
    int          n;
    const char  *argv[4];

    argv[0] = a0;
    argv[1] = a1;
    argv[2] = a2;
    argv[3] = a3;

    for (n = 0; n < 4 && argv[n]; n++) { /* void */ }

    return ctns_batch_redis(b, n, argv);
}


/* a string reply's value copied into buf; "" when nil; -1 on failure */
static int
ctns_settle_get(ctns_batch_t *b, const char *cmd, const char *key,
    const char *field, char *buf, size_t len)
{
    redisReply  *r;

    r = ctns_settle_redis(b, cmd, key, field, NULL);
    if (r == NULL) {
        return -1;
    }

    snprintf(buf, len, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);

    return 0;
}


static int
ctns_settle_ok(redisReply *r)
{
    int  ok;

    ok = (r != NULL);
    freeReplyObject(r);

    return ok ? 0 : -1;
}


/* HSET key field value ... NULL (at most 8 pairs): 0 or -1 */
static int
ctns_settle_hset(ctns_batch_t *b, const char *key, ...)
{
    int          n;
    va_list      ap;
    const char  *argv[18], *s;

    argv[0] = "HSET";
    argv[1] = key;
    n = 2;

    va_start(ap, key);

    while (n < 18 && (s = va_arg(ap, const char *)) != NULL) {
        argv[n++] = s;
    }

    va_end(ap);

    return ctns_settle_ok(ctns_batch_redis(b, n, argv));
}


/* the first index entry of the line's references that is its kind */
static int
ctns_settle_link_line(ctns_batch_t *b, const ctns_settle_line_t *l,
    ctns_settle_link_t *k)
{
    int     i, rc;
    char    key[256], entry[2048];

    memset(k, 0, sizeof(ctns_settle_link_t));

    if (!ctns_settle_needs_link(l)) {
        return 0;
    }

    k->state = CTNS_LINK_UNMATCHED;
    snprintf(k->reason, sizeof(k->reason), "no captured payment or refund "
             "with reference %.80s%s%.80s%s%.80s", l->refs[0],
             l->refs[1][0] ? ", " : "", l->refs[1],
             l->refs[2][0] ? ", " : "", l->refs[2]);

    for (i = 0; i < CTNS_SETTLE_REFS; i++) {
        if (l->refs[i][0] == '\0') {
            continue;
        }

        ctns_batch_key(b, key, sizeof(key), "idx:psp:%s", l->refs[i]);

        if (ctns_settle_get(b, "GET", key, NULL, entry, sizeof(entry)) != 0) {
            return -1;
        }

        if (entry[0] == '\0') {
            continue;
        }

        rc = ctns_settle_link(l, l->refs[i], entry, k);

        if (rc < 0) {
            fprintf(stderr, "%s: not a PSP index entry, ignored\n", key);
        }

        if (rc == 1) {
            return 0;
        }
    }

    return 0;
}


/* the SuiteQL query for the external ids of the matched lines */
static char *
ctns_settle_query(const ctns_settle_run_t *run, size_t *count)
{
    FILE    *f;
    char    *q;
    size_t   i, len;

    q = NULL;
    f = open_memstream(&q, &len);
    if (f == NULL) {
        return NULL;
    }

    fputs("SELECT id, externalid FROM transaction WHERE externalid IN (", f);
    *count = 0;

    for (i = 0; i < run->p->nlines; i++) {
        /* [A-Za-z0-9_-] only: nothing to escape inside the quotes */
        if (run->links[i].state == CTNS_LINK_MATCHED
            && ctns_eid_valid(run->links[i].eid))
        {
            fprintf(f, "%s'%s'", (*count)++ ? ", " : "", run->links[i].eid);
        }
    }

    fputs(") ORDER BY id", f);
    fclose(f);

    return q;
}


/* internal ids of the matched records, one SuiteQL query per payout */
static int
ctns_settle_resolve(ctns_settle_run_t *run)
{
    size_t       i, k, n;
    char        *q;
    json_t      *rows, *row;
    const char  *eid, *id;

    q = ctns_settle_query(run, &n);
    if (q == NULL) {
        return -1;
    }

    rows = n ? ctns_batch_suiteql(run->b, q) : json_array();
    free(q);

    if (rows == NULL) {
        fprintf(stderr, "%s\n", run->b->error);
        return -1;
    }

    for (i = 0; i < run->p->nlines; i++) {
        if (run->links[i].state != CTNS_LINK_MATCHED) {
            continue;
        }

        json_array_foreach(rows, k, row) {
            eid = json_string_value(json_object_get(row, "externalid"));
            id = json_string_value(json_object_get(row, "id"));

            if (eid && id && strcmp(eid, run->links[i].eid) == 0) {
                snprintf(run->links[i].ns_id, sizeof(run->links[i].ns_id),
                         "%s", id);
            }
        }

        if (run->links[i].ns_id[0] == '\0') {
            run->links[i].state = CTNS_LINK_UNMATCHED;
            snprintf(run->links[i].reason, sizeof(run->links[i].reason),
                     "NetSuite has no record %s (index entry %s)",
                     run->links[i].eid, run->links[i].ref);
        }
    }

    json_decref(rows);

    return 0;
}


/* a line already deposited with another payout cannot be deposited again */
static int
ctns_settle_ledger_lines(ctns_settle_run_t *run)
{
    int                        bad;
    size_t                     i;
    char                       key[256], other[256];
    const ctns_settle_line_t  *l;

    bad = 0;

    for (i = 0; i < run->p->nlines; i++) {
        l = &run->p->lines[i];
        ctns_batch_key(run->b, key, sizeof(key), "settle:item:%s:%s",
                       run->p->psp, l->id);

        if (ctns_settle_get(run->b, "GET", key, NULL, other, sizeof(other))
            != 0)
        {
            return -1;
        }

        if (other[0] && strcmp(other, run->p->id) != 0) {
            fprintf(stderr, "payout %s: line %s was already deposited with "
                    "payout %s\n", run->p->id, l->id, other);
            bad = 1;
        }
    }

    return bad ? -1 : 0;
}


/* the exceptions of this payout, replacing those of an earlier import */
static int
ctns_settle_exceptions(ctns_settle_run_t *run, ctns_unmatched_e policy)
{
    size_t                     i, n;
    char                       key[256], set[128], *s, gross[32];
    json_t                    *e;
    const ctns_settle_line_t  *l;
    const ctns_settle_link_t  *k;

    ctns_batch_key(run->b, key, sizeof(key), "settle:unmatched:%s:%s",
                   run->p->psp, run->p->id);
    ctns_batch_key(run->b, set, sizeof(set), "settle:unmatched");

    if (ctns_settle_ok(ctns_settle_redis(run->b, "DEL", key, NULL, NULL))
        != 0)
    {
        return -1;
    }

    for (i = 0, n = 0; i < run->p->nlines; i++) {
        l = &run->p->lines[i];
        k = &run->links[i];

        if (k->state != CTNS_LINK_UNMATCHED && k->state != CTNS_LINK_MISMATCH)
        {
            continue;
        }

        ctns_money_format(l->gross, l->gross_digits, gross, sizeof(gross));
        e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}",
                      "kind", k->state == CTNS_LINK_MISMATCH ? "mismatch"
                                                             : "unmatched",
                      "psp", run->p->psp, "payout", run->p->id,
                      "line", l->id, "type", ctns_settle_type_name(l->type),
                      "reference", l->refs[0], "gross", gross,
                      "currency", l->gross_currency, "reason", k->reason,
                      "externalId", k->eid,
                      "booked", policy == CTNS_UNMATCHED_CLEARING
                                ? "clearing" : "waiting", "row", l->row);
        s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(e);

        if (ctns_settle_ok(ctns_settle_redis(run->b, "HSET", key, l->id, s))
            != 0)
        {
            free(s);
            return -1;
        }

        free(s);
        n++;
    }

    return ctns_settle_ok(ctns_settle_redis(run->b, n ? "SADD" : "SREM",
                                            set, key + strlen(set) + 1,
                                            NULL));
}


/* the internal id of what a PUT by external id wrote */
static int
ctns_settle_record_id(ctns_batch_t *b, const char *rtype, const char *eid,
    char *id, size_t len)
{
    long     status;
    char     path[300];
    json_t  *rec;

    snprintf(path, sizeof(path), "/record/v1/%s/eid:%s?fields=id", rtype,
             eid);
    rec = ctns_batch_ns(b, "GET", path, NULL, &status);

    if (rec == NULL || status != 200
        || json_string_value(json_object_get(rec, "id")) == NULL)
    {
        json_decref(rec);
        return -1;
    }

    snprintf(id, len, "%s", json_string_value(json_object_get(rec, "id")));
    json_decref(rec);

    return 0;
}


/*
 * Upsert of rtype by the body's externalId, replacing the unkeyed
 * sublists named in replace (a retried upsert would append them again),
 * then its internal id into id.  payout names the payout in messages.
 */
static int
ctns_settle_upsert(ctns_batch_t *b, const char *payout, const char *rtype,
    const char *replace, const json_t *body, char *id, size_t idlen)
{
    long             status;
    char             path[300], *s, *e;
    json_t          *ans;
    const char      *eid;
    ctns_nserror_t   err;

    eid = json_string_value(json_object_get(body, "externalId"));
    snprintf(path, sizeof(path), "/record/v1/%s/eid:%s?replace=%s", rtype,
             eid, replace);

    s = ctns_money_dumps(body, JSON_COMPACT);
    ans = ctns_batch_ns(b, "PUT", path, s, &status);
    free(s);

    if (ans == NULL) {
        fprintf(stderr, "payout %s: %s\n", payout, b->error);
        return -1;
    }

    if (status / 100 != 2) {
        e = json_dumps(ans, JSON_COMPACT);
        ctns_nserror_parse(&err, (int) status, e, e ? strlen(e) : 0);
        fprintf(stderr, "payout %s: NetSuite refused the %s: HTTP %ld "
                "%s %s%s%s\n", payout, rtype, status, err.code, err.detail,
                err.path[0] ? " at " : "", err.path);
        free(e);
        json_decref(ans);
        return -1;
    }

    json_decref(ans);

    if (ctns_settle_record_id(b, rtype, eid, id, idlen) != 0) {
        fprintf(stderr, "payout %s: %s %s written, but reading its id back "
                "failed: %s\n", payout, rtype, eid, b->error);
        return -1;
    }

    return 0;
}


/* the ledger after a successful post: payout, its lines, their records */
static int
ctns_settle_record(ctns_settle_run_t *run, const char *eid, const char *id)
{
    size_t  i;
    char    key[256], v[64], at[40];

    for (i = 0; i < run->p->nlines; i++) {
        ctns_batch_key(run->b, key, sizeof(key), "settle:item:%s:%s",
                       run->p->psp, run->p->lines[i].id);

        if (ctns_settle_ok(ctns_settle_redis(run->b, "SET", key, run->p->id,
                                             NULL)) != 0)
        {
            return -1;
        }

        if (run->links[i].state != CTNS_LINK_MATCHED) {
            continue;
        }

        ctns_batch_key(run->b, key, sizeof(key), "settle:eid:%s",
                       run->links[i].eid);

        if (ctns_settle_ok(ctns_settle_redis(run->b, "SET", key, run->key,
                                             NULL)) != 0)
        {
            return -1;
        }
    }

    ctns_money_format(run->p->amount, run->p->digits, v, sizeof(v));
    ctns_time_iso(ctns_now_ms(), at, sizeof(at));

    return ctns_settle_hset(run->b, run->key, "state", "posted", "deposit",
                            id, "externalId", eid, "amount", v, "currency",
                            run->p->currency, "at", at, NULL);
}


static void
ctns_settle_print_line(const ctns_payout_t *p, const ctns_settle_line_t *l,
    const ctns_settle_link_t *k)
{
    char  net[32];

    ctns_money_format(l->net, p->digits, net, sizeof(net));

    printf("  %-10s %-28s net %12s %s  %s%s\n", ctns_settle_type_name(l->type),
           l->refs[0][0] ? l->refs[0] : l->id, net, p->currency,
           k->state == CTNS_LINK_MATCHED ? "-> " : "",
           k->state == CTNS_LINK_MATCHED ? k->eid
           : k->state == CTNS_LINK_NONE ? "" : k->reason);
}


static void
ctns_settle_print_body(const json_t *body)
{
    char  *s;

    s = ctns_money_dumps(body, JSON_INDENT(2));
    printf("%s\n", s ? s : "(out of memory)");
    free(s);
}


/* 0 posted or nothing to do, 1 waiting, -1 failed */
static int
ctns_settle_payout(ctns_settle_run_t *run)
{
    int                  rc;
    char                 state[32], dep[CTNS_NSID_LEN], err[512], amt[32];
    size_t               i;
    json_t              *body;
    ctns_unmatched_e     policy;
    const ctns_payout_t *p = run->p;

    ctns_batch_key(run->b, run->key, sizeof(run->key), "settle:payout:%s:%s",
                   p->psp, p->id);

    if (ctns_settle_get(run->b, "HGET", run->key, "state", state,
                        sizeof(state)) != 0)
    {
        fprintf(stderr, "%s\n", run->b->error);
        return -1;
    }

    ctns_money_format(p->amount, p->digits, amt, sizeof(amt));

    if (strcmp(state, "posted") == 0) {
        ctns_settle_get(run->b, "HGET", run->key, "deposit", dep,
                        sizeof(dep));
        printf("payout %s %s: %s %s already posted as deposit %s, nothing "
               "to do\n", p->psp, p->id, amt, p->currency, dep);
        return 0;
    }

    if (strcmp(state, "reversed") == 0 || strcmp(state, "canceled") == 0) {
        printf("payout %s %s: %s by %s (failed or canceled), nothing to "
               "post\n", p->psp, p->id, state, p->psp);
        return 0;
    }

    for (i = 0; i < p->nlines; i++) {
        if (ctns_settle_link_line(run->b, &p->lines[i], &run->links[i]) != 0)
        {
            fprintf(stderr, "%s\n", run->b->error);
            return -1;
        }
    }

    if (ctns_settle_resolve(run) != 0 || ctns_settle_ledger_lines(run) != 0)
    {
        return -1;
    }

    printf("payout %s %s: %s %s, %zu lines\n", p->psp, p->id, amt,
           p->currency, p->nlines);

    for (i = 0; i < p->nlines; i++) {
        ctns_settle_print_line(p, &p->lines[i], &run->links[i]);
    }

    policy = run->b->bconf->unmatched;
    rc = ctns_settle_deposit(p, run->links, run->psp, policy, &body, err,
                             sizeof(err));

    if (rc == CTNS_DEPOSIT_ERROR) {
        fprintf(stderr, "payout %s: %s\n", p->id, err);
        return -1;
    }

    if (!run->dry_run && ctns_settle_exceptions(run, policy) != 0) {
        fprintf(stderr, "%s\n", run->b->error);
        json_decref(body);
        return -1;
    }

    if (rc == CTNS_DEPOSIT_WAIT) {
        printf("payout %s: waiting: lines without a NetSuite record "
               "(settlements --unmatched)\n", p->id);
        return run->dry_run ? 1
               : ctns_settle_ok(ctns_settle_redis(run->b, "HSET", run->key,
                                                  "state", "waiting")) ? -1 : 1;
    }

    if (run->dry_run) {
        ctns_settle_print_body(body);
        json_decref(body);
        return 0;
    }

    rc = ctns_settle_upsert(run->b, p->id, "deposit", "payment,other,cashback",
                            body, dep, sizeof(dep));

    if (rc == 0) {
        rc = ctns_settle_record(run, json_string_value(
                                    json_object_get(body, "externalId")),
                                dep);
        printf("payout %s: deposit %s posted (internal id %s), total %s "
               "%s\n", p->id, json_string_value(json_object_get(body,
                                                                "externalId")),
               dep, amt, p->currency);
    }

    json_decref(body);

    return rc;
}


static int
ctns_settle_read(const ctns_batch_opts_t *o, ctns_settlement_t *s)
{
    int                 rc;
    char               *buf;
    long                n;
    FILE               *f;
    json_t             *doc;
    json_error_t        jerr;
    ctns_conf_errors_t  errs;

    memset(&errs, 0, sizeof(errs));
    rc = -1;

    if (strcmp(o->format, "stripe") == 0) {
        doc = json_load_file(o->args[0], JSON_REJECT_DUPLICATES, &jerr);

        if (doc == NULL) {
            fprintf(stderr, "%s: line %d column %d: %s\n", o->args[0],
                    jerr.line, jerr.column, jerr.text);
            return -1;
        }

        rc = ctns_settle_stripe_parse(doc, s, &errs);
        json_decref(doc);

    } else {
        f = fopen(o->args[0], "rb");
        if (f == NULL) {
            perror(o->args[0]);
            return -1;
        }

        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(n + 1);

        if (buf && fread(buf, 1, n, f) == (size_t) n) {
            rc = ctns_settle_adyen_parse(buf, n, s, &errs);
        }

        free(buf);
        fclose(f);
    }

    if (rc != 0) {
        ctns_conf_errors_print(&errs, stderr);
        fprintf(stderr, "%s: %zu error%s, nothing imported\n", o->args[0],
                errs.n, errs.n == 1 ? "" : "s");
    }

    ctns_conf_errors_free(&errs);

    return rc;
}


/* counters the status summary shows: payouts waiting, exception lines */
static void
ctns_settle_summary(ctns_batch_t *b)
{
    size_t       i;
    long long    lines, waiting;
    char         set[128], key[256], sum[128], v[32], w[32];
    redisReply  *members, *r;

    ctns_batch_key(b, set, sizeof(set), "settle:unmatched");
    ctns_batch_key(b, sum, sizeof(sum), "settle:summary");

    members = ctns_settle_redis(b, "SMEMBERS", set, NULL, NULL);
    if (members == NULL) {
        return;
    }

    lines = 0;
    waiting = 0;

    for (i = 0; i < members->elements; i++) {
        ctns_batch_key(b, key, sizeof(key), "settle:unmatched:%s",
                       members->element[i]->str);
        r = ctns_settle_redis(b, "HLEN", key, NULL, NULL);
        lines += r ? r->integer : 0;
        freeReplyObject(r);

        ctns_batch_key(b, key, sizeof(key), "settle:payout:%s",
                       members->element[i]->str);
        ctns_settle_get(b, "HGET", key, "state", v, sizeof(v));
        waiting += strcmp(v, "waiting") == 0;
    }

    freeReplyObject(members);

    snprintf(v, sizeof(v), "%lld", lines);
    snprintf(w, sizeof(w), "%lld", waiting);
    freeReplyObject(ctns_settle_redis(b, "HSET", sum, "exceptions", v));
    freeReplyObject(ctns_settle_redis(b, "HSET", sum, "payouts_waiting", w));
}


static const ctns_settle_psp_t *
ctns_settle_psp_conf(ctns_batch_t *b, const char *psp)
{
    const ctns_settle_psp_t  *conf;

    conf = ctns_batch_conf_psp(b->bconf, psp);

    if (conf == NULL) {
        fprintf(stderr, "settlements.psp.%s is not configured: no accounts "
                "to post %s payouts to\n", psp, psp);
    }

    return conf;
}


int
ctns_settle_import(ctns_batch_t *b, const char *psp, ctns_settlement_t *s,
    int dry_run)
{
    int                 rc, one;
    size_t              i;
    ctns_settle_run_t   run;

    memset(&run, 0, sizeof(run));
    run.b = b;
    run.dry_run = dry_run;
    run.psp = ctns_settle_psp_conf(b, psp);

    if (run.psp == NULL) {
        return 1;
    }

    rc = 0;

    for (i = 0; i < s->n; i++) {
        run.p = &s->payouts[i];
        run.links = calloc(run.p->nlines + 1, sizeof(ctns_settle_link_t));

        one = run.links ? ctns_settle_payout(&run) : -1;
        free(run.links);

        if (one < 0) {
            rc = 1;

        } else if (one > 0 && rc == 0) {
            rc = 3;
        }
    }

    if (!dry_run) {
        ctns_settle_summary(b);
    }

    return rc;
}


int
ctns_cmd_import_settlement(ctns_batch_t *b, const ctns_batch_opts_t *o)
{
    int                 rc;
    ctns_settlement_t   s;

    if (o->format == NULL || o->nargs != 1
        || (strcmp(o->format, "adyen") && strcmp(o->format, "stripe")))
    {
        fprintf(stderr, "import-settlement needs --format adyen|stripe and "
                "one FILE\n");
        return 2;
    }

    if (ctns_settle_psp_conf(b, o->format) == NULL
        || ctns_settle_read(o, &s) != 0)
    {
        return 1;
    }

    rc = ctns_settle_import(b, o->format, &s, o->dry_run);
    ctns_settlement_free(&s);

    return rc;
}


int
ctns_settle_state(ctns_batch_t *b, const char *psp, const char *id,
    char *state, size_t len)
{
    char  key[256];

    ctns_batch_key(b, key, sizeof(key), "settle:payout:%s:%s", psp, id);

    if (ctns_settle_get(b, "HGET", key, "state", state, len) != 0) {
        fprintf(stderr, "%s\n", b->error);
        return -1;
    }

    return 0;
}


/* a payout that never posted: its exceptions go, the ledger remembers */
static int
ctns_settle_drop(ctns_batch_t *b, const char *psp, const char *id,
    const char *key, const char *why)
{
    char  set[128], member[160], exc[300], at[40];

    ctns_batch_key(b, set, sizeof(set), "settle:unmatched");
    snprintf(member, sizeof(member), "%s:%s", psp, id);
    ctns_batch_key(b, exc, sizeof(exc), "settle:unmatched:%s", member);
    ctns_time_iso(ctns_now_ms(), at, sizeof(at));

    if (ctns_settle_ok(ctns_settle_redis(b, "SREM", set, member, NULL)) != 0
        || ctns_settle_ok(ctns_settle_redis(b, "DEL", exc, NULL, NULL)) != 0
        || ctns_settle_hset(b, key, "state", "canceled", "reason", why, "at",
                            at, NULL) != 0)
    {
        fprintf(stderr, "%s\n", b->error);
        return -1;
    }

    ctns_settle_summary(b);
    printf("payout %s %s: %s before it was posted: canceled, nothing in "
           "NetSuite\n", psp, id, why);

    return 0;
}


/* a posted payout: the reversing journal entry, then the ledger */
static int
ctns_settle_reverse(ctns_batch_t *b, const ctns_settle_psp_t *conf,
    const char *id, const char *key, const char *date, const char *why)
{
    char         amount[32], cur[8], memo[256], err[512], je[CTNS_NSID_LEN];
    char         sum[128], at[40];
    json_t      *body;
    const char  *eid;

    if (ctns_settle_get(b, "HGET", key, "amount", amount, sizeof(amount))
        || ctns_settle_get(b, "HGET", key, "currency", cur, sizeof(cur)))
    {
        fprintf(stderr, "%s\n", b->error);
        return -1;
    }

    snprintf(memo, sizeof(memo), "%s payout %s reversed: %s", conf->name, id,
             why);
    body = ctns_settle_reversal(conf, id, cur, amount, date, memo, err,
                                sizeof(err));
    if (body == NULL) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }

    if (ctns_settle_upsert(b, id, "journalEntry", "line", body, je,
                           sizeof(je))
        != 0)
    {
        json_decref(body);
        return -1;
    }

    eid = json_string_value(json_object_get(body, "externalId"));
    ctns_time_iso(ctns_now_ms(), at, sizeof(at));

    ctns_batch_key(b, sum, sizeof(sum), "settle:summary");

    if (ctns_settle_hset(b, key, "state", "reversed", "reversal", je,
                         "reversalExternalId", eid, "reason", why,
                         "reversed_at", at, NULL) != 0
        || ctns_settle_ok(ctns_settle_redis(b, "HINCRBY", sum,
                                            "payouts_reversed", "1")) != 0)
    {
        fprintf(stderr, "%s\n", b->error);
        json_decref(body);
        return -1;
    }

    printf("payout %s %s: %s: deposit reversed by journal entry %s "
           "(internal id %s), %s %s\n", conf->name, id, why, eid, je,
           amount, cur);
    json_decref(body);

    return 0;
}


int
ctns_settle_cancel(ctns_batch_t *b, const char *psp, const char *id,
    const char *date, const char *why)
{
    char                      key[256], state[32];
    const ctns_settle_psp_t  *conf;

    conf = ctns_settle_psp_conf(b, psp);
    if (conf == NULL || ctns_settle_state(b, psp, id, state, sizeof(state)))
    {
        return -1;
    }

    ctns_batch_key(b, key, sizeof(key), "settle:payout:%s:%s", psp, id);

    if (strcmp(state, "reversed") == 0 || strcmp(state, "canceled") == 0) {
        printf("payout %s %s: already %s, nothing to do\n", psp, id, state);
        return 0;
    }

    if (strcmp(state, "posted") != 0) {
        return ctns_settle_drop(b, psp, id, key, why);
    }

    return ctns_settle_reverse(b, conf, id, key, date, why);
}


static int
ctns_settle_exception_rows(ctns_batch_t *b, json_t *out)
{
    size_t       i, k;
    char         set[128], key[256];
    json_t      *e;
    redisReply  *members, *h;

    ctns_batch_key(b, set, sizeof(set), "settle:unmatched");
    members = ctns_settle_redis(b, "SMEMBERS", set, NULL, NULL);

    if (members == NULL) {
        return -1;
    }

    for (i = 0; i < members->elements; i++) {
        ctns_batch_key(b, key, sizeof(key), "settle:unmatched:%s",
                       members->element[i]->str);
        h = ctns_settle_redis(b, "HGETALL", key, NULL, NULL);

        for (k = 1; h && k < h->elements; k += 2) {
            e = json_loads(h->element[k]->str, 0, NULL);
            if (e) {
                json_array_append_new(out, e);
            }
        }

        freeReplyObject(h);
    }

    freeReplyObject(members);

    return 0;
}


/* when the capture behind an index entry happened, as well as we know */
static int64_t
ctns_settle_captured_ms(ctns_batch_t *b, const json_t *entry)
{
    char         key[256], v[32];
    const char  *pid, *eid;
    redisReply  *r;

    pid = json_string_value(json_object_get(entry, "paymentId"));
    eid = json_string_value(json_object_get(entry, "externalId"));

    if (pid) {
        ctns_batch_key(b, key, sizeof(key), "status:payment:%s", pid);

        if (ctns_settle_get(b, "HGET", key, "updated_at", v, sizeof(v)) == 0
            && v[0])
        {
            return strtoll(v, NULL, 10);
        }
    }

    ctns_batch_key(b, key, sizeof(key), "settle:first-seen");
    snprintf(v, sizeof(v), "%lld", (long long) ctns_now_ms());
    r = ctns_settle_redis(b, "HSETNX", key, eid, v);
    freeReplyObject(r);

    return ctns_settle_get(b, "HGET", key, eid, v, sizeof(v)) == 0
           ? strtoll(v, NULL, 10) : ctns_now_ms();
}


static void
ctns_settle_never(ctns_batch_t *b, const char *ref, const json_t *entry,
    json_t *seen, json_t *out)
{
    char         key[256], v[256], gross[32];
    int64_t      age;
    const char  *type, *eid;

    type = json_string_value(json_object_get(entry, "type"));
    eid = json_string_value(json_object_get(entry, "externalId"));

    if (type == NULL || eid == NULL || json_object_get(seen, eid)
        || strcmp(type, "customerRefund") == 0)
    {
        return;
    }

    json_object_set_new(seen, eid, json_true());
    ctns_batch_key(b, key, sizeof(key), "settle:eid:%s", eid);

    if (ctns_settle_get(b, "GET", key, NULL, v, sizeof(v)) != 0 || v[0]) {
        return;
    }

    age = ctns_now_ms() - ctns_settle_captured_ms(b, entry);

    if (age < b->bconf->never_settled_days * CTNS_DAY_MS) {
        return;
    }

    ctns_money_format(json_integer_value(json_object_get(entry, "amount")),
                      json_is_integer(json_object_get(entry,
                                                      "fractionDigits"))
                      ? (int) json_integer_value(json_object_get(
                                                     entry, "fractionDigits"))
                      : 2, gross, sizeof(gross));
    snprintf(v, sizeof(v), "captured %lld days ago and in no payout",
             (long long) (age / CTNS_DAY_MS));

    json_array_append_new(out, json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s?}", "kind", "never-settled",
        "reference", ref, "externalId", eid, "type", type, "gross", gross,
        "currency", json_string_value(json_object_get(entry, "currency"))
                    ? json_string_value(json_object_get(entry, "currency"))
                    : "", "reason", v,
        "order", json_string_value(json_object_get(entry, "orderId"))));
}


typedef struct {
    ctns_batch_t  *b;
    size_t         prefix;             /* of the keys, up to the psp id */
    json_t        *seen;
    json_t        *out;
} ctns_settle_scan_t;


static void
ctns_settle_never_key(void *data, const char *key, size_t len)
{
    char                 entry[2048];
    json_t              *e;
    ctns_settle_scan_t  *sc = data;

    if (ctns_settle_get(sc->b, "GET", key, NULL, entry, sizeof(entry)) != 0) {
        return;
    }

    e = json_loads(entry, 0, NULL);
    ctns_settle_never(sc->b, key + sc->prefix, e, sc->seen, sc->out);
    json_decref(e);
}


/* idx:psp:* lives on every master of a cluster: scanned on each */

static int
ctns_settle_never_rows(ctns_batch_t *b, json_t *out)
{
    int                 rc;
    char                pattern[128];
    ctns_settle_scan_t  sc;

    ctns_batch_key(b, pattern, sizeof(pattern), "idx:psp:*");

    sc.b = b;
    sc.prefix = strlen(pattern) - 1;
    sc.seen = json_object();
    sc.out = out;

    rc = ctns_redis_scan(&b->store.redis, pattern, ctns_settle_never_key,
                         &sc);

    if (rc != 0) {
        snprintf(b->error, sizeof(b->error), "Redis: %s", b->store.redis.err);
    }

    json_decref(sc.seen);

    return rc;
}


static const char *
ctns_settle_col(const json_t *row, const char *key)
{
    const char  *v;

    v = json_string_value(json_object_get(row, key));

    return v ? v : "";
}


int
ctns_cmd_settlements(ctns_batch_t *b, const ctns_batch_opts_t *o)
{
    size_t   i;
    char    *s;
    json_t  *rows, *row;

    if (!o->unmatched || o->nargs
        || (o->format && strcmp(o->format, "table")
            && strcmp(o->format, "json")))
    {
        fprintf(stderr, "settlements needs --unmatched [--format "
                "table|json]\n");
        return 2;
    }

    rows = json_array();

    if (ctns_settle_exception_rows(b, rows) != 0
        || ctns_settle_never_rows(b, rows) != 0)
    {
        fprintf(stderr, "%s\n", b->error);
        json_decref(rows);
        return 1;
    }

    if (o->format && strcmp(o->format, "json") == 0) {
        s = json_dumps(rows, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);

    } else {
        printf("%-14s %-8s %-30s %-20s %12s %-4s %s\n", "KIND", "PSP",
               "PAYOUT", "REFERENCE", "GROSS", "CUR", "REASON");

        json_array_foreach(rows, i, row) {
            printf("%-14s %-8s %-30s %-20s %12s %-4s %s\n",
                   ctns_settle_col(row, "kind"), ctns_settle_col(row, "psp"),
                   ctns_settle_col(row, "payout"),
                   ctns_settle_col(row, "reference"),
                   ctns_settle_col(row, "gross"),
                   ctns_settle_col(row, "currency"),
                   ctns_settle_col(row, "reason"));
        }

        printf("%zu exception%s\n", json_array_size(rows),
               json_array_size(rows) == 1 ? "" : "s");
    }

    i = json_array_size(rows);
    json_decref(rows);

    return i ? 1 : 0;
}
