/*
 * Copyright (C) ct-netsuite authors
 *
 * Stripe-Signature verification: the header is a comma-separated list of
 * key=value items, "t" the Unix time of the attempt and every "v1" a
 * lower-case hex HMAC-SHA256 of "<t>.<raw body>".  The endpoint secret
 * ("whsec_...") is the HMAC key verbatim, NOT base64-decoded.  Several v1
 * values (secret roll) and several configured secrets are accepted: any
 * pair matching verifies.  Schemes other than v1 (v0) are ignored, so a
 * header with only v0 never verifies.
 */

#ifndef _CTNS_STRIPE_SIG_H_INCLUDED_
#define _CTNS_STRIPE_SIG_H_INCLUDED_


#include <stddef.h>
#include <time.h>


#define CTNS_STRIPE_SIG_HEADER_MAX  4096


typedef enum {
    CTNS_STRIPE_SIG_OK = 0,
    CTNS_STRIPE_SIG_MISSING_HEADER,
    CTNS_STRIPE_SIG_MALFORMED,
    CTNS_STRIPE_SIG_BAD_TIMESTAMP,
    CTNS_STRIPE_SIG_TOO_OLD,
    CTNS_STRIPE_SIG_TOO_NEW,
    CTNS_STRIPE_SIG_NO_V1,
    CTNS_STRIPE_SIG_MISMATCH,
    CTNS_STRIPE_SIG_INTERNAL
} ctns_stripe_sig_rc_e;


typedef struct {
    const unsigned char  *data;         /* the whole "whsec_..." string */
    size_t                len;
} ctns_stripe_secret_t;


/*
 * Verifies a delivery whose body may come in several pieces.  tolerance
 * bounds the age of t and, against clock skew, how far t may lie in the
 * future.  On success *matched is the index of the secret that verified.
 */
ctns_stripe_sig_rc_e ctns_stripe_sig_verify(const unsigned char *header,
    size_t header_len, const unsigned char *const *parts,
    const size_t *part_lens, size_t nparts,
    const ctns_stripe_secret_t *secrets, size_t nsecrets, time_t now,
    time_t tolerance, size_t *matched);

const char *ctns_stripe_sig_strerror(ctns_stripe_sig_rc_e rc);

/* The v1 value (64 hex digits + NUL) for tests and tools; 0 or -1. */
int ctns_stripe_sig_sign(const ctns_stripe_secret_t *secret, time_t t,
    const unsigned char *body, size_t len, char out[65]);


#endif /* _CTNS_STRIPE_SIG_H_INCLUDED_ */
