/*
 * Copyright (C) ct-netsuite authors
 *
 * NetSuite JSON of the document model: header fields shared by the sales
 * transactions, item lines, and the references back to commercetools.
 */


#include <string.h>

#include "ctns_map_int.h"


#define CTNS_MAP_MEMO_MAX  999
#define CTNS_MAP_DESC_MAX  300


/* the unit price: exact when it divides, else 4 more decimals */
static json_t *
ctns_map_rate_json(int64_t net, int64_t quantity, int digits)
{
    if (quantity <= 0 || net % quantity == 0) {
        return ctns_money_json(quantity > 0 ? net / quantity : net, digits);
    }

    return ctns_money_json(ctns_money_muldiv(net, 10000, quantity),
                           digits + 4);
}


static void
ctns_map_segments(json_t *body, const ctns_map_route_t *route)
{
    ctns_map_set_ref(body, "location", route->location);
    ctns_map_set_ref(body, "department", route->department);
    ctns_map_set_ref(body, "class", route->klass);
}


static json_t *
ctns_map_line_json(const ctns_map_doc_t *doc, const ctns_map_line_t *line)
{
    json_t  *l;

    l = json_object();

    ctns_map_set_ref(l, "item", line->item);
    json_object_set_new(l, "quantity", json_integer(line->quantity));
    json_object_set_new(l, "rate", ctns_map_rate_json(line->net,
                                                      line->quantity,
                                                      doc->digits));
    json_object_set_new(l, "amount", ctns_money_json(line->net, doc->digits));
    json_object_set_new(l, "description",
                        ctns_map_text(line->desc, CTNS_MAP_DESC_MAX));

    /*
     * With the override the codes are on the tax detail rows: a code on
     * the line would have NetSuite compute a tax first, and deposits it
     * applies when an invoice is created would cover that figure, which
     * the override may then lower below what is applied.
     */
    if (!doc->conf->tax_override) {
        ctns_map_set_ref(l, "taxCode", line->line_code);
    }
    ctns_map_segments(l, doc->route);

    return l;
}


/* item lines, shipping as header fields when it is one */
void
ctns_map_doc_lines(const ctns_map_doc_t *doc, json_t *body,
    const ctns_map_line_t *lines, size_t n)
{
    size_t   i;
    json_t  *items;

    items = json_array();

    for (i = 0; i < n; i++) {
        if (!lines[i].header) {
            json_array_append_new(items, ctns_map_line_json(doc, &lines[i]));
            continue;
        }

        ctns_map_set_ref(body, "shipMethod", lines[i].ship_method);
        json_object_set_new(body, "shippingCost",
                            ctns_money_json(lines[i].net, doc->digits));
        if (!doc->conf->tax_override) {
            ctns_map_set_ref(body, "shippingTaxCode", lines[i].line_code);
        }
    }

    json_object_set_new(body, "item", json_pack("{s:o}", "items", items));
}


static void
ctns_map_memo_add(char *memo, size_t len, const char *fmt, const char *a,
    const char *b)
{
    size_t  n;

    n = strlen(memo);

    if (n < len && snprintf(memo + n, len - n, fmt, a, b) >= (int) (len - n))
    {
        memo[len - 1] = '\0';
    }
}


/* "commercetools order ORD-1 (id ..., cart ..., payment ...); codes: X" */
static json_t *
ctns_map_order_memo(const ctns_map_doc_t *doc, const char *prefix)
{
    size_t         i;
    json_t        *p, *dc;
    const char    *cart, *code, *sep;
    char           memo[CTNS_MAP_MEMO_MAX + 1];

    memo[0] = '\0';
    cart = ctns_map_str(json_object_get(doc->order, "cart"), "id");

    ctns_map_memo_add(memo, sizeof(memo), "%scommercetools order %s",
                      prefix, doc->number);
    ctns_map_memo_add(memo, sizeof(memo), " (id %s%s", doc->id, "");

    if (cart) {
        ctns_map_memo_add(memo, sizeof(memo), ", cart %s%s", cart, "");
    }

    json_array_foreach(ctns_map_path(doc->order, "paymentInfo.payments"),
                       i, p)
    {
        ctns_map_memo_add(memo, sizeof(memo), "%s%s",
                          i ? " " : ", payment ", ctns_map_str(p, "id"));
    }

    ctns_map_memo_add(memo, sizeof(memo), ")%s%s", "", "");

    sep = "; discount codes: ";

    json_array_foreach(json_object_get(doc->order, "discountCodes"), i, dc) {
        dc = json_object_get(dc, "discountCode");
        code = ctns_map_str(json_object_get(dc, "obj"), "code");
        ctns_map_memo_add(memo, sizeof(memo), "%s%s", sep,
                          code ? code : ctns_map_str(dc, "id"));
        sep = ", ";
    }

    return ctns_map_text(memo, CTNS_MAP_MEMO_MAX);
}


static void
ctns_map_custom_field(json_t *body, const char *field, const char *value)
{
    if (field && value) {
        json_object_set_new(body, field, ctns_map_text(value, 300));
    }
}


/* comma-separated payment ids of the order */
static void
ctns_map_payment_ids(const json_t *order, char *buf, size_t len)
{
    size_t   i;
    json_t  *p;

    buf[0] = '\0';

    json_array_foreach(ctns_map_path(order, "paymentInfo.payments"), i, p) {
        ctns_map_memo_add(buf, len, "%s%s", i ? "," : "",
                          ctns_map_str(p, "id") ? ctns_map_str(p, "id") : "");
    }
}


/* header fields of a transaction that belongs to the order */
json_t *
ctns_map_doc_header(const ctns_map_doc_t *doc, const char *eid,
    const char *memo_prefix)
{
    json_t                 *h;
    const char             *date;
    char                    pays[512];
    const ctns_map_conf_t  *conf;

    conf = doc->conf;
    h = json_object();

    json_object_set_new(h, "externalId", json_string(eid));
    json_object_set_new(h, "entity", ctns_map_customer_ref(doc));

    ctns_map_set_ref(h, "subsidiary", doc->route->subsidiary);
    ctns_map_set_ref(h, "currency", doc->route->currency);
    ctns_map_segments(h, doc->route);
    json_object_set_new(h, "otherRefNum", ctns_map_text(doc->number, 45));
    json_object_set_new(h, "memo", ctns_map_order_memo(doc, memo_prefix));

    date = ctns_map_str(doc->order, "completedAt");
    ctns_map_date(h, date ? date : ctns_map_str(doc->order, "createdAt"));

    ctns_map_payment_ids(doc->order, pays, sizeof(pays));

    ctns_map_custom_field(h, conf->cf_order_id, doc->id);
    ctns_map_custom_field(h, conf->cf_order_number, doc->number);
    ctns_map_custom_field(h, conf->cf_cart_id,
                          ctns_map_str(json_object_get(doc->order, "cart"),
                                       "id"));
    ctns_map_custom_field(h, conf->cf_payment_ref, pays[0] ? pays : NULL);

    return h;
}


/* the customer a document of the order is for */
json_t *
ctns_map_customer_ref(const ctns_map_doc_t *doc)
{
    char  cust[128];

    ctns_map_customer_eid(doc, cust, sizeof(cust));

    if (cust[0] == '\0') {
        return json_deep_copy(doc->route->guest_customer);
    }

    return ctns_map_ref_eid(cust);
}
