/*
 * Copyright (C) ct-netsuite authors
 *
 * The client assertion of NetSuite's OAuth 2.0 client credentials (M2M)
 * flow: a JWT signed PS256 (RSA-PSS) or ES256 (raw r||s, RFC 7518 3.4),
 * with the certificate id of the M2M setup as kid.  NetSuite rejects RS256.
 */

#ifndef _CTNS_OAUTH2_H_INCLUDED_
#define _CTNS_OAUTH2_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>


typedef struct {
    const char  *alg;                /* "PS256" or "ES256" */
    const char  *kid;                /* certificate id */
    const char  *iss;                /* client id */
    const char  *aud;                /* token endpoint URL */
    int64_t      iat;
    int64_t      exp;
} ctns_oauth2_claims_t;


/* base64url(header) "." base64url(payload), malloc()ed, or NULL. */
char *ctns_oauth2_signing_input(const ctns_oauth2_claims_t *c);

/*
 * The signed compact JWT, malloc()ed; NULL with a reason in err when the
 * algorithm is not PS256/ES256, the key does not fit it, or signing fails.
 */
char *ctns_oauth2_assertion(const ctns_oauth2_claims_t *c, EVP_PKEY *pkey,
    char *err, size_t errlen);

/* 0 when alg is one the worker signs with (PS256, ES256), else -1. */
int ctns_oauth2_alg_supported(const char *alg);


#endif /* _CTNS_OAUTH2_H_INCLUDED_ */
