/*
 * Stripe-Signature verification against signatures/stripe-signature-vector
 * .json: the vector, the secret roll, every negative case, and header
 * shapes the parser must refuse.
 */

#include <jansson.h>

#include "ctns_test.h"
#include "ctns_base64.h"
#include "ctns_stripe_sig.h"


static json_t                *vec;
static ctns_stripe_secret_t   cur, prev;


static ctns_stripe_sig_rc_e
verify(const char *header, const char *body,
    const ctns_stripe_secret_t *secrets, size_t n, time_t now,
    size_t *matched)
{
    size_t                len;
    const unsigned char  *part;

    part = (const unsigned char *) body;
    len = strlen(body);

    return ctns_stripe_sig_verify((const unsigned char *) header,
                                  header ? strlen(header) : 0, &part, &len,
                                  1, secrets, n, now, 300, matched);
}


static const char *
vs(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}


static void
secret(ctns_stripe_secret_t *s, const char *str)
{
    s->data = (const unsigned char *) str;
    s->len = strlen(str);
}


static void
test_vector(void)
{
    char           sig[65], hdr[128];
    size_t         m;
    time_t         now, t;
    const char    *body;
    ctns_stripe_secret_t  both[2];

    body = vs(vec, "body");
    now = (time_t) json_integer_value(json_object_get(vec,
                                                      "verify_at_unix_time"));
    t = (time_t) json_integer_value(json_object_get(vec, "timestamp"));

    CHECK_INT(ctns_stripe_sig_sign(&cur, t, (const unsigned char *) body,
                                   strlen(body), sig), 0);
    CHECK_STR(sig, vs(vec, "expected_v1_signature_hex"));

    m = 99;
    CHECK_INT(verify(vs(vec, "expected_header"), body, &cur, 1, now, &m),
              CTNS_STRIPE_SIG_OK);
    CHECK_INT(m, 0);

    /* secret roll: two v1 values and a v0; either secret verifies */
    both[0] = prev;
    both[1] = cur;
    CHECK_INT(verify(vs(json_object_get(vec, "rotation_case"), "header"),
                     body, both, 2, now, &m), CTNS_STRIPE_SIG_OK);
    CHECK_INT(m, 0);
    CHECK_INT(verify(vs(json_object_get(vec, "rotation_case"), "header"),
                     body, &cur, 1, now, &m), CTNS_STRIPE_SIG_OK);

    /* the old secret alone does not verify the single-v1 header */
    CHECK_INT(verify(vs(vec, "expected_header"), body, &prev, 1, now, &m),
              CTNS_STRIPE_SIG_MISMATCH);

    /* spaces around items are tolerated */
    snprintf(hdr, sizeof(hdr), " t=%lld , v1=%s ", (long long) t, sig);
    CHECK_INT(verify(hdr, body, &cur, 1, now, &m), CTNS_STRIPE_SIG_OK);

    /* exactly at the edges of the tolerance window */
    CHECK_INT(verify(vs(vec, "expected_header"), body, &cur, 1, t + 300, &m),
              CTNS_STRIPE_SIG_OK);
    CHECK_INT(verify(vs(vec, "expected_header"), body, &cur, 1, t - 300, &m),
              CTNS_STRIPE_SIG_OK);
    CHECK_INT(verify(vs(vec, "expected_header"), body, &cur, 1, t - 301, &m),
              CTNS_STRIPE_SIG_TOO_NEW);
}


