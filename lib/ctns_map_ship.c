/*
 * Copyright (C) ct-netsuite authors
 *
 * Shipped -> invoice transformed from the sales order.  Each delivery bills
 * exactly its items and quantities (ct-inv-<orderId>-<deliveryId>); lines
 * that are never delivered (shipping, order-level discounts, rounding,
 * custom lines outside deliveries) go on the first delivery's invoice.
 * Amounts of a partly delivered line are cumulative shares, so that all
 * invoices of a line add up to it exactly.
 */


#include <stdlib.h>
#include <string.h>

#include "ctns_map_int.h"


/* the sales order line of each invoice line, found when it is read back */
static json_t *
ctns_map_bill_derive(const json_t *read, const json_t *arg, char *err,
    size_t errlen)
{
    size_t         i;
    json_t        *out, *line;
    const json_t  *so_lines, *so;
    double         left;

    so_lines = ctns_map_path(read, "item.items");
    out = json_deep_copy(arg);

    json_array_foreach(ctns_map_path(out, "item.items"), i, line) {
        so = json_array_get(so_lines, json_integer_value(
                                json_object_get(line, "position")));

        if (so == NULL || json_object_get(so, "line") == NULL) {
            ctns_map_err(err, errlen, "sales order %s lacks line %lld",
                         ctns_map_str(read, "externalId")
                         ? ctns_map_str(read, "externalId") : "?",
                         (long long) json_integer_value(
                             json_object_get(line, "position")) + 1);
            json_decref(out);
            return NULL;
        }

        left = json_number_value(json_object_get(so, "quantity"))
               - json_number_value(json_object_get(so, "quantityBilled"));

        if (left + 1e-9 < json_number_value(json_object_get(line,
                                                            "quantity")))
        {
            ctns_map_err(err, errlen, "sales order line %lld has %g left "
                         "to bill, the delivery ships %lld",
                         (long long) json_integer_value(
                             json_object_get(so, "line")), left,
                         (long long) json_integer_value(
                             json_object_get(line, "quantity")));
            json_decref(out);
            return NULL;
        }

        json_object_set(line, "orderLine", json_object_get(so, "line"));
        json_object_del(line, "position");
    }

    return out;
}


static ctns_op_t *
ctns_map_invoice_op(const ctns_map_doc_t *doc, ctns_plan_t *plan,
    const char *eid, json_t *body)
{
    char  from[128];

    snprintf(from, sizeof(from), "ct-order-%s", doc->id);

    return ctns_map_transform_op(plan, "invoice", eid, body, "salesOrder",
                                 from);
}


static json_t *
ctns_map_invoice_body(const char *eid, const char *date, const char *memo)
{
    json_t  *body;

    body = json_object();
    json_object_set_new(body, "externalId", json_string(eid));
    ctns_map_date(body, date);
    json_object_set_new(body, "memo", ctns_map_text(memo, 999));

    return body;
}


/* the whole order at once: invoice on order, or shipped without deliveries */
void
ctns_map_invoice_all(const ctns_map_doc_t *doc, ctns_plan_t *plan,
    const char *eid, const char *memo_prefix)
{
    char  memo[256];

    snprintf(memo, sizeof(memo), "%scommercetools order %s", memo_prefix,
             doc->number);

    ctns_map_invoice_op(doc, plan, eid,
                        ctns_map_invoice_body(eid,
                                              ctns_map_str(doc->order,
                                                           "createdAt"),
                                              memo));

    if (doc->conf->tax_override) {
        ctns_map_tax_op(plan, "invoice", eid,
                        ctns_map_tax_rows(doc, doc->lines, doc->nlines));
    }
}


