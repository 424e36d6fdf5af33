/*
 * Normalization of every payload kind from the commercetools fixtures,
 * dedup ids of change payloads, and the shard hash's stability.
 */

#include <jansson.h>

#include "ctns_test.h"
#include "ctns_normalize.h"
#include "ctns_shard.h"


static int
norm_file(const char *path, ctns_event_t *ev, char *err)
{
    int     rc;
    char   *buf, *owned;
    size_t  len;

    buf = ctns_test_read_file(path, &len);
    if (buf == NULL) {
        return -2;
    }

    memset(ev, 0, sizeof(ctns_event_t));
    rc = ctns_normalize(buf, len, ev, &owned, err, 256);

    /* an unwrapped payload must itself normalize to the same event */
    if (rc == CTNS_NORM_OK && owned != NULL) {
        ctns_event_t  again;
        char         *o2;

        memset(&again, 0, sizeof(again));
        CHECK_INT(ctns_normalize(ev->payload, ev->payload_len, &again, &o2,
                                 err, 256), CTNS_NORM_OK);
        CHECK(o2 == NULL);
        CHECK_STR(again.id, ev->id);
    }

    free(owned);
    free(buf);

    return rc;
}


static int
norm_str_len(const char *s, size_t len, char *err)
{
    char          *owned;
    ctns_event_t   ev;

    return ctns_normalize(s, len, &ev, &owned, err, 256);
}


static int
norm_str(const char *s, char *err)
{
    return norm_str_len(s, strlen(s), err);
}


