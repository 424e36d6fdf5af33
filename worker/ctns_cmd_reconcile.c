/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-worker reconcile --from DATE --to DATE: commercetools orders
 * (ct-order-<id>, the order total) and Success refunds (ct-ref-<txId>, the
 * refund amount) created in the period against NetSuite transactions with
 * those external ids (SuiteQL, paged), plus every dead-lettered event.
 * Both sides are read with a day of margin so that time zones and posting
 * delays at the edges of the period do not show as gaps.  The counts of
 * a finished run are stored under <prefix>:reconcile:last for the status
 * API and the dashboard.  Exit status 1 when there is any gap, so that a
 * scheduler notices.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_batch.h"
#include "ctns_clock.h"
#include "ctns_keys_schema.h"
#include "ctns_money.h"
#include "ctns_reconcile.h"
#include "ctns_settle.h"
#include "ctns_time.h"


#define CTNS_DAY_MS       86400000LL
#define CTNS_DLQ_PAGE     "500"


typedef struct {
    ctns_batch_t        *b;
    int64_t              from;
    int64_t              to;          /* exclusive */
    char                 lo[40];      /* from - margin, ISO */
    char                 hi[40];      /* to + margin */
    ctns_recon_set_t     ct;
    ctns_recon_set_t     ns;
    ctns_recon_report_t  rep;
} ctns_recon_t;


static int
ctns_recon_in(const ctns_recon_t *r, const char *iso)
{
    int64_t  ms;

    return iso && ctns_time_parse(iso, ctns_now_ms(), &ms) == 0
           && ms >= r->from && ms < r->to;
}


static void
ctns_recon_order(ctns_recon_t *r, const json_t *o)
{
    json_t              *total;
    const char          *id, *number;
    ctns_money_t         m;
    ctns_recon_item_t   *it;

    id = json_string_value(json_object_get(o, "id"));

    /*
     * The NetSuite document carries the tax: compare with the gross total.
     * totalPrice is net for stores with net prices (US sales tax).
     */
    total = json_object_get(json_object_get(o, "taxedPrice"), "totalGross");
    if (total == NULL) {
        total = json_object_get(o, "totalPrice");
    }

    if (id == NULL || ctns_money_get(total, &m) != 0) {
        return;
    }

    it = ctns_recon_add(&r->ct);
    if (it == NULL) {
        return;
    }

    number = json_string_value(json_object_get(o, "orderNumber"));
    snprintf(it->eid, sizeof(it->eid), "ct-order-%s", id);
    snprintf(it->type, sizeof(it->type), "order");
    snprintf(it->ref, sizeof(it->ref), "%s", number ? number : id);
    memcpy(it->currency, m.currency, sizeof(it->currency));
    it->digits = m.digits;
    it->total = m.minor < 0 ? -m.minor : m.minor;
    it->in_range = ctns_recon_in(r, json_string_value(
                                        json_object_get(o, "createdAt")));
}


static void
ctns_recon_payment(ctns_recon_t *r, const json_t *p)
{
    size_t              i;
    json_t             *tx;
    const char         *type, *state, *id, *at;
    ctns_money_t        m;
    ctns_recon_item_t  *it;

    json_array_foreach(json_object_get(p, "transactions"), i, tx) {
        type = json_string_value(json_object_get(tx, "type"));
        state = json_string_value(json_object_get(tx, "state"));
        id = json_string_value(json_object_get(tx, "id"));
        at = json_string_value(json_object_get(tx, "timestamp"));

        if (type == NULL || state == NULL || id == NULL
            || strcmp(type, "Refund") || strcmp(state, "Success")
            || ctns_money_get(json_object_get(tx, "amount"), &m) != 0
            || (it = ctns_recon_add(&r->ct)) == NULL)
        {
            continue;
        }

        snprintf(it->eid, sizeof(it->eid), "ct-ref-%s", id);
        snprintf(it->type, sizeof(it->type), "refund");
        snprintf(it->ref, sizeof(it->ref), "payment %.60s",
                 json_string_value(json_object_get(p, "id")));
        memcpy(it->currency, m.currency, sizeof(it->currency));
        it->digits = m.digits;
        it->total = m.minor < 0 ? -m.minor : m.minor;
        it->in_range = ctns_recon_in(r, at ? at : json_string_value(
                                         json_object_get(p, "createdAt")));
    }
}


