/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ctns_nserror.h"


#define CTNS_NSERROR_EXCERPT  200


static void
ctns_nserror_copy(char *dst, size_t len, const json_t *v)
{
    const char  *s;

    s = json_string_value(v);
    snprintf(dst, len, "%s", s ? s : "");
}


/* A printable excerpt of a body that is not a NetSuite error object. */

static void
ctns_nserror_excerpt(ctns_nserror_t *err, const char *body, size_t len)
{
    size_t  i, n;

    n = len < CTNS_NSERROR_EXCERPT ? len : CTNS_NSERROR_EXCERPT;

    for (i = 0; i < n && i < sizeof(err->detail) - 1; i++) {
        err->detail[i] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
    }

    err->detail[i] = '\0';
}


void
ctns_nserror_parse(ctns_nserror_t *err, int http, const char *body,
    size_t len)
{
    json_t        *root, *d;
    json_error_t   jerr;

    memset(err, 0, sizeof(ctns_nserror_t));
    err->http = http;

    if (body == NULL || len == 0) {
        return;
    }

    root = json_loadb(body, len, 0, &jerr);

    if (!json_is_object(root)) {
        json_decref(root);
        ctns_nserror_excerpt(err, body, len);
        return;
    }

    d = json_array_get(json_object_get(root, "o:errorDetails"), 0);

    if (json_is_object(d)) {
        ctns_nserror_copy(err->code, sizeof(err->code),
                          json_object_get(d, "o:errorCode"));
        ctns_nserror_copy(err->detail, sizeof(err->detail),
                          json_object_get(d, "detail"));
        ctns_nserror_copy(err->path, sizeof(err->path),
                          json_object_get(d, "o:errorPath"));
    }

    if (err->detail[0] == '\0') {
        ctns_nserror_copy(err->detail, sizeof(err->detail),
                          json_object_get(root, "title"));
    }

    /* RFC 6749 token endpoint errors: {"error":"invalid_grant"} */
    if (err->code[0] == '\0') {
        ctns_nserror_copy(err->code, sizeof(err->code),
                          json_object_get(root, "error"));
    }

    /* commercetools: {"statusCode","message","errors":[{"code"}]} */
    if (err->detail[0] == '\0') {
        ctns_nserror_copy(err->detail, sizeof(err->detail),
                          json_object_get(root, "message"));
    }

    if (err->code[0] == '\0') {
        d = json_array_get(json_object_get(root, "errors"), 0);
        ctns_nserror_copy(err->code, sizeof(err->code),
                          json_object_get(d, "code"));
    }

    json_decref(root);
}


ctns_ns_class_e
ctns_nserror_class(const ctns_nserror_t *err)
{
    int  s;

    s = err->http;

    if (s >= 200 && s < 300) {
        return CTNS_NS_OK;
    }

    if (s == 429 || s >= 500 || s == 408) {
        return CTNS_NS_RETRY;
    }

    if (s == 401) {
        return CTNS_NS_AUTH;
    }

    if (s == 404) {
        return CTNS_NS_NOT_FOUND;
    }

    /*
     * The duplicate external id error has no code of its own (USER_ERROR):
     * its text is the only mark, and a wrong match only costs a read.
     */
    if (s == 400 && strcmp(err->code, "USER_ERROR") == 0
        && strstr(err->detail, "already exists") != NULL)
    {
        return CTNS_NS_EXISTS;
    }

    return CTNS_NS_PERMANENT;
}
