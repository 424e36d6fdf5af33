/*
 * Copyright (C) ct-netsuite authors
 *
 * Incremental HMAC-SHA256 over OpenSSL 3's EVP_MAC (the HMAC_CTX API is
 * deprecated).  Shared by every HMAC scheme: Standard Webhooks, Stripe,
 * Adyen, OAuth 1.0a.
 */

#ifndef _CTNS_HMAC_H_INCLUDED_
#define _CTNS_HMAC_H_INCLUDED_


#include <stddef.h>


#define CTNS_SHA256_LEN  32


typedef struct ctns_hmac_s  ctns_hmac_t;


ctns_hmac_t *ctns_hmac_sha256_new(const unsigned char *key, size_t len);
int ctns_hmac_update(ctns_hmac_t *h, const void *data, size_t len);
int ctns_hmac_final(ctns_hmac_t *h, unsigned char out[CTNS_SHA256_LEN]);
void ctns_hmac_free(ctns_hmac_t *h);

/* Releases the per-process EVP_MAC (before a dlclose() at exit). */
void ctns_hmac_cleanup(void);

/* One-shot. */
int ctns_hmac_sha256(const unsigned char *key, size_t klen, const void *data,
    size_t len, unsigned char out[CTNS_SHA256_LEN]);


#endif /* _CTNS_HMAC_H_INCLUDED_ */
