/*
 * Copyright (C) ct-netsuite authors
 *
 * Refund in Success -> credit memo (ct-cm-<txId>) + customer refund
 * applying it (ct-ref-<txId>).
 *
 * commercetools does not say which returned items a Refund transaction
 * pays for.  The refunds of the payment are taken in order, each claiming
 * the next returned items (in returnInfo order) whose gross value adds up
 * to its amount exactly; a refund that matches no such run is credited
 * amount-only on the configured refund item.  The value of a returned item
 * is the cumulative share of its line (commercetools.md 8.3), so the
 * returns of one line never add up to more than the line.
 */


#include <stdlib.h>
#include <string.h>

#include "ctns_map_int.h"


typedef struct {
    const char  *line_id;
    int64_t      before;          /* returned earlier from the same line */
    int64_t      quantity;
} ctns_map_ret_t;


static const char *
ctns_map_ret_line(const json_t *item)
{
    const char  *id;

    id = ctns_map_str(item, "lineItemId");

    return id ? id : ctns_map_str(item, "customLineItemId");
}


/* every returned item of the order, in order */
static ctns_map_ret_t *
ctns_map_returns(const json_t *order, size_t *n)
{
    size_t           i, j, k, cap;
    json_t          *ri, *item;
    ctns_map_ret_t  *r;

    cap = 0;

    json_array_foreach(json_object_get(order, "returnInfo"), i, ri) {
        cap += json_array_size(json_object_get(ri, "items"));
    }

    r = calloc(cap + 1, sizeof(ctns_map_ret_t));
    *n = 0;

    if (r == NULL) {
        return NULL;
    }

    json_array_foreach(json_object_get(order, "returnInfo"), i, ri) {
        json_array_foreach(json_object_get(ri, "items"), j, item) {
            r[*n].line_id = ctns_map_ret_line(item);
            r[*n].quantity = json_integer_value(json_object_get(item,
                                                                "quantity"));

            if (r[*n].line_id == NULL || r[*n].quantity <= 0) {
                continue;
            }

            for (k = 0; k < *n; k++) {
                if (strcmp(r[k].line_id, r[*n].line_id) == 0) {
                    r[*n].before += r[k].quantity;
                }
            }

            (*n)++;
        }
    }

    return r;
}


/*
 * Appends the credit lines of one returned item (its line and that line's
 * discount line) and returns their gross value: the share of the lines'
 * combined gross, so that it is what a refund of "taxedPrice x returned
 * quantity / quantity" pays.
 */
static int64_t
ctns_map_ret_lines(const ctns_map_doc_t *doc, const ctns_map_ret_t *ret,
    ctns_map_line_t *out, size_t *n)
{
    size_t                  i, first;
    int64_t                 all, gross, part, whole;
    const ctns_map_line_t  *line;

    first = *n;
    all = 0;
    gross = 0;
    part = 0;
    whole = 1;

    for (i = 0; i < doc->nlines; i++) {
        line = &doc->lines[i];

        if (line->ct_id == NULL || line->kind == CTNS_LINE_SHIPPING
            || strcmp(line->ct_id, ret->line_id) != 0
            || ret->before >= line->quantity)
        {
            continue;
        }

        whole = line->quantity;
        part = ret->quantity;
        if (ret->before + part > whole) {
            part = whole - ret->before;
        }

        ctns_map_line_scale(line, &out[*n], ret->before, part, whole);
        out[*n].header = 0;
        all += ctns_map_line_gross(line);
        gross += ctns_map_line_gross(&out[*n]);
        (*n)++;
    }

    if (*n == first) {
        return 0;
    }

    /* the item and its discount line rounded apart: the net evens it out */
    all = ctns_money_share(all, ret->before, part, whole);
    out[*n - 1].net += all - gross;

    return all;
}


/*
 * The credit lines of refund number idx among the payment's refunds:
 * returns the number of lines (0: amount-only).
 */
