/*
 * Copyright (C) ct-netsuite authors
 *
 * Pub/Sub push OIDC tokens against the vectors of signatures/ (reference
 * clock 1782901222), JWKS parsing, and the push body around the payload.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ctns_base64.h"
#include "ctns_jwks.h"
#include "ctns_jwt.h"
#include "ctns_pubsub.h"
#include "ctns_test.h"


#define NOW  1782901222


static const char  *audiences[] = {
    "https://other.example.com/ct",
    "https://hooks.example.com/ct",
};

static ctns_jwt_conf_t  conf = {
    audiences, 2, "ct-push-invoker@example-project.iam.gserviceaccount.com",
    300, 0
};


static ctns_verify_rc_t
verify_file(const ctns_jwt_conf_t *c, const ctns_jwks_t *keys,
    const char *name, time_t now, ctns_verify_err_t *err)
{
    char              path[256], *tok;
    size_t            len;
    ctns_verify_rc_t  rc;

    snprintf(path, sizeof(path), "signatures/%s", name);
    tok = ctns_test_read_file(path, &len);
    if (tok == NULL) {
        return CTNS_VERIFY_ERROR;
    }

    while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r')) {
        len--;
    }

    err->reason[0] = '\0';
    rc = ctns_jwt_verify(c, keys, tok, len, now, err);
    free(tok);

    return rc;
}


static void
expect(const ctns_jwks_t *keys, const char *name, ctns_verify_rc_t want,
    const char *reason)
{
    ctns_verify_err_t  err;

    CHECK_INT(verify_file(&conf, keys, name, NOW, &err), want);

    if (reason) {
        if (strstr(err.reason, reason) == NULL) {
            fprintf(stderr, "%s: reason \"%s\" lacks \"%s\"\n",
                    name, err.reason, reason);
        }
        CHECK(strstr(err.reason, reason) != NULL);
    }
}


static void
test_vectors(const ctns_jwks_t *keys)
{
    expect(keys, "pubsub-jwt.txt", CTNS_VERIFY_OK, NULL);
    expect(keys, "pubsub-jwt-iss-bare.txt", CTNS_VERIFY_OK, NULL);
    expect(keys, "pubsub-jwt-1h-lifetime.txt", CTNS_VERIFY_OK, NULL);
    expect(keys, "pubsub-jwt-expired.txt", CTNS_VERIFY_DENIED, "expired");
    expect(keys, "pubsub-jwt-wrong-aud.txt", CTNS_VERIFY_DENIED, "aud");
    expect(keys, "pubsub-jwt-wrong-iss.txt", CTNS_VERIFY_DENIED, "iss");
    expect(keys, "pubsub-jwt-wrong-email.txt", CTNS_VERIFY_DENIED, "email");
    expect(keys, "pubsub-jwt-email-unverified.txt", CTNS_VERIFY_DENIED,
           "email_verified");
    expect(keys, "pubsub-jwt-unknown-kid.txt", CTNS_VERIFY_DENIED,
           "test-key-2");
    expect(keys, "pubsub-jwt-alg-none.txt", CTNS_VERIFY_DENIED,
           "\"none\" is not RS256");
    expect(keys, "pubsub-jwt-hs256-key-confusion.txt", CTNS_VERIFY_DENIED,
           "\"HS256\" is not RS256");
    expect(keys, "pubsub-jwt-tampered-payload.txt", CTNS_VERIFY_DENIED,
           "signature mismatch");
}


/* The same tokens under other configurations and clocks. */

