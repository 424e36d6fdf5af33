/*
 * Copyright (C) ct-netsuite authors
 */


#include <string.h>

#include "ctns_json_span.h"


static const char *
ctns_json_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }

    return p;
}


/* p at the opening quote; returns the byte after the closing one. */

static const char *
ctns_json_string_end(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            p++;
            continue;
        }

        if (*p == '"') {
            return p + 1;
        }
    }

    return NULL;
}


/* The end of the value starting at p, or NULL. */

static const char *
ctns_json_value_end(const char *p, const char *end)
{
    size_t  depth;

    if (p >= end) {
        return NULL;
    }

    if (*p == '"') {
        return ctns_json_string_end(p, end);
    }

    if (*p != '{' && *p != '[') {
        while (p < end && strchr(",]} \t\r\n", *p) == NULL) {
            p++;
        }
        return p;
    }

    depth = 0;

    while (p < end) {
        switch (*p) {

        case '"':
            p = ctns_json_string_end(p, end);
            if (p == NULL) {
                return NULL;
            }
            continue;

        case '{':
        case '[':
            depth++;
            break;

        case '}':
        case ']':
            if (--depth == 0) {
                return p + 1;
            }
            break;
        }

        p++;
    }

    return NULL;
}


int
ctns_json_span_array(const char *json, size_t len, ctns_json_span_t *items,
    size_t max, size_t *n)
{
    const char  *p, *end, *v;

    end = json + len;
    *n = 0;

    p = ctns_json_ws(json, end);
    if (p == end || *p != '[') {
        return -1;
    }

    p = ctns_json_ws(p + 1, end);
    if (p < end && *p == ']') {
        return 0;
    }

    for ( ;; ) {
        v = ctns_json_value_end(p, end);
        if (v == NULL || *n == max) {
            return -1;
        }

        items[*n].p = p;
        items[*n].len = v - p;
        (*n)++;

        p = ctns_json_ws(v, end);
        if (p < end && *p == ']') {
            return 0;
        }

        if (p == end || *p != ',') {
            return -1;
        }

        p = ctns_json_ws(p + 1, end);
    }
}


/*
 * The next member of an object: *pp points at '{' before the first call,
 * after a member before the next ones.  1 with key (the name, without its
 * quotes) and value, 0 at the end of the object, -1 malformed (including
 * a member name written with escapes, which jansson would have decoded:
 * refusing it keeps both views the same).
 */

static int
ctns_json_member_next(const char **pp, const char *end, ctns_json_span_t *key,
    ctns_json_span_t *value)
{
    const char  *p, *k, *v;

    p = ctns_json_ws(*pp, end);

    if (p < end && *p == '{') {
        p = ctns_json_ws(p + 1, end);

        if (p < end && *p == '}') {
            return 0;
        }

    } else if (p < end && *p == ',') {
        p = ctns_json_ws(p + 1, end);

    } else {
        return (p < end && *p == '}') ? 0 : -1;
    }

    if (p == end || *p != '"') {
        return -1;
    }

    k = p + 1;
    p = ctns_json_string_end(p, end);
    if (p == NULL || memchr(k, '\\', p - 1 - k) != NULL) {
        return -1;
    }

    key->p = k;
    key->len = p - 1 - k;

    v = ctns_json_ws(p, end);
    if (v == end || *v != ':') {
        return -1;
    }

    v = ctns_json_ws(v + 1, end);
    p = ctns_json_value_end(v, end);
    if (p == NULL || p == v) {
        return -1;
    }

    value->p = v;
    value->len = p - v;
    *pp = p;

    return 1;
}


int
ctns_json_span_member(const ctns_json_span_t *obj, const char *key,
    ctns_json_span_t *value)
{
    int               rc;
    size_t            klen;
    const char       *p, *end;
    ctns_json_span_t  k, v;

    p = obj->p;
    end = obj->p + obj->len;
    klen = strlen(key);

    while ((rc = ctns_json_member_next(&p, end, &k, &v)) == 1) {
        if (k.len == klen && memcmp(k.p, key, klen) == 0) {
            *value = v;
            return 1;
        }
    }

    return rc;
}


int
ctns_json_span_members(const ctns_json_span_t *obj, ctns_json_member_t *m,
    size_t max, size_t *n)
{
    int          rc;
    const char  *p, *end;

    p = obj->p;
    end = obj->p + obj->len;
    *n = 0;

    while (*n < max
           && (rc = ctns_json_member_next(&p, end, &m[*n].key, &m[*n].value))
              == 1)
    {
        (*n)++;
    }

    if (*n < max) {
        return rc;
    }

    /* full: fine only when the object ends here */
    return ctns_json_member_next(&p, end, &m[0].key, &m[0].value) == 0
           ? 0 : -1;
}
