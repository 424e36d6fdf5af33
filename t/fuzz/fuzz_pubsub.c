/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: a Pub/Sub push body (wrapped format) through the unwrapper.
 */

#include <stdlib.h>
#include <string.h>

#include "ctns_pubsub.h"


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    ctns_pubsub_msg_t  *m;
    ctns_verify_err_t   err;

    if (ctns_pubsub_parse((const char *) data, size, &m, &err)
        != CTNS_VERIFY_OK)
    {
        return 0;
    }

    /* the payload is NUL-terminated within its buffer */
    if (m->message_id == NULL || m->data[m->data_len] != '\0') {
        abort();
    }

    ctns_pubsub_free(m);

    return 0;
}
