/*
 * Copyright (C) ct-netsuite authors
 *
 * Payment events: a Charge in Success is a capture (customer deposit on the
 * sales order before it is invoiced, customer payment applied to the
 * invoice after), a Refund in Success a credit memo + customer refund.
 * Authorizations post nothing.  Both need the payment and its order, which
 * the engine fetches (CTNS_MAP_NEED).
 */


#include <string.h>

#include "ctns_map_int.h"


#define CTNS_MAP_MAX_TX  32


static int
ctns_map_in(const json_t *strings, const char *s)
{
    size_t   i;
    json_t  *v;

    json_array_foreach(strings, i, v) {
        if (s && strcmp(json_string_value(v), s) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * Where money in or out of this payment is booked.  Receipts go to a
 * clearing account when one is configured (for a gift card the routing
 * rule's gift-card account; the rule's, the PSP's, the gift-card
 * account), else to NetSuite's Undeposited Funds with
 * undepFunds T: NetSuite refuses the undeposited-funds account itself as
 * a receipt's "account".  A customer refund has no undepFunds flag, so it
 * always names an account: the rule's refund account, the clearing
 * account, accounts.refund, or the undeposited-funds account.
 */
void
ctns_map_pay_account(json_t *body, const ctns_map_conf_t *conf,
    const ctns_map_route_t *route, const json_t *payment, int refund)
{
    int            gc;
    const char    *psp, *method;
    const json_t  *acct;

    psp = ctns_map_str(json_object_get(payment, "paymentMethodInfo"),
                       "paymentInterface");
    method = ctns_map_str(json_object_get(payment, "paymentMethodInfo"),
                          "method");
    gc = ctns_map_in(conf->gc_methods, method);

    /* a redemption is no PSP money: the rule's gift-card bank comes first */
    acct = gc && route->giftcard ? route->giftcard : route->clearing;

    if (acct == NULL && psp) {
        acct = ctns_map_path(json_object_get(conf->psp, psp), "clearing");
    }

    if (acct == NULL && gc) {
        acct = conf->gc_account;
    }

    if (refund) {
        acct = route->refund_account ? route->refund_account
               : acct ? acct
               : conf->refund_account ? conf->refund_account
               : route->undeposited ? route->undeposited
               : conf->undeposited;
    }

    if (acct) {
        ctns_map_set_ref(body, "account", acct);

    } else if (!refund) {
        json_object_set_new(body, "undepFunds", json_pack("{s:s}", "id", "T"));
    }
}


/* the PSP reference of a transaction: its own, else the payment's */
const char *
ctns_map_psp_ref(const json_t *payment, const json_t *tx)
{
    const char  *ref;

    ref = ctns_map_str(tx, "interactionId");
    ref = ref ? ref : ctns_map_str(tx, "interfaceId");

    return ref ? ref : ctns_map_str(payment, "interfaceId");
}


/* fields every payment-side record of the order carries */
json_t *
ctns_map_pay_body(const ctns_map_doc_t *doc, const json_t *payment,
    const json_t *tx, const char *eid, const char *what)
{
    json_t       *b;
    const char   *psp, *ref;
    char          memo[512];

    psp = ctns_map_str(json_object_get(payment, "paymentMethodInfo"),
                       "paymentInterface");
    ref = ctns_map_psp_ref(payment, tx);

    snprintf(memo, sizeof(memo), "%s %s %s of commercetools order %s "
             "(payment %s, transaction %s)", psp ? psp : "PSP", what,
             ref ? ref : "-", doc->number,
             ctns_map_str(payment, "id") ? ctns_map_str(payment, "id") : "-",
             ctns_map_str(tx, "id"));

    b = json_object();
    json_object_set_new(b, "externalId", json_string(eid));
    json_object_set_new(b, "customer", ctns_map_customer_ref(doc));
    ctns_map_set_ref(b, "subsidiary", doc->route->subsidiary);
    ctns_map_set_ref(b, "currency", doc->route->currency);
    ctns_map_date(b, ctns_map_str(tx, "timestamp"));
    json_object_set_new(b, "memo", ctns_map_text(memo, 999));

    if (doc->conf->cf_psp_name && psp) {
        json_object_set_new(b, doc->conf->cf_psp_name, ctns_map_text(psp, 300));
    }

    if (doc->conf->cf_psp_ref && ref) {
        json_object_set_new(b, doc->conf->cf_psp_ref, ctns_map_text(ref, 300));
    }

    if (doc->conf->cf_order_id) {
        json_object_set_new(b, doc->conf->cf_order_id,
                            ctns_map_text(doc->id, 300));
    }

    return b;
}


/* idx:psp:<reference> -> the NetSuite record a settlement line links to */
void
ctns_map_psp_index(const ctns_map_doc_t *doc, const json_t *payment,
    const json_t *tx, const char *type, const char *eid, int64_t amount,
    ctns_plan_t *plan)
{
    size_t       i;
    json_t      *v;
    const char  *refs[2];
    char         key[192];

    refs[0] = ctns_map_str(tx, "interactionId");
    refs[1] = ctns_map_str(tx, "interfaceId");

    for (i = 0; i < 2; i++) {
        if (refs[i] == NULL || (i == 1 && refs[0]
                                && strcmp(refs[0], refs[1]) == 0))
        {
            continue;
        }

        v = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:I,s:s,s:i}",
                      "type", type, "externalId", eid, "orderId", doc->id,
                      "paymentId", ctns_map_str(payment, "id"),
                      "transactionId", ctns_map_str(tx, "id"),
                      "amount", (json_int_t) amount,
                      "currency", doc->currency,
                      "fractionDigits", doc->digits);

        snprintf(key, sizeof(key), "idx:psp:%s", refs[i]);
        ctns_map_set(plan, key, json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS));
        json_decref(v);
    }
}


