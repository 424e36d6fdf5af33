/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "ctns_base64.h"
#include "ctns_jwks.h"


#define CTNS_JWK_KID_MAX     128
#define CTNS_RSA_MIN_BITS    2048
#define CTNS_RSA_MAX_BITS    8192
#define CTNS_RSA_MAX_E_LEN   8


typedef struct {
    char      *kid;
    size_t     kid_len;
    EVP_PKEY  *key;
} ctns_jwk_t;


struct ctns_jwks_s {
    ctns_jwk_t  keys[CTNS_JWKS_MAX_KEYS];
    size_t      n;
};


/* A base64url big-endian integer member ("n", "e") as a BIGNUM. */

static BIGNUM *
ctns_jwk_bignum(json_t *jwk, const char *name, size_t max_bytes,
    ctns_verify_err_t *err)
{
    long              n;
    size_t            len;
    BIGNUM           *bn;
    const char       *s;
    unsigned char    *buf;
    ctns_verify_rc_t  rc;

    rc = CTNS_VERIFY_OK;
    s = ctns_verify_json_str(jwk, name, &len, &rc, err);
    if (s == NULL) {
        if (rc == CTNS_VERIFY_OK) {
            ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                             "RSA key without \"%s\"", name);
        }
        return NULL;
    }

    if (len == 0 || ctns_base64_decoded_len(len) > max_bytes + 3) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "RSA \"%s\" has a bad length", name);
        return NULL;
    }

    buf = malloc(ctns_base64_decoded_len(len));
    if (buf == NULL) {
        ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
        return NULL;
    }

    n = ctns_base64url_decode(buf, (const unsigned char *) s, len);
    if (n <= 0 || memchr(s, '=', len) != NULL) {
        free(buf);
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "RSA \"%s\" is not unpadded base64url", name);
        return NULL;
    }

    bn = BN_bin2bn(buf, (int) n, NULL);
    free(buf);

    if (bn == NULL) {
        ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    return bn;
}


static EVP_PKEY *
ctns_jwk_rsa_key(BIGNUM *n, BIGNUM *e, ctns_verify_err_t *err)
{
    EVP_PKEY        *key;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *ctx;
    OSSL_PARAM_BLD  *bld;

    key = NULL;
    params = NULL;
    ctx = NULL;

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL
        || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "OpenSSL refused the RSA key");
        key = NULL;
    }

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);

    return key;
}


static EVP_PKEY *
ctns_jwk_parse_rsa(json_t *jwk, ctns_verify_err_t *err)
{
    int        bits;
    BIGNUM    *n, *e;
    EVP_PKEY  *key;

    key = NULL;

    n = ctns_jwk_bignum(jwk, "n", CTNS_RSA_MAX_BITS / 8, err);
    e = n ? ctns_jwk_bignum(jwk, "e", CTNS_RSA_MAX_E_LEN, err) : NULL;

    if (n == NULL || e == NULL) {
        goto done;
    }

    bits = BN_num_bits(n);
    if (bits < CTNS_RSA_MIN_BITS || bits > CTNS_RSA_MAX_BITS) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "RSA key of %d bits (%d..%d required)",
                         bits, CTNS_RSA_MIN_BITS, CTNS_RSA_MAX_BITS);
        goto done;
    }

    /* a public exponent is odd and at least 3; 1 would verify anything */
    if (!BN_is_odd(e) || BN_cmp(e, BN_value_one()) <= 0
        || BN_cmp(e, n) >= 0)
    {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "RSA public exponent out of range");
        goto done;
    }

    key = ctns_jwk_rsa_key(n, e, err);

done:

    BN_free(n);
    BN_free(e);

    return key;
}


/* 1: a usable RS256 key, 0: skip it, -1: reject the set. */

static int
ctns_jwk_usable(json_t *jwk, ctns_verify_err_t *err)
{
    const char        *kty, *use, *alg;
    ctns_verify_rc_t   rc;

    if (!json_is_object(jwk)) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED, "key is not an object");
        return -1;
    }

    rc = CTNS_VERIFY_OK;
    kty = ctns_verify_json_str(jwk, "kty", NULL, &rc, err);
    use = ctns_verify_json_str(jwk, "use", NULL, &rc, err);
    alg = ctns_verify_json_str(jwk, "alg", NULL, &rc, err);

    if (rc != CTNS_VERIFY_OK) {
        return -1;
    }

    if (kty == NULL) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED, "key without \"kty\"");
        return -1;
    }

    if (strcmp(kty, "RSA") != 0
        || (use != NULL && strcmp(use, "sig") != 0)
        || (alg != NULL && strcmp(alg, "RS256") != 0))
    {
        return 0;
    }

    return 1;
}


