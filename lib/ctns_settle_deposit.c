/*
 * Copyright (C) ct-netsuite authors
 *
 * Settlement lines -> NetSuite records: judging PSP index entries for a
 * line, and the bank deposit of a payout whose total is the payout amount.
 * Deposit total = selected payments (refunds negative) + other deposits -
 * cash back (netsuite.md 4.5, settlements.md 5.2).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_eid.h"
#include "ctns_money.h"
#include "ctns_settle.h"


typedef struct {
    const ctns_payout_t  *p;
    json_t               *payment;
    json_t               *other;
    json_t               *cashback;
    int64_t               total;
} ctns_deposit_t;


int
ctns_settle_needs_link(const ctns_settle_line_t *l)
{
    return l->type == CTNS_SETTLE_CAPTURE || l->type == CTNS_SETTLE_REFUND;
}


/* NetSuite record types a line of this type may link to */
static int
ctns_settle_link_type(const ctns_settle_line_t *l, const char *type)
{
    if (l->type == CTNS_SETTLE_REFUND) {
        return strcmp(type, "customerRefund") == 0;
    }

    return strcmp(type, "customerPayment") == 0
           || strcmp(type, "customerDeposit") == 0
           || strcmp(type, "cashSale") == 0;
}


static void
ctns_settle_link_copy(char *dst, size_t len, const json_t *entry,
    const char *key)
{
    const char  *v;

    v = json_string_value(json_object_get(entry, key));
    snprintf(dst, len, "%s", v ? v : "");
}


int
ctns_settle_link(const ctns_settle_line_t *l, const char *ref,
    const char *entry, ctns_settle_link_t *link)
{
    int           digits;
    char          a[32], b[32];
    json_t       *e;
    int64_t       amount, want;
    const char   *type, *cur;

    e = json_loads(entry, 0, NULL);
    type = json_string_value(json_object_get(e, "type"));
    cur = json_string_value(json_object_get(e, "currency"));

    if (type == NULL || cur == NULL
        || !json_is_integer(json_object_get(e, "amount")))
    {
        json_decref(e);
        return -1;
    }

    if (!ctns_settle_link_type(l, type)) {
        json_decref(e);
        return 0;
    }

    memset(link, 0, sizeof(ctns_settle_link_t));
    snprintf(link->ref, sizeof(link->ref), "%s", ref);
    snprintf(link->type, sizeof(link->type), "%s", type);
    snprintf(link->currency, sizeof(link->currency), "%s", cur);
    ctns_settle_link_copy(link->eid, sizeof(link->eid), e, "externalId");
    ctns_settle_link_copy(link->order_id, sizeof(link->order_id), e,
                          "orderId");
    ctns_settle_link_copy(link->payment_id, sizeof(link->payment_id), e,
                          "paymentId");
    ctns_settle_link_copy(link->transaction_id, sizeof(link->transaction_id),
                          e, "transactionId");

    amount = json_integer_value(json_object_get(e, "amount"));
    digits = json_is_integer(json_object_get(e, "fractionDigits"))
             ? (int) json_integer_value(json_object_get(e, "fractionDigits"))
             : ctns_money_digits(cur);
    link->amount = amount;
    json_decref(e);

    want = l->gross < 0 ? -l->gross : l->gross;
    link->state = CTNS_LINK_MATCHED;

    if (strcmp(link->currency, l->gross_currency) != 0) {
        link->state = CTNS_LINK_MISMATCH;
        snprintf(link->reason, sizeof(link->reason), "currency %s in the "
                 "settlement, %s on %s", l->gross_currency, link->currency,
                 link->eid);

    } else if (digits != l->gross_digits || amount != want) {
        link->state = CTNS_LINK_MISMATCH;
        ctns_money_format(want, l->gross_digits, a, sizeof(a));
        ctns_money_format(amount, digits, b, sizeof(b));
        snprintf(link->reason, sizeof(link->reason), "amount %s %s settled, "
                 "%s %s on %s", a, link->currency, b, link->currency,
                 link->eid);
    }

    return 1;
}


static json_t *
ctns_deposit_ref(const char *id)
{
    return json_pack("{s:s}", "id", id);
}


