/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: a JWKS document, as ctns-keys validates a download and the
 * module loads the file.
 */

#include "ctns_jwks.h"


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    ctns_jwks_t        *set;
    ctns_verify_err_t   err;

    set = ctns_jwks_parse((const char *) data, size, &err);
    if (set != NULL) {
        (void) ctns_jwks_find(set, "test-key-1", 10);
        ctns_jwks_free(set);
    }

    return 0;
}
