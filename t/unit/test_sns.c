/*
 * Copyright (C) ct-netsuite authors
 *
 * SNS envelopes of signatures/ and commercetools/envelopes/: exact
 * string-to-sign bytes, v1 and v2 signatures against the TEST-ONLY
 * certificate, tampering, policy, and every SigningCertURL case.
 */

#include "ctns_sns.h"
#include "ctns_test.h"


#define PUBLISHED_V1  1782900922      /* 2026-07-01T10:15:22Z */


static const char  *topics[] = {
    "arn:aws:sns:us-east-1:123456789012:ct-order-events",
};

static ctns_sns_conf_t  conf = { topics, 1, 1, 3600 + 300, 300 };

static EVP_PKEY  *cert_key;


static ctns_sns_msg_t *
parse_file(const char *path)
{
    char               *body;
    size_t              len;
    ctns_sns_msg_t     *m;
    ctns_verify_err_t   err;

    body = ctns_test_read_file(path, &len);
    if (body == NULL) {
        return NULL;
    }

    if (ctns_sns_parse(body, len, &m, &err) != CTNS_VERIFY_OK) {
        fprintf(stderr, "%s: %s\n", path, err.reason);
        m = NULL;
    }

    free(body);

    return m;
}


static ctns_verify_rc_t
parse_str(const char *body, ctns_verify_err_t *err)
{
    ctns_sns_msg_t    *m;
    ctns_verify_rc_t   rc;

    rc = ctns_sns_parse(body, strlen(body), &m, err);
    ctns_sns_free(m);

    return rc;
}


/* Parses, compares the string-to-sign with the fixture, verifies. */

static void
valid_message(const char *json, const char *sts, int version,
    ctns_sns_type_t type)
{
    char               *want;
    size_t              want_len, len;
    unsigned char      *got;
    ctns_sns_msg_t     *m;
    ctns_verify_err_t   err;

    m = parse_file(json);
    CHECK(m != NULL);
    if (m == NULL) {
        return;
    }

    CHECK_INT(m->version, version);
    CHECK_INT(m->type, type);

    if (sts) {
        want = ctns_test_read_file(sts, &want_len);
        CHECK(ctns_sns_string_to_sign(m, &got, &len, &err) == CTNS_VERIFY_OK);
        CHECK(want != NULL && len == want_len
              && memcmp(got, want, len) == 0);
        free(want);
        free(got);
    }

    CHECK_INT(ctns_sns_check(&conf, m, m->published + 60, &err),
              CTNS_VERIFY_OK);
    CHECK_INT(ctns_sns_verify_signature(m, cert_key, &err), CTNS_VERIFY_OK);

    ctns_sns_free(m);
}


static void
test_valid(void)
{
    ctns_sns_msg_t  *m;

    valid_message("signatures/sns-notification-v1.json",
                  "signatures/sns-notification-v1.string-to-sign.txt", 1,
                  CTNS_SNS_NOTIFICATION);
    valid_message("signatures/sns-notification-v2.json",
                  "signatures/sns-notification-v2.string-to-sign.txt", 2,
                  CTNS_SNS_NOTIFICATION);
    valid_message("signatures/sns-subscription-confirmation.json",
                  "signatures/sns-subscription-confirmation.string-to-sign.txt",
                  1, CTNS_SNS_SUBSCRIPTION_CONFIRMATION);
    valid_message("commercetools/envelopes/sns-notification-order-created.json",
                  NULL, 2, CTNS_SNS_NOTIFICATION);
    valid_message("commercetools/envelopes/sns-subscription-confirmation.json",
                  NULL, 2, CTNS_SNS_SUBSCRIPTION_CONFIRMATION);

    /* Subject: absent in v1, present (and signed) in v2 */
    m = parse_file("signatures/sns-notification-v1.json");
    CHECK(m != NULL && m->subject == NULL);
    CHECK(m != NULL && m->published == PUBLISHED_V1);
    CHECK(m != NULL && strncmp(m->message, "{\"notificationType\"", 19) == 0);
    ctns_sns_free(m);

    m = parse_file("signatures/sns-notification-v2.json");
    CHECK(m != NULL && m->subject != NULL);
    /* the Message is unescaped UTF-8: "Zürich" */
    CHECK(m != NULL && strstr(m->message, "Z\xc3\xbcrich") != NULL);
    ctns_sns_free(m);

    m = parse_file("signatures/sns-subscription-confirmation.json");
    CHECK(m != NULL && m->token != NULL && m->subscribe_url != NULL);
    CHECK(m != NULL && strchr(m->message, '\n') != NULL);
    ctns_sns_free(m);
}


/* Rewrites one field of a fixture (first occurrence of from -> to). */