/*
 * Every resource of the query, id cursor paging (commercetools.md 9.4).
 * bounded 0: no upper limit, for payments, whose later modifications do
 * not move the refunds they already hold.
 */
static int
ctns_recon_ct_scan(ctns_recon_t *r, const char *what, const char *field,
    int bounded, void (*add)(ctns_recon_t *, const json_t *))
{
    long         status;
    size_t       i, n;
    char         path[768], last[96], cond[160], upper[96];
    json_t      *page, *res;
    const char  *id;

    last[0] = '\0';
    upper[0] = '\0';

    if (bounded) {
        snprintf(upper, sizeof(upper), " and %s < \"%s\"", field, r->hi);
    }

    for ( ;; ) {
        cond[0] = '\0';
        if (last[0]) {
            snprintf(cond, sizeof(cond), " and id > \"%s\"", last);
        }

        snprintf(path, sizeof(path), "%s?where=%s >= \"%s\"%s%s&sort=id asc"
                 "&limit=500&withTotal=false", what, field, r->lo, upper,
                 cond);

        page = ctns_batch_ct(r->b, path, &status);

        if (page == NULL || status != 200) {
            fprintf(stderr, "reconcile: commercetools %s: %s\n", what,
                    page ? "query refused" : r->b->error);
            json_decref(page);
            return -1;
        }

        n = json_array_size(json_object_get(page, "results"));

        json_array_foreach(json_object_get(page, "results"), i, res) {
            add(r, res);
            id = json_string_value(json_object_get(res, "id"));
            snprintf(last, sizeof(last), "%s", id ? id : "");
        }

        json_decref(page);

        if (n < 500) {
            return 0;
        }
    }
}


/* "2026-07-01", "7/1/2026" (NetSuite's user date format) -> ms */
static int
ctns_recon_ns_date(const char *s, int64_t *ms)
{
    int   y, m, d;
    char  iso[16];

    if (s && sscanf(s, "%d/%d/%d", &m, &d, &y) == 3) {
        snprintf(iso, sizeof(iso), "%04d-%02d-%02d", y, m, d);
        return ctns_time_parse(iso, ctns_now_ms(), ms);
    }

    return s ? ctns_time_parse(s, ctns_now_ms(), ms) : -1;
}


/* foreigntotal as a number or a string, in the item's precision */
static int
ctns_recon_ns_total(const json_t *v, int digits, int64_t *minor)
{
    const char  *s;

    s = json_string_value(v);

    if (s == NULL) {
        return ctns_money_value(v, digits, minor);
    }

    if (ctns_settle_decimal(s[0] == '-' ? s + 1 : s, digits, minor) != 0) {
        return -1;
    }

    return 0;
}


/* eid -> the commercetools item's precision and currency */
static json_t *
ctns_recon_ct_index(const ctns_recon_t *r)
{
    size_t   i;
    json_t  *idx;

    idx = json_object();

    for (i = 0; i < r->ct.n; i++) {
        json_object_set_new(idx, r->ct.items[i].eid,
                            json_integer((json_int_t) i));
    }

    return idx;
}


static void
ctns_recon_ns_row(ctns_recon_t *r, const json_t *row, const json_t *idx)
{
    int64_t                   ms;
    const char               *eid, *id, *type;
    const json_t             *k;
    ctns_recon_item_t        *it;
    const ctns_recon_item_t  *c;

    eid = json_string_value(json_object_get(row, "externalid"));
    id = json_string_value(json_object_get(row, "id"));
    type = json_string_value(json_object_get(row, "type"));

    if (eid == NULL || (it = ctns_recon_add(&r->ns)) == NULL) {
        return;
    }

    snprintf(it->eid, sizeof(it->eid), "%s", eid);
    snprintf(it->ns_id, sizeof(it->ns_id), "%s", id ? id : "");
    snprintf(it->type, sizeof(it->type), "%s", type ? type : "");
    snprintf(it->ref, sizeof(it->ref), "NetSuite %s", it->ns_id);

    k = json_object_get(idx, eid);
    c = k ? &r->ct.items[json_integer_value(k)] : NULL;
    it->digits = c ? c->digits : 2;
    snprintf(it->currency, sizeof(it->currency), "%s", c ? c->currency : "");

    if (ctns_recon_ns_total(json_object_get(row, "foreigntotal"), it->digits,
                            &it->total) != 0)
    {
        it->total = -1;
    }

    it->in_range = ctns_recon_ns_date(json_string_value(
                       json_object_get(row, "trandate")), &ms) == 0
                   && ms >= r->from && ms < r->to;
}


