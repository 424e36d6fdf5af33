/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctns_normalize.h"


#define CTNS_NORM_MAX_DEPTH  2


typedef struct {
    char    *err;
    size_t   errlen;
} ctns_norm_ctx_t;


static int ctns_norm_json(ctns_norm_ctx_t *ctx, json_t *root,
    ctns_event_t *ev, int depth, json_t **unwrapped);


static int
ctns_norm_fail(ctns_norm_ctx_t *ctx, const char *fmt, const char *field)
{
    snprintf(ctx->err, ctx->errlen, fmt, field);
    return CTNS_NORM_ERROR;
}


/*
 * Ids end up in Redis keys, URLs and log lines: allow only what
 * commercetools ids, keys and type names consist of.
 */

static int
ctns_norm_safe(const char *s, size_t len, const char *extra)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
            || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'
            || (extra && strchr(extra, s[i]) != NULL))
        {
            continue;
        }

        return 0;
    }

    return 1;
}


static int
ctns_norm_str(ctns_norm_ctx_t *ctx, json_t *obj, const char *name,
    const char *field, char *dst, size_t size, const char *extra,
    int required)
{
    size_t   len;
    json_t  *v;

    v = json_object_get(obj, name);

    if (v == NULL || json_is_null(v)) {
        if (required) {
            return ctns_norm_fail(ctx, "missing field \"%s\"", field);
        }

        dst[0] = '\0';
        return CTNS_NORM_OK;
    }

    if (!json_is_string(v)) {
        return ctns_norm_fail(ctx, "field \"%s\" is not a string", field);
    }

    len = json_string_length(v);

    if (len >= size) {
        return ctns_norm_fail(ctx, "field \"%s\" is too long", field);
    }

    if (extra != NULL && !ctns_norm_safe(json_string_value(v), len, extra)) {
        return ctns_norm_fail(ctx, "field \"%s\" has invalid characters",
                              field);
    }

    memcpy(dst, json_string_value(v), len);
    dst[len] = '\0';

    return CTNS_NORM_OK;
}


static int
ctns_norm_int(ctns_norm_ctx_t *ctx, json_t *obj, const char *name,
    int64_t *dst, int required)
{
    json_t  *v;

    v = json_object_get(obj, name);

    if (v == NULL) {
        if (required) {
            return ctns_norm_fail(ctx, "missing field \"%s\"", name);
        }

        *dst = 0;
        return CTNS_NORM_OK;
    }

    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return ctns_norm_fail(ctx, "field \"%s\" is not a non-negative "
                              "integer", name);
    }

    *dst = json_integer_value(v);

    return CTNS_NORM_OK;
}


static int
ctns_norm_resource(ctns_norm_ctx_t *ctx, json_t *ref, const char *field,
    ctns_event_t *ev)
{
    char  name[64];

    if (!json_is_object(ref)) {
        return ctns_norm_fail(ctx, "missing field \"%s\"", field);
    }

    snprintf(name, sizeof(name), "%s.typeId", field);

    if (ctns_norm_str(ctx, ref, "typeId", name, ev->rtype,
                      sizeof(ev->rtype), "", 1) != CTNS_NORM_OK)
    {
        return CTNS_NORM_ERROR;
    }

    snprintf(name, sizeof(name), "%s.id", field);

    return ctns_norm_str(ctx, ref, "id", name, ev->rid, sizeof(ev->rid),
                         "", 1);
}


/* The store of an order Message sits in the embedded order, if any. */

static int
ctns_norm_store(ctns_norm_ctx_t *ctx, json_t *root, ctns_event_t *ev)
{
    json_t  *store;

    store = json_object_get(json_object_get(root, "order"), "store");
    if (store == NULL) {
        store = json_object_get(root, "store");
    }

    if (!json_is_object(store)) {
        ev->store[0] = '\0';
        return CTNS_NORM_OK;
    }

    return ctns_norm_str(ctx, store, "key", "store.key", ev->store,
                         sizeof(ev->store), "", 0);
}


