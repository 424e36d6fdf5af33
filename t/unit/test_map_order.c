/*
 * Copyright (C) ct-netsuite authors
 *
 * Order placed -> customer + sales order (or cash sale) + tax override, for
 * the fixture orders in USD (net), EUR (gross, discount, gift card) and JPY
 * (multi-shipping), executed on the test ledger so that the NetSuite total
 * is checked against commercetools' total, to the minor unit.
 */


#include "ctns_map_test.h"


#define ORDER_USD  "9e1b7c4a-2d3f-4a5b-8c6d-0e1f2a3b4c01"
#define ORDER_EUR  "2a9e9c03-1c1c-4894-9b67-4f07772a1706"
#define ORDER_JPY  "33345f67-5ee3-405e-839f-a68d57f42b97"


/* an OrderCreated message around an order fixture */
static json_t *
order_created(const char *order_file)
{
    json_t  *order;

    order = mt_load(order_file);

    return json_pack("{s:s,s:s,s:i,s:{s:s,s:O},s:i,s:s,s:o}",
                     "notificationType", "Message",
                     "id", "00000000-0000-4000-8000-00000000c001",
                     "sequenceNumber", 1,
                     "resource", "typeId", "order", "id",
                     json_object_get(order, "id"),
                     "resourceVersion", 1,
                     "type", "OrderCreated",
                     "order", order);
}


static const json_t *
line(const ctns_op_t *op, size_t i)
{
    return json_array_get(json_object_get(json_object_get(op->body, "item"),
                                          "items"), i);
}


/* a row of a tax override (the PATCH's derive argument) */
static const json_t *
row(const ctns_op_t *op, size_t i)
{
    return op ? json_array_get(json_object_get(op->body, "rows"), i) : NULL;
}


static const char *
ref_id(const json_t *body, const char *key)
{
    const json_t  *r = json_object_get(body, key);

    return json_string_value(json_object_get(r, "id")
                             ? json_object_get(r, "id")
                             : json_object_get(r, "externalId"));
}


