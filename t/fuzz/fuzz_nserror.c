/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: a NetSuite response body (JSON error document, HTML from an
 * edge proxy, or garbage) with the HTTP status taken from the first two
 * bytes.  Every field must come back NUL-terminated and the class must
 * follow the status: 2xx OK, 429/5xx RETRY, 401 AUTH.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_nserror.h"


#define CHECK(cond)                                                          \
    if (!(cond)) {                                                           \
        fprintf(stderr, "fuzz_nserror: %s (line %d)\n", #cond, __LINE__);    \
        abort();                                                             \
    }


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int              http;
    ctns_nserror_t   err;
    ctns_ns_class_e  cls;

    if (size < 2) {
        return 0;
    }

    /* 100..611: every status NetSuite or a proxy could answer, and some */
    http = 100 + ((data[0] << 8 | data[1]) % 512);

    memset(&err, 0x5a, sizeof(err));
    ctns_nserror_parse(&err, http, (const char *) data + 2, size - 2);

    CHECK(err.http == http);
    CHECK(memchr(err.code, '\0', sizeof(err.code)) != NULL);
    CHECK(memchr(err.detail, '\0', sizeof(err.detail)) != NULL);
    CHECK(memchr(err.path, '\0', sizeof(err.path)) != NULL);

    cls = ctns_nserror_class(&err);

    if (http >= 200 && http < 300) {
        CHECK(cls == CTNS_NS_OK);
    }

    if (http == 429 || (http >= 500 && http < 600)) {
        CHECK(cls == CTNS_NS_RETRY);
    }

    if (http == 401) {
        CHECK(cls == CTNS_NS_AUTH);
    }

    if (cls == CTNS_NS_EXISTS) {
        CHECK(http == 400 && strstr(err.detail, "already exists") != NULL);
    }

    /* a body may not be given at all */
    memset(&err, 0x5a, sizeof(err));
    ctns_nserror_parse(&err, http, NULL, 0);
    CHECK(memchr(err.detail, '\0', sizeof(err.detail)) != NULL);
    CHECK(err.code[0] == '\0');

    return 0;
}