static ctns_verify_rc_t
verify_edited(const char *path, const char *from, const char *to,
    ctns_verify_err_t *err)
{
    char              *body, *at, *edited;
    size_t             len;
    ctns_sns_msg_t    *m;
    ctns_verify_rc_t   rc;

    body = ctns_test_read_file(path, &len);
    if (body == NULL || (at = strstr(body, from)) == NULL) {
        free(body);
        return CTNS_VERIFY_ERROR;
    }

    edited = malloc(len + strlen(to) + 1);
    if (edited == NULL) {
        free(body);
        return CTNS_VERIFY_ERROR;
    }

    sprintf(edited, "%.*s%s%s", (int) (at - body), body, to,
            at + strlen(from));

    rc = ctns_sns_parse(edited, strlen(edited), &m, err);
    if (rc == CTNS_VERIFY_OK) {
        rc = ctns_sns_verify_signature(m, cert_key, err);
        ctns_sns_free(m);
    }

    free(body);
    free(edited);

    return rc;
}


static void
test_tampered(void)
{
    ctns_sns_msg_t     *m;
    ctns_verify_err_t   err;

    m = parse_file("signatures/sns-notification-v2-tampered.json");
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(ctns_sns_verify_signature(m, cert_key, &err),
                  CTNS_VERIFY_DENIED);
        CHECK(strstr(err.reason, "signature mismatch") != NULL);
        ctns_sns_free(m);
    }

    /* the same file with its MessageId, Subject, Type or version changed */
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "5e01\"", "5e02\"", &err), CTNS_VERIFY_DENIED);
    CHECK_INT(verify_edited("signatures/sns-notification-v2.json",
                            "\"Subject\": \"", "\"Subject\": \"x", &err),
              CTNS_VERIFY_DENIED);
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "\"SignatureVersion\": \"1\"",
                            "\"SignatureVersion\": \"2\"", &err),
              CTNS_VERIFY_DENIED);
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "\"SignatureVersion\": \"1\"",
                            "\"SignatureVersion\": \"3\"", &err),
              CTNS_VERIFY_DENIED);
    /* Subject added to a message signed without one */
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "\"Type\"", "\"Subject\": \"x\", \"Type\"", &err),
              CTNS_VERIFY_DENIED);
    /* Subject: null counts as absent */
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "\"Type\"", "\"Subject\": null, \"Type\"", &err),
              CTNS_VERIFY_OK);
    /* a Token injected into a notification */
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "\"Type\"", "\"Token\": \"x\", \"Type\"", &err),
              CTNS_VERIFY_MALFORMED);
    /* a confirmation turned into a notification */
    CHECK_INT(verify_edited("signatures/sns-subscription-confirmation.json",
                            "\"SubscriptionConfirmation\"",
                            "\"Notification\"", &err),
              CTNS_VERIFY_MALFORMED);
    CHECK_INT(verify_edited("signatures/sns-subscription-confirmation.json",
                            "\"SubscriptionConfirmation\"",
                            "\"UnsubscribeConfirmation\"", &err),
              CTNS_VERIFY_DENIED);
}


static void
test_malformed(void)
{
    ctns_verify_err_t  err;

    CHECK_INT(parse_str("", &err), CTNS_VERIFY_MALFORMED);
    CHECK_INT(parse_str("[]", &err), CTNS_VERIFY_MALFORMED);
    CHECK_INT(parse_str("{\"Type\":\"Notification\"}", &err),
              CTNS_VERIFY_MALFORMED);
    CHECK(strstr(err.reason, "without \"Message\"") != NULL);
    CHECK_INT(parse_str("{\"Type\":\"Other\"}", &err), CTNS_VERIFY_MALFORMED);
    CHECK_INT(parse_str("{\"Type\":1}", &err), CTNS_VERIFY_MALFORMED);
    CHECK_INT(parse_str("{\"Type\":\"Notification\",\"Type\":\"Notification\"}",
                        &err), CTNS_VERIFY_MALFORMED);
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "2026-07-01T10:15:22.931Z", "2026-07-01 10:15:22Z",
                            &err), CTNS_VERIFY_MALFORMED);
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "\"Signature\": \"oQf0", "\"Signature\": \"*Qf0",
                            &err), CTNS_VERIFY_DENIED);
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "\"Message\": \"", "\"Message\": 1, \"x\": \"",
                            &err), CTNS_VERIFY_MALFORMED);
}


