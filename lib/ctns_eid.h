/*
 * Copyright (C) ct-netsuite authors
 *
 * NetSuite external ids derived from commercetools ids, the idempotency
 * keys of every upsert (architecture: "Idempotency").  NetSuite allows
 * only [A-Za-z0-9_-] in an external id; anything else breaks eid: URLs.
 */

#ifndef _CTNS_EID_H_INCLUDED_
#define _CTNS_EID_H_INCLUDED_


#include <stddef.h>


#define CTNS_EID_MAX  255


typedef enum {
    CTNS_EID_CUSTOMER = 0,           /* ct-cust-<customerId> */
    CTNS_EID_ORDER,                  /* ct-order-<orderId> */
    CTNS_EID_DEPOSIT,                /* ct-dep-<transactionId> */
    CTNS_EID_PAYMENT,                /* ct-pay-<transactionId> */
    CTNS_EID_CREDIT_MEMO,            /* ct-cm-<transactionId> */
    CTNS_EID_REFUND,                 /* ct-ref-<transactionId> */
    CTNS_EID_INVOICE,                /* ct-inv-<orderId>[-<deliveryId>] */
    CTNS_EID_JOURNAL,                /* ct-je-<transactionId> */
    CTNS_EID_PAYOUT                  /* ct-payout-<psp>-<payoutId> */
} ctns_eid_kind_e;


/* 1 when s is a usable external id: 1..255 chars of [A-Za-z0-9_-]. */
int ctns_eid_valid(const char *s);

/*
 * Writes the external id of kind for id (and id2: the delivery id of a
 * per-delivery invoice, optional; the payout id of a payout, where id is
 * the PSP) into dst.  Returns its length, or -1 when an id is empty or
 * holds a character NetSuite refuses, or the result does not fit.
 */
int ctns_eid(char *dst, size_t len, ctns_eid_kind_e kind, const char *id,
    const char *id2);


#endif /* _CTNS_EID_H_INCLUDED_ */