static int
ctns_norm_message(ctns_norm_ctx_t *ctx, json_t *root, ctns_event_t *ev)
{
    json_t  *type, *pni;

    if (ctns_norm_str(ctx, root, "id", "id", ev->id, sizeof(ev->id), "", 1)
        || ctns_norm_int(ctx, root, "resourceVersion", &ev->rv, 1)
        || ctns_norm_int(ctx, root, "sequenceNumber", &ev->seq, 1)
        || ctns_norm_resource(ctx, json_object_get(root, "resource"),
                              "resource", ev)
        || ctns_norm_str(ctx, root, "createdAt", "createdAt", ev->at,
                         sizeof(ev->at), ".:+", 0)
        || ctns_norm_store(ctx, root, ev))
    {
        return CTNS_NORM_ERROR;
    }

    /* a payload that did not fit the destination names its type here */
    type = json_object_get(root, "type");
    pni = json_object_get(root, "payloadNotIncluded");

    if (type == NULL && json_is_object(pni)) {
        return ctns_norm_str(ctx, pni, "payloadType",
                             "payloadNotIncluded.payloadType", ev->type,
                             sizeof(ev->type), "", 1);
    }

    return ctns_norm_str(ctx, root, "type", "type", ev->type,
                         sizeof(ev->type), "", 1);
}


/*
 * Change notifications carry no id: (resource, version, kind) identifies
 * one, and is what a redelivery repeats.
 */

static int
ctns_norm_change(ctns_norm_ctx_t *ctx, json_t *root, const char *kind,
    ctns_event_t *ev)
{
    int  n;

    if (ctns_norm_resource(ctx, json_object_get(root, "resource"),
                           "resource", ev)
        || ctns_norm_int(ctx, root, "version", &ev->rv, 1)
        || ctns_norm_str(ctx, root, "modifiedAt", "modifiedAt", ev->at,
                         sizeof(ev->at), ".:+", 0))
    {
        return CTNS_NORM_ERROR;
    }

    ev->seq = 0;
    ev->store[0] = '\0';
    snprintf(ev->type, sizeof(ev->type), "%s", kind);

    n = snprintf(ev->id, sizeof(ev->id), "chg:%s:%s:%lld:%s", ev->rtype,
                 ev->rid, (long long) ev->rv, kind);

    if (n < 0 || (size_t) n >= sizeof(ev->id)) {
        return ctns_norm_fail(ctx, "field \"%s\" is too long", "resource.id");
    }

    if (strcmp(ev->rtype, "subscription") == 0) {
        return CTNS_NORM_TEST;
    }

    return CTNS_NORM_OK;
}


/* Checkout events: the resource is the payment, else the order or cart. */

static int
ctns_norm_event(ctns_norm_ctx_t *ctx, json_t *root, ctns_event_t *ev)
{
    json_t  *data, *ref;

    data = json_object_get(root, "data");

    if (!json_is_object(data)) {
        return ctns_norm_fail(ctx, "missing field \"%s\"", "data");
    }

    ref = json_object_get(data, "payment");
    if (ref == NULL) {
        ref = json_object_get(data, "order");
    }

    if (ref == NULL) {
        ref = json_object_get(data, "cart");
    }

    if (ctns_norm_str(ctx, root, "id", "id", ev->id, sizeof(ev->id), "", 1)
        || ctns_norm_str(ctx, root, "type", "type", ev->type,
                         sizeof(ev->type), "", 1)
        || ctns_norm_str(ctx, data, "projectKey", "data.projectKey",
                         ev->project, sizeof(ev->project), "", 1)
        || ctns_norm_resource(ctx, ref, "data.payment", ev)
        || ctns_norm_str(ctx, root, "createdAt", "createdAt", ev->at,
                         sizeof(ev->at), ".:+", 0))
    {
        return CTNS_NORM_ERROR;
    }

    ev->rv = 0;
    ev->seq = 0;
    ev->store[0] = '\0';

    return CTNS_NORM_OK;
}