static void
test_usd(void)
{
    int               rc;
    json_t           *msg, *ledger;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *so, *tax, *cust;

    conf = mt_conf(NULL);
    msg = mt_load("commercetools/messages/order-created.json");
    CHECK(conf != NULL && msg != NULL);

    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);
    CHECK_INT(plan.nops, 3);
    CHECK_STR(plan.order_id, ORDER_USD);
    CHECK_STR(mt_set(&plan, "idx:order-number:ORD-10001"), ORDER_USD);

    cust = mt_op(&plan, "customer", "ct-cust-cf5228f4-6d03-42a4-8504-"
                 "a3d0d9862662", CTNS_OP_UPSERT);
    so = mt_op(&plan, "salesOrder", "ct-order-" ORDER_USD, CTNS_OP_CREATE);
    tax = mt_op(&plan, "salesOrder", "ct-order-" ORDER_USD, CTNS_OP_PATCH);
    CHECK(cust && so && tax);
    CHECK(cust < so && so < tax);

    if (cust && so && tax) {
        CHECK_STR(mt_str(cust->body, "firstName"), "Maya");
        CHECK_STR(ref_id(cust->body, "subsidiary"), "1");
        CHECK_STR(so->replace, "item");
        CHECK_STR(ref_id(so->body, "entity"),
                  "ct-cust-cf5228f4-6d03-42a4-8504-a3d0d9862662");
        CHECK_STR(ref_id(so->body, "subsidiary"), "1");
        CHECK_STR(ref_id(so->body, "currency"), "1");
        CHECK_STR(ref_id(so->body, "department"), "1");
        CHECK_STR(mt_str(so->body, "otherRefNum"), "ORD-10001");
        CHECK_STR(mt_str(so->body, "tranDate"), "2026-07-01");
        CHECK_STR(mt_str(so->body, "custbody_ct_order_id"),
                  ORDER_USD);
        CHECK_STR(mt_str(so->body, "custbody_ct_cart_id"),
                  "e586460f-4bf8-4dd1-8505-e7fdf24edc1c");
        CHECK_STR(mt_str(so->body, "custbody_ct_payment_id"),
                  "0b4c6a3e-1f2d-4c5b-9a8e-7d6f5e4c3b01");
        CHECK(strstr(mt_str(so->body, "memo"),
                     "cart e586460f-4bf8-4dd1-8505-e7fdf24edc1c") != NULL);
        CHECK_STR(ref_id(so->body, "shipMethod"), "303");
        CHECK_INT(mt_amount(so->body, "shippingCost", 2), 1200);
        CHECK_STR(ref_id(line(so, 0), "item"), "103");
        CHECK_STR(ref_id(line(so, 1), "item"), "104");
        CHECK_INT(mt_amount(so->body, "item.items.0.amount", 2), 7900);
        CHECK_INT(mt_amount(so->body, "item.items.1.amount", 2), 2900);
        CHECK_INT(mt_amount(so->body, "item.items.1.rate", 2), 1450);
        CHECK_INT(json_integer_value(json_object_get(line(so, 1),
                                                     "quantity")), 2);
        CHECK(json_object_get(line(so, 0), "taxCode") == NULL);
        CHECK_STR(ref_id(row(tax, 0), "taxCode"), "511");
        CHECK_STR(ref_id(row(tax, 1), "taxCode"), "512");
        CHECK_INT(mt_amount(tax->body, "rows.0.taxAmount", 2), 474);
        CHECK_INT(mt_amount(tax->body, "rows.1.taxAmount", 2), 79);
        CHECK_STR(tax->read_type, "salesOrder");
        CHECK_STR(tax->replace, "taxDetails");
    }

    /* the ledger: state 6 % and county 1 % rows per line and on SHIPPING */
    ledger = json_object();
    CHECK_INT(mt_exec(ledger, &plan), 0);
    CHECK_INT(mt_total(ledger, "salesOrder", "ct-order-" ORDER_USD, 2),
              12840);
    CHECK_INT(json_array_size(json_object_get(json_object_get(
                  mt_get(ledger, "salesOrder", "ct-order-" ORDER_USD),
                  "taxDetails"), "items")), 6);

    /* running the plan again changes nothing: upserts replace their lines */
    CHECK_INT(mt_exec(ledger, &plan), 0);
    CHECK_INT(mt_total(ledger, "salesOrder", "ct-order-" ORDER_USD, 2),
              12840);

    json_decref(ledger);
    ctns_plan_free(&plan);
    json_decref(msg);
    ctns_map_conf_free(conf);
}


static void
test_eur(const char *patch, size_t nlines, int64_t first_amount)
{
    int               rc;
    json_t           *msg;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *so;

    conf = mt_conf(patch);
    msg = order_created("commercetools/order-eu-gross-discount-giftcard.json");
    CHECK(conf != NULL && msg != NULL);

    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);

    /* a guest: the store's guest customer */
    CHECK(mt_op(&plan, "customer", "ct-guest-de-web", CTNS_OP_UPSERT) != NULL);
    so = mt_op(&plan, "salesOrder", "ct-order-" ORDER_EUR, CTNS_OP_CREATE);
    CHECK(so != NULL);

    if (so) {
        CHECK_STR(ref_id(so->body, "entity"), "ct-guest-de-web");
        CHECK_STR(ref_id(so->body, "subsidiary"), "3");
        CHECK_STR(ref_id(so->body, "shipMethod"), "302");
        CHECK_INT(mt_amount(so->body, "shippingCost", 2), 416);
        CHECK_INT(json_array_size(json_object_get(json_object_get(so->body,
                                                  "item"), "items")),
                  nlines);
        CHECK_INT(mt_amount(so->body, "item.items.0.amount", 2),
                  first_amount);
        CHECK(strstr(mt_str(so->body, "memo"),
                     "discount codes: 987fc6e7-5137-4763-a6e9-96e1eed5f1be")
              != NULL);
    }

    CHECK_INT(mt_plan_total(&plan, "salesOrder", "ct-order-" ORDER_EUR, 2), 24077);
    ctns_plan_free(&plan);
    json_decref(msg);
    ctns_map_conf_free(conf);
}


