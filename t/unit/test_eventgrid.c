/*
 * Copyright (C) ct-netsuite authors
 *
 * Event Grid bodies: the validation handshake, Event Grid schema and
 * CloudEvents batches (data passed on byte for byte), limits and refusals;
 * and the raw JSON span helper underneath.
 */

#include "ctns_eventgrid.h"
#include "ctns_json_span.h"
#include "ctns_test.h"


static ctns_verify_rc_t
parse(const char *body, size_t max, ctns_eventgrid_batch_t **b,
    ctns_verify_err_t *err)
{
    err->reason[0] = '\0';
    return ctns_eventgrid_parse(body, strlen(body), max, b, err);
}


static void
refused(const char *body, size_t max, const char *reason)
{
    ctns_verify_rc_t         rc;
    ctns_verify_err_t        err;
    ctns_eventgrid_batch_t  *b;

    rc = parse(body, max, &b, &err);
    CHECK_INT(rc, CTNS_VERIFY_MALFORMED);
    CHECK(b == NULL);

    if (strstr(err.reason, reason) == NULL) {
        fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", err.reason, reason);
    }
    CHECK(strstr(err.reason, reason) != NULL);
}


static void
test_validation(void)
{
    char                     *body, out[256];
    size_t                    len;
    ctns_verify_err_t         err;
    ctns_eventgrid_batch_t   *b;

    body = ctns_test_read_file(
        "commercetools/envelopes/eventgrid-subscription-validation.json",
        &len);
    if (body == NULL) {
        CHECK(0);
        return;
    }

    CHECK_INT(ctns_eventgrid_parse(body, len, 100, &b, &err), CTNS_VERIFY_OK);
    if (b) {
        CHECK_INT(b->kind, CTNS_EVENTGRID_VALIDATION);
        CHECK_STR(b->validation_code, "b1e9c2c7-1458-4c40-9623-62bae3a2f399");
        CHECK_INT(ctns_eventgrid_validation_response(b, out, sizeof(out)),
                  strlen("{\"validationResponse\":\"b1e9c2c7-1458-4c40-9623-"
                         "62bae3a2f399\"}"));
        CHECK_STR(out, "{\"validationResponse\":\"b1e9c2c7-1458-4c40-9623-"
                       "62bae3a2f399\"}");
        CHECK_INT(ctns_eventgrid_validation_response(b, out, 20), 0);
        ctns_eventgrid_free(b);
    }

    free(body);

    refused("[{\"id\":\"1\",\"eventType\":\"Microsoft.EventGrid."
            "SubscriptionValidationEvent\",\"data\":{\"validationCode\":"
            "\"a\\\"b\"}}]", 10, "validationCode");
    refused("[{\"id\":\"1\",\"eventType\":\"Microsoft.EventGrid."
            "SubscriptionValidationEvent\",\"data\":{}}]", 10,
            "validationCode");
    refused("[{\"id\":\"1\",\"eventType\":\"Microsoft.EventGrid."
            "SubscriptionValidationEvent\",\"data\":{\"validationCode\":"
            "\"x\"}},{\"id\":\"2\",\"eventType\":\"a\",\"data\":{}}]", 10,
            "inside a batch");
    refused("[{\"id\":\"1\",\"eventType\":\"Microsoft.EventGrid."
            "SubscriptionDeletedEvent\",\"data\":{}}]", 10, "system event");
}


/* One CloudEvent as Event Grid delivers commercetools' (structured mode). */

static void
test_cloudevent(void)
{
    char                     *body;
    size_t                    len;
    json_t                   *data;
    ctns_verify_err_t         err;
    ctns_eventgrid_batch_t   *b;

    body = ctns_test_read_file("commercetools/messages/"
                               "cloudevents-order-created.json", &len);
    if (body == NULL) {
        CHECK(0);
        return;
    }

    CHECK_INT(ctns_eventgrid_parse(body, len, 100, &b, &err), CTNS_VERIFY_OK);
    if (b) {
        CHECK_INT(b->kind, CTNS_EVENTGRID_EVENTS);
        CHECK_INT(b->cloudevents, 1);
        CHECK_INT(b->n, 1);
        CHECK_STR(b->events[0].id, "3f6a1c2e-8b4d-4e7f-9a10-5c2d7e8f1a01");
        CHECK_STR(b->events[0].type,
                  "com.commercetools.order.message.OrderCreated");
        CHECK(b->events[0].data[0] == '{'
              && b->events[0].data[b->events[0].data_len - 1] == '}');

        /* the span is the "data" member, as jansson sees it */
        data = json_loadb(b->events[0].data, b->events[0].data_len, 0, NULL);
        CHECK(json_equal(data, json_object_get(b->root, "data")));
        json_decref(data);
        ctns_eventgrid_free(b);
    }

    free(body);
}


