/*
 * Linking settlement lines to PSP index entries and building the NetSuite
 * deposit of a payout: the worked examples of settlements.md 5.3, the
 * unmatched policies, and refusals; the journal entry that reverses the
 * deposit of a failed payout, and a PSP's "api" configuration.
 */

#include <jansson.h>

#include "ctns_test.h"
#include "ctns_money.h"
#include "ctns_settle.h"


static const char  *conf_json =
    "{\"settlements\": {\"unmatched\": \"wait\", \"psp\": {"
    " \"adyen\": {\"fees\": \"610\", \"chargebacks\": \"611\","
    "  \"adjustments\": \"612\", \"clearing\": \"613\","
    "  \"banks\": {\"EUR\": {\"account\": \"12\", \"subsidiary\": \"3\","
    "   \"currency\": \"4\"}}},"
    " \"stripe\": {\"fees\": 610, \"chargebacks\": \"611\","
    "  \"adjustments\": \"612\", \"clearing\": \"613\","
    "  \"banks\": {\"EUR\": {\"account\": \"14\", \"subsidiary\": \"3\","
    "   \"currency\": \"4\"}},"
    "  \"api\": {\"key\": \"env:STRIPE_API_KEY\","
    "           \"url\": \"http://127.0.0.1:9/base//\"}}}}}";


static const char *
entry(const char *type, const char *eid, long amount, const char *cur)
{
    static char  buf[512];

    snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"externalId\":\"%s\","
             "\"orderId\":\"o1\",\"paymentId\":\"p1\",\"transactionId\":"
             "\"t1\",\"amount\":%ld,\"currency\":\"%s\","
             "\"fractionDigits\":2}", type, eid, amount, cur);

    return buf;
}


static char *
dumps(const json_t *body)
{
    return ctns_money_dumps(body, JSON_COMPACT);
}


static void
test_link(const ctns_payout_t *p)
{
    ctns_settle_link_t  k;

    /* refund line, capture record: not this line's, try the next ref */
    CHECK_INT(ctns_settle_link(&p->lines[2], "8815830153210002",
                               entry("customerDeposit", "ct-dep-1", 5999,
                                     "EUR"), &k), 0);
    CHECK_INT(ctns_settle_link(&p->lines[2], "8815830153210003",
                               entry("customerRefund", "ct-ref-1", 2000,
                                     "EUR"), &k), 1);
    CHECK_INT(k.state, CTNS_LINK_MATCHED);
    CHECK_STR(k.eid, "ct-ref-1");
    CHECK_STR(k.ref, "8815830153210003");

    CHECK_INT(ctns_settle_link(&p->lines[1], "8815830153220002",
                               entry("customerPayment", "ct-pay-2", 5998,
                                     "EUR"), &k), 1);
    CHECK_INT(k.state, CTNS_LINK_MISMATCH);
    CHECK(strstr(k.reason, "amount 59.99 EUR settled, 59.98 EUR on "
                 "ct-pay-2") != NULL);

    CHECK_INT(ctns_settle_link(&p->lines[0], "8815830153220001",
                               entry("customerDeposit", "ct-dep-1", 12840,
                                     "EUR"), &k), 1);
    CHECK_INT(k.state, CTNS_LINK_MISMATCH);
    CHECK(strstr(k.reason, "currency USD") != NULL);

    CHECK_INT(ctns_settle_link(&p->lines[0], "x", "not json", &k), -1);
    CHECK_INT(ctns_settle_link(&p->lines[0], "x", "{\"type\":\"cashSale\"}",
                               &k), -1);

    CHECK_INT(ctns_settle_needs_link(&p->lines[0]), 1);
    CHECK_INT(ctns_settle_needs_link(&p->lines[3]), 0);
}


static void
matched(ctns_settle_link_t *k, const char *id, const char *eid)
{
    memset(k, 0, sizeof(ctns_settle_link_t));
    k->state = CTNS_LINK_MATCHED;
    snprintf(k->ns_id, sizeof(k->ns_id), "%s", id);
    snprintf(k->eid, sizeof(k->eid), "%s", eid);
}