static void
test_jpy(void)
{
    int               rc;
    json_t           *msg;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *so;

    conf = mt_conf(NULL);
    msg = order_created("commercetools/order-jpy-multishipping.json");

    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);

    so = mt_op(&plan, "salesOrder", "ct-order-" ORDER_JPY, CTNS_OP_CREATE);
    CHECK(so != NULL);
    CHECK(mt_op(&plan, "customer", "ct-cust-2668d01d-907d-4f51-bdc4-"
                "ad02d4f3731a", CTNS_OP_UPSERT) != NULL);

    if (so) {
        /* two shipping methods: shipping lines, not header fields */
        CHECK(json_object_get(so->body, "shippingCost") == NULL);
        CHECK_INT(json_array_size(json_object_get(json_object_get(so->body,
                                                  "item"), "items")), 4);
        CHECK_INT(mt_amount(so->body, "item.items.0.amount", 0), 6000);
        CHECK_INT(mt_amount(so->body, "item.items.1.amount", 0), 2500);
        CHECK_INT(mt_amount(so->body, "item.items.2.amount", 0), 700);
        CHECK_INT(mt_amount(so->body, "item.items.3.amount", 0), 800);
        CHECK_STR(ref_id(line(so, 2), "item"), "401");
        CHECK_STR(ref_id(row(mt_op(&plan, "salesOrder", "ct-order-" ORDER_JPY,
                                   CTNS_OP_PATCH), 0), "taxCode"), "531");
        CHECK_STR(ref_id(row(mt_op(&plan, "salesOrder", "ct-order-" ORDER_JPY,
                                   CTNS_OP_PATCH), 2), "taxCode"), "532");
        CHECK_STR(ref_id(so->body, "currency"), "6");
    }

    CHECK_INT(mt_plan_total(&plan, "salesOrder", "ct-order-" ORDER_JPY, 0), 10880);
    ctns_plan_free(&plan);
    json_decref(msg);
    ctns_map_conf_free(conf);
}


/* payloadNotIncluded: the order is fetched, then mapped as usual */
static void
test_payload_not_included(void)
{
    int               rc;
    json_t           *msg, *res;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;

    conf = mt_conf(NULL);
    msg = mt_load("commercetools/messages/order-created-payload-not-"
                  "included.json");
    res = json_pack("{s:o}", "orders/" ORDER_EUR,
                    mt_load("commercetools/order-eu-gross-discount-"
                            "giftcard.json"));

    rc = mt_map(conf, msg, res, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);
    CHECK(mt_op(&plan, "salesOrder", "ct-order-" ORDER_EUR, CTNS_OP_CREATE)
          != NULL);

    CHECK_INT(mt_plan_total(&plan, "salesOrder", "ct-order-" ORDER_EUR, 2), 24077);
    ctns_plan_free(&plan);
    json_decref(res);
    json_decref(msg);
    ctns_map_conf_free(conf);
}


/* permanent problems name what is wrong */
static void
test_errors(void)
{
    int               rc;
    json_t           *msg;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;

    /* an unknown SKU without a fallback */
    conf = mt_conf("{\"items\":{\"sku_external_id_prefix\":null}}");
    msg = order_created("commercetools/order-eu-gross-discount-giftcard.json");
    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_ERROR);
    CHECK(strstr(err, "SHOE-AERO-42") != NULL);
    CHECK_INT(plan.nops, 0);
    ctns_plan_free(&plan);
    ctns_map_conf_free(conf);

    /* the fallback item takes it */
    conf = mt_conf("{\"items\":{\"sku_external_id_prefix\":null,"
                   "\"fallback\":\"199\"}}");
    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);
    CHECK_STR(ref_id(line(mt_op(&plan, "salesOrder", "ct-order-" ORDER_EUR,
                                CTNS_OP_CREATE), 0), "item"), "199");
    ctns_plan_free(&plan);
    ctns_map_conf_free(conf);
    json_decref(msg);
    msg = mt_load("commercetools/messages/order-created.json");

    /* no routing rule */
    conf = mt_conf("{\"routing\":[{\"match\":{\"store\":\"us-web\","
                     "\"currency\":\"CAD\"},\"subsidiary\":\"1\"}]}");
    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_ERROR);
    CHECK(strstr(err, "store us-web, country US, currency USD") != NULL);
    ctns_plan_free(&plan);
    ctns_map_conf_free(conf);

    /* no tax code for a rate */
    conf = mt_conf("{\"tax\":{\"codes\":[{\"country\":\"DE\","
                     "\"code\":\"521\"}]}}");
    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_ERROR);
    CHECK(strstr(err, "PA State") != NULL);
    ctns_plan_free(&plan);
    ctns_map_conf_free(conf);

    json_decref(msg);
}