static void
test_negative(void)
{
    size_t          i, m;
    time_t          now, at;
    json_t         *c;
    const char     *name, *body, *hdr;
    unsigned char   raw[64];
    long            n;
    ctns_stripe_secret_t  b64;

    body = vs(vec, "body");
    now = (time_t) json_integer_value(json_object_get(vec,
                                                      "verify_at_unix_time"));

    json_array_foreach(json_object_get(vec, "negative_cases"), i, c) {
        name = vs(c, "name");
        hdr = vs(c, "header") ? vs(c, "header") : vs(vec, "expected_header");
        at = json_object_get(c, "verify_at_unix_time")
             ? (time_t) json_integer_value(json_object_get(
                                               c, "verify_at_unix_time"))
             : now;

        if (strcmp(name, "tampered_body") == 0) {
            CHECK_INT(verify(hdr, vs(c, "body"), &cur, 1, at, &m),
                      CTNS_STRIPE_SIG_MISMATCH);

        } else if (strcmp(name, "timestamp_outside_tolerance") == 0) {
            CHECK_INT(verify(hdr, body, &cur, 1, at, &m),
                      CTNS_STRIPE_SIG_TOO_OLD);

        } else if (strcmp(name, "timestamp_swapped") == 0) {
            CHECK_INT(verify(hdr, body, &cur, 1, at, &m),
                      CTNS_STRIPE_SIG_MISMATCH);

        } else if (strcmp(name, "only_v0") == 0) {
            CHECK_INT(verify(hdr, body, &cur, 1, at, &m),
                      CTNS_STRIPE_SIG_NO_V1);

        } else if (strcmp(name, "secret_base64_decoded_by_mistake") == 0) {
            n = ctns_base64_decode(raw, cur.data + 6, cur.len - 6);
            CHECK(n > 0);
            b64.data = raw;
            b64.len = n > 0 ? (size_t) n : 0;
            CHECK_INT(verify(hdr, body, &b64, 1, at, &m),
                      CTNS_STRIPE_SIG_MISMATCH);

        } else {
            fprintf(stderr, "unknown negative case %s\n", name);
            CHECK(0);
        }
    }
}


static void
test_headers(void)
{
    size_t        m;
    const char   *body = "{}";
    static const char  v1[] =
        "v1=c30fdd23668893d7bb4ede1756cb0010e4bcc8313df1b64f050498cc38aa4653";
    char          hdr[256];

    CHECK_INT(verify(NULL, body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_MISSING_HEADER);
    CHECK_INT(verify(v1, body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_BAD_TIMESTAMP);

    snprintf(hdr, sizeof(hdr), "t=12a,%s", v1);
    CHECK_INT(verify(hdr, body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_BAD_TIMESTAMP);

    snprintf(hdr, sizeof(hdr), "t=100,t=100,%s", v1);
    CHECK_INT(verify(hdr, body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_BAD_TIMESTAMP);

    snprintf(hdr, sizeof(hdr), "t=,%s", v1);
    CHECK_INT(verify(hdr, body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_BAD_TIMESTAMP);

    snprintf(hdr, sizeof(hdr), "t=99999999999999999999,%s", v1);
    CHECK_INT(verify(hdr, body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_BAD_TIMESTAMP);

    snprintf(hdr, sizeof(hdr), "t=100,garbage,%s", v1);
    CHECK_INT(verify(hdr, body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_MALFORMED);

    /* upper-case hex and short values are not Stripe's: no usable v1 */
    CHECK_INT(verify("t=100,v1=C30FDD23668893D7BB4EDE1756CB0010E4BCC8313DF1B6"
                     "4F050498CC38AA4653", body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_NO_V1);
    CHECK_INT(verify("t=100,v1=abcd", body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_NO_V1);

    /* a signature for another time is refused even inside the window */
    snprintf(hdr, sizeof(hdr), "t=100,%s", v1);
    CHECK_INT(verify(hdr, body, &cur, 1, 100, &m),
              CTNS_STRIPE_SIG_MISMATCH);
    CHECK_INT(verify(hdr, body, &cur, 0, 100, &m),
              CTNS_STRIPE_SIG_MISMATCH);

    CHECK(strlen(ctns_stripe_sig_strerror(CTNS_STRIPE_SIG_NO_V1)) > 0);
}


int
main(void)
{
    vec = json_load_file("signatures/stripe-signature-vector.json", 0, NULL);
    CHECK(vec != NULL);
    if (vec == NULL) {
        TEST_DONE();
    }

    secret(&cur, vs(vec, "secret"));
    secret(&prev, vs(json_object_get(vec, "rotation_case"),
                     "previous_secret"));

    test_vector();
    test_negative();
    test_headers();

    json_decref(vec);

    TEST_DONE();
}