static void
test_policy(const ctns_jwks_t *keys)
{
    ctns_jwt_conf_t    c;
    ctns_verify_err_t  err;

    /* the 1-hour token: exp 1782904522, skew 300 */
    CHECK_INT(verify_file(&conf, keys, "pubsub-jwt-1h-lifetime.txt",
                          1782904522 + 300, &err), CTNS_VERIFY_OK);
    CHECK_INT(verify_file(&conf, keys, "pubsub-jwt-1h-lifetime.txt",
                          1782904522 + 301, &err), CTNS_VERIFY_DENIED);
    /* iat 1782900922: not before iat - skew */
    CHECK_INT(verify_file(&conf, keys, "pubsub-jwt-1h-lifetime.txt",
                          1782900922 - 300, &err), CTNS_VERIFY_OK);
    CHECK_INT(verify_file(&conf, keys, "pubsub-jwt-1h-lifetime.txt",
                          1782900922 - 301, &err), CTNS_VERIFY_DENIED);
    CHECK(strstr(err.reason, "not valid before") != NULL);

    /* lifetime cap: the 2099 token fails it, the 1-hour one passes */
    c = conf;
    c.max_lifetime = 3600 + 300;
    CHECK_INT(verify_file(&c, keys, "pubsub-jwt.txt", NOW, &err),
              CTNS_VERIFY_DENIED);
    CHECK(strstr(err.reason, "lifetime") != NULL);
    CHECK_INT(verify_file(&c, keys, "pubsub-jwt-1h-lifetime.txt", NOW, &err),
              CTNS_VERIFY_OK);

    /* no email required: the wrong-email token is otherwise valid */
    c = conf;
    c.email = NULL;
    CHECK_INT(verify_file(&c, keys, "pubsub-jwt-wrong-email.txt", NOW, &err),
              CTNS_VERIFY_OK);
    CHECK_INT(verify_file(&c, keys, "pubsub-jwt-email-unverified.txt", NOW,
                          &err), CTNS_VERIFY_OK);

    /* only the first audience configured */
    c = conf;
    c.n_audiences = 1;
    CHECK_INT(verify_file(&c, keys, "pubsub-jwt.txt", NOW, &err),
              CTNS_VERIFY_DENIED);
}


/* Tokens built here: one structural defect each, validly encoded. */

static ctns_verify_rc_t
verify_parts(const ctns_jwks_t *keys, const char *hdr, const char *payload,
    const char *sig)
{
    char               tok[CTNS_JWT_MAX_LEN + 16];
    size_t             n;
    ctns_verify_err_t  err;

    n = ctns_base64url_encode((unsigned char *) tok,
                              (const unsigned char *) hdr, strlen(hdr));
    tok[n++] = '.';
    n += ctns_base64url_encode((unsigned char *) tok + n,
                               (const unsigned char *) payload,
                               strlen(payload));
    n += snprintf(tok + n, sizeof(tok) - n, "%s", sig);

    return ctns_jwt_verify(&conf, keys, tok, n, NOW, &err);
}


static void
test_structure(const ctns_jwks_t *keys)
{
    char               *good, *dot;
    size_t              len;
    ctns_verify_err_t   err;
    static const char   claims[] = "{\"iss\":\"accounts.google.com\"}";

    good = ctns_test_read_file("signatures/pubsub-jwt.txt", &len);
    if (good == NULL) {
        CHECK(0);
        return;
    }

    len--;

    /* padding, a fourth segment, a JWE-like five parts, empty signature */
    CHECK_INT(ctns_jwt_verify(&conf, keys, good, len, NOW, &err),
              CTNS_VERIFY_OK);
    good[len] = '=';
    CHECK_INT(ctns_jwt_verify(&conf, keys, good, len + 1, NOW, &err),
              CTNS_VERIFY_DENIED);
    good[len] = '.';
    CHECK_INT(ctns_jwt_verify(&conf, keys, good, len + 1, NOW, &err),
              CTNS_VERIFY_DENIED);
    dot = strrchr(good, '.');
    CHECK_INT(ctns_jwt_verify(&conf, keys, good, dot - good + 1, NOW, &err),
              CTNS_VERIFY_DENIED);
    CHECK_INT(ctns_jwt_verify(&conf, keys, good, 0, NOW, &err),
              CTNS_VERIFY_DENIED);
    CHECK_INT(ctns_jwt_verify(&conf, keys, good, CTNS_JWT_MAX_LEN + 1, NOW,
                              &err), CTNS_VERIFY_DENIED);
    free(good);

    CHECK_INT(verify_parts(keys, "{\"alg\":\"rs256\",\"kid\":\"test-key-1\"}",
                           claims, ".AAAA"), CTNS_VERIFY_DENIED);
    CHECK_INT(verify_parts(keys, "{\"alg\":\"RS256\",\"kid\":\"test-key-1\","
                           "\"typ\":\"JWS\"}", claims, ".AAAA"),
              CTNS_VERIFY_DENIED);
    CHECK_INT(verify_parts(keys, "{\"alg\":\"RS256\",\"kid\":\"test-key-1\","
                           "\"crit\":[\"b64\"]}", claims, ".AAAA"),
              CTNS_VERIFY_DENIED);
    CHECK_INT(verify_parts(keys, "{\"alg\":\"RS256\",\"alg\":\"none\","
                           "\"kid\":\"test-key-1\"}", claims, ".AAAA"),
              CTNS_VERIFY_DENIED);
    CHECK_INT(verify_parts(keys, "{\"alg\":\"RS256\"}", claims, ".AAAA"),
              CTNS_VERIFY_DENIED);
    CHECK_INT(verify_parts(keys, "[1]", claims, ".AAAA"), CTNS_VERIFY_DENIED);
    /* right alg and kid, signature of the wrong length */
    CHECK_INT(verify_parts(keys, "{\"alg\":\"RS256\",\"kid\":\"test-key-1\"}",
                           claims, ".AAAA"), CTNS_VERIFY_DENIED);
}


