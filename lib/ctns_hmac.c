/*
 * Copyright (C) ct-netsuite authors
 */


#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ctns_hmac.h"


struct ctns_hmac_s {
    EVP_MAC_CTX  *ctx;
};


/* Fetched once per process: EVP_MAC_fetch() walks the provider tables. */
static EVP_MAC  *ctns_hmac_mac;


ctns_hmac_t *
ctns_hmac_sha256_new(const unsigned char *key, size_t len)
{
    char          digest[] = "SHA256";
    OSSL_PARAM    params[2];
    ctns_hmac_t  *h;

    if (ctns_hmac_mac == NULL) {
        ctns_hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (ctns_hmac_mac == NULL) {
            return NULL;
        }
    }

    h = OPENSSL_zalloc(sizeof(ctns_hmac_t));
    if (h == NULL) {
        return NULL;
    }

    h->ctx = EVP_MAC_CTX_new(ctns_hmac_mac);
    if (h->ctx == NULL) {
        OPENSSL_free(h);
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 digest, 0);
    params[1] = OSSL_PARAM_construct_end();

    if (!EVP_MAC_init(h->ctx, key, len, params)) {
        ctns_hmac_free(h);
        return NULL;
    }

    return h;
}


int
ctns_hmac_update(ctns_hmac_t *h, const void *data, size_t len)
{
    return EVP_MAC_update(h->ctx, data, len) ? 0 : -1;
}


int
ctns_hmac_final(ctns_hmac_t *h, unsigned char out[CTNS_SHA256_LEN])
{
    size_t  n;

    if (!EVP_MAC_final(h->ctx, out, &n, CTNS_SHA256_LEN)
        || n != CTNS_SHA256_LEN)
    {
        return -1;
    }

    return 0;
}


void
ctns_hmac_free(ctns_hmac_t *h)
{
    if (h) {
        EVP_MAC_CTX_free(h->ctx);
        OPENSSL_free(h);
    }
}


void
ctns_hmac_cleanup(void)
{
    EVP_MAC_free(ctns_hmac_mac);
    ctns_hmac_mac = NULL;
}


int
ctns_hmac_sha256(const unsigned char *key, size_t klen, const void *data,
    size_t len, unsigned char out[CTNS_SHA256_LEN])
{
    int           rc;
    ctns_hmac_t  *h;

    h = ctns_hmac_sha256_new(key, klen);
    if (h == NULL) {
        return -1;
    }

    rc = ctns_hmac_update(h, data, len);
    if (rc == 0) {
        rc = ctns_hmac_final(h, out);
    }

    ctns_hmac_free(h);

    return rc;
}
