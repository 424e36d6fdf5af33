/*
 * Copyright (C) ct-netsuite authors
 *
 * The payload is checked once for strict JSON, then only the fields the
 * stream entry needs are read as raw spans: no tree is built, and a payload
 * unwrapped from an envelope is passed on byte for byte (re-serializing
 * would turn 0.07 into 0.070000000000000007).
 */


#include <stdio.h>
#include <string.h>

#include "ctns_json_check.h"
#include "ctns_normalize.h"


#define CTNS_NORM_MAX_DEPTH    2
#define CTNS_NORM_MAX_MEMBERS  96


typedef struct {
    ctns_json_member_t   m[CTNS_NORM_MAX_MEMBERS];
    size_t               n;
} ctns_norm_obj_t;


typedef struct {
    char                *err;
    size_t               errlen;
    ctns_json_span_t     payload;     /* innermost Platform payload */
} ctns_norm_ctx_t;


static int ctns_norm_span(ctns_norm_ctx_t *ctx, ctns_json_span_t *root,
    ctns_event_t *ev, int depth);


static int
ctns_norm_fail(ctns_norm_ctx_t *ctx, const char *fmt, const char *field)
{
    snprintf(ctx->err, ctx->errlen, fmt, field);
    return CTNS_NORM_ERROR;
}


/* Reads the members of an object span; duplicate names are refused. */

static int
ctns_norm_obj(ctns_norm_ctx_t *ctx, const ctns_json_span_t *v,
    const char *field, ctns_norm_obj_t *obj)
{
    size_t  i, j;

    if (v->len == 0 || v->p[0] != '{') {
        return ctns_norm_fail(ctx, "field \"%s\" is not an object", field);
    }

    if (ctns_json_span_members(v, obj->m, CTNS_NORM_MAX_MEMBERS, &obj->n)
        != 0)
    {
        return ctns_norm_fail(ctx, "object \"%s\" has too many or escaped "
                              "member names", field);
    }

    for (i = 1; i < obj->n; i++) {
        for (j = 0; j < i; j++) {
            if (obj->m[i].key.len == obj->m[j].key.len
                && memcmp(obj->m[i].key.p, obj->m[j].key.p,
                          obj->m[i].key.len) == 0)
            {
                return ctns_norm_fail(ctx, "duplicate member in \"%s\"",
                                      field);
            }
        }
    }

    return CTNS_NORM_OK;
}


static ctns_json_span_t *
ctns_norm_get(ctns_norm_obj_t *obj, const char *name)
{
    size_t  i, len;

    len = strlen(name);

    for (i = 0; i < obj->n; i++) {
        if (obj->m[i].key.len == len
            && memcmp(obj->m[i].key.p, name, len) == 0)
        {
            /* JSON null reads as absent */
            if (obj->m[i].value.len == 4
                && memcmp(obj->m[i].value.p, "null", 4) == 0)
            {
                return NULL;
            }

            return &obj->m[i].value;
        }
    }

    return NULL;
}


/*
 * Ids end up in Redis keys, URLs and log lines: allow only what
 * commercetools ids, keys and type names consist of.
 */

static int
ctns_norm_safe(const char *s, const char *extra)
{
    if (*s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
            || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'
            || strchr(extra, *s) != NULL)
        {
            continue;
        }

        return 0;
    }

    return 1;
}


static int
ctns_norm_str(ctns_norm_ctx_t *ctx, ctns_norm_obj_t *obj, const char *name,
    const char *field, char *dst, size_t size, const char *extra,
    int required)
{
    ctns_json_span_t  *v;

    v = ctns_norm_get(obj, name);

    if (v == NULL) {
        if (required) {
            return ctns_norm_fail(ctx, "missing field \"%s\"", field);
        }

        dst[0] = '\0';
        return CTNS_NORM_OK;
    }

    if (v->p[0] != '"') {
        return ctns_norm_fail(ctx, "field \"%s\" is not a string", field);
    }

    if (ctns_json_str(v, dst, size) != 0) {
        return ctns_norm_fail(ctx, "field \"%s\" is too long", field);
    }

    if (!ctns_norm_safe(dst, extra)) {
        return ctns_norm_fail(ctx, "field \"%s\" has invalid characters",
                              field);
    }

    return CTNS_NORM_OK;
}