/*
 * apply: the document read back (invoice, credit memo) by internal id, for
 * at most what is still open on it; nothing open leaves the payment
 * unapplied (a customer credit) rather than failing.
 */
json_t *
ctns_map_apply_derive(const json_t *read, const json_t *arg, char *err,
    size_t errlen)
{
    int64_t        amount, open;
    int            digits;
    json_t        *out;
    const char    *id;
    const json_t  *rest;

    id = ctns_map_str(read, "id");
    digits = (int) json_integer_value(json_object_get(arg, "digits"));

    if (id == NULL
        || ctns_money_value(json_object_get(arg, "apply_amount"), digits,
                            &amount) != 0)
    {
        ctns_map_err(err, errlen, "cannot apply to a record without id");
        return NULL;
    }

    rest = json_object_get(read, "amountRemaining");
    rest = rest ? rest : json_object_get(read, "unapplied");

    if (rest && ctns_money_value(rest, digits, &open) == 0 && open < amount) {
        amount = open;
    }

    out = json_deep_copy(arg);
    json_object_del(out, "apply_amount");
    json_object_del(out, "digits");

    if (amount > 0) {
        json_object_set_new(out, "apply",
            json_pack("{s:[{s:{s:s},s:b,s:o}]}", "items", "doc", "id", id,
                      "apply", 1, "amount", ctns_money_json(amount, digits)));
    }

    return out;
}


/*
 * Payment and order events run in parallel: a document that refers to the
 * order's records first reads the order's own document, so that while the
 * order is not posted yet the worker retries (a 404 of a record the plan
 * refers to) instead of NetSuite refusing a reference to nothing.
 */