static void
test_adyen_deposit(const ctns_payout_t *p, const ctns_batch_conf_t *conf)
{
    int                       rc;
    char                      err[256], *s;
    json_t                   *body;
    ctns_settle_link_t        links[4];
    const ctns_settle_psp_t  *psp;

    psp = ctns_batch_conf_psp(conf, "adyen");
    CHECK(psp != NULL);

    memset(links, 0, sizeof(links));
    matched(&links[0], "201", "ct-dep-a1");
    matched(&links[1], "202", "ct-dep-a2");
    matched(&links[2], "203", "ct-ref-a3");

    rc = ctns_settle_deposit(p, links, psp, CTNS_UNMATCHED_WAIT, &body, err,
                             sizeof(err));
    CHECK_INT(rc, CTNS_DEPOSIT_OK);
    if (rc != CTNS_DEPOSIT_OK) {
        fprintf(stderr, "%s\n", err);
        return;
    }

    s = dumps(body);
    CHECK(strstr(s, "\"externalId\":\"ct-payout-adyen-ExampleShopECOM-87\"")
          != NULL);
    CHECK(strstr(s, "\"account\":{\"id\":\"12\"}") != NULL);
    CHECK(strstr(s, "\"tranDate\":\"2026-07-03\"") != NULL);

    /* the USD sale settles at its EUR value on the clearing account */
    CHECK(strstr(s, "\"other\":{\"items\":[{\"account\":{\"id\":\"613\"},"
                 "\"amount\":118.77,") != NULL);
    CHECK(strstr(s, "{\"id\":\"202\",\"deposit\":true,\"paymentAmount\":"
                 "59.99,") != NULL);
    CHECK(strstr(s, "{\"id\":\"203\",\"deposit\":true,\"paymentAmount\":"
                 "-20.00,") != NULL);
    CHECK(strstr(s, "\"amount\":0.41,") != NULL);
    CHECK(strstr(s, "\"amount\":0.20,") != NULL);
    CHECK(strstr(s, "\"amount\":0.10,") != NULL);
    CHECK(strstr(s, "\"amount\":0.33,") != NULL);
    CHECK_INT(json_array_size(json_object_get(json_object_get(body,
                                                              "cashback"),
                                              "items")), 4);
    free(s);
    json_decref(body);

    /* line 1 unmatched: wait posts nothing, clearing books it there */
    links[1].state = CTNS_LINK_UNMATCHED;
    rc = ctns_settle_deposit(p, links, psp, CTNS_UNMATCHED_WAIT, &body, err,
                             sizeof(err));
    CHECK_INT(rc, CTNS_DEPOSIT_WAIT);
    CHECK(body == NULL);

    rc = ctns_settle_deposit(p, links, psp, CTNS_UNMATCHED_CLEARING, &body,
                             err, sizeof(err));
    CHECK_INT(rc, CTNS_DEPOSIT_OK);
    CHECK_INT(json_array_size(json_object_get(json_object_get(body, "other"),
                                              "items")), 2);
    CHECK_INT(json_array_size(json_object_get(json_object_get(body,
                                                              "payment"),
                                              "items")), 1);
    json_decref(body);

    /* a matched record without internal id cannot be selected */
    links[1].state = CTNS_LINK_MATCHED;
    links[1].ns_id[0] = '\0';
    rc = ctns_settle_deposit(p, links, psp, CTNS_UNMATCHED_WAIT, &body, err,
                             sizeof(err));
    CHECK_INT(rc, CTNS_DEPOSIT_ERROR);
    CHECK(strstr(err, "ct-dep-a2 has no internal id") != NULL);
}


static void
test_refusals(ctns_payout_t *p, const ctns_batch_conf_t *conf)
{
    int                  rc;
    char                 err[256];
    json_t              *body;
    ctns_settle_link_t   links[4];

    memset(links, 0, sizeof(links));
    matched(&links[0], "201", "a");
    matched(&links[1], "202", "b");
    matched(&links[2], "203", "c");

    /* totals are checked again before anything goes to NetSuite */
    p->amount++;
    rc = ctns_settle_deposit(p, links, ctns_batch_conf_psp(conf, "adyen"),
                             CTNS_UNMATCHED_WAIT, &body, err, sizeof(err));
    CHECK_INT(rc, CTNS_DEPOSIT_ERROR);
    CHECK(strstr(err, "deposit lines total 157.72 EUR, the payout 157.73")
          != NULL);
    p->amount--;

    memcpy(p->currency, "GBP", 4);
    rc = ctns_settle_deposit(p, links, ctns_batch_conf_psp(conf, "adyen"),
                             CTNS_UNMATCHED_WAIT, &body, err, sizeof(err));
    CHECK_INT(rc, CTNS_DEPOSIT_ERROR);
    CHECK(strstr(err, "settlements.psp.adyen.banks has no GBP") != NULL);
    memcpy(p->currency, "EUR", 4);
}


