/*
 * Copyright (C) ct-netsuite authors
 *
 * Stripe payouts: the payout object with its balance transactions (the
 * list GET /v1/balance_transactions?payout=po_... returns), optionally the
 * charge and refund objects (or the sources expanded in place).  Accepted
 * documents: {"payout", "balance_transactions"} for one payout, or
 * {"payouts": [...], "charges": [...], "refunds": [...]}.  Each line keeps
 * amount - fee = net and sum(fee_details) = fee; the payout's own "payout"
 * transaction is checked against the payout and left out (the list may or
 * may not contain it).  Errors are located by JSON path.
 */


#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctns_eid.h"
#include "ctns_money.h"
#include "ctns_settle.h"


typedef struct {
    const json_t        *objects;      /* id -> charge / refund */
    ctns_conf_errors_t  *errs;
    char                 path[160];
    int                  failed;
} ctns_stripe_t;


/* reporting_category first: it is what Stripe recommends for accounting */
static const struct {
    const char          *name;
    ctns_settle_type_e   type;
} ctns_stripe_categories[] = {
    { "charge", CTNS_SETTLE_CAPTURE },
    { "payment", CTNS_SETTLE_CAPTURE },
    { "refund", CTNS_SETTLE_REFUND },
    { "payment_refund", CTNS_SETTLE_REFUND },
    { "dispute", CTNS_SETTLE_CHARGEBACK },
    { "fee", CTNS_SETTLE_FEE },
    { "stripe_fee", CTNS_SETTLE_FEE },
    { "dispute_reversal", CTNS_SETTLE_ADJUSTMENT },
    { "refund_failure", CTNS_SETTLE_ADJUSTMENT },
    { "partial_capture_reversal", CTNS_SETTLE_ADJUSTMENT },
    { "other_adjustment", CTNS_SETTLE_ADJUSTMENT },
    { "adjustment", CTNS_SETTLE_ADJUSTMENT },
    { "payout_reversal", CTNS_SETTLE_ADJUSTMENT },
    { NULL, CTNS_SETTLE_ADJUSTMENT }
};


static void
ctns_stripe_error(ctns_stripe_t *st, const char *field, const char *fmt,
    const char *arg)
{
    char  where[160];

    snprintf(where, sizeof(where), "%s%s%s", st->path, field[0] ? "." : "",
             field);
    ctns_conf_error(st->errs, where, fmt, arg);
    st->failed = 1;
}


static const char *
ctns_stripe_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}


static int
ctns_stripe_int(ctns_stripe_t *st, const json_t *o, const char *key,
    int64_t *v)
{
    const json_t  *j;

    j = json_object_get(o, key);

    if (!json_is_integer(j)) {
        ctns_stripe_error(st, key, "%s", "must be an integer (minor units)");
        return -1;
    }

    *v = json_integer_value(j);

    return 0;
}


static const char *
ctns_stripe_id(const json_t *v)
{
    return json_is_object(v) ? ctns_stripe_str(v, "id")
                             : json_string_value(v);
}


/* the charge or refund object behind a source: expanded, or listed */
static const json_t *
ctns_stripe_source(ctns_stripe_t *st, const json_t *source)
{
    const char  *id;

    if (json_is_object(source)) {
        return source;
    }

    id = json_string_value(source);

    return id ? json_object_get(st->objects, id) : NULL;
}


static int
ctns_stripe_fees(ctns_stripe_t *st, const json_t *txn, int64_t fee)
{
    size_t   i;
    int64_t  sum;
    json_t  *d;

    sum = 0;

    json_array_foreach(json_object_get(txn, "fee_details"), i, d) {
        sum += json_integer_value(json_object_get(d, "amount"));
    }

    if (json_array_size(json_object_get(txn, "fee_details")) && sum != fee) {
        ctns_stripe_error(st, "fee_details", "%s", "amounts do not add up "
                          "to fee");
        return -1;
    }

    return 0;
}


