/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns_map_event(): which flow an event belongs to.  Events no flow uses
 * are acknowledged as ignored with a reason, never an error.
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
    { "OrderStateChanged", "order", ctns_map_order_cancelled },
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


int
ctns_map_event(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int          rc;
    size_t       i;
    const char  *type, *note;

    memset(plan, 0, sizeof(ctns_plan_t));
    in->need[0] = '\0';
    err[0] = '\0';

    type = ctns_map_type(in);
    note = ctns_map_str(in->payload, "notificationType");

    for (i = 0; type && ctns_map_flows[i].type; i++) {
        if (strcmp(ctns_map_flows[i].type, type) == 0
            && strcmp(ctns_map_flows[i].rtype, in->event->rtype) == 0
            && (note == NULL || strcmp(note, "Message") == 0))
        {
            break;
        }
    }

    if (type == NULL || ctns_map_flows[i].type == NULL) {
        plan->ignored = 1;
        snprintf(plan->reason, sizeof(plan->reason),
                 "%s %s on %s is not used by the finance flows",
                 note ? note : "event", type ? type : "(untyped)",
                 in->event->rtype[0] ? in->event->rtype : "-");

        if (strcmp(in->event->rtype, "order") == 0) {
            snprintf(plan->order_id, sizeof(plan->order_id), "%s",
                     in->event->rid);
        }

        return CTNS_MAP_OK;
    }

    rc = ctns_map_flows[i].flow(conf, in, plan, err, errlen);

    if (rc != CTNS_MAP_OK) {
        ctns_plan_free(plan);
    }

    return rc;
}
