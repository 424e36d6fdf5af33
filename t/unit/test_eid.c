/*
 * Copyright (C) ct-netsuite authors
 *
 * External ids of the architecture's list, and refusal of everything that
 * would break an eid: URL.
 */


#include "ctns_test.h"
#include "ctns_eid.h"


#define ORDER  "9e1b7c4a-2f0d-4c1e-8a7b-3d5e6f708192"
#define TX     "5b0f0c2a-1e3d-4f5a-9b8c-7d6e5f4a3b2c"


int
main(void)
{
    char  b[CTNS_EID_MAX + 1], small[16], longid[300];

    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_CUSTOMER, "42", NULL), 10);
    CHECK_STR(b, "ct-cust-42");
    ctns_eid(b, sizeof(b), CTNS_EID_ORDER, ORDER, NULL);
    CHECK_STR(b, "ct-order-" ORDER);
    ctns_eid(b, sizeof(b), CTNS_EID_DEPOSIT, TX, NULL);
    CHECK_STR(b, "ct-dep-" TX);
    ctns_eid(b, sizeof(b), CTNS_EID_PAYMENT, TX, NULL);
    CHECK_STR(b, "ct-pay-" TX);
    ctns_eid(b, sizeof(b), CTNS_EID_CREDIT_MEMO, TX, NULL);
    CHECK_STR(b, "ct-cm-" TX);
    ctns_eid(b, sizeof(b), CTNS_EID_REFUND, TX, NULL);
    CHECK_STR(b, "ct-ref-" TX);
    ctns_eid(b, sizeof(b), CTNS_EID_INVOICE, ORDER, NULL);
    CHECK_STR(b, "ct-inv-" ORDER);
    ctns_eid(b, sizeof(b), CTNS_EID_INVOICE, ORDER, "d1");
    CHECK_STR(b, "ct-inv-" ORDER "-d1");
    ctns_eid(b, sizeof(b), CTNS_EID_JOURNAL, TX, NULL);
    CHECK_STR(b, "ct-je-" TX);
    ctns_eid(b, sizeof(b), CTNS_EID_PAYOUT, "adyen", "po_2026_07");
    CHECK_STR(b, "ct-payout-adyen-po_2026_07");

    /* characters NetSuite refuses, empty ids, misuse of id2 */
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_ORDER, "a b", NULL), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_ORDER, "a|b", NULL), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_ORDER, "a:b", NULL), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_ORDER, "\xc3\xa9", NULL), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_ORDER, "", NULL), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_ORDER, NULL, NULL), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_INVOICE, ORDER, "d/1"), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_ORDER, ORDER, "x"), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_PAYOUT, "adyen", NULL), -1);
    CHECK_INT(ctns_eid(b, sizeof(b), (ctns_eid_kind_e) 99, "1", NULL), -1);

    /* too long for the buffer or for NetSuite */
    CHECK_INT(ctns_eid(small, sizeof(small), CTNS_EID_ORDER, ORDER, NULL), -1);
    memset(longid, 'a', 250);
    longid[250] = '\0';
    CHECK_INT(ctns_eid(b, sizeof(b), CTNS_EID_ORDER, longid, NULL), -1);

    CHECK(ctns_eid_valid("ct-order-" ORDER));
    CHECK(ctns_eid_valid("A_z-09"));
    CHECK(!ctns_eid_valid(""));
    CHECK(!ctns_eid_valid("ct order"));
    CHECK(!ctns_eid_valid(longid) == 0 || strlen(longid) <= CTNS_EID_MAX);
    memset(longid, 'a', 256);
    longid[256] = '\0';
    CHECK(!ctns_eid_valid(longid));

    TEST_DONE();
}
