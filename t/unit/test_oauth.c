/*
 * Copyright (C) ct-netsuite authors
 *
 * OAuth 1.0a TBA signing against netsuite/oauth1-vector.json, and the
 * OAuth 2.0 M2M assertion against netsuite/oauth2-jwt-vector.json (the
 * deterministic signing input, then a signature verified with the public
 * half of a freshly generated key, for PS256 and ES256).
 */


#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "ctns_test.h"
#include "ctns_base64.h"
#include "ctns_oauth1.h"
#include "ctns_oauth2.h"
#include "ctns_nsaccount.h"


static const char *
jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}


static void
test_vector(const json_t *creds_j, const json_t *inputs,
    const json_t *expected)
{
    char                *base, *hdr, sig[48];
    ctns_oauth1_creds_t  creds;

    creds.realm = jstr(creds_j, "realm");
    creds.consumer_key = jstr(creds_j, "consumer_key");
    creds.consumer_secret = jstr(creds_j, "consumer_secret");
    creds.token_id = jstr(creds_j, "token_id");
    creds.token_secret = jstr(creds_j, "token_secret");

    base = ctns_oauth1_base_string(&creds, jstr(inputs, "method"),
                                   jstr(inputs, "url"),
                                   jstr(inputs, "oauth_nonce"),
                                   jstr(inputs, "oauth_timestamp"));
    CHECK_STR(base, jstr(expected, "signature_base_string"));

    CHECK_INT(ctns_oauth1_sign(&creds, base ? base : "", sig), 0);
    CHECK_STR(sig, jstr(expected, "signature"));

    hdr = ctns_oauth1_header(&creds, jstr(inputs, "method"),
                             jstr(inputs, "url"), jstr(inputs, "oauth_nonce"),
                             jstr(inputs, "oauth_timestamp"));
    if (jstr(expected, "authorization_header")) {
        CHECK_STR(hdr, jstr(expected, "authorization_header"));
    }

    free(base);
    free(hdr);
}


static void
test_oauth1(void)
{
    size_t         i;
    char           enc[256];
    json_t        *root, *v, *cx, *creds;
    json_error_t   jerr;

    root = json_load_file("netsuite/oauth1-vector.json", 0, &jerr);
    CHECK(root != NULL);
    if (root == NULL) {
        return;
    }

    creds = json_object_get(root, "credentials");

    json_array_foreach(json_object_get(root, "vectors"), i, v) {
        test_vector(creds, json_object_get(v, "inputs"),
                    json_object_get(v, "expected"));
    }

    cx = json_object_get(root, "crosscheck_public_example");
    test_vector(json_object_get(cx, "inputs"), json_object_get(cx, "inputs"),
                json_object_get(cx, "expected"));

    json_array_foreach(json_object_get(root, "percent_encoding_cases"), i, v) {
        ctns_oauth1_encode(enc, jstr(v, "input"), strlen(jstr(v, "input")));
        CHECK_STR(enc, jstr(v, "encoded"));
    }

    json_decref(root);
}


/* The signed URL keeps a non-default port; the default one is dropped. */

static void
test_oauth1_ports(void)
{
    char                *a, *b;
    ctns_oauth1_creds_t  c = { "R", "ck", "cs", "t", "ts" };

    a = ctns_oauth1_base_string(&c, "get", "HTTP://LocalHost:8089/x?b=2&a=1",
                                "n", "1");
    CHECK_STR(a, "GET&http%3A%2F%2Flocalhost%3A8089%2Fx&a%3D1%26b%3D2%26"
              "oauth_consumer_key%3Dck%26oauth_nonce%3Dn%26"
              "oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1%26"
              "oauth_token%3Dt%26oauth_version%3D1.0");

    b = ctns_oauth1_base_string(&c, "GET", "https://h:443/p+q?x=a+b%21",
                                "n", "1");
    CHECK(b != NULL && strncmp(b, "GET&https%3A%2F%2Fh%2Fp%2Bq&", 28) == 0);
    CHECK(b != NULL && strstr(b, "x%3Da%2520b%2521") != NULL);

    CHECK(ctns_oauth1_base_string(&c, "GET", "ftp://h/", "n", "1") == NULL);

    free(a);
    free(b);
}