/* money in on another account: other deposit; money out: cash back */
static void
ctns_deposit_book(ctns_deposit_t *d, const char *account, int64_t amount,
    const char *what, const ctns_settle_line_t *l)
{
    json_t  *item;
    char     memo[200];

    if (amount == 0) {
        return;
    }

    snprintf(memo, sizeof(memo), "%s: %s", what, l->memo);

    item = json_pack("{s:o,s:o,s:s}", "account", ctns_deposit_ref(account),
                     "amount", ctns_money_json(amount < 0 ? -amount : amount,
                                               d->p->digits),
                     "memo", memo);

    json_array_append_new(amount > 0 ? d->other : d->cashback, item);
    d->total += amount;
}


static int
ctns_deposit_payment(ctns_deposit_t *d, const ctns_settle_line_t *l,
    const ctns_settle_link_t *k, char *err, size_t errlen)
{
    char     memo[200];
    json_t  *item;

    if (k->ns_id[0] == '\0') {
        snprintf(err, errlen, "%s: NetSuite record %s has no internal id",
                 l->id, k->eid);
        return -1;
    }

    snprintf(memo, sizeof(memo), "%s (%s)", l->memo, k->eid);

    item = json_pack("{s:s,s:b,s:o,s:s}", "id", k->ns_id, "deposit", 1,
                     "paymentAmount", ctns_money_json(l->gross,
                                                      d->p->digits),
                     "memo", memo);

    json_array_append_new(d->payment, item);
    d->total += l->gross;

    return 0;
}


/* one line; 1 when it waits for a link under the "wait" policy */
static int
ctns_deposit_line(ctns_deposit_t *d, const ctns_settle_line_t *l,
    const ctns_settle_link_t *k, const ctns_settle_psp_t *psp,
    ctns_unmatched_e policy, char *err, size_t errlen)
{
    switch (l->type) {

    case CTNS_SETTLE_CAPTURE:
    case CTNS_SETTLE_REFUND:
        ctns_deposit_book(d, psp->fees, -l->fee, "PSP fee", l);

        if (k->state == CTNS_LINK_MATCHED
            && strcmp(l->gross_currency, d->p->currency) == 0)
        {
            return ctns_deposit_payment(d, l, k, err, errlen);
        }

        if (k->state == CTNS_LINK_MATCHED) {
            ctns_deposit_book(d, psp->clearing, l->converted,
                              "settled in another currency", l);
            return 0;
        }

        if (policy == CTNS_UNMATCHED_WAIT) {
            return 1;
        }

        ctns_deposit_book(d, psp->clearing, l->converted, "unmatched", l);
        return 0;

    case CTNS_SETTLE_CHARGEBACK:
        ctns_deposit_book(d, psp->chargebacks, l->converted, "chargeback",
                          l);
        ctns_deposit_book(d, psp->fees, -l->fee, "PSP fee", l);
        return 0;

    case CTNS_SETTLE_FEE:
        ctns_deposit_book(d, psp->fees, l->net, "PSP fee", l);
        return 0;

    default:
        ctns_deposit_book(d, psp->adjustments, l->net, "adjustment", l);
        return 0;
    }
}


static json_t *
ctns_deposit_body(const ctns_deposit_t *d, const ctns_settle_bank_t *bank,
    const char *eid)
{
    json_t  *body;
    char     memo[160];

    snprintf(memo, sizeof(memo), "%s payout %s", d->p->psp, d->p->id);

    body = json_pack("{s:s,s:o,s:o,s:o,s:s,s:s}",
                     "externalId", eid,
                     "account", ctns_deposit_ref(bank->account),
                     "subsidiary", ctns_deposit_ref(bank->subsidiary),
                     "currency", ctns_deposit_ref(bank->ns_currency),
                     "tranDate", d->p->date, "memo", memo);

    json_object_set_new(body, "payment", json_pack("{s:O}", "items",
                                                   d->payment));
    json_object_set_new(body, "other", json_pack("{s:O}", "items",
                                                 d->other));
    json_object_set_new(body, "cashback", json_pack("{s:O}", "items",
                                                    d->cashback));

    return body;
}


