/*
 * Settlement parsers against settlements/ fixtures: the Adyen settlement
 * details report and the Stripe payouts document, their arithmetic, and
 * the errors of malformed input (row and column, JSON path).
 */

#include <jansson.h>

#include "ctns_test.h"
#include "ctns_settle.h"


static char    *adyen;
static size_t   adyen_len;


/* the fixture with from replaced by to (first occurrence), parsed */
static int
adyen_edit(const char *from, const char *to, ctns_settlement_t *s,
    ctns_conf_errors_t *errs)
{
    int          rc;
    char        *buf, *at;
    size_t       n;

    at = strstr(adyen, from);
    CHECK(at != NULL);
    if (at == NULL) {
        return 0;
    }

    n = adyen_len - strlen(from) + strlen(to);
    buf = malloc(n + 1);
    memcpy(buf, adyen, at - adyen);
    strcpy(buf + (at - adyen), to);
    strcat(buf, at + strlen(from));

    memset(errs, 0, sizeof(ctns_conf_errors_t));
    rc = ctns_settle_adyen_parse(buf, strlen(buf), s, errs);
    free(buf);

    return rc;
}


static int
has_error(const ctns_conf_errors_t *errs, const char *path, const char *msg)
{
    size_t  i;

    for (i = 0; i < errs->n; i++) {
        if (strstr(errs->items[i].path, path)
            && strstr(errs->items[i].msg, msg))
        {
            return 1;
        }
    }

    ctns_conf_errors_print(errs, stderr);
    return 0;
}


static void
expect_adyen_error(const char *from, const char *to, const char *path,
    const char *msg)
{
    ctns_settlement_t   s;
    ctns_conf_errors_t  errs;

    CHECK_INT(adyen_edit(from, to, &s, &errs), -1);
    CHECK(has_error(&errs, path, msg));
    CHECK_INT(s.n, 0);
    ctns_conf_errors_free(&errs);
}


