/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ctns_base64.h"
#include "ctns_sns.h"


#define CTNS_SNS_SIG_MAX       1024
#define CTNS_SNS_CERT_MAX      (16 * 1024)
#define CTNS_SNS_REGION_MIN    3
#define CTNS_SNS_REGION_MAX    32

/* URLs are not NUL-terminated: reasons quote at most 80 of their bytes */
#define ctns_sns_quote(len)    (int) ((len) < 80 ? (len) : 80)


static const char  *ctns_sns_types[] = {
    "Notification",
    "SubscriptionConfirmation",
    "UnsubscribeConfirmation",
};


/*
 * The single list of the AWS validators: every key present is signed, in
 * this order, so an injected Token or Subject changes the signed bytes.
 */
static const char  *ctns_sns_signed[] = {
    "Message", "MessageId", "Subject", "SubscribeURL", "Timestamp", "Token",
    "TopicArn", "Type",
};


static const char  ctns_sns_confirm_query[] = "?Action=ConfirmSubscription&";


/* --- URLs ----------------------------------------------------------------- */


static int
ctns_sns_lower_label(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')
              || p[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * ^sns\.[a-z0-9-]{3,32}\.amazonaws\.com(\.cn)?$ -- the AWS validators'
 * pattern, lower case only (genuine URLs are), so that neither an S3 bucket
 * host, a suffix ("...amazonaws.com.evil.example") nor userinfo or a port
 * (both bring '@' or ':') can pass.
 */

static ctns_verify_rc_t
ctns_sns_host(const char *host, size_t len, ctns_sns_url_t *parts,
    ctns_verify_err_t *err)
{
    size_t       rlen;
    const char  *region, *end;

    end = host + len;

    if (len > 3 && memcmp(end - 3, ".cn", 3) == 0) {
        end -= 3;
    }

    if (end - host < 4 + CTNS_SNS_REGION_MIN + 14
        || memcmp(host, "sns.", 4) != 0
        || memcmp(end - 14, ".amazonaws.com", 14) != 0)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "URL host \"%.*s\" is not sns.<region>."
                                "amazonaws.com", ctns_sns_quote(len), host);
    }

    region = host + 4;
    rlen = end - 14 - region;

    if (rlen < CTNS_SNS_REGION_MIN || rlen > CTNS_SNS_REGION_MAX
        || !ctns_sns_lower_label(region, rlen))
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "URL host \"%.*s\" has no valid region label",
                                ctns_sns_quote(len), host);
    }

    if (parts) {
        parts->region = region;
        parts->region_len = rlen;
    }

    return CTNS_VERIFY_OK;
}


static int
ctns_sns_path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
           || c == '/';
}


static ctns_verify_rc_t
ctns_sns_cert_path(const char *path, size_t len, ctns_verify_err_t *err)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!ctns_sns_path_char(path[i])) {
            return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                    "SigningCertURL path has a query, "
                                    "fragment or odd character");
        }
    }

    /* no empty and no ".." segments: the path is fetched as it stands */
    for (i = 0; i + 1 < len; i++) {
        if (path[i] == '/'
            && (path[i + 1] == '/'
                || (path[i + 1] == '.' && i + 2 < len && path[i + 2] == '.')))
        {
            return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                    "SigningCertURL path has an empty or "
                                    "\"..\" segment");
        }
    }

    if (len < 5 || memcmp(path + len - 4, ".pem", 4) != 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SigningCertURL path does not name a .pem");
    }

    return CTNS_VERIFY_OK;
}


static ctns_verify_rc_t
ctns_sns_subscribe_path(const char *path, size_t len, ctns_verify_err_t *err)
{
    size_t  i, qlen;

    qlen = sizeof(ctns_sns_confirm_query) - 1;

    if (len < 1 + qlen || path[0] != '/'
        || memcmp(path + 1, ctns_sns_confirm_query, qlen) != 0)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SubscribeURL is not /?Action="
                                "ConfirmSubscription&...");
    }

    for (i = 0; i < len; i++) {
        if (path[i] <= ' ' || path[i] >= 0x7f || path[i] == '#') {
            return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                    "SubscribeURL has a fragment or "
                                    "odd character");
        }
    }

    return CTNS_VERIFY_OK;
}