static int
ctns_recon_ns_scan(ctns_recon_t *r)
{
    size_t   i;
    char     q[512], lo[16], hi[16];
    json_t  *rows, *row, *idx;

    snprintf(lo, sizeof(lo), "%.10s", r->lo);
    snprintf(hi, sizeof(hi), "%.10s", r->hi);
    snprintf(q, sizeof(q), "SELECT id, externalid, type, foreigntotal, "
             "trandate FROM transaction WHERE (externalid LIKE 'ct-order-%%' "
             "OR externalid LIKE 'ct-ref-%%') AND trandate >= TO_DATE('%s', "
             "'YYYY-MM-DD') AND trandate <= TO_DATE('%s', 'YYYY-MM-DD') "
             "ORDER BY id", lo, hi);

    rows = ctns_batch_suiteql(r->b, q);
    if (rows == NULL) {
        fprintf(stderr, "reconcile: NetSuite: %s\n", r->b->error);
        return -1;
    }

    idx = ctns_recon_ct_index(r);

    json_array_foreach(rows, i, row) {
        ctns_recon_ns_row(r, row, idx);
    }

    json_decref(idx);
    json_decref(rows);

    return 0;
}


static const char *
ctns_recon_field(const redisReply *f, const char *name)
{
    size_t  i;

    for (i = 0; i + 1 < f->elements; i += 2) {
        if (strcmp(f->element[i]->str, name) == 0) {
            return f->element[i + 1]->str;
        }
    }

    return "";
}


static void
ctns_recon_dead_one(ctns_recon_t *r, const redisReply *e)
{
    const char        *code, *err;
    ctns_recon_gap_t  *g;
    const redisReply  *f;

    f = e->element[1];
    g = ctns_recon_gap_add(&r->rep);
    if (g == NULL) {
        return;
    }

    code = ctns_recon_field(f, "code");
    err = ctns_recon_field(f, "error");

    g->kind = CTNS_GAP_DEAD;
    snprintf(g->eid, sizeof(g->eid), "%s", ctns_recon_field(f, "id"));
    snprintf(g->type, sizeof(g->type), "%s", ctns_recon_field(f, "type"));
    snprintf(g->ref, sizeof(g->ref), "%s", ctns_recon_field(f, "resource"));
    snprintf(g->ns_id, sizeof(g->ns_id), "%s", e->element[0]->str);
    snprintf(g->detail, sizeof(g->detail), "dead letter: %s%s%s", code,
             code[0] ? ": " : "", err[0] ? err : "(no error recorded)");
}


/* every entry of the dead-letter stream, in pages */
static int
ctns_recon_dead(ctns_recon_t *r)
{
    size_t       i, n;
    char         key[128], start[64];
    const char  *argv[6];
    redisReply  *rep;

    snprintf(key, sizeof(key), CTNS_KEY_DLQ, r->b->conf->stream.prefix);
    snprintf(start, sizeof(start), "-");

    for ( ;; ) {
        argv[0] = "XRANGE";
        argv[1] = key;
        argv[2] = start;
        argv[3] = "+";
        argv[4] = "COUNT";
        argv[5] = CTNS_DLQ_PAGE;

        rep = ctns_batch_redis(r->b, 6, argv);
        if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(rep);
            fprintf(stderr, "reconcile: Redis: %s\n", r->b->error);
            return -1;
        }

        n = rep->elements;

        for (i = 0; i < n; i++) {
            ctns_recon_dead_one(r, rep->element[i]);
        }

        /* the next page starts right after the last id ("(" exclusive) */
        if (n > 0) {
            snprintf(start, sizeof(start), "(%s",
                     rep->element[n - 1]->element[0]->str);
        }

        freeReplyObject(rep);

        if (n < (size_t) atoi(CTNS_DLQ_PAGE)) {
            return 0;
        }
    }
}


/*
 * The summary the dashboard shows: the period (to exclusive), when the run
 * finished, and the gap counts by kind; the gaps themselves stay in the
 * printed report, where a month of them does not weigh on Redis.
 */