static int
ctns_map_delivery_cmp(const void *a, const void *b)
{
    const json_t  *x = *(const json_t **) a, *y = *(const json_t **) b;
    const char    *cx, *cy;
    int            rc;

    cx = ctns_map_str(x, "createdAt");
    cy = ctns_map_str(y, "createdAt");
    rc = strcmp(cx ? cx : "", cy ? cy : "");

    if (rc == 0) {
        cx = ctns_map_str(x, "id");
        cy = ctns_map_str(y, "id");
        rc = strcmp(cx ? cx : "", cy ? cy : "");
    }

    return rc;
}


/* every delivery of the order, oldest first */
static size_t
ctns_map_deliveries(const json_t *order, const json_t **out)
{
    size_t   i, j, n;
    json_t  *s, *d;

    n = 0;

    json_array_foreach(ctns_map_path(order, "shippingInfo.deliveries"), i, d) {
        if (n < CTNS_MAP_MAX_DELIVERIES) {
            out[n++] = d;
        }
    }

    json_array_foreach(json_object_get(order, "shipping"), j, s) {
        json_array_foreach(ctns_map_path(s, "shippingInfo.deliveries"), i, d) {
            if (n < CTNS_MAP_MAX_DELIVERIES) {
                out[n++] = d;
            }
        }
    }

    qsort(out, n, sizeof(json_t *), ctns_map_delivery_cmp);

    return n;
}


static int64_t
ctns_map_delivered(const json_t *delivery, const char *line_id)
{
    size_t       i;
    int64_t      q;
    json_t      *it;
    const char  *id;

    q = 0;

    json_array_foreach(json_object_get(delivery, "items"), i, it) {
        id = ctns_map_str(it, "id");

        if (id && line_id && strcmp(id, line_id) == 0) {
            q += json_integer_value(json_object_get(it, "quantity"));
        }
    }

    return q;
}


/*
 * The invoice lines of delivery number k: scaled copies of the document's
 * lines, with their position on the sales order.
 */
static size_t
ctns_map_delivery_lines(const ctns_map_doc_t *doc, const json_t **dl,
    size_t nd, size_t k, ctns_map_line_t *out, int64_t *pos)
{
    size_t                  i, j, n, p;
    int64_t                 before, part, ever;
    const ctns_map_line_t  *line;

    n = 0;
    p = 0;

    for (i = 0; i < doc->nlines; i++) {
        line = &doc->lines[i];

        for (ever = 0, before = 0, j = 0; j < nd; j++) {
            part = ctns_map_delivered(dl[j], line->ct_id);
            ever += part;
            before += j < k ? part : 0;
        }

        part = ctns_map_delivered(dl[k], line->ct_id);

        if (ever == 0 || line->kind == CTNS_LINE_SHIPPING) {
            /* never delivered: billed whole with the first delivery */
            before = 0;
            part = k == 0 ? line->quantity : 0;
        }

        if (before + part > line->quantity) {
            part = line->quantity > before ? line->quantity - before : 0;
        }

        if (part > 0) {
            ctns_map_line_scale(line, &out[n], before, part, line->quantity);
            pos[n++] = line->header ? -1 : (int64_t) p;
        }

        p += !line->header;
    }

    return n;
}


/*
 * The latest delivery with an invoice created at or before "at" (NULL: any
 * time): what a capture after invoicing pays.  Deciding by the capture's
 * own time, not by what exists when the event is mapped, gives the same
 * document however late or often the event is processed.
 */
const char *
ctns_map_invoiced_before(const ctns_map_doc_t *doc, const char *at)
{
    size_t            nd, k;
    int64_t          *pos;
    const json_t     *dl[CTNS_MAP_MAX_DELIVERIES];
    ctns_map_line_t  *lines;
    const char       *id, *created;

    nd = ctns_map_deliveries(doc->order, dl);
    lines = calloc(doc->nlines + 1, sizeof(ctns_map_line_t));
    pos = calloc(doc->nlines + 1, sizeof(int64_t));
    id = NULL;

    for (k = nd; lines && pos && k > 0 && id == NULL; k--) {
        created = ctns_map_str(dl[k - 1], "createdAt");

        if (at && created && strcmp(created, at) > 0) {
            continue;
        }

        if (ctns_map_delivery_lines(doc, dl, nd, k - 1, lines, pos) > 0) {
            id = ctns_map_str(dl[k - 1], "id");
        }
    }

    free(lines);
    free(pos);

    return id;
}


