/*
 * Copyright (C) ct-netsuite authors
 *
 * What every delivery verifier in lib/ shares: one result code that maps
 * onto the module's answers, a short precise reason for error.log (never
 * for the caller, never holding a secret), strict JSON parsing and the
 * RSASSA-PKCS1-v1_5 check that SNS and JWT RS256 both use.
 */

#ifndef _CTNS_VERIFY_H_INCLUDED_
#define _CTNS_VERIFY_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>
#include <openssl/evp.h>


typedef enum {
    CTNS_VERIFY_OK = 0,
    CTNS_VERIFY_MALFORMED,        /* the input does not parse: 400 */
    CTNS_VERIFY_DENIED,           /* authentication failed: 401 */
    CTNS_VERIFY_NOKEY,            /* well-formed, key not cached yet: 503 */
    CTNS_VERIFY_ERROR             /* out of memory, library failure: 500 */
} ctns_verify_rc_t;


#define CTNS_VERIFY_REASON_LEN  160


typedef struct {
    char  reason[CTNS_VERIFY_REASON_LEN];
} ctns_verify_err_t;


/*
 * Records the reason (printf style; bytes outside printable ASCII become
 * '?', because parts of it come from the request) and returns rc.  err may
 * be NULL.
 */
ctns_verify_rc_t ctns_verify_fail(ctns_verify_err_t *err, ctns_verify_rc_t rc,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parses one JSON document: UTF-8, no duplicate keys, nothing after it. */
json_t *ctns_verify_json(const char *buf, size_t len, const char *what,
    ctns_verify_err_t *err);

/*
 * A string member of obj: NULL when absent or JSON null, *rc set to
 * CTNS_VERIFY_MALFORMED (and err filled) when present but not a string.
 */
const char *ctns_verify_json_str(json_t *obj, const char *key, size_t *len,
    ctns_verify_rc_t *rc, ctns_verify_err_t *err);

/* RSASSA-PKCS1-v1_5 over data with md; OK only when OpenSSL says 1. */
ctns_verify_rc_t ctns_verify_rsa(EVP_PKEY *key, const EVP_MD *md,
    const unsigned char *data, size_t len, const unsigned char *sig,
    size_t sig_len, ctns_verify_err_t *err);

/*
 * Reads a whole small file (at most max bytes) into a malloc'd buffer,
 * NUL-terminated; a missing file is CTNS_VERIFY_NOKEY.
 */
ctns_verify_rc_t ctns_verify_read_file(const char *path, size_t max,
    char **buf, size_t *len, ctns_verify_err_t *err);


#endif /* _CTNS_VERIFY_H_INCLUDED_ */
