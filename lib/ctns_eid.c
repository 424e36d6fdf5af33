/*
 * Copyright (C) ct-netsuite authors
 */


#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ctns_eid.h"


static const char  *ctns_eid_prefix[] = {
    "ct-cust-", "ct-order-", "ct-dep-", "ct-pay-", "ct-cm-", "ct-ref-",
    "ct-inv-", "ct-je-", "ct-payout-"
};


static int
ctns_eid_chars(const char *s)
{
    if (*s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s; s++) {
        if (!isalnum((unsigned char) *s) && *s != '_' && *s != '-') {
            return 0;
        }
    }

    return 1;
}


int
ctns_eid_valid(const char *s)
{
    return strlen(s) <= CTNS_EID_MAX && ctns_eid_chars(s);
}


int
ctns_eid(char *dst, size_t len, ctns_eid_kind_e kind, const char *id,
    const char *id2)
{
    int  n;

    if ((unsigned) kind > CTNS_EID_PAYOUT || id == NULL
        || !ctns_eid_chars(id))
    {
        return -1;
    }

    if (kind == CTNS_EID_PAYOUT && (id2 == NULL || *id2 == '\0')) {
        return -1;
    }

    if (id2 != NULL && *id2 != '\0') {
        if ((kind != CTNS_EID_INVOICE && kind != CTNS_EID_PAYOUT)
            || !ctns_eid_chars(id2))
        {
            return -1;
        }

        n = snprintf(dst, len, "%s%s-%s", ctns_eid_prefix[kind], id, id2);

    } else {
        n = snprintf(dst, len, "%s%s", ctns_eid_prefix[kind], id);
    }

    if (n < 0 || (size_t) n >= len || n > CTNS_EID_MAX) {
        return -1;
    }

    return n;
}