static int
ctns_map_delivery_invoice(const ctns_map_doc_t *doc, const json_t *delivery,
    size_t n, ctns_map_line_t *lines, const int64_t *pos, ctns_plan_t *plan,
    char *err, size_t errlen)
{
    size_t      i;
    json_t     *body, *items, *l, *rows;
    ctns_op_t  *op;
    const char *did, *dkey;
    char        eid[128], memo[256];
    int64_t     ship;

    did = ctns_map_str(delivery, "id");
    dkey = ctns_map_str(delivery, "key");

    if (did == NULL
        || ctns_map_eid(eid, sizeof(eid), "ct-inv-", doc->id, did) != 0)
    {
        ctns_map_err(err, errlen, "delivery of order %s has no usable id",
                     doc->number);
        return CTNS_MAP_ERROR;
    }

    snprintf(memo, sizeof(memo), "Shipped: delivery %s of commercetools "
             "order %s", dkey ? dkey : did, doc->number);

    body = ctns_map_invoice_body(eid, ctns_map_str(delivery, "createdAt"),
                                 memo);
    items = json_array();
    ship = 0;

    for (i = 0; i < n; i++) {
        if (pos[i] < 0) {
            ship = lines[i].net;
            continue;
        }

        l = json_pack("{s:I,s:I,s:o}", "position", (json_int_t) pos[i],
                      "quantity", (json_int_t) lines[i].quantity,
                      "amount", ctns_money_json(lines[i].net, doc->digits));
        json_array_append_new(items, l);
    }

    json_object_set_new(body, "item", json_pack("{s:o}", "items", items));

    /* explicit, so that the order deliveries are billed in does not matter */
    if (!doc->conf->ship_by_line) {
        json_object_set_new(body, "shippingCost",
                            ctns_money_json(ship, doc->digits));
    }

    op = ctns_map_invoice_op(doc, plan, eid, body);
    if (op == NULL) {
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    ctns_map_op_read(op, "salesOrder", op->from_eid, ctns_map_bill_derive);

    if (doc->conf->tax_override) {
        rows = ctns_map_tax_rows(doc, lines, n);
        ctns_map_tax_amounts(doc, rows, lines, n);
        ctns_map_tax_op(plan, "invoice", eid, rows);
    }

    return CTNS_MAP_OK;
}


/*
 * Invoices for every delivery of the order (and for "delivery", when the
 * order was read before it was added): each is created once by external
 * id, so an event skipped as stale or lost costs no invoice.  Adds the ops
 * to the plan; *n says how many invoices.
 */
static int
ctns_map_invoice_deliveries(const ctns_map_doc_t *doc,
    const json_t *delivery, ctns_plan_t *plan, size_t *ninv, char *err,
    size_t errlen)
{
    int               rc;
    size_t            nd, k, n;
    int64_t          *pos;
    const char       *did, *id;
    const json_t     *dl[CTNS_MAP_MAX_DELIVERIES + 1];
    ctns_map_line_t  *lines;

    *ninv = 0;
    did = ctns_map_str(delivery, "id");
    nd = ctns_map_deliveries(doc->order, dl);

    for (k = 0; did && k < nd; k++) {
        id = ctns_map_str(dl[k], "id");
        if (id && strcmp(id, did) == 0) {
            break;
        }
    }

    if (did && k == nd) {
        dl[nd++] = delivery;
    }

    lines = calloc(doc->nlines + 1, sizeof(ctns_map_line_t));
    pos = calloc(doc->nlines + 1, sizeof(int64_t));

    if (lines == NULL || pos == NULL) {
        free(lines);
        free(pos);
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    rc = CTNS_MAP_OK;

    for (k = 0; k < nd && rc == CTNS_MAP_OK; k++) {
        n = ctns_map_delivery_lines(doc, dl, nd, k, lines, pos);

        if (n > 0) {
            rc = ctns_map_delivery_invoice(doc, dl[k], n, lines, pos, plan,
                                           err, errlen);
            (*ninv)++;
        }
    }

    free(lines);
    free(pos);

    return rc;
}


/* per delivery, or the whole order when it has no deliveries */
static int
ctns_map_ship_invoices(const ctns_map_doc_t *doc, const json_t *delivery,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int            rc;
    size_t         n;
    const json_t  *dl[CTNS_MAP_MAX_DELIVERIES];
    char           eid[128];

    if (delivery || ctns_map_deliveries(doc->order, dl) > 0) {
        rc = ctns_map_invoice_deliveries(doc, delivery, plan, &n, err,
                                         errlen);

        if (rc == CTNS_MAP_OK && n == 0) {
            snprintf(plan->reason, sizeof(plan->reason),
                     "the deliveries of order %s ship nothing left to bill",
                     doc->number);
        }

        return rc;
    }

    if (ctns_map_eid(eid, sizeof(eid), "ct-inv-", doc->id, NULL) != 0) {
        ctns_map_err(err, errlen, "order id %s cannot be an external id",
                     doc->id);
        return CTNS_MAP_ERROR;
    }

    ctns_map_invoice_all(doc, plan, eid, "Shipped: ");

    return CTNS_MAP_OK;
}


/*
 * Invoices for what the order as fetched shows shipped: its deliveries, or
 * the whole order when it is Shipped or Delivered without deliveries.
 */
int
ctns_map_ship_sync(const ctns_map_doc_t *doc, ctns_plan_t *plan, char *err,
    size_t errlen)
{
    const char    *st;
    const json_t  *dl[CTNS_MAP_MAX_DELIVERIES];

    st = ctns_map_str(doc->order, "shipmentState");

    if (doc->conf->cash_sale || doc->conf->invoice_on_order
        || (ctns_map_deliveries(doc->order, dl) == 0
            && (st == NULL || (strcmp(st, "Shipped") != 0
                               && strcmp(st, "Delivered") != 0))))
    {
        return CTNS_MAP_OK;
    }

    return ctns_map_ship_invoices(doc, NULL, plan, err, errlen);
}


int
ctns_map_shipped(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int              rc;
    const char      *state;
    const json_t    *delivery;
    ctns_map_doc_t   doc;

    snprintf(plan->order_id, sizeof(plan->order_id), "%s", in->event->rid);

    if (conf->cash_sale || conf->invoice_on_order) {
        plan->ignored = 1;
        snprintf(plan->reason, sizeof(plan->reason), "%s",
                 conf->cash_sale ? "the cash sale is the invoice"
                                 : "invoiced when the order was placed");
        return CTNS_MAP_OK;
    }

    delivery = json_object_get(in->payload, "delivery");
    state = ctns_map_str(in->payload, "shipmentState");

    if (delivery == NULL
        && (state == NULL
            || (strcmp(state, "Shipped") != 0
                && strcmp(state, "Delivered") != 0)))
    {
        plan->ignored = 1;
        snprintf(plan->reason, sizeof(plan->reason),
                 "shipment state %s posts nothing", state ? state : "(none)");
        return CTNS_MAP_OK;
    }

    rc = ctns_map_order_doc(conf, in, in->event->rid, &doc, err, errlen);
    if (rc != CTNS_MAP_OK) {
        return rc;
    }

    rc = ctns_map_order_docs(&doc, plan, err, errlen);

    if (rc == CTNS_MAP_OK) {
        rc = ctns_map_ship_invoices(&doc, delivery, plan, err, errlen);
    }

    ctns_map_doc_free(&doc);

    return rc;
}
