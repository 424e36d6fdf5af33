/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ctns_hmac.h"
#include "ctns_stripe_sig.h"


/* more v1 values than this is not a secret roll but an attack */
#define CTNS_STRIPE_SIG_V1_MAX  8
/* 19 digits keep t within int64_t */
#define CTNS_STRIPE_SIG_T_MAX   19


typedef struct {
    int64_t        t;
    int            has_t;
    size_t         nv1;
    unsigned char  v1[CTNS_STRIPE_SIG_V1_MAX][CTNS_SHA256_LEN];
} ctns_stripe_sig_hdr_t;


static const char  *ctns_stripe_sig_errors[] = {
    "ok",
    "missing Stripe-Signature header",
    "Stripe-Signature is not a list of key=value items",
    "Stripe-Signature t is missing, repeated or not an integer",
    "Stripe-Signature t older than the tolerance",
    "Stripe-Signature t newer than the tolerance",
    "Stripe-Signature has no v1 signature",
    "no v1 signature matches any configured secret",
    "internal error computing HMAC"
};


const char *
ctns_stripe_sig_strerror(ctns_stripe_sig_rc_e rc)
{
    if ((size_t) rc >= sizeof(ctns_stripe_sig_errors) / sizeof(char *)) {
        return "unknown";
    }

    return ctns_stripe_sig_errors[rc];
}


