/*
 * Copyright (C) ct-netsuite authors
 *
 * Money arithmetic: formatting, parsing back, rounding division, largest
 * remainder allocation, gross -> net, and the JSON number writer.
 */


#include "ctns_test.h"
#include "ctns_money.h"


static void
test_format(void)
{
    char  buf[32];

    static const struct {
        int64_t      minor;
        int          digits;
        const char  *want;
    } cases[] = {
        { 6485, 2, "64.85" }, { -620, 2, "-6.20" }, { 5, 2, "0.05" },
        { -5, 2, "-0.05" }, { 0, 2, "0.00" }, { 10880, 0, "10880" },
        { -7, 0, "-7" }, { 1234, 3, "1.234" }, { 1, 3, "0.001" },
        { 0, 0, "0" }, { INT64_MIN + 1, 2, "-92233720368547758.07" },
    };
    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(ctns_money_format(cases[i].minor, cases[i].digits, buf,
                                sizeof(buf)) > 0);
        CHECK_STR(buf, cases[i].want);
    }

    CHECK_INT(ctns_money_format(123456, 2, buf, 4), -1);
}


static void
test_json_roundtrip(void)
{
    char     *s;
    json_t   *body, *v;
    int64_t   m;

    body = json_pack("{s:o,s:o,s:o,s:s,s:[o]}",
                     "a", ctns_money_json(6485, 2),
                     "b", ctns_money_json(-10880, 0),
                     "c", ctns_money_json(1, 3),
                     "text", "\"quoted\" 64.85",
                     "l", ctns_money_percent_json(72500));
    s = ctns_money_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(s, "{\"a\":64.85,\"b\":-10880,\"c\":0.001,"
                 "\"l\":[7.25],\"text\":\"\\\"quoted\\\" 64.85\"}");
    free(s);

    CHECK(ctns_money_value(json_object_get(body, "a"), 2, &m) == 0);
    CHECK_INT(m, 6485);
    CHECK(ctns_money_value(json_object_get(body, "c"), 3, &m) == 0);
    CHECK_INT(m, 1);

    /* NetSuite answers with doubles: 64.85 is not exact, rounding is */
    v = json_real(64.85);
    CHECK(ctns_money_value(v, 2, &m) == 0);
    CHECK_INT(m, 6485);
    json_decref(v);

    v = json_integer(12);
    CHECK(ctns_money_value(v, 2, &m) == 0);
    CHECK_INT(m, 1200);
    json_decref(v);

    /* more precision than the currency has is an error, not a rounding */
    v = ctns_money_json(1234, 3);
    CHECK(ctns_money_value(v, 2, &m) == -1);
    json_decref(v);

    v = json_string("64.85");
    CHECK(ctns_money_value(v, 2, &m) == -1);
    json_decref(v);

    json_decref(body);

    body = json_pack("{s:o}", "p", ctns_money_percent_json(190000));
    s = ctns_money_dumps(body, JSON_COMPACT);
    CHECK_STR(s, "{\"p\":19}");
    free(s);
    json_decref(body);
}


static void
test_get(void)
{
    json_t        *j;
    ctns_money_t   m;

    j = json_pack("{s:s,s:s,s:i,s:i}", "type", "centPrecision",
                  "currencyCode", "KWD", "centAmount", 12345,
                  "fractionDigits", 3);
    CHECK(ctns_money_get(j, &m) == 0);
    CHECK_STR(m.currency, "KWD");
    CHECK_INT(m.digits, 3);
    CHECK_INT(m.minor, 12345);
    json_decref(j);

    j = json_pack("{s:s,s:i}", "currencyCode", "JPY", "centAmount", 10880);
    CHECK(ctns_money_get(j, &m) == 0);
    CHECK_INT(m.digits, 0);
    json_decref(j);

    j = json_pack("{s:s,s:i,s:i}", "currencyCode", "EUR", "centAmount", 1,
                  "fractionDigits", 5);
    CHECK(ctns_money_get(j, &m) == -1);
    json_decref(j);

    j = json_pack("{s:s,s:f}", "currencyCode", "EUR", "centAmount", 1.5);
    CHECK(ctns_money_get(j, &m) == -1);
    json_decref(j);

    CHECK_INT(ctns_money_digits("USD"), 2);
    CHECK_INT(ctns_money_digits("BHD"), 3);
    CHECK_INT(ctns_money_digits("KRW"), 0);
}


