/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: an Authorization header value through the Bearer parser and
 * the RS256 verifier, against the TEST-ONLY JWKS (cwd t/fixtures).
 */

#include <stdio.h>
#include <stdlib.h>

#include "ctns_jwt.h"


static ctns_jwks_t  *keys;

static const char   *audiences[] = { "https://hooks.example.com/ct" };

static const ctns_jwt_conf_t  conf = {
    audiences, 1, "ct-push-invoker@example-project.iam.gserviceaccount.com",
    300, 3900
};


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ctns_verify_err_t  err;

    keys = ctns_jwks_load("signatures/jwks.json", &err);
    if (keys == NULL) {
        fprintf(stderr, "fuzz_jwt: %s (run from t/fixtures)\n", err.reason);
        abort();
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    size_t             len;
    const char        *tok;
    ctns_verify_err_t  err;

    tok = ctns_jwt_from_authorization((const char *) data, size, &len);
    if (tok == NULL) {
        tok = (const char *) data;
        len = size;
    }

    ctns_jwt_verify(&conf, keys, tok, len, 1782901222, &err);

    return 0;
}