static int
ctns_norm_int(ctns_norm_ctx_t *ctx, ctns_norm_obj_t *obj, const char *name,
    int64_t *dst)
{
    ctns_json_span_t  *v;

    v = ctns_norm_get(obj, name);

    if (v == NULL) {
        return ctns_norm_fail(ctx, "missing field \"%s\"", name);
    }

    if (ctns_json_int64(v, dst) != 0 || *dst < 0) {
        return ctns_norm_fail(ctx, "field \"%s\" is not a non-negative "
                              "integer", name);
    }

    return CTNS_NORM_OK;
}


static int
ctns_norm_resource(ctns_norm_ctx_t *ctx, ctns_json_span_t *ref,
    const char *field, ctns_event_t *ev)
{
    char             name[64];
    ctns_norm_obj_t  obj;

    if (ref == NULL) {
        return ctns_norm_fail(ctx, "missing field \"%s\"", field);
    }

    if (ctns_norm_obj(ctx, ref, field, &obj) != CTNS_NORM_OK) {
        return CTNS_NORM_ERROR;
    }

    snprintf(name, sizeof(name), "%s.typeId", field);

    if (ctns_norm_str(ctx, &obj, "typeId", name, ev->rtype,
                      sizeof(ev->rtype), "", 1) != CTNS_NORM_OK)
    {
        return CTNS_NORM_ERROR;
    }

    snprintf(name, sizeof(name), "%s.id", field);

    return ctns_norm_str(ctx, &obj, "id", name, ev->rid, sizeof(ev->rid),
                         "", 1);
}


/* The store of an order Message sits in the embedded order, if any. */

static int
ctns_norm_store(ctns_norm_ctx_t *ctx, ctns_norm_obj_t *root,
    ctns_event_t *ev)
{
    ctns_json_span_t  *order, *store, v;
    ctns_norm_obj_t    obj;

    ev->store[0] = '\0';
    store = NULL;
    order = ctns_norm_get(root, "order");

    if (order != NULL && order->p[0] == '{'
        && ctns_json_span_member(order, "store", &v) == 1)
    {
        store = &v;
    }

    if (store == NULL) {
        store = ctns_norm_get(root, "store");
    }

    if (store == NULL || store->p[0] != '{') {
        return CTNS_NORM_OK;
    }

    if (ctns_norm_obj(ctx, store, "store", &obj) != CTNS_NORM_OK) {
        return CTNS_NORM_ERROR;
    }

    return ctns_norm_str(ctx, &obj, "key", "store.key", ev->store,
                         sizeof(ev->store), "", 0);
}


