/*
 * Copyright (C) ct-netsuite authors
 *
 * Normalization of one commercetools notification into the stream entry
 * fields of ctns_event.h.  Understood: Platform Message payloads, Change
 * payloads (ResourceCreated/Updated/Deleted), Event payloads, and the same
 * wrapped in CloudEvents 1.0 or in an EventBridge event ("detail").
 */

#ifndef _CTNS_NORMALIZE_H_INCLUDED_
#define _CTNS_NORMALIZE_H_INCLUDED_


#include "ctns_event.h"


#define CTNS_NORM_OK      0
#define CTNS_NORM_TEST    1    /* subscription test notification: ack only */
#define CTNS_NORM_ERROR  -1


/*
 * buf/len: the payload.  On success ev is filled (src and rx are the
 * caller's) and ev->payload points into buf: at the whole payload, or at
 * the Platform payload inside an envelope, byte for byte as sent.  On
 * error, err names the offending field or the JSON syntax error.
 * *owned is always set to NULL (kept until every caller drops it).
 */
int ctns_normalize(const char *buf, size_t len, ctns_event_t *ev,
    char **owned, char *err, size_t errlen);


#endif /* _CTNS_NORMALIZE_H_INCLUDED_ */
