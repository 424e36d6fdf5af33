/*
 * Copyright (C) ct-netsuite authors
 */


#include <string.h>
#include <strings.h>
#include <openssl/evp.h>

#include "ctns_base64.h"
#include "ctns_jwt.h"


/* 9999-12-31T23:59:59Z: keeps "exp + skew" far from overflowing */
#define CTNS_JWT_TIME_MAX  253402300799LL
#define CTNS_JWT_SIG_MAX   1024


typedef struct {
    const char  *p;
    size_t       len;
} ctns_jwt_seg_t;


static const char  *ctns_jwt_issuers[] = {
    "https://accounts.google.com",
    "accounts.google.com",
};


const char *
ctns_jwt_from_authorization(const char *value, size_t len, size_t *token_len)
{
    if (len <= 7 || strncasecmp(value, "Bearer ", 7) != 0
        || value[7] == ' ')
    {
        return NULL;
    }

    *token_len = len - 7;
    return value + 7;
}


/* Unpadded base64url only: '=', '+', '/' and whitespace are refused. */

static long
ctns_jwt_decode(unsigned char *dst, const ctns_jwt_seg_t *seg)
{
    if (seg->len == 0 || memchr(seg->p, '=', seg->len) != NULL) {
        return -1;
    }

    return ctns_base64url_decode(dst, (const unsigned char *) seg->p,
                                 seg->len);
}


static json_t *
ctns_jwt_json(const ctns_jwt_seg_t *seg, unsigned char *buf, const char *what,
    ctns_verify_err_t *err)
{
    long     n;
    json_t  *obj;

    n = ctns_jwt_decode(buf, seg);
    if (n < 0) {
        ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                         "JWT %s is not unpadded base64url", what);
        return NULL;
    }

    obj = ctns_verify_json((const char *) buf, (size_t) n, what, err);
    if (obj == NULL) {
        return NULL;
    }

    if (!json_is_object(obj)) {
        json_decref(obj);
        ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                         "JWT %s is not an object", what);
        return NULL;
    }

    return obj;
}


static ctns_verify_rc_t
ctns_jwt_split(const char *token, size_t len, ctns_jwt_seg_t seg[3],
    ctns_verify_err_t *err)
{
    size_t       i, n;
    const char  *start;

    if (len == 0 || len > CTNS_JWT_MAX_LEN) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT of %zu bytes (1..%d allowed)",
                                len, CTNS_JWT_MAX_LEN);
    }

    n = 0;
    start = token;

    for (i = 0; i <= len; i++) {
        if (i < len && token[i] != '.') {
            continue;
        }

        if (n == 3) {
            return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                    "JWT has more than three segments");
        }

        seg[n].p = start;
        seg[n].len = token + i - start;
        start = token + i + 1;
        n++;
    }

    if (n != 3) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT is not three dot-separated segments");
    }

    return CTNS_VERIFY_OK;
}


/* The header decides nothing: it must say exactly what we require. */

static ctns_verify_rc_t
ctns_jwt_header(json_t *hdr, const char **kid, size_t *kid_len,
    ctns_verify_err_t *err)
{
    const char        *alg, *typ;
    ctns_verify_rc_t   rc;

    rc = CTNS_VERIFY_OK;
    alg = ctns_verify_json_str(hdr, "alg", NULL, &rc, err);
    typ = ctns_verify_json_str(hdr, "typ", NULL, &rc, err);
    *kid = ctns_verify_json_str(hdr, "kid", kid_len, &rc, err);

    if (rc != CTNS_VERIFY_OK) {
        return CTNS_VERIFY_DENIED;
    }

    if (alg == NULL || strcmp(alg, "RS256") != 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT alg \"%.16s\" is not RS256",
                                alg ? alg : "(missing)");
    }

    if (typ != NULL && strcmp(typ, "JWT") != 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT typ \"%.16s\" is not JWT", typ);
    }

    if (json_object_get(hdr, "crit") != NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT header has \"crit\"");
    }

    if (*kid == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT header without \"kid\"");
    }

    return CTNS_VERIFY_OK;
}


static ctns_verify_rc_t
ctns_jwt_signature(const ctns_jwks_t *keys, json_t *hdr,
    const ctns_jwt_seg_t seg[3], ctns_verify_err_t *err)
{
    long               n;
    size_t             kid_len;
    EVP_PKEY          *key;
    const char        *kid;
    unsigned char      sig[CTNS_JWT_SIG_MAX + 3];
    ctns_verify_rc_t   rc;

    rc = ctns_jwt_header(hdr, &kid, &kid_len, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    key = ctns_jwks_find(keys, kid, kid_len);
    if (key == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT kid \"%.64s\" is not in the JWKS", kid);
    }

    if (ctns_base64_decoded_len(seg[2].len) > sizeof(sig)
        || (n = ctns_jwt_decode(sig, &seg[2])) < 0)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT signature is not unpadded base64url");
    }

    /* signed: the first two segments and their dot exactly as received */
    return ctns_verify_rsa(key, EVP_sha256(),
                           (const unsigned char *) seg[0].p,
                           seg[1].p + seg[1].len - seg[0].p,
                           sig, (size_t) n, err);
}