int
main(void)
{
    char          err[256];
    ctns_event_t  ev;

    CHECK_INT(norm_file("commercetools/messages/order-created.json", &ev,
                        err), CTNS_NORM_OK);
    CHECK_STR(ev.id, "3f6a1c2e-8b4d-4e7f-9a10-5c2d7e8f1a01");
    CHECK_STR(ev.type, "OrderCreated");
    CHECK_STR(ev.rtype, "order");
    CHECK_STR(ev.rid, "9e1b7c4a-2d3f-4a5b-8c6d-0e1f2a3b4c01");
    CHECK_STR(ev.project, "example-shop");
    CHECK_STR(ev.store, "us-web");
    CHECK_INT(ev.rv, 1);
    CHECK_INT(ev.seq, 1);
    CHECK_STR(ev.at, "2026-07-01T10:15:21.874Z");

    CHECK_INT(norm_file("commercetools/messages/delivery-added.json", &ev,
                        err), CTNS_NORM_OK);
    CHECK_STR(ev.type, "DeliveryAdded");
    CHECK_INT(ev.seq, 2);
    CHECK_INT(ev.rv, 2);

    CHECK_INT(norm_file("commercetools/messages/"
                        "payment-transaction-state-changed.json", &ev, err),
              CTNS_NORM_OK);
    CHECK_STR(ev.rtype, "payment");
    CHECK_STR(ev.type, "PaymentTransactionStateChanged");
    CHECK_INT(ev.seq, 7);

    CHECK_INT(norm_file("commercetools/messages/"
                        "order-created-payload-not-included.json", &ev, err),
              CTNS_NORM_OK);
    CHECK_STR(ev.type, "OrderCreated");

    CHECK_INT(norm_file("commercetools/messages/resource-updated-order.json",
                        &ev, err), CTNS_NORM_OK);
    CHECK_STR(ev.id, "chg:order:2a9e9c03-1c1c-4894-9b67-4f07772a1706:6:"
              "ResourceUpdated");
    CHECK_STR(ev.type, "ResourceUpdated");
    CHECK_INT(ev.rv, 6);
    CHECK_INT(ev.seq, 0);

    CHECK_INT(norm_file("commercetools/messages/"
                        "subscription-test-resource-created.json", &ev, err),
              CTNS_NORM_TEST);

    CHECK_INT(norm_file("commercetools/messages/"
                        "event-checkout-payment-refunded.json", &ev, err),
              CTNS_NORM_OK);
    CHECK_STR(ev.rtype, "payment");
    CHECK_STR(ev.rid, "825d7299-fcec-4282-9e70-a47504147cf0");
    CHECK_STR(ev.project, "example-shop");
    CHECK_STR(ev.type, "CheckoutPaymentRefunded");

    CHECK_INT(norm_file("commercetools/messages/cloudevents-order-created.json",
                        &ev, err), CTNS_NORM_OK);
    CHECK_STR(ev.id, "3f6a1c2e-8b4d-4e7f-9a10-5c2d7e8f1a01");
    CHECK_STR(ev.type, "OrderCreated");
    CHECK(ev.payload[0] == '{' && ev.payload[ev.payload_len - 1] == '}');

    CHECK_INT(norm_file("commercetools/envelopes/"
                        "eventbridge-api-destination-order-created.json",
                        &ev, err), CTNS_NORM_OK);
    CHECK_STR(ev.id, "3f6a1c2e-8b4d-4e7f-9a10-5c2d7e8f1a01");

    CHECK_INT(norm_file("commercetools/messages/customer-created.json", &ev,
                        err), CTNS_NORM_OK);
    CHECK_STR(ev.rtype, "customer");

    /* malformed input names the field */
    CHECK_INT(norm_str("[1,2]", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\":", err), CTNS_NORM_ERROR);
    CHECK(strncmp(err, "invalid JSON", 12) == 0);
    CHECK_INT(norm_str("{}", err), CTNS_NORM_ERROR);
    CHECK_STR(err, "missing field \"notificationType\"");
    CHECK_INT(norm_str("{\"notificationType\":\"Message\",\"projectKey\":\"p\","
                       "\"id\":\"x\",\"resourceVersion\":1,"
                       "\"sequenceNumber\":1,\"type\":\"T\"}", err),
              CTNS_NORM_ERROR);
    CHECK_STR(err, "missing field \"resource\"");
    CHECK_INT(norm_str("{\"notificationType\":\"Message\",\"projectKey\":\"p\","
                       "\"id\":\"x/../y\",\"resourceVersion\":1,"
                       "\"sequenceNumber\":1,\"type\":\"T\"}", err),
              CTNS_NORM_ERROR);
    CHECK_STR(err, "field \"id\" has invalid characters");
    CHECK_INT(norm_str("{\"notificationType\":\"Message\",\"projectKey\":\"p\","
                       "\"id\":\"x\",\"resourceVersion\":-1,"
                       "\"sequenceNumber\":1,\"type\":\"T\"}", err),
              CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"notificationType\":\"Message\","
                       "\"notificationType\":\"Message\"}", err),
              CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"notificationType\":\"Bogus\",\"projectKey\":\"p\"}",
                       err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"specversion\":\"1.0\",\"data\":{\"specversion\":"
                       "\"1.0\",\"data\":{\"specversion\":\"1.0\",\"data\":"
                       "{}}}}", err), CTNS_NORM_ERROR);

    /* an envelope's payload is passed on byte for byte */
    {
        const char  *ce = "{\"specversion\":\"1.0\",\"data\": {\"notificationType\""
                          ":\"Message\",\"projectKey\":\"p\",\"id\":\"m1\","
                          "\"resourceVersion\":1,\"sequenceNumber\":2,\"type\":"
                          "\"T\",\"resource\":{\"typeId\":\"order\",\"id\":\"o1\"},"
                          "\"taxRate\": 0.07 } }";
        char        *owned;

        CHECK_INT(ctns_normalize(ce, strlen(ce), &ev, &owned, err, 256),
                  CTNS_NORM_OK);
        CHECK(ev.payload == strstr(ce, "{\"notificationType"));
        CHECK(ev.payload + ev.payload_len == strstr(ce, "0.07 }") + 6);
        CHECK_INT(ev.seq, 2);
    }

    /* strict JSON */
    CHECK_INT(norm_str("{\"notificationType\":\"Message\"} x", err),
              CTNS_NORM_ERROR);
    CHECK_STR(err, "invalid JSON at byte 31: data after the document");
    CHECK_INT(norm_str("{\"a\":\"\xc3\x28\"}", err), CTNS_NORM_ERROR);
    CHECK_STR(err, "invalid JSON at byte 6: invalid UTF-8");
    CHECK_INT(norm_str("{\"a\":\"\xed\xa0\x80\"}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\":\"\xc0\xaf\"}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\":01}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\":1.}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\":\"\\x\"}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\":[1,]}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\":[1}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\" 1}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{\"a\":tru}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("{,}", err), CTNS_NORM_ERROR);
    CHECK_INT(norm_str("", err), CTNS_NORM_ERROR);
    CHECK_STR(err, "invalid JSON at byte 0: unexpected end of input");
    {
        char  deep[200];

        memset(deep, '[', 100);
        memset(deep + 100, ']', 100);
        CHECK_INT(norm_str_len(deep, 200, err), CTNS_NORM_ERROR);
        CHECK_STR(err, "invalid JSON at byte 64: nested too deep");
        CHECK_INT(norm_str_len("{\"a\":\"x\0y\"}", 12, err), CTNS_NORM_ERROR);
    }
    /* escapes in values are decoded, and must then still be safe */
    CHECK_INT(norm_str("{\"notificationType\":\"Message\",\"projectKey\":"
                       "\"p\\u0041\",\"id\":\"x\",\"resourceVersion\":1,"
                       "\"sequenceNumber\":1,\"type\":\"T\",\"resource\":"
                       "{\"typeId\":\"order\",\"id\":\"o\\u002fx\"}}", err),
              CTNS_NORM_ERROR);
    CHECK_STR(err, "field \"resource.id\" has invalid characters");

    /* shard: stable values (FNV-1a reference) and range */
    CHECK_INT(ctns_fnv1a32((const unsigned char *) "", 0), 2166136261u);
    CHECK_INT(ctns_fnv1a32((const unsigned char *) "a", 1), 0xe40c292cu);
    CHECK_INT(ctns_fnv1a32((const unsigned char *) "foobar", 6), 0xbf9cf968u);
    CHECK_INT(ctns_shard((const unsigned char *)
                         "9e1b7c4a-2d3f-4a5b-8c6d-0e1f2a3b4c01", 36, 8),
              ctns_fnv1a32((const unsigned char *)
                           "9e1b7c4a-2d3f-4a5b-8c6d-0e1f2a3b4c01", 36) % 8);
    CHECK_INT(ctns_shard((const unsigned char *) "x", 1, 1), 0);

    TEST_DONE();
}
