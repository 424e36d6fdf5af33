/*
 * Copyright (C) ct-netsuite authors
 *
 * A normalized commercetools notification: what the nginx module appends to
 * ctns:{N}:events and what ctns-worker reads back.  One stream entry holds
 * these fields, all as strings:
 *
 *   id        commercetools message id, or "chg:<type>:<id>:<version>:<kind>"
 *             derived for change notifications (they carry no id)
 *   type      message type ("OrderCreated"), change kind ("ResourceUpdated")
 *             or event type ("CheckoutPaymentRefunded")
 *   resource  "<typeId>/<id>", e.g. "order/9e1b7c4a-..."
 *   rv        resource version (0 when unknown)
 *   seq       per-resource message sequence number (0 for changes/events)
 *   project   commercetools project key
 *   store     store key ("" when none)
 *   at        createdAt / modifiedAt of the notification (ISO 8601)
 *   src       delivery channel: hmac, token, pubsub, sns, eventbridge,
 *             eventgrid, none, sync, replay
 *   rx        receive time, milliseconds since the epoch
 *   payload   the commercetools Platform payload JSON, unwrapped from any
 *             envelope (CloudEvents, Pub/Sub, SNS, EventBridge)
 */

#ifndef _CTNS_EVENT_H_INCLUDED_
#define _CTNS_EVENT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define CTNS_EVENT_ID_LEN        128
#define CTNS_EVENT_TYPE_LEN      96
#define CTNS_EVENT_RTYPE_LEN     48
#define CTNS_EVENT_RID_LEN       80
#define CTNS_EVENT_PROJECT_LEN   96
#define CTNS_EVENT_STORE_LEN     96
#define CTNS_EVENT_AT_LEN        40
#define CTNS_EVENT_SRC_LEN       16


typedef struct {
    char         id[CTNS_EVENT_ID_LEN];
    char         type[CTNS_EVENT_TYPE_LEN];
    char         rtype[CTNS_EVENT_RTYPE_LEN];     /* "order" */
    char         rid[CTNS_EVENT_RID_LEN];         /* resource id */
    char         project[CTNS_EVENT_PROJECT_LEN];
    char         store[CTNS_EVENT_STORE_LEN];
    char         at[CTNS_EVENT_AT_LEN];
    char         src[CTNS_EVENT_SRC_LEN];
    int64_t      rv;
    int64_t      seq;
    int64_t      rx;                              /* ms since the epoch */
    const char  *payload;                         /* not owned */
    size_t       payload_len;
} ctns_event_t;


#endif /* _CTNS_EVENT_H_INCLUDED_ */