static int
ctns_jwks_add(ctns_jwks_t *set, json_t *jwk, ctns_verify_err_t *err)
{
    size_t             len;
    const char        *kid;
    ctns_jwk_t        *k;
    ctns_verify_rc_t   rc;

    rc = CTNS_VERIFY_OK;
    kid = ctns_verify_json_str(jwk, "kid", &len, &rc, err);
    if (kid == NULL || len == 0 || len > CTNS_JWK_KID_MAX) {
        if (rc == CTNS_VERIFY_OK) {
            ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                             "RSA key without a usable \"kid\"");
        }
        return -1;
    }

    if (ctns_jwks_find(set, kid, len) != NULL) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "duplicate kid \"%.64s\"", kid);
        return -1;
    }

    if (set->n == CTNS_JWKS_MAX_KEYS) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "more than %d keys", CTNS_JWKS_MAX_KEYS);
        return -1;
    }

    k = &set->keys[set->n];

    k->key = ctns_jwk_parse_rsa(jwk, err);
    if (k->key == NULL) {
        return -1;
    }

    k->kid = strndup(kid, len);
    if (k->kid == NULL) {
        EVP_PKEY_free(k->key);
        ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
        return -1;
    }

    k->kid_len = len;
    set->n++;

    return 0;
}


ctns_jwks_t *
ctns_jwks_parse(const char *json, size_t len, ctns_verify_err_t *err)
{
    int           usable;
    size_t        i;
    json_t       *root, *keys;
    ctns_jwks_t  *set;

    if (len > CTNS_JWKS_MAX_BYTES) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "JWKS larger than %d bytes", CTNS_JWKS_MAX_BYTES);
        return NULL;
    }

    root = ctns_verify_json(json, len, "JWKS", err);
    if (root == NULL) {
        return NULL;
    }

    keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "JWKS without a \"keys\" array");
        json_decref(root);
        return NULL;
    }

    set = calloc(1, sizeof(ctns_jwks_t));
    if (set == NULL) {
        ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
        json_decref(root);
        return NULL;
    }

    for (i = 0; i < json_array_size(keys); i++) {
        usable = ctns_jwk_usable(json_array_get(keys, i), err);

        if (usable < 0
            || (usable && ctns_jwks_add(set, json_array_get(keys, i), err)))
        {
            goto failed;
        }
    }

    if (set->n == 0) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "JWKS holds no RSA signing key");
        goto failed;
    }

    json_decref(root);
    return set;

failed:

    json_decref(root);
    ctns_jwks_free(set);
    return NULL;
}


ctns_jwks_t *
ctns_jwks_load(const char *path, ctns_verify_err_t *err)
{
    char         *buf;
    size_t        len;
    ctns_jwks_t  *set;

    if (ctns_verify_read_file(path, CTNS_JWKS_MAX_BYTES, &buf, &len, err)
        != CTNS_VERIFY_OK)
    {
        return NULL;
    }

    set = ctns_jwks_parse(buf, len, err);
    free(buf);

    return set;
}


EVP_PKEY *
ctns_jwks_find(const ctns_jwks_t *set, const char *kid, size_t kid_len)
{
    size_t  i;

    for (i = 0; i < set->n; i++) {
        if (set->keys[i].kid_len == kid_len
            && memcmp(set->keys[i].kid, kid, kid_len) == 0)
        {
            return set->keys[i].key;
        }
    }

    return NULL;
}


size_t
ctns_jwks_count(const ctns_jwks_t *set)
{
    return set->n;
}


void
ctns_jwks_free(ctns_jwks_t *set)
{
    size_t  i;

    if (set == NULL) {
        return;
    }

    for (i = 0; i < set->n; i++) {
        EVP_PKEY_free(set->keys[i].key);
        free(set->keys[i].kid);
    }

    free(set);
}