static size_t
ctns_map_refund_lines(const ctns_map_doc_t *doc, const json_t *payment,
    const json_t *tx, ctns_map_ret_t *rets, size_t nrets,
    ctns_map_line_t *out)
{
    size_t         i, cur, start, n;
    int64_t        sum;
    json_t        *t;
    ctns_money_t   m;
    const char    *type, *state;

    cur = 0;

    json_array_foreach(json_object_get(payment, "transactions"), i, t) {
        type = ctns_map_str(t, "type");
        state = ctns_map_str(t, "state");

        if (type == NULL || state == NULL || strcmp(type, "Refund") != 0
            || strcmp(state, "Success") != 0
            || ctns_money_get(json_object_get(t, "amount"), &m) != 0)
        {
            continue;
        }

        n = 0;
        sum = 0;
        start = cur;

        while (cur < nrets && sum < m.minor) {
            sum += ctns_map_ret_lines(doc, &rets[cur++], out, &n);
        }

        if (sum != m.minor) {
            cur = start;
            n = 0;
        }

        if (t == tx) {
            return n;
        }
    }

    return 0;
}


static int
ctns_map_refund_docs(const ctns_map_conf_t *conf, const ctns_map_doc_t *doc,
    const json_t *payment, const json_t *tx, int64_t amount,
    ctns_map_line_t *lines, size_t n, ctns_plan_t *plan, char *err,
    size_t errlen)
{
    json_t      *body;
    ctns_op_t   *op;
    const char  *txid, *ref;
    char         cm[128], rf[128], memo[256];

    txid = ctns_map_str(tx, "id");
    ref = ctns_map_psp_ref(payment, tx);

    if (ctns_map_eid(cm, sizeof(cm), "ct-cm-", txid, NULL) != 0
        || ctns_map_eid(rf, sizeof(rf), "ct-ref-", txid, NULL) != 0)
    {
        ctns_map_err(err, errlen, "transaction id %s cannot be an external "
                     "id", txid);
        return CTNS_MAP_ERROR;
    }

    snprintf(memo, sizeof(memo), "Refund %s (transaction %s) of ",
             ref ? ref : "-", txid);

    body = ctns_map_doc_header(doc, cm, memo);
    ctns_map_date(body, ctns_map_str(tx, "timestamp"));
    ctns_map_doc_lines(doc, body, lines, n);

    op = ctns_map_op(plan, CTNS_OP_CREATE, "creditMemo", cm, body);
    if (op == NULL) {
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    snprintf(op->replace, sizeof(op->replace), "item");
    ctns_map_after_order(op, doc);

    if (conf->tax_override) {
        ctns_map_tax_op(plan, "creditMemo", cm,
                        ctns_map_tax_rows(doc, lines, n));
    }

    /* the transform applies the credit memo's unapplied amount: all of it */
    body = ctns_map_pay_body(doc, payment, tx, rf, "refund");
    ctns_map_pay_account(body, conf, doc->route, payment, 1);

    if (ctns_map_transform_op(plan, "customerRefund", rf, body, "creditMemo",
                              cm) == NULL)
    {
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    ctns_map_psp_index(doc, payment, tx, "customerRefund", rf, amount, plan);

    return CTNS_MAP_OK;
}


int
ctns_map_refund(const ctns_map_conf_t *conf, ctns_map_doc_t *doc,
    const json_t *payment, const json_t *tx, ctns_plan_t *plan, char *err,
    size_t errlen)
{
    int               rc;
    size_t            n, nrets;
    ctns_money_t      m;
    ctns_map_ret_t   *rets;
    ctns_map_line_t  *lines;

    ctns_money_get(json_object_get(tx, "amount"), &m);

    rets = ctns_map_returns(doc->order, &nrets);
    lines = calloc(2 * nrets + doc->nlines + 1, sizeof(ctns_map_line_t));

    if (rets == NULL || lines == NULL) {
        free(rets);
        free(lines);
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    n = ctns_map_refund_lines(doc, payment, tx, rets, nrets, lines);

    if (n == 0) {
        if (conf->refund_item == NULL) {
            ctns_map_err(err, errlen, "refund %s of order %s matches no "
                         "returned items and items.refund is not set",
                         ctns_map_str(tx, "id"), doc->number);
            free(rets);
            free(lines);
            return CTNS_MAP_ERROR;
        }

        /* amount-only: the refund item, no tax of its own */
        memset(lines, 0, sizeof(ctns_map_line_t));
        lines[0].kind = CTNS_LINE_REFUND;
        lines[0].item = conf->refund_item;
        lines[0].line_code = conf->refund_code;
        lines[0].quantity = 1;
        lines[0].net = m.minor;
        snprintf(lines[0].desc, sizeof(lines[0].desc), "Refund of order %s",
                 doc->number);
        n = 1;
    }

    rc = ctns_map_refund_docs(conf, doc, payment, tx, m.minor, lines, n,
                              plan, err, errlen);

    free(rets);
    free(lines);

    return rc;
}
