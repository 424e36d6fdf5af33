/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_eventgrid.h"
#include "ctns_json_span.h"


static const char  ctns_eventgrid_validation[] =
    "Microsoft.EventGrid.SubscriptionValidationEvent";


/* The code is echoed back in JSON: keep it to characters needing no escape. */

static int
ctns_eventgrid_code_ok(const char *code)
{
    size_t  i, len;

    len = strlen(code);
    if (len == 0 || len > CTNS_EVENTGRID_CODE_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((code[i] >= 'a' && code[i] <= 'z')
              || (code[i] >= 'A' && code[i] <= 'Z')
              || (code[i] >= '0' && code[i] <= '9')
              || code[i] == '-' || code[i] == '_' || code[i] == '.'))
        {
            return 0;
        }
    }

    return 1;
}


static ctns_verify_rc_t
ctns_eventgrid_validation_event(ctns_eventgrid_batch_t *b, json_t *ev,
    ctns_verify_err_t *err)
{
    const char        *code;
    ctns_verify_rc_t   rc;

    if (b->n != 1) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "validation event inside a batch of %zu",
                                b->n);
    }

    rc = CTNS_VERIFY_OK;
    code = ctns_verify_json_str(json_object_get(ev, "data"),
                                "validationCode", NULL, &rc, err);

    if (rc != CTNS_VERIFY_OK || code == NULL || !ctns_eventgrid_code_ok(code))
    {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "data.validationCode missing or not a "
                                "plain token");
    }

    b->kind = CTNS_EVENTGRID_VALIDATION;
    b->validation_code = code;

    return CTNS_VERIFY_OK;
}


/* The fields that say what an event is, the same schema for the batch. */

static ctns_verify_rc_t
ctns_eventgrid_header(ctns_eventgrid_batch_t *b, json_t *ev, size_t i,
    ctns_verify_err_t *err)
{
    int                ce;
    const char        *version, *source;
    ctns_eventgrid_event_t  *e;
    ctns_verify_rc_t   rc;

    if (!json_is_object(ev)) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "event %zu is not an object", i);
    }

    ce = json_object_get(ev, "specversion") != NULL;

    if (i == 0) {
        b->cloudevents = ce;

        if (!ce && !json_is_array(b->root)) {
            return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                    "Event Grid schema events come in an "
                                    "array");
        }

    } else if (ce != b->cloudevents) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "event %zu mixes Event Grid and CloudEvents "
                                "schemas", i);
    }

    e = &b->events[i];
    rc = CTNS_VERIFY_OK;
    e->id = ctns_verify_json_str(ev, "id", NULL, &rc, err);
    e->type = ctns_verify_json_str(ev, ce ? "type" : "eventType", NULL,
                                   &rc, err);
    version = ctns_verify_json_str(ev, "specversion", NULL, &rc, err);
    source = ctns_verify_json_str(ev, "source", NULL, &rc, err);

    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    if (e->id == NULL || e->id[0] == '\0' || e->type == NULL
        || (ce && (source == NULL || version == NULL
                   || strcmp(version, "1.0") != 0)))
    {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "event %zu lacks id, %s", i,
                                ce ? "type, source or specversion 1.0"
                                   : "eventType");
    }

    return CTNS_VERIFY_OK;
}


static ctns_verify_rc_t
ctns_eventgrid_event(ctns_eventgrid_batch_t *b, const ctns_json_span_t *span,
    size_t i, ctns_verify_err_t *err)
{
    json_t                  *ev;
    ctns_json_span_t         data;
    ctns_eventgrid_event_t  *e;
    ctns_verify_rc_t         rc;

    ev = json_is_array(b->root) ? json_array_get(b->root, i) : b->root;
    e = &b->events[i];

    rc = ctns_eventgrid_header(b, ev, i, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    if (!b->cloudevents && strcmp(e->type, ctns_eventgrid_validation) == 0) {
        return ctns_eventgrid_validation_event(b, ev, err);
    }

    if (strncmp(e->type, "Microsoft.", 10) == 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "event %zu is the system event \"%.60s\"",
                                i, e->type);
    }

    if (!json_is_object(json_object_get(ev, "data"))
        || ctns_json_span_member(span, "data", &data) != 1)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "event %zu has no \"data\" object%s", i,
                                json_object_get(ev, "data_base64")
                                ? " (data_base64 is not supported)" : "");
    }

    e->data = data.p;
    e->data_len = data.len;

    return CTNS_VERIFY_OK;
}


static ctns_verify_rc_t
ctns_eventgrid_spans(ctns_eventgrid_batch_t *b, const char *body, size_t len,
    size_t max_events, ctns_json_span_t **spans, ctns_verify_err_t *err)
{
    size_t  n;

    if (json_is_object(b->root)) {
        b->n = 1;

    } else if (json_is_array(b->root) && json_array_size(b->root) > 0) {
        b->n = json_array_size(b->root);

    } else {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "body is neither an event nor a non-empty "
                                "array of events");
    }

    if (b->n > max_events) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "batch of %zu events, at most %zu",
                                b->n, max_events);
    }

    b->events = calloc(b->n, sizeof(ctns_eventgrid_event_t));
    *spans = calloc(b->n, sizeof(ctns_json_span_t));
    if (b->events == NULL || *spans == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    if (json_is_object(b->root)) {
        (*spans)[0].p = body;
        (*spans)[0].len = len;
        return CTNS_VERIFY_OK;
    }

    if (ctns_json_span_array(body, len, *spans, b->n, &n) != 0 || n != b->n) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "cannot delimit the events of the batch");
    }

    return CTNS_VERIFY_OK;
}


ctns_verify_rc_t
ctns_eventgrid_parse(const char *body, size_t len, size_t max_events,
    ctns_eventgrid_batch_t **batch, ctns_verify_err_t *err)
{
    size_t                   i;
    ctns_json_span_t        *spans;
    ctns_verify_rc_t         rc;
    ctns_eventgrid_batch_t  *b;

    *batch = NULL;
    spans = NULL;

    b = calloc(1, sizeof(ctns_eventgrid_batch_t));
    if (b == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    b->root = ctns_verify_json(body, len, "Event Grid body", err);
    if (b->root == NULL) {
        free(b);
        return CTNS_VERIFY_MALFORMED;
    }

    rc = ctns_eventgrid_spans(b, body, len, max_events, &spans, err);

    for (i = 0; rc == CTNS_VERIFY_OK && i < b->n; i++) {
        rc = ctns_eventgrid_event(b, &spans[i], i, err);
    }

    free(spans);

    if (rc != CTNS_VERIFY_OK) {
        ctns_eventgrid_free(b);
        return rc;
    }

    *batch = b;

    return CTNS_VERIFY_OK;
}


void
ctns_eventgrid_free(ctns_eventgrid_batch_t *batch)
{
    if (batch == NULL) {
        return;
    }

    json_decref(batch->root);
    free(batch->events);
    free(batch);
}


size_t
ctns_eventgrid_validation_response(const ctns_eventgrid_batch_t *batch,
    char *buf, size_t size)
{
    int  n;

    if (batch->kind != CTNS_EVENTGRID_VALIDATION) {
        return 0;
    }

    n = snprintf(buf, size, "{\"validationResponse\":\"%s\"}",
                 batch->validation_code);

    return (n < 0 || (size_t) n >= size) ? 0 : (size_t) n;
}
