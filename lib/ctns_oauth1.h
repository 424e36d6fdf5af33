/*
 * Copyright (C) ct-netsuite authors
 *
 * OAuth 1.0a request signing as NetSuite Token-Based Authentication wants
 * it: HMAC-SHA256, RFC 3986 percent-encoding, query parameters signed, JSON
 * bodies never signed, realm in the header but not in the signature.
 */

#ifndef _CTNS_OAUTH1_H_INCLUDED_
#define _CTNS_OAUTH1_H_INCLUDED_


#include <stddef.h>


typedef struct {
    const char  *realm;              /* account id, upper case: 1234567_SB1 */
    const char  *consumer_key;
    const char  *consumer_secret;
    const char  *token_id;
    const char  *token_secret;
} ctns_oauth1_creds_t;


/*
 * RFC 3986 unreserved characters kept, every other byte as upper-case %XX.
 * dst must have room for 3 * len + 1 bytes; returns the length written.
 */
size_t ctns_oauth1_encode(char *dst, const char *src, size_t len);

/*
 * The signature base string of a request to url (query string included,
 * exactly as sent).  Returns a malloc()ed string, or NULL on a URL that is
 * not absolute http(s) or on allocation failure.
 */
char *ctns_oauth1_base_string(const ctns_oauth1_creds_t *creds,
    const char *method, const char *url, const char *nonce,
    const char *timestamp);

/*
 * Base64 HMAC-SHA256 signature of base (not percent-encoded) into sig,
 * which must hold 45 bytes.  Returns 0, or -1 on failure.
 */
int ctns_oauth1_sign(const ctns_oauth1_creds_t *creds, const char *base,
    char *sig);

/*
 * The complete "OAuth realm=..." header value (without "Authorization: "),
 * malloc()ed, or NULL.
 */
char *ctns_oauth1_header(const ctns_oauth1_creds_t *creds,
    const char *method, const char *url, const char *nonce,
    const char *timestamp);


#endif /* _CTNS_OAUTH1_H_INCLUDED_ */