static void
ctns_stripe_refs(ctns_stripe_t *st, const json_t *txn, ctns_payout_t *p,
    ctns_settle_line_t *l)
{
    char           cur[8];
    size_t         i;
    int64_t        amount;
    const char    *v;
    const json_t  *src;

    src = ctns_stripe_source(st, json_object_get(txn, "source"));
    v = ctns_stripe_id(json_object_get(txn, "source"));

    snprintf(l->refs[0], sizeof(l->refs[0]), "%s", v ? v : "");
    snprintf(l->refs[1], sizeof(l->refs[1]), "%s",
             src && ctns_stripe_str(json_object_get(src, "metadata"),
                                    "psp_reference")
             ? ctns_stripe_str(json_object_get(src, "metadata"),
                               "psp_reference")
             : "");
    v = src ? ctns_stripe_id(json_object_get(src, "payment_intent")) : NULL;
    snprintf(l->refs[2], sizeof(l->refs[2]), "%s", v ? v : "");

    memcpy(l->gross_currency, p->currency, 4);
    l->gross_digits = p->digits;
    l->gross = l->converted;

    /* converted charge: gross in the charge's own currency and amount */
    v = src ? ctns_stripe_str(src, "currency") : NULL;

    if (v && strlen(v) == 3 && json_is_number(json_object_get(txn,
                                                              "exchange_rate"))
        && json_is_integer(json_object_get(src, "amount")))
    {
        for (i = 0; i < 4; i++) {
            cur[i] = (char) toupper((unsigned char) v[i]);
        }

        amount = json_integer_value(json_object_get(src, "amount"));
        memcpy(l->gross_currency, cur, 4);
        l->gross_digits = ctns_money_digits(cur);
        l->gross = l->converted < 0 ? -amount : amount;
        snprintf(l->rate, sizeof(l->rate), "%.9g",
                 json_number_value(json_object_get(txn, "exchange_rate")));
    }
}


static int
ctns_stripe_type(ctns_stripe_t *st, const json_t *txn, ctns_settle_line_t *l)
{
    size_t       i;
    const char  *cat;

    cat = ctns_stripe_str(txn, "reporting_category");
    if (cat == NULL) {
        cat = ctns_stripe_str(txn, "type");
    }

    for (i = 0; cat && ctns_stripe_categories[i].name; i++) {
        if (strcmp(ctns_stripe_categories[i].name, cat) == 0) {
            l->type = ctns_stripe_categories[i].type;
            snprintf(l->kind, sizeof(l->kind), "%s", cat);
            return 0;
        }
    }

    ctns_stripe_error(st, "reporting_category", "unknown category \"%s\"",
                      cat ? cat : "(none)");
    return -1;
}


static void
ctns_stripe_txn(ctns_stripe_t *st, const json_t *txn, const json_t *payout,
    ctns_payout_t *p, int row)
{
    int64_t              amount, fee, net;
    const char          *id, *cur, *type;
    ctns_settle_line_t  *l;

    id = ctns_stripe_str(txn, "id");
    cur = ctns_stripe_str(txn, "currency");
    type = ctns_stripe_str(txn, "type");

    if (id == NULL || id[0] == '\0') {
        ctns_stripe_error(st, "id", "%s", "missing");
        return;
    }

    if (ctns_stripe_int(st, txn, "amount", &amount)
        || ctns_stripe_int(st, txn, "fee", &fee)
        || ctns_stripe_int(st, txn, "net", &net)
        || ctns_stripe_fees(st, txn, fee) != 0)
    {
        return;
    }

    if (cur == NULL || strcasecmp(cur, p->currency) != 0) {
        ctns_stripe_error(st, "currency", "\"%s\" is not the payout's "
                          "currency", cur ? cur : "(none)");
        return;
    }

    if (amount - fee != net) {
        ctns_stripe_error(st, "net", "%s", "is not amount - fee");
        return;
    }

    if (type && strcmp(type, "payout") == 0) {
        if (strcmp(id, ctns_stripe_str(payout, "balance_transaction")
                       ? ctns_stripe_str(payout, "balance_transaction") : "")
            != 0 || net != -p->amount)
        {
            ctns_stripe_error(st, "", "%s", "a payout transaction that is "
                              "not this payout's own");
        }

        return;
    }

    l = ctns_settle_line_add(p);
    if (l == NULL) {
        ctns_stripe_error(st, "", "%s", "out of memory");
        return;
    }

    l->row = row;
    l->converted = amount;
    l->fee = fee;
    l->net = net;
    snprintf(l->id, sizeof(l->id), "%s", id);
    snprintf(l->memo, sizeof(l->memo), "%s",
             ctns_stripe_str(txn, "description")
             ? ctns_stripe_str(txn, "description") : id);

    if (ctns_stripe_type(st, txn, l) == 0) {
        ctns_stripe_refs(st, txn, p, l);
    }
}