ctns_verify_rc_t
ctns_sns_url_check(const char *url, size_t len, ctns_sns_url_kind_t kind,
    ctns_sns_url_t *parts, ctns_verify_err_t *err)
{
    const char        *host, *path, *end;
    ctns_verify_rc_t   rc;

    if (url == NULL || len == 0 || len > CTNS_SNS_URL_MAX
        || memchr(url, '\0', len) != NULL)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "URL missing or longer than %d bytes",
                                CTNS_SNS_URL_MAX);
    }

    if (len < 8 || memcmp(url, "https://", 8) != 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "URL \"%.*s\" is not https",
                                ctns_sns_quote(len), url);
    }

    host = url + 8;
    end = url + len;

    path = memchr(host, '/', end - host);
    if (path == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "URL \"%.*s\" has no path",
                                ctns_sns_quote(len), url);
    }

    rc = ctns_sns_host(host, path - host, parts, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    rc = (kind == CTNS_SNS_URL_CERT)
         ? ctns_sns_cert_path(path, end - path, err)
         : ctns_sns_subscribe_path(path, end - path, err);

    if (rc == CTNS_VERIFY_OK && parts) {
        parts->path = path;
        parts->path_len = end - path;
    }

    return rc;
}


void
ctns_sns_cert_file_name(const char *url, size_t len, char *buf)
{
    size_t         i;
    unsigned int   n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    static const char  hex[] = "0123456789abcdef";

    EVP_Digest(url, len, md, &n, EVP_sha256(), NULL);

    memcpy(buf, "sns-", 4);

    for (i = 0; i < 32; i++) {
        buf[4 + 2 * i] = hex[md[i] >> 4];
        buf[5 + 2 * i] = hex[md[i] & 0x0f];
    }

    memcpy(buf + 68, ".pem", 5);
}


/* --- the envelope --------------------------------------------------------- */


/* 2026-07-01T10:15:22.931Z: the fraction is optional, the zone is Z. */

static int
ctns_sns_digits(const char *p, int n)
{
    int  v;

    for (v = 0; n; n--, p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (*p - '0');
    }

    return v;
}


static int
ctns_sns_timestamp(const char *s, time_t *t)
{
    size_t     len;
    struct tm  tm;

    len = strlen(s);

    if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T'
        || s[13] != ':' || s[16] != ':' || s[len - 1] != 'Z')
    {
        return -1;
    }

    /* an optional fraction of 1 to 9 digits between seconds and 'Z' */
    if (len > 20 && (s[19] != '.' || len == 21 || len > 30
                     || ctns_sns_digits(s + 20, (int) len - 21) < 0))
    {
        return -1;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = ctns_sns_digits(s, 4) - 1900;
    tm.tm_mon = ctns_sns_digits(s + 5, 2) - 1;
    tm.tm_mday = ctns_sns_digits(s + 8, 2);
    tm.tm_hour = ctns_sns_digits(s + 11, 2);
    tm.tm_min = ctns_sns_digits(s + 14, 2);
    tm.tm_sec = ctns_sns_digits(s + 17, 2);

    if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11
        || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0
        || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59
        || tm.tm_sec < 0 || tm.tm_sec > 60)
    {
        return -1;
    }

    *t = timegm(&tm);

    return 0;
}


static ctns_verify_rc_t
ctns_sns_required(ctns_sns_msg_t *m, const char *key, const char **v,
    size_t *len, ctns_verify_err_t *err)
{
    ctns_verify_rc_t  rc;

    rc = CTNS_VERIFY_OK;
    *v = ctns_verify_json_str(m->root, key, len, &rc, err);

    if (*v == NULL && rc == CTNS_VERIFY_OK) {
        rc = ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                              "SNS %s without \"%s\"", m->type_name, key);
    }

    return rc;
}


static ctns_verify_rc_t
ctns_sns_type(ctns_sns_msg_t *m, ctns_verify_err_t *err)
{
    size_t             i;
    const char        *type;
    ctns_verify_rc_t   rc;

    if (!json_is_object(m->root)) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "SNS body is not a JSON object");
    }

    rc = CTNS_VERIFY_OK;
    type = ctns_verify_json_str(m->root, "Type", NULL, &rc, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    for (i = 0; type != NULL && i < 3; i++) {
        if (strcmp(type, ctns_sns_types[i]) == 0) {
            m->type = (ctns_sns_type_t) i;
            m->type_name = ctns_sns_types[i];
            return CTNS_VERIFY_OK;
        }
    }

    return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                            "SNS Type \"%.40s\" unknown",
                            type ? type : "(missing)");
}


/* Fields of the other kind of message must be absent, not just unsigned. */

