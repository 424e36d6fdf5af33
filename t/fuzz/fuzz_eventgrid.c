/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: an Event Grid webhook body (handshake, Event Grid schema or
 * CloudEvents batch); every data span must lie inside the input.
 */

#include <stdlib.h>

#include "ctns_eventgrid.h"
#include "ctns_json_span.h"


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char                     out[256];
    size_t                   i, n;
    const char              *body;
    ctns_json_span_t         items[8];
    ctns_verify_err_t        err;
    ctns_eventgrid_batch_t  *b;

    body = (const char *) data;

    ctns_json_span_array(body, size, items, 8, &n);

    if (ctns_eventgrid_parse(body, size, 64, &b, &err) != CTNS_VERIFY_OK) {
        return 0;
    }

    ctns_eventgrid_validation_response(b, out, sizeof(out));

    for (i = 0; i < b->n && b->kind == CTNS_EVENTGRID_EVENTS; i++) {
        if (b->events[i].data < body
            || b->events[i].data + b->events[i].data_len > body + size
            || b->events[i].data[0] != '{')
        {
            abort();
        }
    }

    ctns_eventgrid_free(b);

    return 0;
}
