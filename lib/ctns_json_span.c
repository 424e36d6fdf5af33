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


int
ctns_json_span_member(const ctns_json_span_t *obj, const char *key,
    ctns_json_span_t *value)
{
    size_t       klen, n;
    const char  *p, *end, *k, *v;

    end = obj->p + obj->len;
    klen = strlen(key);

    p = ctns_json_ws(obj->p, end);
    if (p == end || *p != '{') {
        return -1;
    }

    p = ctns_json_ws(p + 1, end);
    if (p < end && *p == '}') {
        return 0;
    }

    for ( ;; ) {
        if (p == end || *p != '"') {
            return -1;
        }

        k = p + 1;
        p = ctns_json_string_end(p, end);
        if (p == NULL) {
            return -1;
        }

        n = p - 1 - k;
        if (memchr(k, '\\', n) != NULL) {
            return -1;
        }

        v = ctns_json_ws(p, end);
        if (v == end || *v != ':') {
            return -1;
        }

        v = ctns_json_ws(v + 1, end);
        p = ctns_json_value_end(v, end);
        if (p == NULL || p == v) {
            return -1;
        }

        if (n == klen && memcmp(k, key, klen) == 0) {
            value->p = v;
            value->len = p - v;
            return 1;
        }

        p = ctns_json_ws(p, end);
        if (p < end && *p == '}') {
            return 0;
        }

        if (p == end || *p != ',') {
            return -1;
        }

        p = ctns_json_ws(p + 1, end);
    }
}