static void
test_variants(void)
{
    int               rc;
    json_t           *msg;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *cs, *inv;

    msg = mt_load("commercetools/messages/order-created.json");

    /* cash sale: posted to the undeposited funds account, no invoice */
    conf = mt_conf("{\"flows\":{\"order\":\"cashSale\",\"invoice\":null}}");
    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);
    cs = mt_op(&plan, "cashSale", "ct-order-" ORDER_USD, CTNS_OP_CREATE);
    CHECK(cs != NULL);
    CHECK(cs && json_object_get(cs->body, "account") == NULL);
    CHECK_STR(cs ? mt_str(json_object_get(cs->body, "undepFunds"), "id") : NULL,
              "T");
    CHECK(mt_op(&plan, "cashSale", "ct-order-" ORDER_USD, CTNS_OP_PATCH)
          != NULL);
    CHECK_INT(mt_plan_total(&plan, "cashSale", "ct-order-" ORDER_USD, 2), 12840);
    ctns_plan_free(&plan);
    ctns_map_conf_free(conf);

    /* invoice on order: the invoice total equals the order too */
    conf = mt_conf("{\"flows\":{\"invoice\":\"on_order\"}}");
    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);
    inv = mt_op(&plan, "invoice", "ct-inv-" ORDER_USD, CTNS_OP_TRANSFORM);
    CHECK(inv != NULL);
    CHECK_STR(inv ? inv->from_eid : NULL, "ct-order-" ORDER_USD);
    CHECK_INT(mt_plan_total(&plan, "invoice", "ct-inv-" ORDER_USD, 2), 12840);
    ctns_plan_free(&plan);
    ctns_map_conf_free(conf);

    /* NetSuite-computed tax: tax codes on lines, no override step */
    conf = mt_conf("{\"tax\":{\"mode\":\"netsuite\"}}");
    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);
    CHECK(mt_op(&plan, "salesOrder", "ct-order-" ORDER_USD, CTNS_OP_PATCH)
          == NULL);
    CHECK_STR(ref_id(line(mt_op(&plan, "salesOrder", "ct-order-" ORDER_USD,
                                CTNS_OP_CREATE), 0), "taxCode"), "511");
    CHECK_INT(mt_plan_total(&plan, "salesOrder", "ct-order-" ORDER_USD, 2), 12000);
    ctns_plan_free(&plan);
    ctns_map_conf_free(conf);

    /* guests by e-mail: a customer of their own */
    conf = mt_conf("{\"customers\":{\"guests\":\"by_email\"}}");
    json_decref(msg);
    msg = order_created("commercetools/order-eu-gross-discount-giftcard.json");
    rc = mt_map(conf, msg, NULL, &plan, err, sizeof(err));
    CHECK_INT(rc, CTNS_MAP_OK);
    CHECK_INT(plan.nops, 3);
    CHECK(strncmp(plan.ops[0].eid, "ct-guest-", 9) == 0
          && strlen(plan.ops[0].eid) == 9 + 32);
    CHECK_STR(mt_str(plan.ops[0].body, "email"),
              "lena.hoffmann@example.de");
    ctns_plan_free(&plan);
    ctns_map_conf_free(conf);

    json_decref(msg);
}


/*
 * Order-level tax one cent off the lines' sum (aggregate rounding): spread
 * over the lines, or on the rounding item (up) / rounding-down item.
 */
