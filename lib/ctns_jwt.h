/*
 * Copyright (C) ct-netsuite authors
 *
 * Google-signed OIDC ID tokens as Pub/Sub push subscriptions present them
 * (Authorization: Bearer <JWT>).  The algorithm is pinned to RS256 by this
 * code, never taken from the token: "none", HS* (the key-confusion attack
 * with the public key as HMAC secret) and anything else are rejected before
 * a key is looked at.  Claims are checked only after the signature holds.
 */

#ifndef _CTNS_JWT_H_INCLUDED_
#define _CTNS_JWT_H_INCLUDED_


#include <stddef.h>
#include <time.h>

#include "ctns_jwks.h"
#include "ctns_verify.h"


#define CTNS_JWT_MAX_LEN  4096


typedef struct {
    const char  *const *audiences;   /* the token's aud must be one of them */
    size_t              n_audiences;
    const char         *email;       /* NULL: any; else also email_verified */
    long                skew;        /* seconds, both directions */
    long                max_lifetime; /* exp - iat cap in seconds, 0: none */
} ctns_jwt_conf_t;


/*
 * The token from an Authorization header value: scheme "Bearer" in any
 * case, one space, the token; NULL when the value is not of that form.
 */
const char *ctns_jwt_from_authorization(const char *value, size_t len,
    size_t *token_len);

/* now is injected so that tests and the module share one clock rule. */
ctns_verify_rc_t ctns_jwt_verify(const ctns_jwt_conf_t *conf,
    const ctns_jwks_t *keys, const char *token, size_t len, time_t now,
    ctns_verify_err_t *err);


#endif /* _CTNS_JWT_H_INCLUDED_ */