static int
ctns_norm_message(ctns_norm_ctx_t *ctx, ctns_norm_obj_t *root,
    ctns_event_t *ev)
{
    ctns_json_span_t  *pni;
    ctns_norm_obj_t    obj;

    if (ctns_norm_str(ctx, root, "id", "id", ev->id, sizeof(ev->id), "", 1)
        || ctns_norm_int(ctx, root, "resourceVersion", &ev->rv)
        || ctns_norm_int(ctx, root, "sequenceNumber", &ev->seq)
        || ctns_norm_resource(ctx, ctns_norm_get(root, "resource"),
                              "resource", ev)
        || ctns_norm_str(ctx, root, "createdAt", "createdAt", ev->at,
                         sizeof(ev->at), ".:+", 0)
        || ctns_norm_store(ctx, root, ev))
    {
        return CTNS_NORM_ERROR;
    }

    /* a payload that did not fit the destination names its type here */
    pni = ctns_norm_get(root, "payloadNotIncluded");

    if (ctns_norm_get(root, "type") == NULL && pni != NULL) {
        if (ctns_norm_obj(ctx, pni, "payloadNotIncluded", &obj)
            != CTNS_NORM_OK)
        {
            return CTNS_NORM_ERROR;
        }

        return ctns_norm_str(ctx, &obj, "payloadType",
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
ctns_norm_change(ctns_norm_ctx_t *ctx, ctns_norm_obj_t *root,
    const char *kind, ctns_event_t *ev)
{
    int  n;

    if (ctns_norm_resource(ctx, ctns_norm_get(root, "resource"), "resource",
                           ev)
        || ctns_norm_int(ctx, root, "version", &ev->rv)
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
ctns_norm_event(ctns_norm_ctx_t *ctx, ctns_norm_obj_t *root,
    ctns_event_t *ev)
{
    ctns_json_span_t  *data, *ref;
    ctns_norm_obj_t    obj;

    data = ctns_norm_get(root, "data");

    if (data == NULL) {
        return ctns_norm_fail(ctx, "missing field \"%s\"", "data");
    }

    if (ctns_norm_obj(ctx, data, "data", &obj) != CTNS_NORM_OK) {
        return CTNS_NORM_ERROR;
    }

    ref = ctns_norm_get(&obj, "payment");
    if (ref == NULL) {
        ref = ctns_norm_get(&obj, "order");
    }

    if (ref == NULL) {
        ref = ctns_norm_get(&obj, "cart");
    }

    if (ctns_norm_str(ctx, root, "id", "id", ev->id, sizeof(ev->id), "", 1)
        || ctns_norm_str(ctx, root, "type", "type", ev->type,
                         sizeof(ev->type), "", 1)
        || ctns_norm_str(ctx, &obj, "projectKey", "data.projectKey",
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
ctns_norm_platform(ctns_norm_ctx_t *ctx, ctns_norm_obj_t *root,
    ctns_event_t *ev)
{
    char  nt[32];

    if (ctns_norm_str(ctx, root, "notificationType", "notificationType", nt,
                      sizeof(nt), "", 1) != CTNS_NORM_OK)
    {
        return CTNS_NORM_ERROR;
    }

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
ctns_norm_span(ctns_norm_ctx_t *ctx, ctns_json_span_t *span,
    ctns_event_t *ev, int depth)
{
    ctns_json_span_t  *inner;
    ctns_norm_obj_t    root;

    if (depth > CTNS_NORM_MAX_DEPTH) {
        return ctns_norm_fail(ctx, "%s nested too deep", "envelope");
    }

    if (span->len == 0 || span->p[0] != '{') {
        return ctns_norm_fail(ctx, "%s is not a JSON object", "payload");
    }

    if (ctns_norm_obj(ctx, span, "payload", &root) != CTNS_NORM_OK) {
        return CTNS_NORM_ERROR;
    }

    if (ctns_norm_get(&root, "notificationType") != NULL) {
        ctx->payload = *span;
        return ctns_norm_platform(ctx, &root, ev);
    }

    inner = NULL;

    if (ctns_norm_get(&root, "specversion") != NULL) {
        inner = ctns_norm_get(&root, "data");
        if (inner == NULL) {
            return ctns_norm_fail(ctx, "missing object \"%s\"", "data");
        }

    } else if (ctns_norm_get(&root, "detail-type") != NULL) {
        inner = ctns_norm_get(&root, "detail");
        if (inner == NULL) {
            return ctns_norm_fail(ctx, "missing object \"%s\"", "detail");
        }
    }

    if (inner == NULL) {
        return ctns_norm_fail(ctx, "missing field \"%s\"",
                              "notificationType");
    }

    return ctns_norm_span(ctx, inner, ev, depth + 1);
}


int
ctns_normalize(const char *buf, size_t len, ctns_event_t *ev, char **owned,
    char *err, size_t errlen)
{
    int               rc;
    size_t            off;
    const char       *why;
    ctns_json_span_t  root;
    ctns_norm_ctx_t   ctx;

    *owned = NULL;
    ctx.err = err;
    ctx.errlen = errlen;

    if (ctns_json_check(buf, len, &off, &why) != 0) {
        snprintf(err, errlen, "invalid JSON at byte %zu: %s", off, why);
        return CTNS_NORM_ERROR;
    }

    root.p = buf;
    root.len = len;

    while (root.len && strchr(" \t\r\n", root.p[0]) != NULL) {
        root.p++;
        root.len--;
    }

    while (root.len && strchr(" \t\r\n", root.p[root.len - 1]) != NULL) {
        root.len--;
    }

    rc = ctns_norm_span(&ctx, &root, ev, 0);

    if (rc != CTNS_NORM_ERROR) {
        ev->payload = ctx.payload.p;
        ev->payload_len = ctx.payload.len;
    }

    return rc;
}