static void
test_rounding(const char *patch, int delta, size_t nlines, const char *item)
{
    json_t           *msg, *order, *p;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *so;
    json_int_t        v;

    conf = mt_conf(patch);
    msg = mt_load("commercetools/messages/order-created.json");
    order = json_object_get(msg, "order");

    p = json_object_get(json_array_get(json_object_get(json_object_get(order,
        "taxedPrice"), "taxPortions"), 0), "amount");
    v = json_integer_value(json_object_get(p, "centAmount"));
    json_object_set_new(p, "centAmount", json_integer(v + delta));
    p = json_object_get(json_object_get(order, "taxedPrice"), "totalGross");
    v = json_integer_value(json_object_get(p, "centAmount"));
    json_object_set_new(p, "centAmount", json_integer(v + delta));

    CHECK_INT(mt_map(conf, msg, NULL, &plan, err, sizeof(err)), CTNS_MAP_OK);
    so = mt_op(&plan, "salesOrder", "ct-order-" ORDER_USD, CTNS_OP_CREATE);
    CHECK(so != NULL);

    if (so) {
        CHECK_INT(json_array_size(json_object_get(json_object_get(so->body,
                                                  "item"), "items")),
                  nlines);
        if (item) {
            CHECK_STR(ref_id(line(so, nlines - 1), "item"), item);
            CHECK_INT(mt_amount(so->body, "item.items.2.amount", 2), 0);
        }
    }

    CHECK_INT(mt_plan_total(&plan, "salesOrder", "ct-order-" ORDER_USD, 2), 12840 + delta);
    ctns_plan_free(&plan);
    json_decref(msg);
    ctns_map_conf_free(conf);
}


/*
 * Other news of an order re-read it and bring it in (a later message must
 * not leave an earlier one skipped for nothing); events of other
 * resources are acknowledged with a reason.
 */
static void
test_other_events(void)
{
    int               rc;
    size_t            i;
    json_t           *msg, *res;
    char              err[512], path[256];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;

    static const struct {
        const char  *file;
        int          sync;
    } cases[] = {
        { "order-payment-state-changed.json", 1 },
        { "parcel-added-to-delivery.json", 1 },
        { "return-info-added.json", 1 },
        { "resource-updated-order.json", 1 },
        { "subscription-test-resource-created.json", 0 },
        { "event-checkout-payment-refunded.json", 0 },
    };

    conf = mt_conf(NULL);
    res = json_pack("{s:o,s:o}", "orders/" ORDER_USD,
                    mt_load("commercetools/order-simple-usd.json"),
                    "orders/" ORDER_EUR,
                    mt_load("commercetools/order-eu-gross-discount-"
                            "giftcard.json"));

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), "commercetools/messages/%s",
                 cases[i].file);
        msg = mt_load(path);
        rc = mt_map(conf, msg, res, &plan, err, sizeof(err));
        CHECK_INT(rc, CTNS_MAP_OK);
        CHECK_INT(plan.ignored, !cases[i].sync);
        CHECK_INT(plan.nops > 0, cases[i].sync);
        CHECK(plan.reason[0] != '\0');
        ctns_plan_free(&plan);
        json_decref(msg);
    }

    json_decref(res);
    ctns_map_conf_free(conf);
}


int
main(void)
{
    test_usd();

    /* discounts as net rates: the shoes at the discounted 2 x 80.91 gross */
    test_eur(NULL, 3, 13598);

    /* as discount item lines: 2 x 89.90 gross, then the discount line */
    test_eur("{\"discounts\":{\"mode\":\"item\"}}", 4, 15109);

    test_jpy();
    test_rounding(NULL, 1, 2, NULL);
    test_rounding(NULL, -1, 2, NULL);
    test_rounding("{\"tax\":{\"rounding\":\"item\"}}", 1, 3, "405");
    test_rounding("{\"tax\":{\"rounding\":\"item\"}}", -1, 3, "203");
    test_payload_not_included();
    test_errors();
    test_variants();
    test_other_events();

    TEST_DONE();
}
