/*
 * Copyright (C) ct-netsuite authors
 *
 * Order placed -> sales order (or cash sale) with the exact tax override;
 * order cancelled -> unbilled sales order lines closed.
 */


#include <string.h>

#include "ctns_map_int.h"


/*
 * The order of an event: embedded in OrderCreated, else fetched.  Returns
 * CTNS_MAP_OK with *order set, CTNS_MAP_NEED, or CTNS_MAP_ERROR when the
 * order does not exist.
 */
static int
ctns_map_order_get(ctns_map_input_t *in, const char *order_id,
    const json_t **order, char *err, size_t errlen)
{
    int            rc;
    const json_t  *o;
    char           path[160];

    o = json_object_get(in->payload, "order");

    if (json_is_object(o)
        && strcmp(ctns_map_str(o, "id") ? ctns_map_str(o, "id") : "",
                  order_id) == 0)
    {
        *order = o;
        return CTNS_MAP_OK;
    }

    snprintf(path, sizeof(path), "orders/%s", order_id);
    rc = ctns_map_need(in, path, order);

    if (rc == 0) {
        return CTNS_MAP_NEED;
    }

    if (rc < 0) {
        ctns_map_err(err, errlen, "order %s does not exist", order_id);
        return CTNS_MAP_ERROR;
    }

    return CTNS_MAP_OK;
}


/*
 * The payment method of the order's first payment, needed only when a
 * routing rule asks for one.  CTNS_MAP_OK (method may stay NULL) or NEED.
 */
static int
ctns_map_order_method(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    const json_t *order, const char **method)
{
    int            rc;
    const char    *pid;
    const json_t  *payment;
    char           path[160];

    *method = NULL;
    pid = ctns_map_str(json_array_get(ctns_map_path(order,
                                                    "paymentInfo.payments"),
                                      0), "id");

    if (!conf->route_by_method || pid == NULL) {
        return CTNS_MAP_OK;
    }

    snprintf(path, sizeof(path), "payments/%s", pid);
    rc = ctns_map_need(in, path, &payment);

    if (rc == 0) {
        return CTNS_MAP_NEED;
    }

    if (rc > 0) {
        *method = ctns_map_str(json_object_get(payment, "paymentMethodInfo"),
                               "method");
    }

    return CTNS_MAP_OK;
}


/* the order as a document, fetching what is missing */
int
ctns_map_order_doc(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    const char *order_id, ctns_map_doc_t *doc, char *err, size_t errlen)
{
    int            rc;
    const char    *method;
    const json_t  *order;

    rc = ctns_map_order_get(in, order_id, &order, err, errlen);
    if (rc != CTNS_MAP_OK) {
        return rc;
    }

    rc = ctns_map_order_method(conf, in, order, &method);
    if (rc != CTNS_MAP_OK) {
        return rc;
    }

    if (ctns_map_doc_order(conf, order, method, doc, err, errlen) != 0) {
        ctns_map_doc_free(doc);
        return CTNS_MAP_ERROR;
    }

    return CTNS_MAP_OK;
}


/*
 * The order's own documents: its customer, the sales order (or cash sale)
 * with its tax override, the invoice when invoicing on order, and the
 * order-number index.  All are created once, so every event of the order
 * can bring them: an OrderCreated skipped as stale (a later message of the
 * order was applied first) or lost costs nothing.
 */