static ctns_verify_rc_t
ctns_sns_fields(ctns_sns_msg_t *m, ctns_verify_err_t *err)
{
    const char        *ts;
    ctns_verify_rc_t   rc;

    if (ctns_sns_required(m, "Message", &m->message, &m->message_len, err)
        || ctns_sns_required(m, "MessageId", &m->message_id, NULL, err)
        || ctns_sns_required(m, "TopicArn", &m->topic_arn, NULL, err)
        || ctns_sns_required(m, "Timestamp", &ts, NULL, err)
        || ctns_sns_required(m, "SigningCertURL", &m->signing_cert_url,
                             &m->signing_cert_url_len, err))
    {
        return CTNS_VERIFY_MALFORMED;
    }

    if (ctns_sns_timestamp(ts, &m->published) != 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "SNS Timestamp \"%.40s\" is not ISO 8601 UTC",
                                ts);
    }

    rc = CTNS_VERIFY_OK;
    m->subject = ctns_verify_json_str(m->root, "Subject", NULL, &rc, err);
    m->token = ctns_verify_json_str(m->root, "Token", NULL, &rc, err);
    m->subscribe_url = ctns_verify_json_str(m->root, "SubscribeURL", NULL,
                                            &rc, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    if (m->type == CTNS_SNS_NOTIFICATION) {
        if (m->token != NULL || m->subscribe_url != NULL) {
            return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                    "SNS Notification with Token or "
                                    "SubscribeURL");
        }

        return CTNS_VERIFY_OK;
    }

    if (m->subject != NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "SNS %s with Subject", m->type_name);
    }

    if (m->token == NULL || m->subscribe_url == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "SNS %s without Token or SubscribeURL",
                                m->type_name);
    }

    return CTNS_VERIFY_OK;
}


static ctns_verify_rc_t
ctns_sns_signature(ctns_sns_msg_t *m, ctns_verify_err_t *err)
{
    long         n;
    size_t       len;
    const char  *version, *sig;

    if (ctns_sns_required(m, "SignatureVersion", &version, NULL, err)
        || ctns_sns_required(m, "Signature", &sig, &len, err))
    {
        return CTNS_VERIFY_MALFORMED;
    }

    if (strcmp(version, "1") == 0) {
        m->version = 1;

    } else if (strcmp(version, "2") == 0) {
        m->version = 2;

    } else {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SNS SignatureVersion \"%.8s\" unknown",
                                version);
    }

    if (len == 0 || len % 4 != 0
        || ctns_base64_decoded_len(len) > CTNS_SNS_SIG_MAX + 3)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SNS Signature of %zu characters", len);
    }

    m->signature = malloc(ctns_base64_decoded_len(len));
    if (m->signature == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    n = ctns_base64_decode(m->signature, (const unsigned char *) sig, len);
    if (n <= 0) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SNS Signature is not base64");
    }

    m->signature_len = (size_t) n;

    return CTNS_VERIFY_OK;
}


ctns_verify_rc_t
ctns_sns_parse(const char *body, size_t len, ctns_sns_msg_t **msg,
    ctns_verify_err_t *err)
{
    ctns_sns_msg_t    *m;
    ctns_verify_rc_t   rc;

    *msg = NULL;

    if (len > CTNS_SNS_MAX_BODY) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "SNS body of %zu bytes, at most %d",
                                len, CTNS_SNS_MAX_BODY);
    }

    m = calloc(1, sizeof(ctns_sns_msg_t));
    if (m == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    m->root = ctns_verify_json(body, len, "SNS body", err);
    if (m->root == NULL) {
        free(m);
        return CTNS_VERIFY_MALFORMED;
    }

    rc = ctns_sns_type(m, err);
    if (rc == CTNS_VERIFY_OK) {
        rc = ctns_sns_fields(m, err);
    }

    if (rc == CTNS_VERIFY_OK) {
        rc = ctns_sns_signature(m, err);
    }

    if (rc != CTNS_VERIFY_OK) {
        ctns_sns_free(m);
        return rc;
    }

    *msg = m;

    return CTNS_VERIFY_OK;
}


void
ctns_sns_free(ctns_sns_msg_t *msg)
{
    if (msg == NULL) {
        return;
    }

    json_decref(msg->root);
    free(msg->signature);
    free(msg);
}


/* --- policy and signature ------------------------------------------------- */


/* arn:<partition>:sns:<region>:<account>:<topic> */

static int
ctns_sns_arn_region(const char *arn, const char *region, size_t len)
{
    int          i;
    const char  *p;

    p = arn;

    for (i = 0; i < 3; i++) {
        p = strchr(p, ':');
        if (p == NULL) {
            return 0;
        }
        p++;
    }

    return strncmp(p, region, len) == 0 && p[len] == ':';
}


