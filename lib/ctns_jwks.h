/*
 * Copyright (C) ct-netsuite authors
 *
 * A JSON Web Key Set (RFC 7517) as published by Google for its OIDC tokens,
 * turned into OpenSSL public keys keyed by "kid".  Only RSA signing keys are
 * taken; keys of other types or uses are skipped (Google may add some), but
 * a malformed or weak (< 2048 bit) RSA key, a duplicate kid or a set without
 * any usable key rejects the whole document, so that a bad download never
 * replaces a good file.
 */

#ifndef _CTNS_JWKS_H_INCLUDED_
#define _CTNS_JWKS_H_INCLUDED_


#include <stddef.h>
#include <openssl/evp.h>

#include "ctns_verify.h"


#define CTNS_JWKS_MAX_KEYS   32
#define CTNS_JWKS_MAX_BYTES  (64 * 1024)


typedef struct ctns_jwks_s  ctns_jwks_t;


ctns_jwks_t *ctns_jwks_parse(const char *json, size_t len,
    ctns_verify_err_t *err);
ctns_jwks_t *ctns_jwks_load(const char *path, ctns_verify_err_t *err);

/* The key of that kid, owned by the set; NULL when unknown. */
EVP_PKEY *ctns_jwks_find(const ctns_jwks_t *set, const char *kid,
    size_t kid_len);
size_t ctns_jwks_count(const ctns_jwks_t *set);
void ctns_jwks_free(ctns_jwks_t *set);


#endif /* _CTNS_JWKS_H_INCLUDED_ */