static void
region_mismatch(void)
{
    char               *body;
    size_t              len;
    ctns_sns_msg_t     *m;
    ctns_verify_err_t   err;

    body = ctns_test_read_file("signatures/sns-notification-v1.json", &len);
    if (body == NULL) {
        CHECK(0);
        return;
    }

    memcpy(strstr(body, "https://sns.us-east-1") + 12, "eu-west-1", 9);
    CHECK_INT(ctns_sns_parse(body, len, &m, &err), CTNS_VERIFY_OK);

    if (m) {
        CHECK_INT(ctns_sns_check(&conf, m, PUBLISHED_V1, &err),
                  CTNS_VERIFY_DENIED);
        CHECK(strstr(err.reason, "region") != NULL);
        ctns_sns_free(m);
    }

    free(body);
}


static void
test_policy(void)
{
    ctns_sns_msg_t     *m;
    ctns_sns_conf_t     c;
    ctns_verify_err_t   err;

    static const char  *other[] = { "arn:aws:sns:us-east-1:999:x" };

    m = parse_file("signatures/sns-notification-v1.json");
    if (m == NULL) {
        CHECK(0);
        return;
    }

    c = conf;
    c.topics = other;
    CHECK_INT(ctns_sns_check(&c, m, PUBLISHED_V1, &err), CTNS_VERIFY_DENIED);
    CHECK(strstr(err.reason, "TopicArn") != NULL);

    c = conf;
    c.min_version = 2;
    CHECK_INT(ctns_sns_check(&c, m, PUBLISHED_V1, &err), CTNS_VERIFY_DENIED);

    /* replay window: max_age in the past, skew in the future */
    CHECK_INT(ctns_sns_check(&conf, m, PUBLISHED_V1 + 3900, &err),
              CTNS_VERIFY_OK);
    CHECK_INT(ctns_sns_check(&conf, m, PUBLISHED_V1 + 3901, &err),
              CTNS_VERIFY_DENIED);
    CHECK_INT(ctns_sns_check(&conf, m, PUBLISHED_V1 - 300, &err),
              CTNS_VERIFY_OK);
    CHECK_INT(ctns_sns_check(&conf, m, PUBLISHED_V1 - 301, &err),
              CTNS_VERIFY_DENIED);

    ctns_sns_free(m);

    /*
     * SigningCertURL is not signed: another region's URL still verifies,
     * so the policy check must refuse it.
     */
    CHECK_INT(verify_edited("signatures/sns-notification-v1.json",
                            "https://sns.us-east-1", "https://sns.eu-west-1",
                            &err), CTNS_VERIFY_OK);
    region_mismatch();
}


static void
test_cert_urls(void)
{
    char               *json;
    size_t              i, len, n_accept;
    json_t             *root, *cases, *c;
    const char         *url, *expect;
    ctns_verify_rc_t    rc;
    ctns_verify_err_t   err;

    json = ctns_test_read_file("signatures/sns-signing-cert-url-cases.json",
                               &len);
    root = json ? json_loadb(json, len, 0, NULL) : NULL;
    cases = json_object_get(root, "cases");
    CHECK_INT(json_array_size(cases), 17);

    n_accept = 0;

    json_array_foreach(cases, i, c) {
        url = json_string_value(json_object_get(c, "url"));
        expect = json_string_value(json_object_get(c, "expect"));

        rc = ctns_sns_url_check(url, strlen(url), CTNS_SNS_URL_CERT, NULL,
                                &err);

        /* "reject (recommended)" is rejected too */
        if (strcmp(expect, "accept") == 0) {
            n_accept++;
            CHECK_INT(rc, CTNS_VERIFY_OK);
        } else {
            CHECK_INT(rc, CTNS_VERIFY_DENIED);
        }

        if ((rc == CTNS_VERIFY_OK) != (strcmp(expect, "accept") == 0)) {
            fprintf(stderr, "case %s: %s\n", url, err.reason);
        }
    }

    CHECK_INT(n_accept, 4);

    json_decref(root);
    free(json);
}


static void
url_case(const char *url, ctns_sns_url_kind_t kind, ctns_verify_rc_t want)
{
    ctns_verify_rc_t   rc;
    ctns_verify_err_t  err;

    rc = ctns_sns_url_check(url, strlen(url), kind, NULL, &err);
    if (rc != want) {
        fprintf(stderr, "url %s: %d (%s)\n", url, rc, err.reason);
    }
    CHECK_INT(rc, want);
}