static void
test_batches(void)
{
    ctns_verify_err_t         err;
    ctns_eventgrid_batch_t   *b;

    static const char  eg[] =
        "[ {\"id\":\"e1\",\"eventType\":\"OrderCreated\",\"subject\":\"s\","
        "\"data\": {\"rate\":0.07,\"s\":\"}]\\\"{\"} ,\"dataVersion\":\"1\"},"
        "\n {\"data\":{\"a\":[1,{\"b\":2}]},\"eventType\":\"x\",\"id\":\"e2\"}"
        " ]";
    static const char  ce[] =
        "[{\"specversion\":\"1.0\",\"id\":\"c1\",\"source\":\"/p\","
        "\"type\":\"t\",\"data\":{\"k\":1}},"
        "{\"specversion\":\"1.0\",\"id\":\"c2\",\"source\":\"/p\","
        "\"type\":\"t\",\"data\":{\"k\":2}}]";

    CHECK_INT(parse(eg, 10, &b, &err), CTNS_VERIFY_OK);
    if (b) {
        CHECK_INT(b->cloudevents, 0);
        CHECK_INT(b->n, 2);
        CHECK_STR(b->events[0].id, "e1");
        /* byte for byte: 0.07 stays 0.07, the string keeps its escapes */
        CHECK(b->events[0].data_len == 25
              && memcmp(b->events[0].data,
                        "{\"rate\":0.07,\"s\":\"}]\\\"{\"}", 25) == 0);
        CHECK(b->events[1].data_len == 17
              && memcmp(b->events[1].data, "{\"a\":[1,{\"b\":2}]}", 17) == 0);
        ctns_eventgrid_free(b);
    }

    CHECK_INT(parse(ce, 2, &b, &err), CTNS_VERIFY_OK);
    if (b) {
        CHECK_INT(b->cloudevents, 1);
        CHECK_INT(b->n, 2);
        CHECK(b->events[1].data_len == 7
              && memcmp(b->events[1].data, "{\"k\":2}", 7) == 0);
        ctns_eventgrid_free(b);
    }

    refused(ce, 1, "batch of 2 events, at most 1");
    refused("[]", 10, "non-empty");
    refused("7", 10, "invalid JSON");
    refused("{\"id\":\"1\",\"eventType\":\"x\",\"data\":{}}", 10, "array");
    refused("[{\"id\":\"1\",\"eventType\":\"x\",\"data\":{}},"
            "{\"specversion\":\"1.0\",\"id\":\"c\",\"source\":\"/\","
            "\"type\":\"t\",\"data\":{}}]", 10, "mixes");
    refused("[{\"id\":\"1\",\"eventType\":\"x\",\"data\":\"s\"}]", 10,
            "\"data\" object");
    refused("[{\"specversion\":\"1.0\",\"id\":\"c\",\"source\":\"/\","
            "\"type\":\"t\",\"data_base64\":\"e30=\"}]", 10, "data_base64");
    refused("[{\"specversion\":\"0.3\",\"id\":\"c\",\"source\":\"/\","
            "\"type\":\"t\",\"data\":{}}]", 10, "specversion 1.0");
    refused("[{\"specversion\":null,\"id\":\"c\",\"source\":\"/\","
            "\"type\":\"t\",\"data\":{}}]", 10, "specversion 1.0");
    refused("[{\"id\":\"\",\"eventType\":\"x\",\"data\":{}}]", 10, "lacks id");
    refused("[{\"eventType\":\"x\",\"data\":{}}]", 10, "lacks id");
    refused("[1]", 10, "not an object");
    refused("[{\"id\":\"1\",\"id\":\"2\",\"eventType\":\"x\",\"data\":{}}]",
            10, "invalid JSON");
    /* jansson decodes the escaped name; the span helper refuses it */
    refused("[{\"id\":\"1\",\"eventType\":\"x\",\"d\\u0061ta\":{}}]", 10,
            "\"data\" object");
    refused("[{\"id\":\"1\",\"eventType\":\"x\",\"data\":{}}] x", 10,
            "invalid JSON");
}


static void
test_spans(void)
{
    size_t            n;
    ctns_json_span_t  items[4], obj, v;

    CHECK_INT(ctns_json_span_array(" [ 1 , \"a,]\" ,{\"x\":[]} ] ", 26, items,
                                   4, &n), 0);
    CHECK_INT(n, 3);
    CHECK(items[0].len == 1 && items[0].p[0] == '1');
    CHECK(items[1].len == 5 && memcmp(items[1].p, "\"a,]\"", 5) == 0);
    CHECK(items[2].len == 8);
    CHECK_INT(ctns_json_span_array("[1,2,3]", 7, items, 2, &n), -1);
    CHECK_INT(ctns_json_span_array("[]", 2, items, 2, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(ctns_json_span_array("{}", 2, items, 2, &n), -1);
    CHECK_INT(ctns_json_span_array("[1,", 3, items, 2, &n), -1);
    CHECK_INT(ctns_json_span_array("[\"x", 3, items, 2, &n), -1);

    obj.p = "{\"a\":1,\"data\" : {\"b\":\"\\\\\"} }";
    obj.len = strlen(obj.p);
    CHECK_INT(ctns_json_span_member(&obj, "data", &v), 1);
    CHECK(v.len == 10 && memcmp(v.p, "{\"b\":\"\\\\\"}", 10) == 0);
    CHECK_INT(ctns_json_span_member(&obj, "dat", &v), 0);
    CHECK_INT(ctns_json_span_member(&obj, "a", &v), 1);
    CHECK(v.len == 1 && v.p[0] == '1');

    obj.p = "{}";
    obj.len = 2;
    CHECK_INT(ctns_json_span_member(&obj, "a", &v), 0);
    obj.p = "{\"a\" 1}";
    obj.len = 7;
    CHECK_INT(ctns_json_span_member(&obj, "a", &v), -1);
    obj.p = "{\"a\":{";
    obj.len = 6;
    CHECK_INT(ctns_json_span_member(&obj, "a", &v), -1);
}


int
main(void)
{
    test_validation();
    test_cloudevent();
    test_batches();
    test_spans();

    TEST_DONE();
}
