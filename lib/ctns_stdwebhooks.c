/*
 * Copyright (C) ct-netsuite authors
 */


#include <string.h>

#include <openssl/crypto.h>

#include "ctns_base64.h"
#include "ctns_hmac.h"
#include "ctns_stdwebhooks.h"


#define CTNS_STDWH_ID_MAX  256


static const char  *ctns_stdwh_errors[] = {
    "ok",
    "missing webhook-id, webhook-timestamp or webhook-signature header",
    "webhook-id empty, too long or containing '.'",
    "webhook-timestamp is not an integer",
    "webhook-timestamp older than the tolerance",
    "webhook-timestamp newer than the tolerance",
    "webhook-signature has no v1 entry",
    "no v1 signature matches any configured secret",
    "internal error computing HMAC"
};


const char *
ctns_stdwh_strerror(ctns_stdwh_rc_e rc)
{
    if ((size_t) rc >= sizeof(ctns_stdwh_errors) / sizeof(char *)) {
        return "unknown";
    }

    return ctns_stdwh_errors[rc];
}


int
ctns_stdwh_parse_secret(const char *s, size_t len, ctns_hmac_key_t *key)
{
    long           n;
    unsigned char  buf[ctns_base64_decoded_len(CTNS_HMAC_KEY_MAX * 2)];

    if (len > 6 && memcmp(s, "whsec_", 6) == 0) {
        s += 6;
        len -= 6;
    }

    if (len == 0 || ctns_base64_decoded_len(len) > sizeof(buf)) {
        return -1;
    }

    n = ctns_base64_decode(buf, (const unsigned char *) s, len);

    /* Standard Webhooks secrets are 24..64 random bytes; allow 16. */
    if (n < 16 || n > CTNS_HMAC_KEY_MAX) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return -1;
    }

    memcpy(key->data, buf, n);
    key->len = n;
    OPENSSL_cleanse(buf, sizeof(buf));

    return 0;
}


static int
ctns_stdwh_parse_time(const unsigned char *p, size_t len, time_t *t)
{
    size_t     i;
    long long  v;

    if (len == 0 || len > 12) {
        return -1;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        v = v * 10 + (p[i] - '0');
    }

    *t = (time_t) v;

    return 0;
}


static int
ctns_stdwh_mac(const ctns_hmac_key_t *key, const ctns_stdwh_headers_t *h,
    const unsigned char *const *parts, const size_t *part_lens,
    size_t nparts, unsigned char mac[CTNS_SHA256_LEN])
{
    int           rc;
    size_t        i;
    ctns_hmac_t  *ctx;

    ctx = ctns_hmac_sha256_new(key->data, key->len);
    if (ctx == NULL) {
        return -1;
    }

    rc = ctns_hmac_update(ctx, h->id, h->id_len);
    rc |= ctns_hmac_update(ctx, ".", 1);
    rc |= ctns_hmac_update(ctx, h->timestamp, h->timestamp_len);
    rc |= ctns_hmac_update(ctx, ".", 1);

    for (i = 0; i < nparts; i++) {
        rc |= ctns_hmac_update(ctx, parts[i], part_lens[i]);
    }

    if (rc == 0) {
        rc = ctns_hmac_final(ctx, mac);
    }

    ctns_hmac_free(ctx);

    return rc;
}


/*
 * Decodes the v1 entries of the signature header into sigs (at most max);
 * entries of other versions (v1a, future ones) are ignored as the spec says.
 */

static size_t
ctns_stdwh_entries(const ctns_stdwh_headers_t *h,
    unsigned char sigs[][CTNS_SHA256_LEN], size_t max)
{
    long                  n;
    size_t                count, len;
    const unsigned char  *p, *end, *tok;
    unsigned char         buf[ctns_base64_decoded_len(64)];

    p = h->signature;
    end = p + h->signature_len;
    count = 0;

    while (p < end && count < max) {
        while (p < end && *p == ' ') {
            p++;
        }

        tok = p;

        while (p < end && *p != ' ') {
            p++;
        }

        len = p - tok;

        if (len < 4 || len > 3 + 64 || memcmp(tok, "v1,", 3) != 0) {
            continue;
        }

        n = ctns_base64_decode(buf, tok + 3, len - 3);
        if (n != CTNS_SHA256_LEN) {
            continue;
        }

        memcpy(sigs[count++], buf, CTNS_SHA256_LEN);
    }

    return count;
}


#define CTNS_STDWH_MAX_ENTRIES  8


ctns_stdwh_rc_e
ctns_stdwh_verify(const ctns_stdwh_headers_t *h,
    const unsigned char *const *parts, const size_t *part_lens,
    size_t nparts, const ctns_hmac_key_t *keys, size_t nkeys,
    time_t now, time_t tolerance, size_t *matched)
{
    int            ok;
    time_t         ts;
    size_t         k, i, nsigs;
    unsigned char  mac[CTNS_SHA256_LEN];
    unsigned char  sigs[CTNS_STDWH_MAX_ENTRIES][CTNS_SHA256_LEN];

    if (h->id == NULL || h->timestamp == NULL || h->signature == NULL) {
        return CTNS_STDWH_MISSING_HEADER;
    }

    if (h->id_len == 0 || h->id_len > CTNS_STDWH_ID_MAX
        || memchr(h->id, '.', h->id_len) != NULL)
    {
        return CTNS_STDWH_BAD_ID;
    }

    if (ctns_stdwh_parse_time(h->timestamp, h->timestamp_len, &ts) != 0) {
        return CTNS_STDWH_BAD_TIMESTAMP;
    }

    if (ts < now - tolerance) {
        return CTNS_STDWH_TOO_OLD;
    }

    if (ts > now + tolerance) {
        return CTNS_STDWH_TOO_NEW;
    }

    nsigs = ctns_stdwh_entries(h, sigs, CTNS_STDWH_MAX_ENTRIES);
    if (nsigs == 0) {
        return CTNS_STDWH_NO_V1;
    }

    for (k = 0; k < nkeys; k++) {
        if (ctns_stdwh_mac(&keys[k], h, parts, part_lens, nparts, mac) != 0) {
            return CTNS_STDWH_INTERNAL;
        }

        ok = 0;

        /* every entry is compared, in constant time, whatever matched */
        for (i = 0; i < nsigs; i++) {
            ok |= CRYPTO_memcmp(mac, sigs[i], CTNS_SHA256_LEN) == 0;
        }

        if (ok) {
            *matched = k;
            return CTNS_STDWH_OK;
        }
    }

    return CTNS_STDWH_MISMATCH;
}


int
ctns_stdwh_sign(const ctns_hmac_key_t *key, const char *id,
    const char *timestamp, const unsigned char *body, size_t len,
    char out[45])
{
    size_t                n;
    unsigned char         mac[CTNS_SHA256_LEN];
    ctns_stdwh_headers_t  h;

    h.id = (const unsigned char *) id;
    h.id_len = strlen(id);
    h.timestamp = (const unsigned char *) timestamp;
    h.timestamp_len = strlen(timestamp);

    if (ctns_stdwh_mac(key, &h, &body, &len, 1, mac) != 0) {
        return -1;
    }

    n = ctns_base64_encode((unsigned char *) out, mac, CTNS_SHA256_LEN);
    out[n] = '\0';

    return 0;
}
