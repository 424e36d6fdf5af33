/*
 * Copyright (C) ct-netsuite authors
 *
 * The wrapped body of a Google Cloud Pub/Sub push request:
 * {"message":{"data":"<base64>","attributes":{},"messageId":"..."},
 *  "subscription":"projects/.../subscriptions/..."}.  The commercetools
 * payload is the base64-decoded data, byte for byte.
 */

#ifndef _CTNS_PUBSUB_H_INCLUDED_
#define _CTNS_PUBSUB_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>

#include "ctns_verify.h"


typedef struct {
    unsigned char  *data;            /* decoded payload, malloc'd */
    size_t          data_len;
    const char     *message_id;      /* messageId or message_id */
    const char     *subscription;    /* NULL when absent */
    json_t         *attributes;      /* object or NULL, owned by root */
    json_t         *root;
} ctns_pubsub_msg_t;


ctns_verify_rc_t ctns_pubsub_parse(const char *body, size_t len,
    ctns_pubsub_msg_t **msg, ctns_verify_err_t *err);
void ctns_pubsub_free(ctns_pubsub_msg_t *msg);


#endif /* _CTNS_PUBSUB_H_INCLUDED_ */