static void
test_more_urls(void)
{
    ctns_sns_url_t  parts;

    static const char  sub[] =
        "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        "&TopicArn=arn:aws:sns:us-east-1:123456789012:t&Token=ab12";
    static const char  cert[] =
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-"
        "x.pem";

    url_case(sub, CTNS_SNS_URL_SUBSCRIBE, CTNS_VERIFY_OK);
    url_case(sub, CTNS_SNS_URL_CERT, CTNS_VERIFY_DENIED);
    url_case(cert, CTNS_SNS_URL_SUBSCRIBE, CTNS_VERIFY_DENIED);
    url_case("https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&x=1",
             CTNS_SNS_URL_SUBSCRIBE, CTNS_VERIFY_DENIED);
    url_case("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
             "&x=1#f", CTNS_SNS_URL_SUBSCRIBE, CTNS_VERIFY_DENIED);
    url_case("https://sns.us-east-1.amazonaws.com:443/?Action="
             "ConfirmSubscription&x", CTNS_SNS_URL_SUBSCRIBE,
             CTNS_VERIFY_DENIED);
    url_case("https://sns.us-east-1.amazonaws.com/a/../b.pem",
             CTNS_SNS_URL_CERT, CTNS_VERIFY_DENIED);
    url_case("https://sns.us-east-1.amazonaws.com/a%2f.pem",
             CTNS_SNS_URL_CERT, CTNS_VERIFY_DENIED);
    url_case("https://sns.us-east-1.amazonaws.com", CTNS_SNS_URL_CERT,
             CTNS_VERIFY_DENIED);
    url_case("https://sns..amazonaws.com/x.pem", CTNS_SNS_URL_CERT,
             CTNS_VERIFY_DENIED);
    url_case("https://sns.us.east.amazonaws.com/x.pem", CTNS_SNS_URL_CERT,
             CTNS_VERIFY_DENIED);
    url_case("https://sns.us-east-1.amazonaws.cn/x.pem", CTNS_SNS_URL_CERT,
             CTNS_VERIFY_DENIED);
    url_case("https://sns.us-east-1.amazonaws.com\\@evil.example/x.pem",
             CTNS_SNS_URL_CERT, CTNS_VERIFY_DENIED);
    url_case("HTTPS://sns.us-east-1.amazonaws.com/x.pem", CTNS_SNS_URL_CERT,
             CTNS_VERIFY_DENIED);

    CHECK_INT(ctns_sns_url_check(cert, strlen(cert), CTNS_SNS_URL_CERT,
                                 &parts, NULL), CTNS_VERIFY_OK);
    CHECK(parts.region_len == 10 && memcmp(parts.region, "cn-north-1", 10)
          == 0);
    CHECK(parts.path_len == 32 && parts.path[0] == '/');
}


static void
test_cert_files(void)
{
    char                name[CTNS_SNS_CERT_NAME_LEN], *pem;
    size_t              len;
    time_t              not_after;
    EVP_PKEY           *key;
    ctns_verify_err_t   err;

    static const char   url[] = "https://sns.us-east-1.amazonaws.com/x.pem";

    ctns_sns_cert_file_name(url, strlen(url), name);
    CHECK_INT(strlen(name), CTNS_SNS_CERT_NAME_LEN - 1);
    CHECK(strncmp(name, "sns-", 4) == 0);
    CHECK(strspn(name + 4, "0123456789abcdef") == 64);
    CHECK(strcmp(name + 68, ".pem") == 0);

    CHECK_INT(ctns_sns_cert_load("signatures/no-such.pem", PUBLISHED_V1, &key,
                                 NULL, &err), CTNS_VERIFY_NOKEY);
    CHECK_INT(ctns_sns_cert_load("signatures/jwks.json", PUBLISHED_V1, &key,
                                 NULL, &err), CTNS_VERIFY_MALFORMED);
    /* valid 2026-01-01 .. 2099-12-31 */
    CHECK_INT(ctns_sns_cert_load("signatures/TEST-ONLY-self-signed-cert.pem",
                                 1700000000, &key, NULL, &err),
              CTNS_VERIFY_DENIED);
    CHECK(strstr(err.reason, "not valid now") != NULL);

    pem = ctns_test_read_file("signatures/TEST-ONLY-self-signed-cert.pem",
                              &len);
    CHECK_INT(ctns_sns_cert_key(pem, len / 2, PUBLISHED_V1, &key, NULL, &err),
              CTNS_VERIFY_MALFORMED);

    /* valid until 2099-12-31 */
    CHECK_INT(ctns_sns_cert_key(pem, len, PUBLISHED_V1, &key, &not_after,
                                &err), CTNS_VERIFY_OK);
    CHECK(not_after == 4102444799LL);
    EVP_PKEY_free(key);
    free(pem);
}


int
main(void)
{
    ctns_verify_err_t  err;

    CHECK_INT(ctns_sns_cert_load("signatures/TEST-ONLY-self-signed-cert.pem",
                                 PUBLISHED_V1, &cert_key, NULL, &err),
              CTNS_VERIFY_OK);

    if (cert_key) {
        test_valid();
        test_tampered();
        test_malformed();
        test_policy();
        EVP_PKEY_free(cert_key);
    }

    test_cert_urls();
    test_more_urls();
    test_cert_files();

    TEST_DONE();
}