static int
ctns_norm_platform(ctns_norm_ctx_t *ctx, json_t *root, ctns_event_t *ev)
{
    const char  *nt;

    nt = json_string_value(json_object_get(root, "notificationType"));

    if (strcmp(nt, "Event") == 0) {
        return ctns_norm_event(ctx, root, ev);
    }

    if (ctns_norm_str(ctx, root, "projectKey", "projectKey", ev->project,
                      sizeof(ev->project), "", 1) != CTNS_NORM_OK)
    {
        return CTNS_NORM_ERROR;
    }

    if (strcmp(nt, "Message") == 0) {
        return ctns_norm_message(ctx, root, ev);
    }

    if (strcmp(nt, "ResourceCreated") == 0
        || strcmp(nt, "ResourceUpdated") == 0
        || strcmp(nt, "ResourceDeleted") == 0)
    {
        return ctns_norm_change(ctx, root, nt, ev);
    }

    return ctns_norm_fail(ctx, "unknown notificationType in \"%s\"",
                          "notificationType");
}


/* CloudEvents 1.0 and EventBridge events wrap the Platform payload. */

static int
ctns_norm_envelope(ctns_norm_ctx_t *ctx, json_t *root, const char *field,
    ctns_event_t *ev, int depth, json_t **unwrapped)
{
    int      rc;
    json_t  *inner;

    inner = json_object_get(root, field);

    if (!json_is_object(inner)) {
        return ctns_norm_fail(ctx, "missing object \"%s\"", field);
    }

    rc = ctns_norm_json(ctx, inner, ev, depth + 1, unwrapped);

    if (rc != CTNS_NORM_ERROR && *unwrapped == NULL) {
        *unwrapped = inner;
    }

    return rc;
}


static int
ctns_norm_json(ctns_norm_ctx_t *ctx, json_t *root, ctns_event_t *ev,
    int depth, json_t **unwrapped)
{
    if (!json_is_object(root)) {
        return ctns_norm_fail(ctx, "%s is not a JSON object", "payload");
    }

    if (depth > CTNS_NORM_MAX_DEPTH) {
        return ctns_norm_fail(ctx, "%s nested too deep", "envelope");
    }

    if (json_is_string(json_object_get(root, "notificationType"))) {
        return ctns_norm_platform(ctx, root, ev);
    }

    if (json_is_string(json_object_get(root, "specversion"))) {
        return ctns_norm_envelope(ctx, root, "data", ev, depth, unwrapped);
    }

    if (json_is_string(json_object_get(root, "detail-type"))) {
        return ctns_norm_envelope(ctx, root, "detail", ev, depth, unwrapped);
    }

    return ctns_norm_fail(ctx, "missing field \"%s\"", "notificationType");
}


int
ctns_normalize(const char *buf, size_t len, ctns_event_t *ev,
    char **owned, char *err, size_t errlen)
{
    int               rc;
    json_t           *root, *unwrapped;
    json_error_t      jerr;
    ctns_norm_ctx_t   ctx;

    *owned = NULL;
    ctx.err = err;
    ctx.errlen = errlen;

    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errlen, "invalid JSON at line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
        return CTNS_NORM_ERROR;
    }

    unwrapped = NULL;

    rc = ctns_norm_json(&ctx, root, ev, 0, &unwrapped);

    if (rc != CTNS_NORM_ERROR) {
        if (unwrapped) {
            *owned = json_dumps(unwrapped, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (*owned == NULL) {
                json_decref(root);
                snprintf(err, errlen, "out of memory");
                return CTNS_NORM_ERROR;
            }

            ev->payload = *owned;
            ev->payload_len = strlen(*owned);

        } else {
            ev->payload = buf;
            ev->payload_len = len;
        }
    }

    json_decref(root);

    return rc;
}