static int
ctns_stripe_head(ctns_stripe_t *st, const json_t *po, ctns_payout_t *p)
{
    int64_t       arrival;
    time_t        t;
    struct tm     tm;
    size_t        i;
    const char   *cur, *status;

    cur = ctns_stripe_str(po, "currency");
    status = ctns_stripe_str(po, "status");

    if (cur == NULL || strlen(cur) != 3) {
        ctns_stripe_error(st, "currency", "%s", "must be an ISO 4217 code");
        return -1;
    }

    for (i = 0; i < 4; i++) {
        p->currency[i] = (char) toupper((unsigned char) cur[i]);
    }

    p->digits = ctns_money_digits(p->currency);

    if (status && strcmp(status, "paid") != 0) {
        ctns_stripe_error(st, "status", "is \"%s\": only paid payouts are "
                          "deposited", status);
        return -1;
    }

    if (json_is_false(json_object_get(po, "automatic"))) {
        ctns_stripe_error(st, "automatic", "%s", "manual payouts keep no "
                          "list of their transactions");
        return -1;
    }

    if (ctns_stripe_int(st, po, "amount", &p->amount)
        || ctns_stripe_int(st, po, "arrival_date", &arrival))
    {
        return -1;
    }

    t = (time_t) arrival;
    if (gmtime_r(&t, &tm) == NULL) {
        ctns_stripe_error(st, "arrival_date", "%s", "out of range");
        return -1;
    }

    strftime(p->date, sizeof(p->date), "%Y-%m-%d", &tm);

    return 0;
}


static void
ctns_stripe_payout(ctns_stripe_t *st, const json_t *item, ctns_settlement_t *s)
{
    size_t          i, plen;
    const char     *id;
    const json_t   *po, *list, *data, *txn;
    ctns_payout_t  *p;

    po = json_object_get(item, "payout");
    id = ctns_stripe_str(po, "id");

    if (id == NULL || strlen(id) >= CTNS_SETTLE_ID_LEN || !ctns_eid_valid(id))
    {
        ctns_stripe_error(st, "payout.id", "%s", "missing or not "
                          "[A-Za-z0-9_-]");
        return;
    }

    p = ctns_settle_payout_add(s, "stripe", id);
    if (p == NULL) {
        ctns_stripe_error(st, "", "%s", "out of memory");
        return;
    }

    plen = strlen(st->path);
    snprintf(st->path + plen, sizeof(st->path) - plen, "%spayout",
             plen ? "." : "");

    if (ctns_stripe_head(st, po, p) != 0) {
        return;
    }

    st->path[plen] = '\0';

    list = json_object_get(item, "balance_transactions");
    data = json_is_array(list) ? list : json_object_get(list, "data");

    if (json_is_true(json_object_get(list, "has_more"))) {
        ctns_stripe_error(st, "balance_transactions.has_more", "%s",
                          "the list is incomplete: fetch every page");
        return;
    }

    if (!json_is_array(data)) {
        ctns_stripe_error(st, "balance_transactions", "%s", "must be a list "
                          "or an array");
        return;
    }

    json_array_foreach(data, i, txn) {
        snprintf(st->path + plen, sizeof(st->path) - plen, "%s"
                 "balance_transactions%s[%zu]", plen ? "." : "",
                 json_is_array(list) ? "" : ".data", i);
        ctns_stripe_txn(st, txn, po, p, (int) i + 1);
    }

    st->path[plen] = '\0';
}


/* id -> object of every listed charge and refund */
static json_t *
ctns_stripe_objects(const json_t *doc)
{
    size_t        i, k;
    json_t       *all, *o;
    const char   *id;
    static const char  *lists[] = { "charges", "refunds", NULL };

    all = json_object();

    for (k = 0; lists[k]; k++) {
        json_array_foreach(json_object_get(doc, lists[k]), i, o) {
            id = ctns_stripe_str(o, "id");
            if (id) {
                json_object_set(all, id, o);
            }
        }
    }

    return all;
}


int
ctns_settle_stripe_parse(const json_t *doc, ctns_settlement_t *s,
    ctns_conf_errors_t *errs)
{
    size_t          i;
    json_t         *item;
    const json_t   *payouts;
    ctns_stripe_t   st;

    memset(&st, 0, sizeof(st));
    memset(s, 0, sizeof(ctns_settlement_t));
    st.errs = errs;

    if (!json_is_object(doc)) {
        ctns_conf_error(errs, "", "the document must be a JSON object");
        return -1;
    }

    st.objects = ctns_stripe_objects(doc);
    payouts = json_object_get(doc, "payouts");

    if (json_is_array(payouts)) {
        json_array_foreach(payouts, i, item) {
            snprintf(st.path, sizeof(st.path), "payouts[%zu]", i);
            ctns_stripe_payout(&st, item, s);
        }

    } else if (json_object_get(doc, "payout")) {
        ctns_stripe_payout(&st, doc, s);

    } else {
        ctns_conf_error(errs, "", "neither \"payouts\" nor \"payout\": not "
                        "a Stripe payout document");
        st.failed = 1;
    }

    json_decref((json_t *) st.objects);

    if (!st.failed && s->n == 0) {
        ctns_conf_error(errs, "payouts", "no payout in the document");
        st.failed = 1;
    }

    if (st.failed || ctns_settle_check(s, errs) != 0) {
        ctns_settlement_free(s);
        return -1;
    }

    return 0;
}
