/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns_map_event(): which flow an event belongs to.  Messages are
 * triggers: any other message of an order or a payment re-reads it and
 * brings it into NetSuite (each write created once or only what differs),
 * because the worker skips a message at or below the last one applied to
 * its resource.  Events of other resources are acknowledged as ignored
 * with a reason, never an error.
 */


#include <string.h>

#include "ctns_map_int.h"


typedef int (*ctns_map_flow_pt)(const ctns_map_conf_t *conf,
    ctns_map_input_t *in, ctns_plan_t *plan, char *err, size_t errlen);


static const struct {
    const char        *type;
    const char        *rtype;
    ctns_map_flow_pt   flow;
} ctns_map_flows[] = {
    { "OrderCreated", "order", ctns_map_order_created },
    { "OrderImported", "order", ctns_map_order_created },
    { "OrderCreatedFromRecurringOrder", "order", ctns_map_order_created },
    { "DeliveryAdded", "order", ctns_map_shipped },
    { "OrderShipmentStateChanged", "order", ctns_map_shipped },
    { "PaymentCreated", "payment", ctns_map_payment },
    { "PaymentTransactionAdded", "payment", ctns_map_payment },
    { "PaymentTransactionStateChanged", "payment", ctns_map_payment },
    { "CustomerCreated", "customer", ctns_map_customer_created },
    { NULL, NULL, NULL }
};


/* the message type, also when the body was dropped (payloadNotIncluded) */
static const char *
ctns_map_type(const ctns_map_input_t *in)
{
    const char  *type;

    type = ctns_map_str(json_object_get(in->payload, "payloadNotIncluded"),
                        "payloadType");

    if (type == NULL) {
        type = ctns_map_str(in->payload, "type");
    }

    return type ? type : in->event->type;
}


/*
 * The flow of an event: its own, else for any other news of an order or a
 * payment the re-read of that resource, else none.
 */
static ctns_map_flow_pt
ctns_map_flow(const ctns_map_input_t *in, const char *type, const char *note)
{
    size_t  i;

    for (i = 0; type && ctns_map_flows[i].type; i++) {
        if (strcmp(ctns_map_flows[i].type, type) == 0
            && strcmp(ctns_map_flows[i].rtype, in->event->rtype) == 0
            && (note == NULL || strcmp(note, "Message") == 0))
        {
            return ctns_map_flows[i].flow;
        }
    }

    if (strcmp(in->event->rtype, "order") == 0 && in->event->rid[0]) {
        return ctns_map_order_sync;
    }

    if (strcmp(in->event->rtype, "payment") == 0 && in->event->rid[0]) {
        return ctns_map_payment;
    }

    return NULL;
}


int
ctns_map_event(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int               rc;
    const char       *type, *note;
    ctns_map_flow_pt  flow;

    memset(plan, 0, sizeof(ctns_plan_t));
    in->need[0] = '\0';
    err[0] = '\0';

    type = ctns_map_type(in);
    note = ctns_map_str(in->payload, "notificationType");
    flow = ctns_map_flow(in, type, note);

    if (flow == NULL) {
        plan->ignored = 1;
        snprintf(plan->reason, sizeof(plan->reason),
                 "%s %s on %s is not used by the finance flows",
                 note ? note : "event", type ? type : "(untyped)",
                 in->event->rtype[0] ? in->event->rtype : "-");
        return CTNS_MAP_OK;
    }

    rc = flow(conf, in, plan, err, errlen);

    if (rc != CTNS_MAP_OK) {
        ctns_plan_free(plan);
    }

    return rc;
}