int
ctns_settle_deposit(const ctns_payout_t *p, const ctns_settle_link_t *links,
    const ctns_settle_psp_t *psp, ctns_unmatched_e policy, json_t **body,
    char *err, size_t errlen)
{
    int                        rc, waiting;
    char                       eid[CTNS_EID_MAX + 1], a[32], b[32];
    size_t                     i;
    ctns_deposit_t             d;
    const ctns_settle_bank_t  *bank;

    *body = NULL;
    bank = ctns_batch_conf_bank(psp, p->currency);

    if (bank == NULL) {
        snprintf(err, errlen, "settlements.psp.%s.banks has no %s account "
                 "for payout %s", psp->name, p->currency, p->id);
        return CTNS_DEPOSIT_ERROR;
    }

    if (ctns_eid(eid, sizeof(eid), CTNS_EID_PAYOUT, p->psp, p->id) < 0) {
        snprintf(err, errlen, "payout id %s makes no external id", p->id);
        return CTNS_DEPOSIT_ERROR;
    }

    memset(&d, 0, sizeof(d));
    d.p = p;
    d.payment = json_array();
    d.other = json_array();
    d.cashback = json_array();
    waiting = 0;
    rc = 0;

    for (i = 0; i < p->nlines && rc >= 0; i++) {
        rc = ctns_deposit_line(&d, &p->lines[i], &links[i], psp, policy, err,
                               errlen);
        waiting |= (rc == 1);
    }

    if (rc >= 0 && !waiting && d.total != p->amount) {
        ctns_money_format(d.total, p->digits, a, sizeof(a));
        ctns_money_format(p->amount, p->digits, b, sizeof(b));
        snprintf(err, errlen, "deposit lines total %s %s, the payout %s %s",
                 a, p->currency, b, p->currency);
        rc = -1;
    }

    if (rc >= 0 && !waiting) {
        *body = ctns_deposit_body(&d, bank, eid);
    }

    json_decref(d.payment);
    json_decref(d.other);
    json_decref(d.cashback);

    if (rc < 0) {
        return CTNS_DEPOSIT_ERROR;
    }

    return waiting ? CTNS_DEPOSIT_WAIT : CTNS_DEPOSIT_OK;
}


static json_t *
ctns_reversal_line(const char *account, const char *side, int64_t minor,
    int digits, const char *memo)
{
    return json_pack("{s:o,s:o,s:s}", "account", ctns_deposit_ref(account),
                     side, ctns_money_json(minor, digits), "memo", memo);
}


json_t *
ctns_settle_reversal(const ctns_settle_psp_t *psp, const char *payout_id,
    const char *currency, const char *amount, const char *date,
    const char *memo, char *err, size_t errlen)
{
    int                        digits;
    char                       eid[CTNS_EID_MAX + 1];
    json_t                    *body, *lines;
    int64_t                    minor;
    const char                *dot;
    const ctns_settle_bank_t  *bank;

    bank = ctns_batch_conf_bank(psp, currency);

    if (bank == NULL) {
        snprintf(err, errlen, "settlements.psp.%s.banks has no %s account "
                 "for payout %s", psp->name, currency, payout_id);
        return NULL;
    }

    dot = strchr(amount, '.');
    digits = dot ? (int) strlen(dot + 1) : 0;

    if (ctns_settle_decimal(amount, digits, &minor) != 0 || minor <= 0) {
        snprintf(err, errlen, "payout %s: amount \"%s\" is no positive "
                 "decimal", payout_id, amount);
        return NULL;
    }

    if (snprintf(eid, sizeof(eid), "ct-payout-rev-%s-%s", psp->name,
                 payout_id)
        >= (int) sizeof(eid))
    {
        snprintf(err, errlen, "payout id %s makes no external id",
                 payout_id);
        return NULL;
    }

    lines = json_pack("[o,o]",
                      ctns_reversal_line(psp->adjustments, "debit", minor,
                                         digits, memo),
                      ctns_reversal_line(bank->account, "credit", minor,
                                         digits, memo));

    body = json_pack("{s:s,s:o,s:o,s:s,s:s,s:{s:o}}",
                     "externalId", eid,
                     "subsidiary", ctns_deposit_ref(bank->subsidiary),
                     "currency", ctns_deposit_ref(bank->ns_currency),
                     "tranDate", date, "memo", memo,
                     "line", "items", lines);

    return body;
}