int
ctns_map_order_docs(const ctns_map_doc_t *doc, ctns_plan_t *plan, char *err,
    size_t errlen)
{
    json_t                 *body;
    ctns_op_t              *op;
    const char             *type;
    const ctns_map_conf_t  *conf;
    char                    eid[128], inv[128], key[192];

    conf = doc->conf;
    snprintf(plan->order_id, sizeof(plan->order_id), "%s", doc->id);

    if (ctns_map_eid(eid, sizeof(eid), "ct-order-", doc->id, NULL) != 0
        || ctns_map_eid(inv, sizeof(inv), "ct-inv-", doc->id, NULL) != 0)
    {
        ctns_map_err(err, errlen, "order id %s cannot be an external id",
                     doc->id);
        return CTNS_MAP_ERROR;
    }

    if (ctns_map_customer_for_order(conf, doc, plan, err, errlen) != 0) {
        return CTNS_MAP_ERROR;
    }

    type = conf->cash_sale ? "cashSale" : "salesOrder";
    body = ctns_map_doc_header(doc, eid, "");
    ctns_map_doc_lines(doc, body, doc->lines, doc->nlines);

    if (conf->cash_sale) {
        ctns_map_pay_account(body, conf, doc->route, NULL, 0);
    }

    op = ctns_map_op(plan, CTNS_OP_CREATE, type, eid, body);
    if (op == NULL) {
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    /* should a create be retried as an update: no lines appended twice */
    snprintf(op->replace, sizeof(op->replace), "item");

    if (conf->tax_override) {
        ctns_map_tax_op(plan, type, eid,
                        ctns_map_tax_rows(doc, doc->lines, doc->nlines));
    }

    if (conf->invoice_on_order && !conf->cash_sale) {
        ctns_map_invoice_all(doc, plan, inv, "Invoiced on order: ");
    }

    snprintf(key, sizeof(key), "idx:order-number:%s", doc->number);
    ctns_map_set(plan, key, strdup(doc->id));

    return CTNS_MAP_OK;
}


int
ctns_map_order_created(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int              rc;
    ctns_map_doc_t   doc;

    rc = ctns_map_order_doc(conf, in, in->event->rid, &doc, err, errlen);
    if (rc != CTNS_MAP_OK) {
        return rc;
    }

    rc = ctns_map_order_docs(&doc, plan, err, errlen);
    ctns_map_doc_free(&doc);

    return rc;
}


/* lines not billed yet are closed; billed ones stay for refunds */
static json_t *
ctns_map_close_derive(const json_t *read, const json_t *arg, char *err,
    size_t errlen)
{
    size_t   i;
    double   qty, billed;
    json_t  *line, *items;

    items = json_array();

    json_array_foreach(ctns_map_path(read, "item.items"), i, line) {
        qty = json_number_value(json_object_get(line, "quantity"));
        billed = json_number_value(json_object_get(line, "quantityBilled"));

        if (billed < qty && !json_is_true(json_object_get(line, "isClosed"))
            && json_object_get(line, "line"))
        {
            json_array_append_new(items,
                json_pack("{s:O,s:b}", "line", json_object_get(line, "line"),
                          "isClosed", 1));
        }
    }

    if (json_array_size(items) == 0) {
        json_decref(items);
        return json_null();
    }

    return json_pack("{s:{s:o}}", "item", "items", items);
}


static int
ctns_map_close_op(ctns_plan_t *plan, const char *order_id, char *err,
    size_t errlen)
{
    ctns_op_t  *op;
    char        eid[128];

    snprintf(eid, sizeof(eid), "ct-order-%s", order_id);

    op = ctns_map_op(plan, CTNS_OP_PATCH, "salesOrder", eid, json_object());
    if (op == NULL) {
        ctns_map_err(err, errlen, "out of memory");
        return CTNS_MAP_ERROR;
    }

    ctns_map_op_read(op, "salesOrder", eid, ctns_map_close_derive);

    return CTNS_MAP_OK;
}


/*
 * Any other message of an order, or a change notification: the order as
 * fetched is brought into NetSuite (its documents, the invoices of what it
 * shows shipped, unbilled lines closed when it is cancelled).  The worker
 * skips a message at or below the last one applied to the order, so a
 * DeliveryAdded that arrives after a later ParcelAddedToDelivery would be
 * lost if that one posted nothing; every write here is created once or
 * writes only what differs.
 */
int
ctns_map_order_sync(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int              rc;
    const char      *state, *type;
    ctns_map_doc_t   doc;

    rc = ctns_map_order_doc(conf, in, in->event->rid, &doc, err, errlen);
    if (rc != CTNS_MAP_OK) {
        return rc;
    }

    rc = ctns_map_order_docs(&doc, plan, err, errlen);

    if (rc == CTNS_MAP_OK) {
        rc = ctns_map_ship_sync(&doc, plan, err, errlen);
    }

    state = ctns_map_str(in->payload, "orderState");
    state = state ? state : ctns_map_str(doc.order, "orderState");

    if (rc == CTNS_MAP_OK && state && strcmp(state, "Cancelled") == 0
        && conf->cancellations && !conf->cash_sale)
    {
        rc = ctns_map_close_op(plan, doc.id, err, errlen);
    }

    type = ctns_map_str(in->payload, "type");
    snprintf(plan->reason, sizeof(plan->reason), "%s: the order as it is "
             "now brought into NetSuite",
             type ? type : in->event->type);

    ctns_map_doc_free(&doc);

    return rc;
}