ctns_verify_rc_t
ctns_sns_check(const ctns_sns_conf_t *conf, const ctns_sns_msg_t *msg,
    time_t now, ctns_verify_err_t *err)
{
    size_t             i;
    ctns_sns_url_t     url;
    ctns_verify_rc_t   rc;

    for (i = 0; i < conf->n_topics; i++) {
        if (strcmp(msg->topic_arn, conf->topics[i]) == 0) {
            break;
        }
    }

    if (i == conf->n_topics) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SNS TopicArn \"%.100s\" is not allowed",
                                msg->topic_arn);
    }

    if (msg->version < conf->min_version) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SNS SignatureVersion %d below the required %d",
                                msg->version, conf->min_version);
    }

    rc = ctns_sns_url_check(msg->signing_cert_url, msg->signing_cert_url_len,
                            CTNS_SNS_URL_CERT, &url, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    /* a topic's messages are signed by its own region's endpoint */
    if (!ctns_sns_arn_region(msg->topic_arn, url.region, url.region_len)) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SigningCertURL region differs from the "
                                "TopicArn region");
    }

    if (msg->published < now - conf->max_age
        || msg->published > now + conf->skew)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "SNS Timestamp %lld outside the replay "
                                "window (now %lld)",
                                (long long) msg->published, (long long) now);
    }

    return CTNS_VERIFY_OK;
}


ctns_verify_rc_t
ctns_sns_string_to_sign(const ctns_sns_msg_t *msg, unsigned char **out,
    size_t *len, ctns_verify_err_t *err)
{
    size_t          i, n, total;
    json_t         *v;
    unsigned char  *buf, *p;

    total = 0;

    for (i = 0; i < sizeof(ctns_sns_signed) / sizeof(char *); i++) {
        v = json_object_get(msg->root, ctns_sns_signed[i]);
        if (json_is_string(v)) {
            total += strlen(ctns_sns_signed[i]) + json_string_length(v) + 2;
        }
    }

    buf = malloc(total + 1);
    if (buf == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    p = buf;

    for (i = 0; i < sizeof(ctns_sns_signed) / sizeof(char *); i++) {
        v = json_object_get(msg->root, ctns_sns_signed[i]);
        if (!json_is_string(v)) {
            continue;
        }

        n = strlen(ctns_sns_signed[i]);
        memcpy(p, ctns_sns_signed[i], n);
        p += n;
        *p++ = '\n';

        n = json_string_length(v);
        memcpy(p, json_string_value(v), n);
        p += n;
        *p++ = '\n';
    }

    *p = '\0';
    *out = buf;
    *len = total;

    return CTNS_VERIFY_OK;
}


ctns_verify_rc_t
ctns_sns_verify_signature(const ctns_sns_msg_t *msg, EVP_PKEY *key,
    ctns_verify_err_t *err)
{
    size_t             len;
    unsigned char     *data;
    ctns_verify_rc_t   rc;

    rc = ctns_sns_string_to_sign(msg, &data, &len, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    rc = ctns_verify_rsa(key, msg->version == 1 ? EVP_sha1() : EVP_sha256(),
                         data, len, msg->signature, msg->signature_len, err);
    free(data);

    return rc;
}


/* --- certificates --------------------------------------------------------- */


ctns_verify_rc_t
ctns_sns_cert_key(const char *pem, size_t len, time_t now, EVP_PKEY **key,
    time_t *not_after, ctns_verify_err_t *err)
{
    X509       *cert;
    BIO        *bio;
    struct tm   tm;

    *key = NULL;

    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (cert == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                "not a PEM X.509 certificate");
    }

    if (X509_cmp_time(X509_get0_notBefore(cert), &now) >= 0
        || X509_cmp_time(X509_get0_notAfter(cert), &now) <= 0)
    {
        X509_free(cert);
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "certificate not valid now");
    }

    if (not_after != NULL) {
        if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) {
            X509_free(cert);
            return ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                                    "certificate notAfter unreadable");
        }

        *not_after = timegm(&tm);
    }

    *key = X509_get_pubkey(cert);
    X509_free(cert);

    if (*key == NULL || !EVP_PKEY_is_a(*key, "RSA")
        || EVP_PKEY_get_bits(*key) < 2048)
    {
        EVP_PKEY_free(*key);
        *key = NULL;
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "certificate key is not RSA >= 2048 bits");
    }

    return CTNS_VERIFY_OK;
}


ctns_verify_rc_t
ctns_sns_cert_load(const char *path, time_t now, EVP_PKEY **key,
    time_t *not_after, ctns_verify_err_t *err)
{
    char              *pem;
    size_t             len;
    ctns_verify_rc_t   rc;

    *key = NULL;

    rc = ctns_verify_read_file(path, CTNS_SNS_CERT_MAX, &pem, &len, err);
    if (rc != CTNS_VERIFY_OK) {
        return rc;
    }

    rc = ctns_sns_cert_key(pem, len, now, key, not_after, err);
    free(pem);

    return rc;
}