static void
test_decimal(void)
{
    int64_t  v;

    CHECK_INT(ctns_settle_decimal("128.40", 2, &v), 0);
    CHECK_INT(v, 12840);
    CHECK_INT(ctns_settle_decimal("0.1", 2, &v), 0);
    CHECK_INT(v, 10);
    CHECK_INT(ctns_settle_decimal("", 2, &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(ctns_settle_decimal("1000", 0, &v), 0);
    CHECK_INT(v, 1000);
    CHECK_INT(ctns_settle_decimal("1.234", 3, &v), 0);
    CHECK_INT(v, 1234);
    CHECK_INT(ctns_settle_decimal("1.234", 2, &v), -1);
    CHECK_INT(ctns_settle_decimal("-1.00", 2, &v), -1);
    CHECK_INT(ctns_settle_decimal("1,00", 2, &v), -1);
    CHECK_INT(ctns_settle_decimal("1.", 2, &v), -1);
    CHECK_INT(ctns_settle_decimal(".", 2, &v), -1);
    CHECK_INT(ctns_settle_decimal("1e3", 2, &v), -1);

    CHECK_INT(ctns_settle_convert(12840, 2, "0.925", 2, &v), 0);
    CHECK_INT(v, 11877);
    CHECK_INT(ctns_settle_convert(-12840, 2, "0.925", 2, &v), 0);
    CHECK_INT(v, -11877);
    CHECK_INT(ctns_settle_convert(1000, 0, "0.0061", 2, &v), 0);   /* JPY */
    CHECK_INT(v, 610);
    CHECK_INT(ctns_settle_convert(5999, 2, "", 2, &v), 0);
    CHECK_INT(v, 5999);
    CHECK_INT(ctns_settle_convert(5999, 2, "0", 2, &v), -1);
    CHECK_INT(ctns_settle_convert(5999, 2, "x", 2, &v), -1);
}


static void
test_adyen(void)
{
    ctns_settlement_t    s;
    ctns_conf_errors_t   errs;
    ctns_payout_t       *p;
    ctns_settle_line_t  *l;

    memset(&errs, 0, sizeof(errs));
    CHECK_INT(ctns_settle_adyen_parse(adyen, adyen_len, &s, &errs), 0);
    ctns_conf_errors_print(&errs, stderr);
    CHECK_INT(s.n, 1);
    if (s.n != 1) {
        return;
    }

    p = &s.payouts[0];
    CHECK_STR(p->psp, "adyen");
    CHECK_STR(p->id, "ExampleShopECOM-87");
    CHECK_STR(p->currency, "EUR");
    CHECK_INT(p->amount, 15772);
    CHECK_STR(p->date, "2026-07-03");
    CHECK_INT(p->nlines, 4);

    l = &p->lines[0];
    CHECK_INT(l->type, CTNS_SETTLE_CAPTURE);
    CHECK_STR(l->gross_currency, "USD");
    CHECK_INT(l->gross, 12840);
    CHECK_STR(l->rate, "0.925");
    CHECK_INT(l->converted, 11877);
    CHECK_INT(l->fee, 41);
    CHECK_INT(l->net, 11836);
    CHECK_STR(l->refs[0], "8815830153220001");
    CHECK_STR(l->refs[1], "8815830153210001");
    CHECK_STR(l->refs[2], "0b4c6a3e-1f2d-4c5b-9a8e-7d6f5e4c3b01");
    CHECK_STR(l->id, "Settled-8815830153220001");
    CHECK_INT(l->row, 2);

    l = &p->lines[1];
    CHECK_INT(l->gross, 5999);
    CHECK_INT(l->fee, 20);
    CHECK_INT(l->net, 5979);

    l = &p->lines[2];
    CHECK_INT(l->type, CTNS_SETTLE_REFUND);
    CHECK_INT(l->gross, -2000);
    CHECK_INT(l->converted, -2000);
    CHECK_INT(l->fee, 10);
    CHECK_INT(l->net, -2010);
    CHECK_STR(l->refs[0], "8815830153210003");
    CHECK_STR(l->id, "Refunded-8815830153210003");

    l = &p->lines[3];
    CHECK_INT(l->type, CTNS_SETTLE_FEE);
    CHECK_INT(l->fee, 33);
    CHECK_INT(l->net, -33);
    CHECK_STR(l->id, "87-Fee-row5");
    CHECK_STR(ctns_settle_type_name(l->type), "fee");

    ctns_settlement_free(&s);
    ctns_conf_errors_free(&errs);
}


static void
test_adyen_csv(void)
{
    ctns_settlement_t   s;
    ctns_conf_errors_t  errs;

    /* RFC 4180: quoted fields, doubled quotes, CRLF line ends */
    CHECK_INT(adyen_edit("ExampleCompany,ExampleShopECOM,8815830153210002,"
                         "0b4c6a3e-1f2d-4c5b-9a8e-7d6f5e4c3b02,mc,2026-07-01",
                         "\"Example \"\"Company\"\", Inc\",ExampleShopECOM,"
                         "8815830153210002,0b4c6a3e-1f2d-4c5b-9a8e-7d6f5e4c3b02"
                         ",\"mc\",2026-07-01", &s, &errs), 0);
    CHECK_INT(s.n == 1 ? s.payouts[0].nlines : 0, 4);
    ctns_settlement_free(&s);
    ctns_conf_errors_free(&errs);

    CHECK_INT(adyen_edit(",Reserved10\n", ",Reserved10\r\n", &s, &errs), 0);
    ctns_settlement_free(&s);
    ctns_conf_errors_free(&errs);

    expect_adyen_error("Psp Reference,", "Psp Ref,", "row 1",
                       "unknown column \"Psp Ref\"");
    expect_adyen_error("Psp Reference,", "", "column \"Psp Reference\"",
                       "required column is missing");
    expect_adyen_error(",Settled,8815830153220002", ",Setled,8815830153220002",
                       "row 3, column \"Type\"", "unknown record type");
    expect_adyen_error(",59.79,", ",59.7x,", "row 3, column \"Net Credit (NC)"
                       "\"", "not an amount");
    expect_adyen_error(",59.79,", ",59.78,", "row 3, column \"Net Credit (NC)"
                       "\"", "gross x rate - costs = 59.79");
    expect_adyen_error(",0.925,", ",0.9x,", "row 2, column \"Exchange Rate\"",
                       "not an exchange rate");
    expect_adyen_error(",157.72,", ",157.73,", "payout ExampleShopECOM-87",
                       "lines net 157.72 EUR but the payout is 157.73");
    expect_adyen_error("visacredit,,87", "visacredit,,87,", "row 2",
                       "header has 30 columns");
    expect_adyen_error("ExampleCompany,ExampleShopECOM,,,,2026-07-03 04:55",
                       "\"ExampleCompany,ExampleShopECOM,,,,2026-07-03 04:55",
                       "row 5", "unterminated quote");
    expect_adyen_error(",mc,2026-07-01 14", ",m\"c,2026-07-01 14", "row 3",
                       "quote inside an unquoted field");
    expect_adyen_error(",USD,,128.40,", ",USD,1.00,128.40,",
                       "row 2, column \"Gross Credit (GC)\"", "exactly one");
    expect_adyen_error("CEST,Settled,8815830153220001,USD",
                       "CEST,Settled,8815830153220001,usd",
                       "row 2, column \"Gross Currency\"", "ISO 4217");
    memset(&errs, 0, sizeof(errs));
    CHECK_INT(ctns_settle_adyen_parse("", 0, &s, &errs), -1);
    CHECK(has_error(&errs, "row 1", "empty report"));
    ctns_conf_errors_free(&errs);
}


static void
expect_stripe_error(json_t *doc, const char *path, const char *msg)
{
    ctns_settlement_t   s;
    ctns_conf_errors_t  errs;

    memset(&errs, 0, sizeof(errs));
    CHECK_INT(ctns_settle_stripe_parse(doc, &s, &errs), -1);
    CHECK(has_error(&errs, path, msg));
    ctns_conf_errors_free(&errs);
    json_decref(doc);
}


static json_t *
stripe_txn(json_t *doc, size_t payout, size_t i)
{
    return json_array_get(json_object_get(json_object_get(
               json_array_get(json_object_get(doc, "payouts"), payout),
               "balance_transactions"), "data"), i);
}


static void
test_stripe(void)
{
    json_t              *doc, *d;
    ctns_settlement_t    s;
    ctns_conf_errors_t   errs;
    ctns_payout_t       *p;

    doc = json_load_file("settlements/stripe-payouts.json", 0, NULL);
    CHECK(doc != NULL);

    memset(&errs, 0, sizeof(errs));
    CHECK_INT(ctns_settle_stripe_parse(doc, &s, &errs), 0);
    ctns_conf_errors_print(&errs, stderr);
    CHECK_INT(s.n, 2);
    if (s.n != 2) {
        return;
    }

    p = &s.payouts[0];
    CHECK_STR(p->id, "po_1TestUSDPayout0000000001");
    CHECK_STR(p->currency, "USD");
    CHECK_INT(p->amount, 12438);
    CHECK_STR(p->date, "2026-07-03");
    CHECK_INT(p->nlines, 1);
    CHECK_INT(p->lines[0].type, CTNS_SETTLE_CAPTURE);
    CHECK_INT(p->lines[0].gross, 12840);
    CHECK_INT(p->lines[0].fee, 402);
    CHECK_STR(p->lines[0].refs[0], "ch_8815830153210001");
    CHECK_STR(p->lines[0].refs[1], "8815830153210001");
    CHECK_STR(p->lines[0].refs[2], "pi_8815830153210001");
    CHECK_STR(p->lines[0].id, "txn_1TestUSDCharge0000000001");

    p = &s.payouts[1];
    CHECK_STR(p->currency, "EUR");
    CHECK_INT(p->amount, 3877);
    CHECK_INT(p->nlines, 3);
    CHECK_INT(p->lines[1].type, CTNS_SETTLE_REFUND);
    CHECK_INT(p->lines[1].gross, -2000);
    CHECK_STR(p->lines[1].refs[0], "re_8815830153210003");
    CHECK_STR(p->lines[1].refs[1], "8815830153210003");
    CHECK_STR(p->lines[1].refs[2], "pi_8815830153210002");
    CHECK_INT(p->lines[2].type, CTNS_SETTLE_FEE);
    CHECK_INT(p->lines[2].net, -7);
    CHECK_STR(p->lines[2].refs[0], "");

    ctns_settlement_free(&s);
    ctns_conf_errors_free(&errs);

    /* the payout's own transaction is optional */
    d = json_deep_copy(doc);
    json_array_remove(json_object_get(json_object_get(json_array_get(
        json_object_get(d, "payouts"), 1), "balance_transactions"), "data"),
        3);
    memset(&errs, 0, sizeof(errs));
    CHECK_INT(ctns_settle_stripe_parse(d, &s, &errs), 0);
    ctns_settlement_free(&s);
    ctns_conf_errors_free(&errs);
    json_decref(d);

    d = json_deep_copy(doc);
    json_object_set_new(stripe_txn(d, 1, 0), "fee", json_integer(116));
    expect_stripe_error(d, "payouts[1].balance_transactions.data[0]."
                        "fee_details", "do not add up");

    d = json_deep_copy(doc);
    json_object_set_new(stripe_txn(d, 1, 1), "net", json_integer(-1999));
    expect_stripe_error(d, "payouts[1].balance_transactions.data[1].net",
                        "amount - fee");

    d = json_deep_copy(doc);
    json_object_set_new(stripe_txn(d, 1, 2), "reporting_category",
                        json_string("mystery"));
    expect_stripe_error(d, "data[2].reporting_category", "unknown category");

    d = json_deep_copy(doc);
    json_object_set_new(stripe_txn(d, 0, 0), "currency", json_string("eur"));
    expect_stripe_error(d, "payouts[0].balance_transactions.data[0].currency",
                        "not the payout's currency");

    d = json_deep_copy(doc);
    json_object_set_new(json_object_get(json_array_get(
        json_object_get(d, "payouts"), 0), "payout"), "status",
        json_string("failed"));
    expect_stripe_error(d, "payouts[0].payout.status", "only paid");

    d = json_deep_copy(doc);
    json_object_set_new(json_object_get(json_array_get(
        json_object_get(d, "payouts"), 0), "balance_transactions"),
        "has_more", json_true());
    expect_stripe_error(d, "payouts[0].balance_transactions.has_more",
                        "incomplete");

    d = json_deep_copy(doc);
    json_object_set_new(json_object_get(json_array_get(
        json_object_get(d, "payouts"), 1), "payout"), "amount",
        json_integer(3878));
    json_incref(d);
    expect_stripe_error(d, "payouts[1].balance_transactions.data[3]",
                        "not this payout's own");
    json_array_remove(json_object_get(json_object_get(json_array_get(
        json_object_get(d, "payouts"), 1), "balance_transactions"), "data"),
        3);
    expect_stripe_error(d, "payout po_1TestEURPayout0000000001",
                        "lines net 38.77 EUR but the payout is 38.78");

    expect_stripe_error(json_pack("{s:i}", "x", 1), "", "not a Stripe");

    json_decref(doc);
}


int
main(void)
{
    adyen = ctns_test_read_file("settlements/settlement_detail_report_batch_"
                                "87.csv", &adyen_len);
    CHECK(adyen != NULL);
    if (adyen == NULL) {
        TEST_DONE();
    }

    test_decimal();
    test_adyen();
    test_adyen_csv();
    test_stripe();

    free(adyen);

    TEST_DONE();
}