static void
test_stripe_deposit(const ctns_batch_conf_t *conf)
{
    int                  rc;
    char                 err[256], *s;
    json_t              *doc, *body;
    ctns_settlement_t    st;
    ctns_conf_errors_t   errs;
    ctns_settle_link_t   links[3];

    doc = json_load_file("settlements/stripe-payouts.json", 0, NULL);
    memset(&errs, 0, sizeof(errs));
    CHECK_INT(ctns_settle_stripe_parse(doc, &st, &errs), 0);
    json_decref(doc);
    if (st.n != 2) {
        return;
    }

    memset(links, 0, sizeof(links));
    matched(&links[0], "301", "ct-dep-s2");
    matched(&links[1], "302", "ct-ref-s3");

    rc = ctns_settle_deposit(&st.payouts[1], links,
                             ctns_batch_conf_psp(conf, "stripe"),
                             CTNS_UNMATCHED_WAIT, &body, err, sizeof(err));
    CHECK_INT(rc, CTNS_DEPOSIT_OK);

    s = body ? dumps(body) : NULL;
    CHECK(s && strstr(s, "ct-payout-stripe-po_1TestEURPayout0000000001"));
    CHECK(s && strstr(s, "\"paymentAmount\":59.99,"));
    CHECK(s && strstr(s, "\"paymentAmount\":-20.00,"));
    CHECK(s && strstr(s, "\"amount\":1.15,"));
    CHECK(s && strstr(s, "\"amount\":0.07,"));
    CHECK(s && strstr(s, "\"account\":{\"id\":\"14\"}"));
    CHECK_INT(json_array_size(json_object_get(json_object_get(body, "other"),
                                              "items")), 0);
    free(s);
    json_decref(body);

    /* USD has no bank configured */
    rc = ctns_settle_deposit(&st.payouts[0], links,
                             ctns_batch_conf_psp(conf, "stripe"),
                             CTNS_UNMATCHED_WAIT, &body, err, sizeof(err));
    CHECK_INT(rc, CTNS_DEPOSIT_ERROR);

    ctns_settlement_free(&st);
}


static int
has_path(const ctns_conf_errors_t *errs, const char *path)
{
    size_t  i;

    for (i = 0; i < errs->n; i++) {
        if (strcmp(errs->items[i].path, path) == 0) {
            return 1;
        }
    }

    fprintf(stderr, "no error at %s\n", path);
    return 0;
}


static void
test_conf(void)
{
    json_t              *root;
    ctns_conf_errors_t   errs;

    root = json_loads("{\"settlements\": {\"unmatched\": \"later\","
                      " \"never_settled_days\": 0, \"colour\": 1,"
                      " \"max_attempts\": 0,"
                      " \"psp\": {\"Adyen\": {}, \"stripe\": {\"fees\": \"x\","
                      "  \"banks\": {\"eur\": {}}}}},"
                      " \"sync\": {\"page_size\": 501,"
                      "  \"resources\": [\"carts\"]}}", 0, NULL);
    memset(&errs, 0, sizeof(errs));
    CHECK_INT(ctns_batch_conf_check(root, &errs), -1);
    CHECK(has_path(&errs, "settlements.unmatched"));
    CHECK(has_path(&errs, "settlements.never_settled_days"));
    CHECK(has_path(&errs, "settlements.max_attempts"));
    CHECK(has_path(&errs, "settlements.colour"));
    CHECK(has_path(&errs, "settlements.psp.Adyen"));
    CHECK(has_path(&errs, "settlements.psp.stripe.fees"));
    CHECK(has_path(&errs, "settlements.psp.stripe.clearing"));
    CHECK(has_path(&errs, "settlements.psp.stripe.banks.eur"));
    CHECK(has_path(&errs, "sync.page_size"));
    CHECK(has_path(&errs, "sync.resources"));
    ctns_conf_errors_free(&errs);
    json_decref(root);

    CHECK_INT(ctns_batch_conf_section("settlements"), 1);
    CHECK_INT(ctns_batch_conf_section("sync"), 1);
    CHECK_INT(ctns_batch_conf_section("routing"), 0);
}


