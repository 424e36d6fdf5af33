/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdlib.h>
#include <string.h>

#include "ctns_base64.h"
#include "ctns_pubsub.h"


static ctns_verify_rc_t
ctns_pubsub_message(ctns_pubsub_msg_t *m, json_t *msg, ctns_verify_err_t *err)
{
    long               n;
    size_t             len;
    const char        *data, *id, *id2;
    ctns_verify_rc_t   rc;

    rc = CTNS_VERIFY_OK;
    data = ctns_verify_json_str(msg, "data", &len, &rc, err);
    id = ctns_verify_json_str(msg, "messageId", NULL, &rc, err);
    id2 = ctns_verify_json_str(msg, "message_id", NULL, &rc, err);

    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    /* current bodies carry both spellings; they must then agree */
    if ((id == NULL && id2 == NULL)
        || (id != NULL && id2 != NULL && strcmp(id, id2) != 0))
    {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "message.messageId missing or inconsistent");
    }

    m->message_id = id ? id : id2;

    m->attributes = json_object_get(msg, "attributes");
    if (m->attributes != NULL && !json_is_object(m->attributes)) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "message.attributes is not an object");
    }

    if (data == NULL || len == 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "message.data missing or empty");
    }

    m->data = malloc(ctns_base64_decoded_len(len) + 1);
    if (m->data == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    n = ctns_base64_decode(m->data, (const unsigned char *) data, len);
    if (n <= 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "message.data is not base64");
    }

    m->data[n] = '\0';
    m->data_len = (size_t) n;

    return CTNS_VERIFY_OK;
}


ctns_verify_rc_t
ctns_pubsub_parse(const char *body, size_t len, ctns_pubsub_msg_t **msg,
    ctns_verify_err_t *err)
{
    json_t             *message;
    ctns_pubsub_msg_t  *m;
    ctns_verify_rc_t    rc;

    *msg = NULL;

    m = calloc(1, sizeof(ctns_pubsub_msg_t));
    if (m == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    m->root = ctns_verify_json(body, len, "Pub/Sub body", err);
    if (m->root == NULL) {
        free(m);
        return CTNS_VERIFY_MALFORMED;
    }

    message = json_object_get(m->root, "message");

    if (!json_is_object(message)) {
        rc = ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                              "Pub/Sub body without a \"message\" object "
                              "(configure the wrapped push format)");
    } else {
        rc = CTNS_VERIFY_OK;
        m->subscription = ctns_verify_json_str(m->root, "subscription", NULL,
                                               &rc, err);
    }

    if (rc == CTNS_VERIFY_OK) {
        rc = ctns_pubsub_message(m, message, err);
    }

    if (rc != CTNS_VERIFY_OK) {
        ctns_pubsub_free(m);
        return rc;
    }

    *msg = m;

    return CTNS_VERIFY_OK;
}


void
ctns_pubsub_free(ctns_pubsub_msg_t *msg)
{
    if (msg == NULL) {
        return;
    }

    json_decref(msg->root);
    free(msg->data);
    free(msg);
}