/*
 * The key-confusion token really is an HMAC over the public key file: a
 * verifier that trusted the header would accept it.
 */

static void
test_confusion_is_genuine(void)
{
    char           *tok, *pem, *dot;
    size_t          len, pem_len, n;
    unsigned int    mac_len;
    unsigned char   mac[EVP_MAX_MD_SIZE], enc[64];

    tok = ctns_test_read_file("signatures/pubsub-jwt-hs256-key-confusion.txt",
                              &len);
    pem = ctns_test_read_file("signatures/TEST-ONLY-rsa2048-public-key.pem",
                              &pem_len);
    if (tok == NULL || pem == NULL) {
        CHECK(0);
        return;
    }

    dot = strrchr(tok, '.');
    HMAC(EVP_sha256(), pem, (int) pem_len, (unsigned char *) tok,
         dot - tok, mac, &mac_len);
    n = ctns_base64url_encode(enc, mac, mac_len);

    CHECK(strncmp(dot + 1, (char *) enc, n) == 0);

    free(tok);
    free(pem);
}


static void
test_authorization(void)
{
    size_t       n;
    const char  *t;

    t = ctns_jwt_from_authorization("Bearer abc", 10, &n);
    CHECK(t != NULL && n == 3 && memcmp(t, "abc", 3) == 0);
    t = ctns_jwt_from_authorization("bEaReR abc", 10, &n);
    CHECK(t != NULL && n == 3);
    CHECK(ctns_jwt_from_authorization("Bearer  abc", 11, &n) == NULL);
    CHECK(ctns_jwt_from_authorization("Basic abc", 9, &n) == NULL);
    CHECK(ctns_jwt_from_authorization("Bearer ", 7, &n) == NULL);
    CHECK(ctns_jwt_from_authorization("Bearerabc", 9, &n) == NULL);
}


static void
jwks_rejects(const char *json, const char *reason)
{
    ctns_jwks_t        *set;
    ctns_verify_err_t   err;

    err.reason[0] = '\0';
    set = ctns_jwks_parse(json, strlen(json), &err);
    CHECK(set == NULL);
    if (strstr(err.reason, reason) == NULL) {
        fprintf(stderr, "jwks reason \"%s\" lacks \"%s\"\n",
                err.reason, reason);
    }
    CHECK(strstr(err.reason, reason) != NULL);
    ctns_jwks_free(set);
}


static void
test_jwks(void)
{
    char               *json, *buf;
    size_t              len;
    ctns_jwks_t        *set;
    ctns_verify_err_t   err;

    static const char   weak[] =
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"w\",\"e\":\"AQAB\","
        "\"n\":\"wVB2pB2ND7BZ0Hv0Hk5cDcfU5XQXtfkA1oZOxjqIUL8gVLSQEdFp5Ol"
        "SgEcgE7_ozy3jEL4TIfOy3XPMgiDw4Q\"}]}";
    static const char   ec[] =
        "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\"}]}";

    json = ctns_test_read_file("signatures/jwks.json", &len);
    if (json == NULL) {
        CHECK(0);
        return;
    }

    set = ctns_jwks_parse(json, len, &err);
    CHECK(set != NULL);
    if (set) {
        CHECK_INT(ctns_jwks_count(set), 1);
        CHECK(ctns_jwks_find(set, "test-key-1", 10) != NULL);
        CHECK(ctns_jwks_find(set, "test-key-", 9) == NULL);
        ctns_jwks_free(set);
    }

    jwks_rejects(weak, "512 bits");
    jwks_rejects(ec, "no RSA signing key");
    jwks_rejects("{\"keys\":{}}", "\"keys\" array");
    jwks_rejects("[]", "\"keys\" array");
    jwks_rejects("{\"keys\":[1]}", "not an object");
    jwks_rejects("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\"}]}", "\"n\"");
    jwks_rejects("{\"keys\":[],\"keys\":[]}", "invalid JSON");
    jwks_rejects("{\"keys\":[{\"kid\":\"x\"}]}", "kty");

    /* the same key twice under one kid; then with e = 1 */
    buf = malloc(2 * len + 64);
    if (buf) {
        char  *k = strchr(json, '[') + 1, *end = strrchr(json, ']');

        snprintf(buf, 2 * len + 64, "{\"keys\":[%.*s,%.*s]}",
                 (int) (end - k), k, (int) (end - k), k);
        jwks_rejects(buf, "duplicate kid");

        snprintf(buf, 2 * len + 64, "%s", json);
        memcpy(strstr(buf, "\"AQAB\""), "\"AQ\"  ", 6);
        jwks_rejects(buf, "exponent");
        free(buf);
    }

    free(json);

    set = ctns_jwks_load("signatures/jwks.json", &err);
    CHECK(set != NULL);
    ctns_jwks_free(set);
    CHECK(ctns_jwks_load("signatures/missing.json", &err) == NULL);
}