static int
ctns_recon_store(ctns_recon_t *r)
{
    char         *doc, key[128], from[40], to[40], at[40];
    size_t        i, kinds[CTNS_GAP_DEAD + 1];
    json_t       *sum;
    const char   *argv[3];
    redisReply   *rep;

    memset(kinds, 0, sizeof(kinds));

    for (i = 0; i < r->rep.n; i++) {
        kinds[r->rep.gaps[i].kind]++;
    }

    ctns_time_iso(r->from, from, sizeof(from));
    ctns_time_iso(r->to, to, sizeof(to));
    ctns_time_iso(ctns_now_ms(), at, sizeof(at));

    sum = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                    "from", from, "to", to, "finished_at", at,
                    "compared", (json_int_t) r->rep.compared,
                    "matched", (json_int_t) r->rep.matched,
                    "gaps", (json_int_t) r->rep.n,
                    "missing", (json_int_t) kinds[CTNS_GAP_MISSING],
                    "extra", (json_int_t) kinds[CTNS_GAP_EXTRA],
                    "mismatch", (json_int_t) kinds[CTNS_GAP_TOTAL],
                    "dead", (json_int_t) kinds[CTNS_GAP_DEAD]);
    doc = sum ? json_dumps(sum, JSON_COMPACT) : NULL;
    json_decref(sum);

    if (doc == NULL) {
        fprintf(stderr, "reconcile: summary: out of memory\n");
        return -1;
    }

    ctns_batch_key(r->b, key, sizeof(key), "reconcile:last");

    argv[0] = "SET";
    argv[1] = key;
    argv[2] = doc;

    rep = ctns_batch_redis(r->b, 3, argv);
    free(doc);

    if (rep == NULL) {
        fprintf(stderr, "reconcile: storing the summary: %s\n",
                r->b->error);
        return -1;
    }

    freeReplyObject(rep);

    return 0;
}


/* a date is the whole day: --to 2026-07-31 includes the 31st */
static int
ctns_recon_period(ctns_recon_t *r, const ctns_batch_opts_t *o)
{
    if (o->from == NULL || o->to == NULL
        || ctns_time_parse(o->from, ctns_now_ms(), &r->from) != 0
        || ctns_time_parse(o->to, ctns_now_ms(), &r->to) != 0)
    {
        fprintf(stderr, "reconcile needs --from and --to as dates or times "
                "(2026-07-01, 2026-07-01T12:00:00Z)\n");
        return -1;
    }

    if (strlen(o->to) == 10) {
        r->to += CTNS_DAY_MS;
    }

    if (r->to <= r->from) {
        fprintf(stderr, "reconcile: --to is not after --from\n");
        return -1;
    }

    ctns_time_iso(r->from - CTNS_DAY_MS, r->lo, sizeof(r->lo));
    ctns_time_iso(r->to + CTNS_DAY_MS, r->hi, sizeof(r->hi));

    return 0;
}


int
ctns_cmd_reconcile(ctns_batch_t *b, const ctns_batch_opts_t *o)
{
    int           rc, refunds;
    const char   *fmt;
    ctns_recon_t  r;

    fmt = o->format ? o->format : "table";

    if (o->nargs || (strcmp(fmt, "table") && strcmp(fmt, "csv")
                     && strcmp(fmt, "json")))
    {
        fprintf(stderr, "reconcile: --format is table, csv or json\n");
        return 2;
    }

    memset(&r, 0, sizeof(r));
    r.b = b;

    if (ctns_recon_period(&r, o) != 0) {
        return 2;
    }

    rc = 1;

    /* with the refund flow off (flows.refunds) no ct-ref- is expected */
    refunds = !json_is_false(json_object_get(json_object_get(b->conf->root,
                                                             "flows"),
                                             "refunds"));

    if (ctns_recon_ct_scan(&r, "orders", "createdAt", 1,
                           ctns_recon_order) == 0
        && (!refunds
            || ctns_recon_ct_scan(&r, "payments", "lastModifiedAt", 0,
                                  ctns_recon_payment) == 0)
        && ctns_recon_ns_scan(&r) == 0
        && ctns_reconcile(&r.ct, &r.ns, &r.rep) == 0
        && ctns_recon_dead(&r) == 0)
    {
        ctns_recon_print(&r.rep, fmt, stdout);
        rc = ctns_recon_store(&r) != 0 ? 3 : r.rep.n ? 1 : 0;

    } else {
        rc = 3;
    }

    ctns_recon_report_free(&r.rep);
    ctns_recon_set_free(&r.ct);
    ctns_recon_set_free(&r.ns);

    return rc;
}