static void
test_arithmetic(void)
{
    int64_t  out[4], sum;
    size_t   i;

    static const int64_t  w1[] = { 1, 1, 1 };
    static const int64_t  w2[] = { 5000, 2900, 100 };
    static const int64_t  w3[] = { 0, 0 };
    static const int64_t  w4[] = { 3, -3, 6 };

    CHECK_INT(ctns_money_muldiv(5, 1, 2), 3);
    CHECK_INT(ctns_money_muldiv(-5, 1, 2), -3);
    CHECK_INT(ctns_money_muldiv(7, 1, 3), 2);
    CHECK_INT(ctns_money_muldiv(INT64_MAX / 2, 4, 4), INT64_MAX / 2);

    /* 100 over three equal weights: 34 33 33, earliest first */
    ctns_money_allocate(100, w1, 3, out);
    CHECK_INT(out[0], 34);
    CHECK_INT(out[1], 33);
    CHECK_INT(out[2], 33);

    ctns_money_allocate(-100, w1, 3, out);
    CHECK_INT(out[0], -34);
    CHECK_INT(out[2], -33);

    ctns_money_allocate(7, w2, 3, out);
    for (sum = 0, i = 0; i < 3; i++) {
        sum += out[i];
    }
    CHECK_INT(sum, 7);
    CHECK_INT(out[0], 4);
    CHECK_INT(out[1], 3);
    CHECK_INT(out[2], 0);

    ctns_money_allocate(3, w3, 2, out);
    CHECK_INT(out[0] + out[1], 3);
    CHECK_INT(out[0], 2);

    ctns_money_allocate(12, w4, 3, out);
    CHECK_INT(out[0] + out[1] + out[2], 12);
    CHECK_INT(out[2], 6);

    /* gross 3240 at 8 %: net 3000; 16182 at 19 %: 13598 */
    CHECK_INT(ctns_money_net_of_gross(3240, 80000), 3000);
    CHECK_INT(ctns_money_net_of_gross(16182, 190000), 13598);
    CHECK_INT(ctns_money_net_of_gross(2400, 70000), 2243);

    /* cumulative shares of 1000 over 3 units add up exactly */
    CHECK_INT(ctns_money_share(1000, 0, 1, 3)
              + ctns_money_share(1000, 1, 1, 3)
              + ctns_money_share(1000, 2, 1, 3), 1000);
    CHECK_INT(ctns_money_share(1000, 0, 1, 3), 333);
    CHECK_INT(ctns_money_share(1000, 1, 1, 3), 334);
    CHECK_INT(ctns_money_share(5, 0, 0, 0), 0);
}


static void
test_rate(void)
{
    json_t  *v;

    v = json_real(0.07);
    CHECK_INT(ctns_money_rate_ppm(v), 70000);
    json_decref(v);

    v = json_real(0.0725);
    CHECK_INT(ctns_money_rate_ppm(v), 72500);
    json_decref(v);

    v = json_integer(0);
    CHECK_INT(ctns_money_rate_ppm(v), 0);
    json_decref(v);

    v = json_real(-0.1);
    CHECK_INT(ctns_money_rate_ppm(v), -1);
    json_decref(v);

    v = json_string("0.1");
    CHECK_INT(ctns_money_rate_ppm(v), -1);
    json_decref(v);
}


int
main(void)
{
    test_format();
    test_json_roundtrip();
    test_get();
    test_arithmetic();
    test_rate();

    TEST_DONE();
}
