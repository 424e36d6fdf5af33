/*
 * Copyright (C) ct-netsuite authors
 *
 * Azure Event Grid webhook bodies: an array of Event Grid schema events or
 * of CloudEvents 1.0 (a batch), or one structured CloudEvent.  Either one
 * SubscriptionValidationEvent (the handshake, answered with its code) or
 * events whose "data" is a commercetools payload; a batch is all or
 * nothing, so a mix, an empty array or one over the limit is refused.
 * Authentication (shared secret) is the caller's: Event Grid signs nothing.
 */

#ifndef _CTNS_EVENTGRID_H_INCLUDED_
#define _CTNS_EVENTGRID_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>

#include "ctns_verify.h"


#define CTNS_EVENTGRID_MAX_EVENTS  5000   /* Event Grid's own batch cap */
#define CTNS_EVENTGRID_CODE_MAX    128


typedef enum {
    CTNS_EVENTGRID_EVENTS = 0,
    CTNS_EVENTGRID_VALIDATION
} ctns_eventgrid_kind_t;


typedef struct {
    const char  *id;            /* owned by the batch */
    const char  *type;          /* eventType, or CloudEvents type */
    const char  *data;          /* raw "data" bytes, a span of the body */
    size_t       data_len;
} ctns_eventgrid_event_t;


typedef struct {
    ctns_eventgrid_kind_t    kind;
    int                      cloudevents;
    const char              *validation_code;
    size_t                   n;
    ctns_eventgrid_event_t  *events;
    json_t                  *root;
} ctns_eventgrid_batch_t;


/*
 * The data spans point into body, which must outlive the batch.
 * max_events: 1 .. CTNS_EVENTGRID_MAX_EVENTS.
 */
ctns_verify_rc_t ctns_eventgrid_parse(const char *body, size_t len,
    size_t max_events, ctns_eventgrid_batch_t **batch, ctns_verify_err_t *err);
void ctns_eventgrid_free(ctns_eventgrid_batch_t *batch);

/*
 * {"validationResponse":"<code>"} into buf; the length, or 0 when it does
 * not fit or the batch is no validation.
 */
size_t ctns_eventgrid_validation_response(const ctns_eventgrid_batch_t *batch,
    char *buf, size_t size);


#endif /* _CTNS_EVENTGRID_H_INCLUDED_ */
