/*
 * Copyright (C) ct-netsuite authors
 *
 * Life cycles of the fixture orders through the mapping and the test
 * ledger: captures (deposit before invoicing, payment after), deliveries
 * (invoice per delivery, split shipments), refunds (credit memo for the
 * returned book + customer refund), cancellation (unbilled lines closed),
 * customers, and what posts nothing.
 */


#include "ctns_map_test.h"


#define ORDER_USD  "9e1b7c4a-2d3f-4a5b-8c6d-0e1f2a3b4c01"
#define ORDER_EUR  "2a9e9c03-1c1c-4894-9b67-4f07772a1706"
#define ORDER_JPY  "33345f67-5ee3-405e-839f-a68d57f42b97"
#define PAY_USD    "0b4c6a3e-1f2d-4c5b-9a8e-7d6f5e4c3b01"
#define PAY_EUR    "825d7299-fcec-4282-9e70-a47504147cf0"
#define CHARGE_USD "a0000000-0000-4000-8000-000000000102"
#define CHARGE_EUR "446222f0-b449-430b-8e2f-66b5e30348ad"
#define REFUND_EUR "6e961d6a-3551-430f-ab07-cb7c22b33009"
#define DLV_USD    "5c46f739-a27c-4899-b061-6d46ffe0f8d2"
#define DLV_EUR    "7d3ee6c8-e16f-4636-821f-fc0f8c69bf52"

#define Q(id)      "orders?where=paymentInfo(payments(id=\"" id "\"))"


static json_t *
message(const char *type, const char *rtype, const char *rid, json_t *extra)
{
    json_t  *m;

    m = json_pack("{s:s,s:s,s:{s:s,s:s},s:s}", "notificationType", "Message",
                  "id", "00000000-0000-4000-8000-0000000000aa",
                  "resource", "typeId", rtype, "id", rid, "type", type);
    json_object_update(m, extra);
    json_decref(extra);

    return m;
}


/* maps one event and runs its plan on the ledger; returns the plan */
static int
step(const ctns_map_conf_t *conf, json_t *ledger, json_t *msg,
    json_t *res, ctns_plan_t *plan)
{
    int   rc;
    char  err[512];

    rc = mt_map(conf, msg, res, plan, err, sizeof(err));

    if (rc != CTNS_MAP_OK) {
        fprintf(stderr, "mapping failed: %s\n", err);
        return rc;
    }

    return mt_exec(ledger, plan);
}


static json_t *
order_created(const char *file)
{
    json_t  *order;

    order = mt_load(file);

    return message("OrderCreated", "order",
                   json_string_value(json_object_get(order, "id")),
                   json_pack("{s:o}", "order", order));
}