static int
ctns_stripe_sig_nibble(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    /* Stripe writes lower case; anything else is not its signature */
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


static int
ctns_stripe_sig_hex(const unsigned char *p, size_t len,
    unsigned char out[CTNS_SHA256_LEN])
{
    size_t  i;
    int     hi, lo;

    if (len != 2 * CTNS_SHA256_LEN) {
        return -1;
    }

    for (i = 0; i < CTNS_SHA256_LEN; i++) {
        hi = ctns_stripe_sig_nibble(p[2 * i]);
        lo = ctns_stripe_sig_nibble(p[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return -1;
        }

        out[i] = (unsigned char) (hi << 4 | lo);
    }

    return 0;
}


static ctns_stripe_sig_rc_e
ctns_stripe_sig_item(const unsigned char *p, size_t len,
    ctns_stripe_sig_hdr_t *h)
{
    size_t                i;
    const unsigned char  *eq, *v;

    eq = memchr(p, '=', len);
    if (eq == NULL || eq == p) {
        return CTNS_STRIPE_SIG_MALFORMED;
    }

    v = eq + 1;
    len -= v - p;

    if (eq - p == 1 && p[0] == 't') {
        if (h->has_t || len == 0 || len > CTNS_STRIPE_SIG_T_MAX) {
            return CTNS_STRIPE_SIG_BAD_TIMESTAMP;
        }

        h->has_t = 1;
        h->t = 0;

        for (i = 0; i < len; i++) {
            if (v[i] < '0' || v[i] > '9') {
                return CTNS_STRIPE_SIG_BAD_TIMESTAMP;
            }

            h->t = h->t * 10 + (v[i] - '0');
        }

        return CTNS_STRIPE_SIG_OK;
    }

    /* a v1 that is not 64 hex digits cannot match: skipped like v0 */
    if (eq - p == 2 && p[0] == 'v' && p[1] == '1'
        && h->nv1 < CTNS_STRIPE_SIG_V1_MAX
        && ctns_stripe_sig_hex(v, len, h->v1[h->nv1]) == 0)
    {
        h->nv1++;
    }

    return CTNS_STRIPE_SIG_OK;
}


static ctns_stripe_sig_rc_e
ctns_stripe_sig_parse(const unsigned char *p, size_t len,
    ctns_stripe_sig_hdr_t *h)
{
    const unsigned char   *end, *comma, *s, *e;
    ctns_stripe_sig_rc_e   rc;

    memset(h, 0, sizeof(ctns_stripe_sig_hdr_t));
    end = p + len;

    while (p < end) {
        comma = memchr(p, ',', end - p);
        e = comma ? comma : end;

        for (s = p; s < e && (*s == ' ' || *s == '\t'); s++) { /* void */ }
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) { e--; }

        rc = ctns_stripe_sig_item(s, e - s, h);
        if (rc != CTNS_STRIPE_SIG_OK) {
            return rc;
        }

        p = comma ? comma + 1 : end;
    }

    if (!h->has_t) {
        return CTNS_STRIPE_SIG_BAD_TIMESTAMP;
    }

    return h->nv1 ? CTNS_STRIPE_SIG_OK : CTNS_STRIPE_SIG_NO_V1;
}


static int
ctns_stripe_sig_mac(const ctns_stripe_secret_t *secret, int64_t t,
    const unsigned char *const *parts, const size_t *part_lens,
    size_t nparts, unsigned char out[CTNS_SHA256_LEN])
{
    int           rc;
    char          ts[32];
    size_t        i;
    ctns_hmac_t  *h;

    h = ctns_hmac_sha256_new(secret->data, secret->len);
    if (h == NULL) {
        return -1;
    }

    snprintf(ts, sizeof(ts), "%lld.", (long long) t);
    rc = ctns_hmac_update(h, ts, strlen(ts));

    for (i = 0; rc == 0 && i < nparts; i++) {
        rc = ctns_hmac_update(h, parts[i], part_lens[i]);
    }

    if (rc == 0) {
        rc = ctns_hmac_final(h, out);
    }

    ctns_hmac_free(h);

    return rc;
}


ctns_stripe_sig_rc_e
ctns_stripe_sig_verify(const unsigned char *header, size_t header_len,
    const unsigned char *const *parts, const size_t *part_lens,
    size_t nparts, const ctns_stripe_secret_t *secrets, size_t nsecrets,
    time_t now, time_t tolerance, size_t *matched)
{
    size_t                 k, j;
    int                    ok;
    unsigned char          mac[CTNS_SHA256_LEN];
    ctns_stripe_sig_rc_e   rc;
    ctns_stripe_sig_hdr_t  h;

    if (header == NULL || header_len == 0) {
        return CTNS_STRIPE_SIG_MISSING_HEADER;
    }

    if (header_len > CTNS_STRIPE_SIG_HEADER_MAX) {
        return CTNS_STRIPE_SIG_MALFORMED;
    }

    rc = ctns_stripe_sig_parse(header, header_len, &h);
    if (rc != CTNS_STRIPE_SIG_OK) {
        return rc;
    }

    if (h.t < (int64_t) now - (int64_t) tolerance) {
        return CTNS_STRIPE_SIG_TOO_OLD;
    }

    if (h.t > (int64_t) now + (int64_t) tolerance) {
        return CTNS_STRIPE_SIG_TOO_NEW;
    }

    for (k = 0; k < nsecrets; k++) {
        if (ctns_stripe_sig_mac(&secrets[k], h.t, parts, part_lens, nparts,
                                mac) != 0)
        {
            return CTNS_STRIPE_SIG_INTERNAL;
        }

        /* every value is compared: the time taken says nothing */
        ok = 0;
        for (j = 0; j < h.nv1; j++) {
            ok |= CRYPTO_memcmp(mac, h.v1[j], CTNS_SHA256_LEN) == 0;
        }

        if (ok) {
            if (matched) {
                *matched = k;
            }

            return CTNS_STRIPE_SIG_OK;
        }
    }

    return CTNS_STRIPE_SIG_MISMATCH;
}


int
ctns_stripe_sig_sign(const ctns_stripe_secret_t *secret, time_t t,
    const unsigned char *body, size_t len, char out[65])
{
    size_t          i;
    unsigned char   mac[CTNS_SHA256_LEN];
    static const char  hex[] = "0123456789abcdef";

    if (ctns_stripe_sig_mac(secret, (int64_t) t, &body, &len, 1, mac) != 0) {
        return -1;
    }

    for (i = 0; i < CTNS_SHA256_LEN; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 0x0f];
    }

    out[64] = '\0';

    return 0;
}
