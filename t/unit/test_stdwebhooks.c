/*
 * Standard Webhooks verification against the published-style vector in
 * signatures/standard-webhooks-vector.json.
 */

#include <jansson.h>

#include "ctns_test.h"
#include "ctns_stdwebhooks.h"


static json_t          *vec;
static ctns_hmac_key_t  key, prev;


static ctns_stdwh_rc_e
verify(const char *id, const char *ts, const char *sig, const char *body,
    const ctns_hmac_key_t *keys, size_t nkeys, time_t now, size_t *matched)
{
    size_t                len;
    ctns_stdwh_headers_t  h;
    const unsigned char  *part;

    h.id = (const unsigned char *) id;
    h.id_len = id ? strlen(id) : 0;
    h.timestamp = (const unsigned char *) ts;
    h.timestamp_len = ts ? strlen(ts) : 0;
    h.signature = (const unsigned char *) sig;
    h.signature_len = sig ? strlen(sig) : 0;

    part = (const unsigned char *) body;
    len = strlen(body);

    return ctns_stdwh_verify(&h, &part, &len, 1, keys, nkeys, now, 300,
                             matched);
}


static const char *
vs(json_t *o, const char *path)
{
    return json_string_value(json_object_get(o, path));
}


int
main(void)
{
    char           sig[45];
    size_t         m, l1, l2;
    time_t         now;
    json_t        *h, *rot;
    const char    *id, *ts, *s, *body;
    ctns_hmac_key_t keys[2];
    const unsigned char  *parts[2];
    size_t                lens[2];
    ctns_stdwh_headers_t  hh;

    vec = json_load_file("signatures/standard-webhooks-vector.json", 0, NULL);
    CHECK(vec != NULL);
    if (vec == NULL) {
        TEST_DONE();
    }

    h = json_object_get(vec, "headers");
    rot = json_object_get(vec, "rotation_case");
    id = vs(h, "webhook-id");
    ts = vs(h, "webhook-timestamp");
    s = vs(h, "webhook-signature");
    body = vs(vec, "body");
    now = json_integer_value(json_object_get(vec, "verify_at_unix_time"));

    CHECK_INT(ctns_stdwh_parse_secret(vs(vec, "secret"),
                                      strlen(vs(vec, "secret")), &key), 0);
    CHECK_INT(key.len, 32);
    CHECK_INT(key.data[0], 0xf5);
    CHECK_INT(ctns_stdwh_parse_secret(vs(rot, "previous_secret"),
                                      strlen(vs(rot, "previous_secret")),
                                      &prev), 0);

    /* positive */
    m = 9;
    CHECK_INT(verify(id, ts, s, body, &key, 1, now, &m), CTNS_STDWH_OK);
    CHECK_INT(m, 0);

    /* signing reproduces the header */
    CHECK_INT(ctns_stdwh_sign(&key, id, ts, (const unsigned char *) body,
                              strlen(body), sig), 0);
    CHECK_STR(sig, s + 3);

    /* wrong secret */
    CHECK_INT(verify(id, ts, s, body, &prev, 1, now, &m),
              CTNS_STDWH_MISMATCH);

    /* rotation: header with both, verifier with either key, in any order */
    keys[0] = prev;
    keys[1] = key;
    CHECK_INT(verify(id, ts, vs(rot, "webhook-signature"), body, &prev, 1,
                     now, &m), CTNS_STDWH_OK);
    CHECK_INT(verify(id, ts, vs(rot, "webhook-signature"), body, &key, 1,
                     now, &m), CTNS_STDWH_OK);
    CHECK_INT(verify(id, ts, s, body, keys, 2, now, &m), CTNS_STDWH_OK);
    CHECK_INT(m, 1);

    /* tampered body */
    CHECK_INT(verify(id, ts, s, vs(json_array_get(
                  json_object_get(vec, "negative_cases"), 0), "body"),
                     &key, 1, now, &m), CTNS_STDWH_MISMATCH);

    /* stale and future timestamps */
    CHECK_INT(verify(id, ts, s, body, &key, 1, 1782901224, &m),
              CTNS_STDWH_TOO_OLD);
    CHECK_INT(verify(id, ts, s, body, &key, 1, 1782900622, &m),
              CTNS_STDWH_TOO_NEW);

    /* malformed headers */
    CHECK_INT(verify(id, ts, "v2,Hq5HQN2FOT2kuCpDpWl1LbjVeJtrMs7YYrDAJkf9Kts=",
                     body, &key, 1, now, &m), CTNS_STDWH_NO_V1);
    CHECK_INT(verify(NULL, ts, s, body, &key, 1, now, &m),
              CTNS_STDWH_MISSING_HEADER);
    CHECK_INT(verify(id, "17829OO923", s, body, &key, 1, now, &m),
              CTNS_STDWH_BAD_TIMESTAMP);
    CHECK_INT(verify(id, "", s, body, &key, 1, now, &m),
              CTNS_STDWH_BAD_TIMESTAMP);
    CHECK_INT(verify("a.b", ts, s, body, &key, 1, now, &m),
              CTNS_STDWH_BAD_ID);
    CHECK_INT(verify(id, ts, "v1,!!!!", body, &key, 1, now, &m),
              CTNS_STDWH_NO_V1);
    CHECK_INT(verify(id, ts, "v1,", body, &key, 1, now, &m),
              CTNS_STDWH_NO_V1);
    CHECK_INT(verify(id, ts, "   ", body, &key, 1, now, &m),
              CTNS_STDWH_NO_V1);

    /* a truncated signature (prefix of the right one) never matches */
    CHECK_INT(verify(id, ts, "v1,Hq5HQN2FOT2kuCpDpWl1LbjVeJtrMs7YYrDA",
                     body, &key, 1, now, &m), CTNS_STDWH_NO_V1);

    /* body in two pieces, as nginx buffers deliver it */
    l1 = 100;
    l2 = strlen(body) - l1;
    parts[0] = (const unsigned char *) body;
    parts[1] = (const unsigned char *) body + l1;
    lens[0] = l1;
    lens[1] = l2;
    hh.id = (const unsigned char *) id;
    hh.id_len = strlen(id);
    hh.timestamp = (const unsigned char *) ts;
    hh.timestamp_len = strlen(ts);
    hh.signature = (const unsigned char *) s;
    hh.signature_len = strlen(s);
    CHECK_INT(ctns_stdwh_verify(&hh, parts, lens, 2, &key, 1, now, 300, &m),
              CTNS_STDWH_OK);

    /* secrets */
    CHECK_INT(ctns_stdwh_parse_secret("whsec_", 6, &prev), -1);
    CHECK_INT(ctns_stdwh_parse_secret("whsec_c2hvcnQ=", 14, &prev), -1);
    CHECK_INT(ctns_stdwh_parse_secret("whsec_$$$$", 10, &prev), -1);

    CHECK_STR(ctns_stdwh_strerror(CTNS_STDWH_TOO_OLD),
              "webhook-timestamp older than the tolerance");

    json_decref(vec);

    TEST_DONE();
}