static void
test_account(void)
{
    char  realm[64], host[64];

    CHECK_INT(ctns_nsaccount_forms("1234567_SB1", realm, host, 64), 0);
    CHECK_STR(realm, "1234567_SB1");
    CHECK_STR(host, "1234567-sb1");

    CHECK_INT(ctns_nsaccount_forms("1234567-sb1", realm, host, 64), 0);
    CHECK_STR(realm, "1234567_SB1");
    CHECK_STR(host, "1234567-sb1");

    CHECK_INT(ctns_nsaccount_forms("tstdrv1234567", realm, host, 64), 0);
    CHECK_STR(realm, "TSTDRV1234567");
    CHECK_STR(host, "tstdrv1234567");

    CHECK_INT(ctns_nsaccount_forms("", realm, host, 64), -1);
    CHECK_INT(ctns_nsaccount_forms("12 34", realm, host, 64), -1);
    CHECK_INT(ctns_nsaccount_forms("123/4", realm, host, 64), -1);
}


static EVP_PKEY *
gen_key(const char *alg)
{
    EVP_PKEY  *pkey;

    if (strcmp(alg, "ES256") == 0) {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    } else {
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 3072);
    }

    return pkey;
}


/* Verifies a compact JWS with the key, converting ES r||s back to DER. */

static int
verify_jws(EVP_PKEY *pkey, const char *alg, const char *jws)
{
    const char     *dot;
    unsigned char   sig[1024], der[256], *p;
    long            slen;
    size_t          dlen;
    int             ok;
    EVP_MD_CTX     *md;
    EVP_PKEY_CTX   *pctx;
    ECDSA_SIG      *es;
    BIGNUM         *r, *s;

    dot = strrchr(jws, '.');
    if (dot == NULL) {
        return 0;
    }

    slen = ctns_base64url_decode(sig, (const unsigned char *) dot + 1,
                                 strlen(dot + 1));
    if (slen < 0) {
        return 0;
    }

    dlen = slen;
    p = sig;

    if (strcmp(alg, "ES256") == 0) {
        if (slen != 64) {
            return 0;
        }

        es = ECDSA_SIG_new();
        r = BN_bin2bn(sig, 32, NULL);
        s = BN_bin2bn(sig + 32, 32, NULL);
        ECDSA_SIG_set0(es, r, s);
        p = der;
        dlen = i2d_ECDSA_SIG(es, &p);
        p = der;
        ECDSA_SIG_free(es);
    }

    md = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pkey) == 1;

    if (ok && strcmp(alg, "PS256") == 0) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST)
                == 1;
    }

    ok = ok && EVP_DigestVerify(md, p, dlen, (const unsigned char *) jws,
                                dot - jws) == 1;

    EVP_MD_CTX_free(md);

    return ok;
}


static void
test_oauth2(void)
{
    int                  i;
    char                *input, *jws, err[256];
    json_t              *root;
    json_error_t         jerr;
    EVP_PKEY            *pkey;
    ctns_oauth2_claims_t c;
    static const char   *algs[] = { "PS256", "ES256" };

    root = json_load_file("netsuite/oauth2-jwt-vector.json", 0, &jerr);
    CHECK(root != NULL);
    if (root == NULL) {
        return;
    }

    c.alg = "PS256";
    c.kid = jstr(root, "kid");
    c.iss = jstr(root, "client_id");
    c.aud = jstr(root, "token_endpoint");
    c.iat = 1767225600;
    c.exp = 1767227400;

    input = ctns_oauth2_signing_input(&c);
    CHECK_STR(input, jstr(root, "signing_input"));
    free(input);

    for (i = 0; i < 2; i++) {
        c.alg = algs[i];
        pkey = gen_key(c.alg);
        CHECK(pkey != NULL);

        jws = ctns_oauth2_assertion(&c, pkey, err, sizeof(err));
        CHECK(jws != NULL);
        CHECK(jws != NULL && verify_jws(pkey, c.alg, jws));

        free(jws);
        EVP_PKEY_free(pkey);
    }

    c.alg = "RS256";
    pkey = gen_key("PS256");
    jws = ctns_oauth2_assertion(&c, pkey, err, sizeof(err));
    CHECK(jws == NULL);
    CHECK(strstr(err, "RS256") != NULL);
    EVP_PKEY_free(pkey);

    /* an EC key cannot sign PS256 */
    c.alg = "PS256";
    pkey = gen_key("ES256");
    jws = ctns_oauth2_assertion(&c, pkey, err, sizeof(err));
    CHECK(jws == NULL);
    EVP_PKEY_free(pkey);

    json_decref(root);
}


int
main(void)
{
    test_oauth1();
    test_oauth1_ports();
    test_account();
    test_oauth2();

    TEST_DONE();
}