static ctns_verify_rc_t
ctns_jwt_time(json_t *claims, const char *name, int required,
    long long *value, ctns_verify_err_t *err)
{
    json_t  *v;

    v = json_object_get(claims, name);

    if (v == NULL && !required) {
        *value = -1;
        return CTNS_VERIFY_OK;
    }

    if (!json_is_integer(v) || json_integer_value(v) < 0
        || json_integer_value(v) > CTNS_JWT_TIME_MAX)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT \"%s\" is not an integer time", name);
    }

    *value = json_integer_value(v);
    return CTNS_VERIFY_OK;
}


static ctns_verify_rc_t
ctns_jwt_times(const ctns_jwt_conf_t *conf, json_t *claims, time_t now,
    ctns_verify_err_t *err)
{
    long long  exp, iat, nbf;

    if (ctns_jwt_time(claims, "exp", 1, &exp, err) != CTNS_VERIFY_OK
        || ctns_jwt_time(claims, "iat", 1, &iat, err) != CTNS_VERIFY_OK
        || ctns_jwt_time(claims, "nbf", 0, &nbf, err) != CTNS_VERIFY_OK)
    {
        return CTNS_VERIFY_DENIED;
    }

    if ((long long) now > exp + conf->skew) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT expired at %lld, now %lld",
                                exp, (long long) now);
    }

    if (iat - conf->skew > (long long) now
        || nbf - conf->skew > (long long) now)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT not valid before %lld, now %lld",
                                nbf > iat ? nbf : iat, (long long) now);
    }

    if (exp < iat
        || (conf->max_lifetime > 0 && exp - iat > conf->max_lifetime))
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT lifetime %lld s out of range",
                                exp - iat);
    }

    return CTNS_VERIFY_OK;
}


static int
ctns_jwt_one_of(const char *s, const char *const *list, size_t n)
{
    size_t  i;

    for (i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


static ctns_verify_rc_t
ctns_jwt_claims(const ctns_jwt_conf_t *conf, json_t *claims, time_t now,
    ctns_verify_err_t *err)
{
    const char        *iss, *aud, *email;
    ctns_verify_rc_t   rc;

    rc = CTNS_VERIFY_OK;
    iss = ctns_verify_json_str(claims, "iss", NULL, &rc, err);
    aud = ctns_verify_json_str(claims, "aud", NULL, &rc, err);
    email = ctns_verify_json_str(claims, "email", NULL, &rc, err);

    if (rc != CTNS_VERIFY_OK) {
        return CTNS_VERIFY_DENIED;
    }

    if (!ctns_jwt_one_of(iss, ctns_jwt_issuers, 2)) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT iss \"%.64s\" is not Google",
                                iss ? iss : "(missing)");
    }

    /* Pub/Sub sends one audience string, never an array */
    if (!ctns_jwt_one_of(aud, conf->audiences, conf->n_audiences)) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "JWT aud \"%.64s\" is not configured",
                                aud ? aud : "(missing or not a string)");
    }

    if (conf->email != NULL) {
        if (email == NULL || strcmp(email, conf->email) != 0) {
            return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                    "JWT email \"%.64s\" is not the "
                                    "configured service account",
                                    email ? email : "(missing)");
        }

        if (!json_is_true(json_object_get(claims, "email_verified"))) {
            return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                    "JWT email_verified is not true");
        }
    }

    return ctns_jwt_times(conf, claims, now, err);
}


ctns_verify_rc_t
ctns_jwt_verify(const ctns_jwt_conf_t *conf, const ctns_jwks_t *keys,
    const char *token, size_t len, time_t now, ctns_verify_err_t *err)
{
    json_t            *hdr, *claims;
    unsigned char      buf[CTNS_JWT_MAX_LEN];
    ctns_jwt_seg_t     seg[3];
    ctns_verify_rc_t   rc;

    rc = ctns_jwt_split(token, len, seg, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    hdr = ctns_jwt_json(&seg[0], buf, "header", err);
    if (hdr == NULL) {
        return CTNS_VERIFY_DENIED;
    }

    rc = ctns_jwt_signature(keys, hdr, seg, err);
    json_decref(hdr);

    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    claims = ctns_jwt_json(&seg[1], buf, "payload", err);
    if (claims == NULL) {
        return CTNS_VERIFY_DENIED;
    }

    rc = ctns_jwt_claims(conf, claims, now, err);
    json_decref(claims);

    return rc;
}