static int
ctns_map_nothing_open(const json_t *so)
{
    size_t   i;
    json_t  *line;

    /* open: not billed and not closed (a cancelled order's lines) */
    json_array_foreach(ctns_map_path(so, "item.items"), i, line) {
        if (!json_is_true(json_object_get(line, "isClosed"))
            && json_number_value(json_object_get(line, "quantityBilled"))
               < json_number_value(json_object_get(line, "quantity")))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * A deposit taken before invoicing whose order events were posted first:
 * the sales order is billed (or closed) already and takes no deposit, so
 * the deposit stays unlinked, a customer credit to apply to the invoices.
 */
static json_t *
ctns_map_after_order_derive(const json_t *read, const json_t *arg, char *err,
    size_t errlen)
{
    json_t  *out;

    out = json_deep_copy(arg);

    if (json_object_get(out, "salesOrder") == NULL) {
        return out;
    }

    if (ctns_map_nothing_open(read) || ctns_map_str(read, "id") == NULL) {
        json_object_del(out, "salesOrder");
        return out;
    }

    json_object_set_new(out, "salesOrder",
                        json_pack("{s:s}", "id", ctns_map_str(read, "id")));

    return out;
}


void
ctns_map_after_order(ctns_op_t *op, const ctns_map_doc_t *doc)
{
    char  eid[128];

    if (op && ctns_map_eid(eid, sizeof(eid), "ct-order-", doc->id, NULL) == 0)
    {
        ctns_map_op_read(op, doc->conf->cash_sale ? "cashSale" : "salesOrder",
                         eid, ctns_map_after_order_derive);
    }
}


/*
 * The invoice a capture pays, if it came after invoicing: the order's
 * invoice, or the latest delivery invoice created before the capture.
 */
static int
ctns_map_capture_invoice(const ctns_map_doc_t *doc, const json_t *tx,
    char *eid, size_t len)
{
    const char  *did;

    if (doc->conf->invoice_on_order) {
        return ctns_map_eid(eid, len, "ct-inv-", doc->id, NULL) == 0;
    }

    did = ctns_map_invoiced_before(doc, ctns_map_str(tx, "timestamp"));

    return did && ctns_map_eid(eid, len, "ct-inv-", doc->id, did) == 0;
}


static int
ctns_map_plans(const ctns_plan_t *plan, const char *type)
{
    size_t  i;

    for (i = 0; i < plan->nops; i++) {
        if (strcmp(plan->ops[i].type, type) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * A record transformed from another (invoice -> customerPayment,
 * creditMemo -> customerRefund): created once, never rewritten, so that a
 * replay cannot undo what has been applied since.
 */
ctns_op_t *
ctns_map_transform_op(ctns_plan_t *plan, const char *type, const char *eid,
    json_t *body, const char *from_type, const char *from_eid)
{
    ctns_op_t  *op;

    op = ctns_map_op(plan, CTNS_OP_TRANSFORM, type, eid, body);
    if (op) {
        snprintf(op->from_type, sizeof(op->from_type), "%s", from_type);
        snprintf(op->from_eid, sizeof(op->from_eid), "%s", from_eid);
    }

    return op;
}


static int
ctns_map_capture(const ctns_map_doc_t *doc, const json_t *payment,
    const json_t *tx, int64_t amount, ctns_plan_t *plan, char *err,
    size_t errlen)
{
    json_t       *body;
    ctns_op_t    *op;
    const char   *txid;
    char          eid[128], so[128], inv[128];

    txid = ctns_map_str(tx, "id");

    if (doc->conf->cash_sale) {
        ctns_map_eid(so, sizeof(so), "ct-order-", doc->id, NULL);
        ctns_map_psp_index(doc, payment, tx, "cashSale", so, amount, plan);
        snprintf(plan->reason, sizeof(plan->reason),
                 "capture %s is part of the cash sale", txid);
        return CTNS_MAP_OK;
    }

    if (ctns_map_capture_invoice(doc, tx, inv, sizeof(inv))) {
        if (ctns_map_eid(eid, sizeof(eid), "ct-pay-", txid, NULL) != 0) {
            goto bad_id;
        }

        /*
         * The invoices come first, as the order's events plan them (each
         * created once by external id): a capture handled before its
         * delivery's event, or after that event was lost, finds the
         * invoice it pays instead of retrying until it dead-letters.
         */
        if (!ctns_map_plans(plan, "invoice")
            && ctns_map_ship_sync(doc, plan, err, errlen) != CTNS_MAP_OK)
        {
            return CTNS_MAP_ERROR;
        }

        body = ctns_map_pay_body(doc, payment, tx, eid, "capture");
        json_object_set_new(body, "payment", ctns_money_json(amount,
                                                             doc->digits));
        ctns_map_pay_account(body, doc->conf, doc->route, payment, 0);
        json_object_set_new(body, "apply_amount",
                            ctns_money_json(amount, doc->digits));
        json_object_set_new(body, "digits", json_integer(doc->digits));

        /*
         * Created once and applied for what is open on the invoice when it
         * is created: an invoice already paid by deposits leaves the
         * payment unapplied (a transform would be refused).
         */
        op = ctns_map_op(plan, CTNS_OP_CREATE, "customerPayment", eid, body);
        if (op) {
            snprintf(op->replace, sizeof(op->replace), "apply");
            ctns_map_op_read(op, "invoice", inv, ctns_map_apply_derive);
        }

        ctns_map_psp_index(doc, payment, tx, "customerPayment", eid, amount,
                           plan);
        return CTNS_MAP_OK;
    }

    if (ctns_map_eid(eid, sizeof(eid), "ct-dep-", txid, NULL) != 0
        || ctns_map_eid(so, sizeof(so), "ct-order-", doc->id, NULL) != 0)
    {
        goto bad_id;
    }

    body = ctns_map_pay_body(doc, payment, tx, eid, "capture");
    json_object_set_new(body, "salesOrder", ctns_map_ref_eid(so));
    json_object_set_new(body, "payment", ctns_money_json(amount, doc->digits));
    ctns_map_pay_account(body, doc->conf, doc->route, payment, 0);

    op = ctns_map_op(plan, CTNS_OP_CREATE, "customerDeposit", eid, body);
    if (op == NULL) {
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    ctns_map_after_order(op, doc);

    ctns_map_psp_index(doc, payment, tx, "customerDeposit", eid, amount,
                       plan);

    return CTNS_MAP_OK;

bad_id:

    ctns_map_err(err, errlen, "transaction id %s cannot be an external id",
                 txid ? txid : "(none)");
    return CTNS_MAP_ERROR;
}


static int
ctns_map_tx_post(const ctns_map_conf_t *conf, ctns_map_doc_t *doc,
    const json_t *payment, const json_t *tx, ctns_plan_t *plan, char *err,
    size_t errlen)
{
    ctns_money_t  m;
    const char   *type;

    type = ctns_map_str(tx, "type");

    if (ctns_money_get(json_object_get(tx, "amount"), &m) != 0
        || strcmp(m.currency, doc->currency) != 0 || m.digits != doc->digits)
    {
        ctns_map_err(err, errlen, "transaction %s: amount is not in the "
                     "order's currency %s", ctns_map_str(tx, "id"),
                     doc->currency);
        return CTNS_MAP_ERROR;
    }

    if (strcmp(type, "Charge") == 0) {
        return conf->payments
               ? ctns_map_capture(doc, payment, tx, m.minor, plan, err,
                                  errlen)
               : CTNS_MAP_OK;
    }

    return conf->refunds
           ? ctns_map_refund(conf, doc, payment, tx, plan, err, errlen)
           : CTNS_MAP_OK;
}


static int
ctns_map_tx_wanted(const json_t *tx)
{
    const char  *type, *state;

    type = ctns_map_str(tx, "type");
    state = ctns_map_str(tx, "state");

    return type && state && strcmp(state, "Success") == 0
           && (strcmp(type, "Charge") == 0 || strcmp(type, "Refund") == 0);
}


/*
 * Every Charge and Refund in Success of the payment, whichever transaction
 * the event is about: each posts once by external id, so an event skipped
 * as stale, or lost, costs no posting as long as a later one of the
 * payment arrives.  0 with plan->reason when there is none.
 */
static size_t
ctns_map_tx_list(ctns_map_input_t *in, const json_t *payment,
    const json_t **txs, ctns_plan_t *plan)
{
    size_t   i, n;
    json_t  *tx;

    n = 0;

    json_array_foreach(json_object_get(payment, "transactions"), i, tx) {
        if (ctns_map_tx_wanted(tx) && n < CTNS_MAP_MAX_TX) {
            txs[n++] = tx;
        }
    }

    if (n == 0) {
        plan->ignored = 1;
        snprintf(plan->reason, sizeof(plan->reason), "payment %s has no "
                 "Charge or Refund in Success: authorizations and pending "
                 "transactions post nothing", in->event->rid);
    }

    return n;
}


int
ctns_map_payment(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int              rc;
    size_t           i, n;
    const json_t    *payment, *order, *txs[CTNS_MAP_MAX_TX];
    const char      *pid, *method;
    ctns_map_doc_t   doc;
    char             path[256];

    pid = in->event->rid;
    payment = json_object_get(in->payload, "payment");

    if (payment == NULL) {
        snprintf(path, sizeof(path), "payments/%s", pid);
        rc = ctns_map_need(in, path, &payment);

        if (rc <= 0) {
            if (rc == 0) {
                return CTNS_MAP_NEED;
            }

            ctns_map_err(err, errlen, "payment %s does not exist", pid);
            return CTNS_MAP_ERROR;
        }
    }

    n = ctns_map_tx_list(in, payment, txs, plan);
    if (n == 0) {
        return CTNS_MAP_OK;
    }

    snprintf(path, sizeof(path),
             "orders?where=paymentInfo(payments(id=\"%s\"))", pid);
    rc = ctns_map_need(in, path, &order);

    if (rc == 0) {
        return CTNS_MAP_NEED;
    }

    if (rc < 0) {
        if (json_object_get(in->payload, "payment")) {
            plan->ignored = 1;
            snprintf(plan->reason, sizeof(plan->reason), "payment %s is not "
                     "on an order yet: its transactions post when they "
                     "change", pid);
            return CTNS_MAP_OK;
        }

        ctns_map_err(err, errlen, "payment %s belongs to no order", pid);
        return CTNS_MAP_ERROR;
    }

    method = ctns_map_str(json_object_get(payment, "paymentMethodInfo"),
                          "method");

    if (ctns_map_doc_order(conf, order, method, &doc, err, errlen) != 0) {
        ctns_map_doc_free(&doc);
        return CTNS_MAP_ERROR;
    }

    snprintf(plan->order_id, sizeof(plan->order_id), "%s", doc.id);
    rc = CTNS_MAP_OK;

    for (i = 0; i < n && rc == CTNS_MAP_OK; i++) {
        rc = ctns_map_tx_post(conf, &doc, payment, txs[i], plan, err, errlen);
    }

    if (rc == CTNS_MAP_OK && plan->nops == 0 && plan->nsets == 0) {
        plan->ignored = 1;
        snprintf(plan->reason, sizeof(plan->reason), "payment and refund "
                 "flows are off");
    }

    ctns_map_doc_free(&doc);

    return rc;
}
