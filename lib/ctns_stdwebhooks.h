/*
 * Copyright (C) ct-netsuite authors
 *
 * Standard Webhooks v1 (symmetric): HMAC-SHA256 over
 * "<webhook-id>.<webhook-timestamp>.<body>", keys "whsec_<base64>", the
 * signature header a space-separated list of "v1,<base64>" entries.  Any v1
 * entry matching any configured key verifies (key rotation).
 */

#ifndef _CTNS_STDWEBHOOKS_H_INCLUDED_
#define _CTNS_STDWEBHOOKS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <time.h>


#define CTNS_HMAC_KEY_MAX  64


typedef struct {
    unsigned char  data[CTNS_HMAC_KEY_MAX];
    size_t         len;
} ctns_hmac_key_t;


typedef enum {
    CTNS_STDWH_OK = 0,
    CTNS_STDWH_MISSING_HEADER,
    CTNS_STDWH_BAD_ID,
    CTNS_STDWH_BAD_TIMESTAMP,
    CTNS_STDWH_TOO_OLD,
    CTNS_STDWH_TOO_NEW,
    CTNS_STDWH_NO_V1,
    CTNS_STDWH_MISMATCH,
    CTNS_STDWH_INTERNAL
} ctns_stdwh_rc_e;


typedef struct {
    const unsigned char  *id;
    size_t                id_len;
    const unsigned char  *timestamp;
    size_t                timestamp_len;
    const unsigned char  *signature;
    size_t                signature_len;
} ctns_stdwh_headers_t;


/* "whsec_<base64>" (or bare base64) -> key; -1 when malformed. */
int ctns_stdwh_parse_secret(const char *s, size_t len, ctns_hmac_key_t *key);

/*
 * Verifies a delivery; the body may come in several pieces (nginx buffers).
 * On success *matched is the index of the key that verified.
 */
ctns_stdwh_rc_e ctns_stdwh_verify(const ctns_stdwh_headers_t *h,
    const unsigned char *const *parts, const size_t *part_lens,
    size_t nparts, const ctns_hmac_key_t *keys, size_t nkeys,
    time_t now, time_t tolerance, size_t *matched);

const char *ctns_stdwh_strerror(ctns_stdwh_rc_e rc);

/* Computes the v1 signature value (base64, 44 bytes) for tests and tools. */
int ctns_stdwh_sign(const ctns_hmac_key_t *key, const char *id,
    const char *timestamp, const unsigned char *body, size_t len,
    char out[45]);


#endif /* _CTNS_STDWEBHOOKS_H_INCLUDED_ */