static ctns_verify_rc_t
pubsub_str(const char *body, ctns_verify_err_t *err)
{
    ctns_pubsub_msg_t  *m;
    ctns_verify_rc_t    rc;

    rc = ctns_pubsub_parse(body, strlen(body), &m, err);
    ctns_pubsub_free(m);

    return rc;
}


static void
test_pubsub_body(void)
{
    char               *body, *msg;
    size_t              len, msg_len;
    ctns_pubsub_msg_t  *m;
    ctns_verify_err_t   err;

    body = ctns_test_read_file("signatures/pubsub-push-body.json", &len);
    msg = ctns_test_read_file("commercetools/envelopes/"
                              "pubsub-push-order-created.json", &msg_len);
    if (body == NULL || msg == NULL) {
        CHECK(0);
        free(body);
        free(msg);
        return;
    }

    CHECK_INT(ctns_pubsub_parse(body, len, &m, &err), CTNS_VERIFY_OK);
    if (m) {
        CHECK(strncmp((char *) m->data, "{", 1) == 0);
        CHECK(strstr((char *) m->data, "ORD-10001") != NULL);
        CHECK(m->message_id != NULL && m->subscription != NULL);
        ctns_pubsub_free(m);
    }

    CHECK_INT(ctns_pubsub_parse(msg, msg_len, &m, &err), CTNS_VERIFY_OK);
    if (m) {
        CHECK_STR(m->message_id, "8837974612601249");
        CHECK_STR(m->subscription,
                  "projects/example-project/subscriptions/ct-orders-push");
        CHECK(json_is_object(m->attributes));
        /* the decoded bytes are the message file as published */
        CHECK(m->data_len > 1000 && m->data[m->data_len - 1] == '\n');
        ctns_pubsub_free(m);
    }

    free(body);
    free(msg);

    CHECK_INT(pubsub_str("{\"message\":{\"data\":\"e30=\",\"message_id\":"
                         "\"1\"}}", &err), CTNS_VERIFY_OK);
    CHECK_INT(pubsub_str("{\"message\":{\"data\":\"e30=\",\"messageId\":"
                         "\"1\",\"message_id\":\"2\"}}", &err),
              CTNS_VERIFY_MALFORMED);
    CHECK_INT(pubsub_str("{\"message\":{\"data\":\"e30=\"}}", &err),
              CTNS_VERIFY_MALFORMED);
    CHECK_INT(pubsub_str("{\"message\":{\"data\":\"e3-=\",\"messageId\":"
                         "\"1\"}}", &err), CTNS_VERIFY_MALFORMED);
    CHECK_INT(pubsub_str("{\"message\":{\"data\":\"\",\"messageId\":"
                         "\"1\"}}", &err), CTNS_VERIFY_MALFORMED);
    CHECK_INT(pubsub_str("{\"message\":{\"data\":\"e30=\",\"messageId\":"
                         "\"1\",\"attributes\":[]}}", &err),
              CTNS_VERIFY_MALFORMED);
    CHECK_INT(pubsub_str("{\"notificationType\":\"Message\"}", &err),
              CTNS_VERIFY_MALFORMED);
    CHECK(strstr(err.reason, "wrapped") != NULL);
}


int
main(void)
{
    ctns_jwks_t        *keys;
    ctns_verify_err_t   err;

    keys = ctns_jwks_load("signatures/jwks.json", &err);
    CHECK(keys != NULL);

    if (keys) {
        test_vectors(keys);
        test_policy(keys);
        test_structure(keys);
        ctns_jwks_free(keys);
    }

    test_confusion_is_genuine();
    test_authorization();
    test_jwks();
    test_pubsub_body();

    TEST_DONE();
}