static void
test_usd_life(void)
{
    json_t           *ledger, *msg, *res;
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *op;
    const char       *idx;

    conf = mt_conf(NULL);
    ledger = json_object();
    res = json_pack("{s:o,s:o,s:o}",
                    "payments/" PAY_USD,
                    mt_load("commercetools/payment-charge-success.json"),
                    Q(PAY_USD),
                    mt_load("commercetools/order-simple-usd.json"),
                    "orders/" ORDER_USD,
                    mt_load("commercetools/order-simple-usd.json"));

    msg = mt_load("commercetools/messages/order-created.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);

    /* the capture, before any delivery: a deposit on the sales order */
    msg = message("PaymentTransactionStateChanged", "payment", PAY_USD,
                  json_pack("{s:s,s:s}", "transactionId", CHARGE_USD,
                            "state", "Success"));
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    CHECK_STR(plan.order_id, ORDER_USD);
    op = mt_op(&plan, "customerDeposit", "ct-dep-" CHARGE_USD,
               CTNS_OP_CREATE);
    CHECK(op != NULL);

    if (op) {
        CHECK_INT(mt_amount(op->body, "payment", 2), 12840);
        CHECK_STR(mt_str(json_object_get(op->body, "salesOrder"),
                         "externalId"), "ct-order-" ORDER_USD);
        CHECK_STR(mt_str(json_object_get(op->body, "customer"),
                         "externalId"),
                  "ct-cust-cf5228f4-6d03-42a4-8504-a3d0d9862662");
        CHECK(json_object_get(op->body, "account") == NULL);
        CHECK_STR(mt_str(json_object_get(op->body, "undepFunds"), "id"), "T");
        CHECK_STR(mt_str(op->body, "custbody_ct_psp"), "adyen");
        CHECK_STR(mt_str(op->body, "custbody_ct_psp_ref"),
                  "8815830153220001");
        CHECK(strstr(mt_str(op->body, "memo"), "ORD-10001") != NULL);
    }

    idx = mt_set(&plan, "idx:psp:8815830153220001");
    CHECK(idx != NULL);
    CHECK(idx && strstr(idx, "\"type\":\"customerDeposit\"") != NULL);
    CHECK(idx && strstr(idx, "\"externalId\":\"ct-dep-" CHARGE_USD "\"")
          != NULL);
    CHECK(idx && strstr(idx, "\"amount\":12840") != NULL);
    CHECK(idx && strstr(idx, "\"orderId\":\"" ORDER_USD "\"") != NULL);
    ctns_plan_free(&plan);
    json_decref(msg);

    /* the delivery of everything: one invoice for the whole order */
    msg = mt_load("commercetools/messages/delivery-added.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    op = mt_op(&plan, "invoice", "ct-inv-" ORDER_USD "-" DLV_USD,
               CTNS_OP_TRANSFORM);
    CHECK(op != NULL);
    CHECK_STR(op ? op->from_eid : NULL, "ct-order-" ORDER_USD);
    CHECK(mt_op(&plan, "invoice", "ct-inv-" ORDER_USD "-" DLV_USD,
                CTNS_OP_PATCH) != NULL);
    CHECK_INT(mt_total(ledger, "invoice", "ct-inv-" ORDER_USD "-" DLV_USD, 2),
              12840);
    ctns_plan_free(&plan);
    json_decref(msg);

    /* the parcel message of the same update: the order re-read, no news */
    msg = mt_load("commercetools/messages/parcel-added-to-delivery.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    CHECK_INT(plan.ignored, 0);
    ctns_plan_free(&plan);
    json_decref(msg);
    CHECK_INT(mt_count(ledger, "salesOrder"), 1);
    CHECK_INT(mt_count(ledger, "invoice"), 1);

    json_decref(res);
    json_decref(ledger);
    ctns_map_conf_free(conf);
}


static void
test_eur_life(void)
{
    json_t           *ledger, *msg, *res, *order, *delivery;
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *op;

    conf = mt_conf(NULL);
    ledger = json_object();
    order = mt_load("commercetools/order-eu-gross-discount-giftcard.json");
    res = json_pack("{s:o,s:O,s:O}",
                    "payments/" PAY_EUR,
                    mt_load("commercetools/payment-partial-refund.json"),
                    Q(PAY_EUR), order, "orders/" ORDER_EUR, order);

    msg = order_created("commercetools/order-eu-gross-discount-"
                        "giftcard.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);

    delivery = json_array_get(json_object_get(json_object_get(order,
                              "shippingInfo"), "deliveries"), 0);
    msg = message("DeliveryAdded", "order", ORDER_EUR,
                  json_pack("{s:O}", "delivery", delivery));
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    CHECK_INT(mt_total(ledger, "invoice", "ct-inv-" ORDER_EUR "-" DLV_EUR, 2),
              24077);
    ctns_plan_free(&plan);
    json_decref(msg);

    /*
     * Captured after the delivery: a payment transformed from the invoice
     * and applied to it.  The payment as fetched already has its refund in
     * Success, so the same plan credits and refunds the returned book.
     */
    msg = message("PaymentTransactionStateChanged", "payment", PAY_EUR,
                  json_pack("{s:s,s:s}", "transactionId", CHARGE_EUR,
                            "state", "Success"));
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    CHECK_STR(plan.order_id, ORDER_EUR);
    op = mt_op(&plan, "customerPayment", "ct-pay-" CHARGE_EUR,
               CTNS_OP_CREATE);
    CHECK(op != NULL);
    CHECK_STR(op ? op->read_eid : NULL, "ct-inv-" ORDER_EUR "-" DLV_EUR);
    CHECK(mt_set(&plan, "idx:psp:8815830153220004") != NULL);
    CHECK(mt_set(&plan, "idx:psp:8815830153210005") != NULL);

    op = mt_op(&plan, "creditMemo", "ct-cm-" REFUND_EUR, CTNS_OP_CREATE);
    CHECK(op != NULL);

    if (op) {
        CHECK_INT(json_array_size(json_object_get(json_object_get(op->body,
                                                  "item"), "items")), 1);
        CHECK_INT(mt_amount(op->body, "item.items.0.amount", 2), 2243);
        CHECK_STR(mt_str(json_object_get(json_array_get(json_object_get(
                      json_object_get(op->body, "item"), "items"), 0),
                      "item"), "externalId"), "ct-sku-BOOK-MED-01");
    }

    op = mt_op(&plan, "customerRefund", "ct-ref-" REFUND_EUR,
               CTNS_OP_TRANSFORM);
    CHECK(op != NULL);
    CHECK_STR(op ? op->from_eid : NULL, "ct-cm-" REFUND_EUR);
    ctns_plan_free(&plan);
    json_decref(msg);

    /* the refund's own messages, Pending and Success: the same, once */
    msg = mt_load("commercetools/messages/payment-transaction-added.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);
    msg = mt_load("commercetools/messages/payment-transaction-state-"
                  "changed.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);

    CHECK_INT(mt_count(ledger, "customerPayment"), 1);
    CHECK_INT(mt_count(ledger, "creditMemo"), 1);
    CHECK_INT(mt_count(ledger, "customerRefund"), 1);
    CHECK_INT(mt_amount(mt_get(ledger, "customerPayment",
                               "ct-pay-" CHARGE_EUR), "payment", 2), 24077);
    CHECK_INT(mt_amount(mt_get(ledger, "customerPayment",
                               "ct-pay-" CHARGE_EUR),
                        "apply.items.0.amount", 2), 24077);
    CHECK_INT(mt_total(ledger, "creditMemo", "ct-cm-" REFUND_EUR, 2), 2400);
    CHECK_INT(mt_amount(mt_get(ledger, "customerRefund", "ct-ref-" REFUND_EUR),
                        "apply.items.0.amount", 2), 2400);
    CHECK_STR(mt_str(json_object_get(mt_get(ledger, "customerRefund",
                                            "ct-ref-" REFUND_EUR),
                                     "account"), "id"), "122");

    json_decref(order);
    json_decref(res);
    json_decref(ledger);
    ctns_map_conf_free(conf);
}


/* a refund that matches no return: amount-only on the refund item */
static void
test_refund_amount_only(void)
{
    json_t           *ledger, *msg, *res, *order, *payment, *txs;
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *op;

    conf = mt_conf(NULL);
    ledger = json_object();
    order = mt_load("commercetools/order-eu-gross-discount-giftcard.json");
    payment = mt_load("commercetools/payment-partial-refund.json");

    /* a goodwill refund of 5.00 before the 24.00 one */
    txs = json_object_get(payment, "transactions");
    json_array_insert_new(txs, 2, json_pack("{s:s,s:s,s:{s:s,s:s,s:i,s:i},"
                                            "s:s,s:s}",
        "id", "b0000000-0000-4000-8000-000000000001", "type", "Refund",
        "amount", "type", "centPrecision", "currencyCode", "EUR",
        "centAmount", 500, "fractionDigits", 2,
        "interactionId", "8815830153219999", "state", "Success"));

    res = json_pack("{s:O,s:O}", "payments/" PAY_EUR, payment, Q(PAY_EUR),
                    order);
    msg = message("PaymentTransactionStateChanged", "payment", PAY_EUR,
                  json_pack("{s:s,s:s}", "transactionId",
                            "b0000000-0000-4000-8000-000000000001",
                            "state", "Success"));
    CHECK_INT(mt_map(conf, msg, res, &plan, (char [256]) { 0 }, 256),
              CTNS_MAP_OK);
    op = mt_op(&plan, "creditMemo", "ct-cm-b0000000-0000-4000-8000-"
               "000000000001", CTNS_OP_CREATE);
    CHECK(op != NULL);

    if (op) {
        CHECK_STR(mt_str(json_object_get(json_array_get(json_object_get(
                      json_object_get(op->body, "item"), "items"), 0),
                      "item"), "id"), "406");
        CHECK_INT(mt_amount(op->body, "item.items.0.amount", 2), 500);
    }

    ctns_plan_free(&plan);
    json_decref(msg);

    /* the book refund still finds its return after the goodwill one */
    msg = mt_load("commercetools/messages/payment-transaction-state-"
                  "changed.json");
    CHECK_INT(mt_map(conf, msg, res, &plan, (char [256]) { 0 }, 256),
              CTNS_MAP_OK);
    op = mt_op(&plan, "creditMemo", "ct-cm-" REFUND_EUR, CTNS_OP_CREATE);
    CHECK(op != NULL);
    CHECK_INT(op ? mt_amount(op->body, "item.items.0.amount", 2) : 0, 2243);
    ctns_plan_free(&plan);
    json_decref(msg);

    /* without a refund item, an unmatched refund is a dead letter */
    ctns_map_conf_free(conf);
    conf = mt_conf("{\"items\":{\"refund\":null}}");
    msg = message("PaymentTransactionStateChanged", "payment", PAY_EUR,
                  json_pack("{s:s,s:s}", "transactionId",
                            "b0000000-0000-4000-8000-000000000001",
                            "state", "Success"));
    CHECK_INT(mt_map(conf, msg, res, &plan, (char [256]) { 0 }, 256),
              CTNS_MAP_ERROR);
    ctns_plan_free(&plan);
    json_decref(msg);

    json_decref(payment);
    json_decref(order);
    json_decref(res);
    json_decref(ledger);
    ctns_map_conf_free(conf);
}


static json_t *
delivery(const char *id, const char *at, const char *line1, int q1,
    const char *line2, int q2)
{
    json_t  *d;

    d = json_pack("{s:s,s:s,s:[{s:s,s:i}]}", "id", id, "createdAt", at,
                  "items", "id", line1, "quantity", q1);

    if (line2) {
        json_array_append_new(json_object_get(d, "items"),
                              json_pack("{s:s,s:i}", "id", line2,
                                        "quantity", q2));
    }

    return d;
}


/* JPY, two deliveries (the second first): invoices add up to the order */
static void
test_split_shipments(void)
{
    json_t           *ledger, *msg, *res, *order, *d1, *d2;
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    int64_t           t1, t2;

    conf = mt_conf(NULL);
    ledger = json_object();
    order = mt_load("commercetools/order-jpy-multishipping.json");

    d1 = delivery("d0000000-0000-4000-8000-000000000001",
                  "2026-07-11T01:00:00.000Z",
                  "a4282406-7397-4da6-8f9a-8d05679dfd44", 1, NULL, 0);
    d2 = delivery("d0000000-0000-4000-8000-000000000002",
                  "2026-07-12T01:00:00.000Z",
                  "a4282406-7397-4da6-8f9a-8d05679dfd44", 1,
                  "0398d013-5f36-4f16-b3a0-2fb875faafb4", 1);

    json_array_append(json_object_get(json_object_get(json_array_get(
        json_object_get(order, "shipping"), 0), "shippingInfo"),
        "deliveries"), d1);
    json_array_append(json_object_get(json_object_get(json_array_get(
        json_object_get(order, "shipping"), 1), "shippingInfo"),
        "deliveries"), d2);

    res = json_pack("{s:O}", "orders/" ORDER_JPY, order);

    msg = order_created("commercetools/order-jpy-multishipping.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);

    msg = message("DeliveryAdded", "order", ORDER_JPY,
                  json_pack("{s:O}", "delivery", d2));
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);

    msg = message("DeliveryAdded", "order", ORDER_JPY,
                  json_pack("{s:O}", "delivery", d1));
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);

    t1 = mt_total(ledger, "invoice", "ct-inv-" ORDER_JPY
                  "-d0000000-0000-4000-8000-000000000001", 0);
    t2 = mt_total(ledger, "invoice", "ct-inv-" ORDER_JPY
                  "-d0000000-0000-4000-8000-000000000002", 0);

    /* first: a tea set (3,240) and both shipping lines (1,650) */
    CHECK_INT(t1, 3240 + 1650);
    CHECK_INT(t2, 3240 + 2750);
    CHECK_INT(t1 + t2, 10880);

    /* a delivery of what is already billed is not billed again */
    msg = message("DeliveryAdded", "order", ORDER_JPY,
                  json_pack("{s:o}", "delivery",
                            delivery("d0000000-0000-4000-8000-000000000003",
                                     "2026-07-13T01:00:00.000Z",
                                     "0398d013-5f36-4f16-b3a0-2fb875faafb4",
                                     1, NULL, 0)));
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    CHECK(mt_op(&plan, "invoice", "ct-inv-" ORDER_JPY
                "-d0000000-0000-4000-8000-000000000003", CTNS_OP_TRANSFORM)
          == NULL);
    CHECK_INT(mt_count(ledger, "invoice"), 2);
    ctns_plan_free(&plan);
    json_decref(msg);

    /* one delivery message lost: the next one invoices both deliveries */
    json_decref(ledger);
    ledger = json_object();
    msg = order_created("commercetools/order-jpy-multishipping.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);
    msg = message("DeliveryAdded", "order", ORDER_JPY,
                  json_pack("{s:O}", "delivery", d2));
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);
    CHECK_INT(mt_count(ledger, "invoice"), 2);
    CHECK_INT(mt_total(ledger, "invoice", "ct-inv-" ORDER_JPY
                       "-d0000000-0000-4000-8000-000000000001", 0)
              + mt_total(ledger, "invoice", "ct-inv-" ORDER_JPY
                         "-d0000000-0000-4000-8000-000000000002", 0), 10880);

    json_decref(d1);
    json_decref(d2);
    json_decref(order);
    json_decref(res);
    json_decref(ledger);
    ctns_map_conf_free(conf);
}


static void
test_cancel(void)
{
    size_t            i;
    json_t           *ledger, *msg, *so, *l, *res;
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;

    conf = mt_conf(NULL);
    ledger = json_object();

    msg = order_created("commercetools/order-jpy-multishipping.json");
    CHECK_INT(step(conf, ledger, msg, NULL, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);

    /* one line billed already: it stays open for refunds */
    so = mt_get(ledger, "salesOrder", "ct-order-" ORDER_JPY);
    l = json_array_get(json_object_get(json_object_get(so, "item"), "items"),
                       1);
    json_object_set_new(l, "quantityBilled", json_real(1));

    /* the sales order, created once, comes first, then the closing PATCH */
    res = json_pack("{s:o}", "orders/" ORDER_JPY,
                    mt_load("commercetools/order-jpy-multishipping.json"));
    msg = mt_load("commercetools/messages/order-state-changed-cancelled.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    CHECK_STR(plan.order_id, ORDER_JPY);
    CHECK(mt_op(&plan, "salesOrder", "ct-order-" ORDER_JPY, CTNS_OP_CREATE)
          != NULL);
    CHECK(plan.nops > 0
          && plan.ops[plan.nops - 1].kind == CTNS_OP_PATCH
          && strcmp(plan.ops[plan.nops - 1].read_eid,
                    "ct-order-" ORDER_JPY) == 0);
    ctns_plan_free(&plan);

    json_array_foreach(json_object_get(json_object_get(so, "item"), "items"),
                       i, l)
    {
        CHECK_INT(json_is_true(json_object_get(l, "isClosed")), i != 1);
    }

    /* all closed: running it again writes nothing */
    json_object_set_new(json_array_get(json_object_get(json_object_get(so,
                        "item"), "items"), 1), "isClosed", json_true());
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);
    json_decref(res);

    /* other state changes close nothing */
    res = json_pack("{s:o}", "orders/" ORDER_JPY,
                    mt_load("commercetools/order-jpy-multishipping.json"));
    msg = message("OrderStateChanged", "order", ORDER_JPY,
                  json_pack("{s:s}", "orderState", "Complete"));
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    CHECK(plan.nops > 0 && plan.ops[plan.nops - 1].derive != NULL
          && strcmp(plan.ops[plan.nops - 1].type, "salesOrder") == 0
          && plan.ops[plan.nops - 1].kind == CTNS_OP_PATCH
          && strcmp(plan.ops[plan.nops - 1].replace, "taxDetails") == 0);
    ctns_plan_free(&plan);
    json_decref(msg);
    json_decref(res);

    json_decref(ledger);
    ctns_map_conf_free(conf);
}


static void
test_customer_and_ignored(void)
{
    json_t           *msg, *res;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;

    conf = mt_conf(NULL);

    msg = mt_load("commercetools/messages/customer-created.json");
    CHECK_INT(mt_map(conf, msg, NULL, &plan, err, sizeof(err)), CTNS_MAP_OK);
    CHECK_INT(plan.nops, 1);

    if (plan.nops == 1) {
        CHECK_STR(plan.ops[0].type, "customer");
        CHECK_STR(plan.ops[0].eid,
                  "ct-cust-cf5228f4-6d03-42a4-8504-a3d0d9862662");
        CHECK_STR(mt_str(plan.ops[0].body, "lastName"), "Okafor");
        CHECK_STR(mt_str(plan.ops[0].body, "email"),
                  "maya.okafor@example.com");
        CHECK_STR(mt_str(json_object_get(plan.ops[0].body, "subsidiary"),
                         "id"), "1");
    }

    ctns_plan_free(&plan);
    json_decref(msg);

    /* an authorization alone posts nothing */
    res = json_pack("{s:o}", "payments/" PAY_USD,
                    mt_load("commercetools/payment-charge-success.json"));
    json_array_remove(json_object_get(json_object_get(res, "payments/"
                                                      PAY_USD),
                                      "transactions"), 1);
    msg = message("PaymentTransactionAdded", "payment", PAY_USD,
                  json_pack("{s:{s:s,s:s,s:s,s:{s:s,s:i,s:i}}}",
                            "transaction", "id", "t1", "type",
                            "Authorization", "state", "Success", "amount",
                            "currencyCode", "USD", "centAmount", 12840,
                            "fractionDigits", 2));
    CHECK_INT(mt_map(conf, msg, res, &plan, err, sizeof(err)), CTNS_MAP_OK);
    CHECK_INT(plan.ignored, 1);
    CHECK(strstr(plan.reason, "authorizations") != NULL);
    ctns_plan_free(&plan);
    json_decref(msg);
    json_decref(res);

    /* the JPY payment: authorized, then cancelled: nothing to post */
    res = json_pack("{s:o}", "payments/907b1342-90f4-4d06-b54f-5a70dae0891a",
                    mt_load("commercetools/payment-cancel-authorization-"
                            "jpy.json"));
    msg = message("PaymentTransactionStateChanged", "payment",
                  "907b1342-90f4-4d06-b54f-5a70dae0891a",
                  json_pack("{s:s,s:s}", "transactionId",
                            "493bfdd8-f5b8-4b05-a7c0-f1b610288ac6",
                            "state", "Success"));
    CHECK_INT(mt_map(conf, msg, res, &plan, err, sizeof(err)), CTNS_MAP_OK);
    CHECK_INT(plan.ignored, 1);
    ctns_plan_free(&plan);
    json_decref(msg);
    json_decref(res);

    /* a capture of a payment on no order: dead letter with the reason */
    res = json_pack("{s:o,s:n}", "payments/" PAY_USD,
                    mt_load("commercetools/payment-charge-success.json"),
                    Q(PAY_USD));
    msg = message("PaymentTransactionStateChanged", "payment", PAY_USD,
                  json_pack("{s:s,s:s}", "transactionId", CHARGE_USD,
                            "state", "Success"));
    CHECK_INT(mt_map(conf, msg, res, &plan, err, sizeof(err)),
              CTNS_MAP_ERROR);
    CHECK(strstr(err, PAY_USD) != NULL);
    ctns_plan_free(&plan);
    json_decref(msg);
    json_decref(res);

    ctns_map_conf_free(conf);
}


/* pay at checkout: the capture is indexed against the cash sale */
static void
test_cash_sale_capture(void)
{
    json_t           *msg, *res;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const char       *idx;

    conf = mt_conf("{\"flows\":{\"order\":\"cashSale\",\"invoice\":null}}");
    res = json_pack("{s:o,s:o}", "payments/" PAY_USD,
                    mt_load("commercetools/payment-charge-success.json"),
                    Q(PAY_USD),
                    mt_load("commercetools/order-simple-usd.json"));
    msg = message("PaymentTransactionStateChanged", "payment", PAY_USD,
                  json_pack("{s:s,s:s}", "transactionId", CHARGE_USD,
                            "state", "Success"));

    CHECK_INT(mt_map(conf, msg, res, &plan, err, sizeof(err)), CTNS_MAP_OK);
    CHECK_INT(plan.nops, 0);
    idx = mt_set(&plan, "idx:psp:8815830153220001");
    CHECK(idx && strstr(idx, "\"type\":\"cashSale\"") != NULL);
    CHECK(idx && strstr(idx, "ct-order-" ORDER_USD) != NULL);

    ctns_plan_free(&plan);
    json_decref(msg);
    json_decref(res);
    ctns_map_conf_free(conf);
}


/* OrderCreated lost or skipped as stale: the delivery brings the order */
static void
test_lost_order_created(void)
{
    json_t           *ledger, *msg, *res;
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;

    conf = mt_conf(NULL);
    ledger = json_object();
    res = json_pack("{s:o}", "orders/" ORDER_USD,
                    mt_load("commercetools/order-simple-usd.json"));

    msg = mt_load("commercetools/messages/delivery-added.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    CHECK_STR(mt_set(&plan, "idx:order-number:ORD-10001"), ORDER_USD);
    ctns_plan_free(&plan);
    json_decref(msg);

    CHECK_INT(mt_count(ledger, "customer"), 1);
    CHECK_INT(mt_total(ledger, "salesOrder", "ct-order-" ORDER_USD, 2),
              12840);
    CHECK_INT(mt_total(ledger, "invoice", "ct-inv-" ORDER_USD "-" DLV_USD, 2),
              12840);

    /* the late OrderCreated finds it all there */
    msg = mt_load("commercetools/messages/order-created.json");
    CHECK_INT(step(conf, ledger, msg, res, &plan), 0);
    ctns_plan_free(&plan);
    json_decref(msg);
    CHECK_INT(mt_count(ledger, "salesOrder"), 1);
    CHECK_INT(json_number_value(json_object_get(json_array_get(
                  json_object_get(json_object_get(mt_get(ledger,
                  "salesOrder", "ct-order-" ORDER_USD), "item"), "items"),
                  1), "quantityBilled")), 2);

    json_decref(res);
    json_decref(ledger);
    ctns_map_conf_free(conf);
}


/* where captures and refunds are booked */
static void
test_accounts(void)
{
    size_t            i;
    json_t           *msg, *res, *pay;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *op;

    static const struct {
        const char  *patch;
        const char  *method;
        const char  *capture;      /* account id, NULL: undepFunds T */
        const char  *refund;
    } cases[] = {
        { NULL, "mc", NULL, "122" },
        { "{\"accounts\":{\"psp\":{\"adyen\":{\"clearing\":\"12\"}}}}",
          "mc", "12", "12" },
        { "{\"giftcards\":{\"account\":\"4\"},\"routing\":[{"
          "\"subsidiary\":\"3\"}]}", "giftcard", "4", "4" },
        { NULL, "giftcard", "16", "16" },
        { "{\"giftcards\":{\"account\":\"4\"}}", "mc", NULL, "122" },
        { "{\"routing\":[{\"subsidiary\":\"3\",\"clearing_account\":"
          "\"3\",\"refund_account\":\"122\"}]}", "mc", "3", "122" },
        /* a rule's gift-card bank before its clearing and giftcards' */
        { "{\"giftcards\":{\"account\":\"4\"},\"routing\":[{"
          "\"subsidiary\":\"3\",\"clearing_account\":\"3\","
          "\"giftcard_account\":\"15\"}]}", "giftcard", "15", "15" },
        { "{\"routing\":[{\"subsidiary\":\"3\",\"giftcard_account\":"
          "\"15\"}]}", "mc", NULL, "122" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        conf = mt_conf(cases[i].patch);
        pay = mt_load("commercetools/payment-partial-refund.json");
        json_object_set_new(json_object_get(pay, "paymentMethodInfo"),
                            "method", json_string(cases[i].method));
        res = json_pack("{s:o,s:o}", "payments/" PAY_EUR, pay, Q(PAY_EUR),
                        mt_load("commercetools/order-eu-gross-discount-"
                                "giftcard.json"));
        msg = mt_load("commercetools/messages/payment-transaction-state-"
                      "changed.json");

        CHECK_INT(mt_map(conf, msg, res, &plan, err, sizeof(err)),
                  CTNS_MAP_OK);

        op = mt_op(&plan, "customerPayment", "ct-pay-" CHARGE_EUR,
                   CTNS_OP_CREATE);
        CHECK(op != NULL);

        if (op && cases[i].capture) {
            CHECK_STR(mt_str(json_object_get(op->body, "account"), "id"),
                      cases[i].capture);
        } else if (op) {
            CHECK_STR(mt_str(json_object_get(op->body, "undepFunds"), "id"),
                      "T");
        }

        op = mt_op(&plan, "customerRefund", "ct-ref-" REFUND_EUR,
                   CTNS_OP_TRANSFORM);
        CHECK_STR(op ? mt_str(json_object_get(op->body, "account"), "id")
                     : NULL, cases[i].refund);

        ctns_plan_free(&plan);
        json_decref(msg);
        json_decref(res);
        ctns_map_conf_free(conf);
    }
}


static size_t
op_index(const ctns_plan_t *plan, const ctns_op_t *op)
{
    return op ? (size_t) (op - plan->ops) : plan->nops;
}


/*
 * A capture after a delivery plans that delivery's invoice before the
 * payment applied to it: handled before the delivery's event, it does not
 * wait for an invoice nobody posted yet.  Before any delivery it is a
 * deposit and plans no invoice.
 */
static void
test_capture_plans_its_invoice(void)
{
    int               shipped;
    json_t           *msg, *res, *order;
    char              err[512];
    ctns_plan_t       plan;
    ctns_map_conf_t  *conf;
    const ctns_op_t  *inv, *pay, *dep;

    conf = mt_conf(NULL);

    for (shipped = 1; shipped >= 0; shipped--) {
        order = mt_load("commercetools/order-eu-gross-discount-giftcard.json");
        if (!shipped) {
            json_object_del(json_object_get(order, "shippingInfo"),
                            "deliveries");
            json_object_set_new(order, "shipmentState", json_string("Ready"));
        }

        res = json_pack("{s:o,s:o}", "payments/" PAY_EUR,
                        mt_load("commercetools/payment-partial-refund.json"),
                        Q(PAY_EUR), order);
        msg = mt_load("commercetools/messages/payment-transaction-state-"
                      "changed.json");

        CHECK_INT(mt_map(conf, msg, res, &plan, err, sizeof(err)),
                  CTNS_MAP_OK);

        inv = mt_op(&plan, "invoice", "ct-inv-" ORDER_EUR "-" DLV_EUR,
                    CTNS_OP_TRANSFORM);
        pay = mt_op(&plan, "customerPayment", "ct-pay-" CHARGE_EUR,
                    CTNS_OP_CREATE);
        dep = mt_op(&plan, "customerDeposit", "ct-dep-" CHARGE_EUR,
                    CTNS_OP_CREATE);

        if (shipped) {
            CHECK(inv != NULL && pay != NULL && dep == NULL);
            CHECK(op_index(&plan, inv) < op_index(&plan, pay));
            CHECK_STR(pay ? pay->read_type : NULL, "invoice");

        } else {
            CHECK(inv == NULL && pay == NULL && dep != NULL);
        }

        ctns_plan_free(&plan);
        json_decref(msg);
        json_decref(res);
    }

    ctns_map_conf_free(conf);
}


int
main(void)
{
    test_usd_life();
    test_eur_life();
    test_refund_amount_only();
    test_split_shipments();
    test_cancel();
    test_customer_and_ignored();
    test_cash_sale_capture();
    test_accounts();
    test_capture_plans_its_invoice();
    test_lost_order_created();

    TEST_DONE();
}