static void
test_reversal(const ctns_batch_conf_t *conf)
{
    char                      err[256], *s;
    json_t                   *je;
    const ctns_settle_psp_t  *psp;

    psp = ctns_batch_conf_psp(conf, "stripe");

    je = ctns_settle_reversal(psp, "po_1TestEURPayout0000000001", "EUR",
                              "38.77", "2026-07-04", "failed", err,
                              sizeof(err));
    CHECK(je != NULL);
    if (je == NULL) {
        return;
    }

    s = ctns_money_dumps(je, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(s, "{\"currency\":{\"id\":\"4\"},"
              "\"externalId\":\"ct-payout-rev-stripe-"
              "po_1TestEURPayout0000000001\","
              "\"line\":{\"items\":["
              "{\"account\":{\"id\":\"612\"},\"debit\":38.77,"
              "\"memo\":\"failed\"},"
              "{\"account\":{\"id\":\"14\"},\"credit\":38.77,"
              "\"memo\":\"failed\"}]},"
              "\"memo\":\"failed\",\"subsidiary\":{\"id\":\"3\"},"
              "\"tranDate\":\"2026-07-04\"}");
    free(s);
    json_decref(je);

    /* zero-decimal currencies keep their precision */
    je = ctns_settle_reversal(psp, "po_x", "EUR", "1200", "2026-07-04", "m",
                              err, sizeof(err));
    s = ctns_money_dumps(je, JSON_COMPACT);
    CHECK(s != NULL && strstr(s, "\"debit\":1200") != NULL);
    free(s);
    json_decref(je);

    CHECK(ctns_settle_reversal(psp, "po_x", "USD", "1.00", "2026-07-04",
                               "m", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "settlements.psp.stripe.banks has no USD") != NULL);

    CHECK(ctns_settle_reversal(psp, "po_x", "EUR", "-1.00", "2026-07-04",
                               "m", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "is no positive decimal") != NULL);
    CHECK(ctns_settle_reversal(psp, "po_x", "EUR", "0.00", "2026-07-04",
                               "m", err, sizeof(err)) == NULL);
}


static void
test_api_conf(const ctns_batch_conf_t *conf)
{
    json_t              *root;
    ctns_conf_errors_t   errs;

    CHECK_STR(ctns_batch_conf_psp(conf, "stripe")->api_key,
              "env:STRIPE_API_KEY");
    CHECK_STR(ctns_batch_conf_psp(conf, "stripe")->api_url,
              "http://127.0.0.1:9/base");
    CHECK_STR(ctns_batch_conf_psp(conf, "adyen")->api_key, "");
    CHECK_STR(ctns_batch_conf_psp(conf, "adyen")->api_url,
              "https://api.stripe.com");

    root = json_loads("{\"settlements\": {\"psp\": {\"stripe\": {"
                      " \"fees\": 1, \"chargebacks\": 2, \"adjustments\": 3,"
                      " \"clearing\": 4, \"banks\": {\"EUR\": {\"account\": 5,"
                      " \"subsidiary\": 6, \"currency\": 7}},"
                      " \"api\": {\"key\": \"sk_live_inline\","
                      "  \"url\": \"ftp://x\", \"version\": 1}}}}}", 0,
                      NULL);
    memset(&errs, 0, sizeof(errs));
    CHECK_INT(ctns_batch_conf_check(root, &errs), -1);
    CHECK(has_path(&errs, "settlements.psp.stripe.api.key"));
    CHECK(has_path(&errs, "settlements.psp.stripe.api.url"));
    CHECK(has_path(&errs, "settlements.psp.stripe.api.version"));
    CHECK_INT(errs.n, 3);
    ctns_conf_errors_free(&errs);
    json_decref(root);
}


int
main(void)
{
    char                *csv;
    size_t               len;
    json_t              *root;
    ctns_settlement_t    s;
    ctns_conf_errors_t   errs;
    ctns_batch_conf_t   *conf;

    memset(&errs, 0, sizeof(errs));
    root = json_loads(conf_json, 0, NULL);
    conf = ctns_batch_conf_load(root, &errs);
    ctns_conf_errors_print(&errs, stderr);
    CHECK(conf != NULL);
    json_decref(root);

    csv = ctns_test_read_file("settlements/settlement_detail_report_batch_87"
                              ".csv", &len);
    CHECK(csv != NULL);

    if (conf == NULL || csv == NULL
        || ctns_settle_adyen_parse(csv, len, &s, &errs) != 0)
    {
        TEST_DONE();
    }

    CHECK_INT(conf->unmatched, CTNS_UNMATCHED_WAIT);
    CHECK_INT(conf->never_settled_days, 7);
    CHECK_INT(conf->max_attempts, 10);
    CHECK_STR(ctns_batch_conf_psp(conf, "stripe")->fees, "610");

    test_link(&s.payouts[0]);
    test_adyen_deposit(&s.payouts[0], conf);
    test_refusals(&s.payouts[0], conf);
    test_stripe_deposit(conf);
    test_conf();
    test_reversal(conf);
    test_api_conf(conf);

    ctns_settlement_free(&s);
    ctns_batch_conf_free(conf);
    free(csv);

    TEST_DONE();
}
