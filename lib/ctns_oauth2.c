/*
 * Copyright (C) ct-netsuite authors
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "ctns_base64.h"
#include "ctns_oauth2.h"


/* JSON string body of s (no quotes) into dst of 6 * strlen(s) + 1 bytes. */

static void
ctns_json_escape(char *dst, const char *s)
{
    unsigned char  c;

    for ( /* void */ ; *s; s++) {
        c = (unsigned char) *s;

        if (c == '"' || c == '\\') {
            *dst++ = '\\';
            *dst++ = (char) c;

        } else if (c < 0x20) {
            dst += sprintf(dst, "\\u%04x", c);

        } else {
            *dst++ = (char) c;
        }
    }

    *dst = '\0';
}


static char *
ctns_json_escape_dup(const char *s)
{
    char  *d;

    d = malloc(6 * strlen(s) + 1);
    if (d != NULL) {
        ctns_json_escape(d, s);
    }

    return d;
}


int
ctns_oauth2_alg_supported(const char *alg)
{
    return (strcmp(alg, "PS256") == 0 || strcmp(alg, "ES256") == 0) ? 0 : -1;
}


char *
ctns_oauth2_signing_input(const ctns_oauth2_claims_t *c)
{
    char    *kid, *iss, *aud, *hdr, *pl, *out;
    size_t   hlen, plen, n;

    kid = ctns_json_escape_dup(c->kid);
    iss = ctns_json_escape_dup(c->iss);
    aud = ctns_json_escape_dup(c->aud);

    hdr = NULL;
    pl = NULL;
    out = NULL;

    if (kid == NULL || iss == NULL || aud == NULL) {
        goto done;
    }

    hlen = strlen(kid) + 64;
    plen = strlen(iss) + strlen(aud) + 160;

    hdr = malloc(hlen);
    pl = malloc(plen);
    if (hdr == NULL || pl == NULL) {
        goto done;
    }

    hlen = snprintf(hdr, hlen,
                    "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                    c->alg, kid);

    plen = snprintf(pl, plen, "{\"iss\":\"%s\",\"scope\":[\"restlets\","
                    "\"rest_webservices\"],\"aud\":\"%s\",\"iat\":%" PRId64
                    ",\"exp\":%" PRId64 "}", iss, aud, c->iat, c->exp);

    out = malloc(ctns_base64_encoded_len(hlen)
                 + ctns_base64_encoded_len(plen) + 2);
    if (out == NULL) {
        goto done;
    }

    n = ctns_base64url_encode((unsigned char *) out,
                              (unsigned char *) hdr, hlen);
    out[n++] = '.';
    n += ctns_base64url_encode((unsigned char *) out + n,
                               (unsigned char *) pl, plen);
    out[n] = '\0';

done:

    free(kid);
    free(iss);
    free(aud);
    free(hdr);
    free(pl);

    return out;
}


/* DER ECDSA-Sig-Value into the fixed-width r||s JWS form (64 bytes). */

static int
ctns_ecdsa_der_to_raw(const unsigned char *der, size_t len,
    unsigned char *raw)
{
    const unsigned char  *p;
    const BIGNUM         *r, *s;
    ECDSA_SIG            *sig;
    int                   rc;

    p = der;
    sig = d2i_ECDSA_SIG(NULL, &p, (long) len);
    if (sig == NULL) {
        return -1;
    }

    ECDSA_SIG_get0(sig, &r, &s);

    rc = (BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32)
          == 32) ? 0 : -1;

    ECDSA_SIG_free(sig);

    return rc;
}


static int
ctns_oauth2_check_key(const char *alg, EVP_PKEY *pkey, char *err,
    size_t errlen)
{
    if (ctns_oauth2_alg_supported(alg) != 0) {
        snprintf(err, errlen, "algorithm \"%s\" not supported: NetSuite "
                 "accepts PS256 or ES256 (RS256 is rejected)", alg);
        return -1;
    }

    if (alg[0] == 'P' && !EVP_PKEY_is_a(pkey, "RSA")) {
        snprintf(err, errlen, "PS256 needs an RSA private key");
        return -1;
    }

    if (alg[0] == 'P' && EVP_PKEY_get_bits(pkey) < 3072) {
        snprintf(err, errlen, "NetSuite needs RSA keys of 3072 or 4096 bits");
        return -1;
    }

    if (alg[0] == 'E'
        && (!EVP_PKEY_is_a(pkey, "EC") || EVP_PKEY_get_bits(pkey) != 256))
    {
        snprintf(err, errlen, "ES256 needs a P-256 EC private key");
        return -1;
    }

    return 0;
}


char *
ctns_oauth2_assertion(const ctns_oauth2_claims_t *c, EVP_PKEY *pkey,
    char *err, size_t errlen)
{
    char           *input, *jws;
    size_t          ilen, slen, n;
    unsigned char  *sig, raw[64];
    EVP_MD_CTX     *md;
    EVP_PKEY_CTX   *pctx;

    if (ctns_oauth2_check_key(c->alg, pkey, err, errlen) != 0) {
        return NULL;
    }

    input = ctns_oauth2_signing_input(c);
    if (input == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    ilen = strlen(input);
    jws = NULL;
    sig = NULL;

    md = EVP_MD_CTX_new();
    if (md == NULL
        || EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, pkey) != 1
        || (c->alg[0] == 'P'
            && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
                || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                                    RSA_PSS_SALTLEN_DIGEST)
                   != 1))
        || EVP_DigestSign(md, NULL, &slen, (unsigned char *) input, ilen)
           != 1)
    {
        snprintf(err, errlen, "cannot set up %s signing", c->alg);
        goto done;
    }

    sig = malloc(slen);
    if (sig == NULL
        || EVP_DigestSign(md, sig, &slen, (unsigned char *) input, ilen) != 1)
    {
        snprintf(err, errlen, "%s signing failed", c->alg);
        goto done;
    }

    if (c->alg[0] == 'E') {
        if (ctns_ecdsa_der_to_raw(sig, slen, raw) != 0) {
            snprintf(err, errlen, "bad ECDSA signature");
            goto done;
        }

        memcpy(sig, raw, 64);
        slen = 64;
    }

    jws = malloc(ilen + ctns_base64_encoded_len(slen) + 2);
    if (jws == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    memcpy(jws, input, ilen);
    jws[ilen] = '.';
    n = ctns_base64url_encode((unsigned char *) jws + ilen + 1, sig, slen);
    jws[ilen + 1 + n] = '\0';

done:

    EVP_MD_CTX_free(md);
    free(sig);
    free(input);

    return jws;
}
