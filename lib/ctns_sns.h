/*
 * Copyright (C) ct-netsuite authors
 *
 * Amazon SNS HTTP(S) deliveries: the JSON envelope of a Notification,
 * SubscriptionConfirmation or UnsubscribeConfirmation, its string-to-sign,
 * the SigningCertURL / SubscribeURL host rules (the same for the module and
 * for ctns-keys, which fetches those URLs), the certificate cache file name
 * and the RSA check (SignatureVersion 1 SHA1withRSA, 2 SHA256withRSA).
 *
 * Use: ctns_sns_parse(), ctns_sns_check() (policy: topic, version, URL,
 * replay window), then load the certificate named by ctns_sns_cert_file_name()
 * and ctns_sns_verify_signature().  Only then act on the type.
 */

#ifndef _CTNS_SNS_H_INCLUDED_
#define _CTNS_SNS_H_INCLUDED_


#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "ctns_verify.h"


/* SNS messages are at most 256 KiB; JSON escaping adds to that */
#define CTNS_SNS_MAX_BODY       (384 * 1024)
#define CTNS_SNS_URL_MAX        2048
/* "sns-" + 64 hex digits + ".pem" + NUL */
#define CTNS_SNS_CERT_NAME_LEN  73


typedef enum {
    CTNS_SNS_NOTIFICATION = 0,
    CTNS_SNS_SUBSCRIPTION_CONFIRMATION,
    CTNS_SNS_UNSUBSCRIBE_CONFIRMATION
} ctns_sns_type_t;


typedef enum {
    CTNS_SNS_URL_CERT = 0,        /* https://sns.<region>.../<name>.pem */
    CTNS_SNS_URL_SUBSCRIBE        /* https://sns.<region>.../?Action=... */
} ctns_sns_url_kind_t;


typedef struct {
    const char  *region;          /* spans into the checked URL */
    size_t       region_len;
    const char  *path;            /* from the first '/' to the end */
    size_t       path_len;
} ctns_sns_url_t;


typedef struct {
    ctns_sns_type_t   type;
    const char       *type_name;
    int               version;          /* SignatureVersion: 1 or 2 */
    time_t            published;        /* Timestamp */
    const char       *message;          /* JSON-unescaped UTF-8 */
    size_t            message_len;
    const char       *message_id;
    const char       *topic_arn;
    const char       *subject;          /* NULL when absent */
    const char       *token;            /* confirmations only */
    const char       *subscribe_url;    /* confirmations only */
    const char       *signing_cert_url;
    size_t            signing_cert_url_len;
    unsigned char    *signature;
    size_t            signature_len;
    json_t           *root;             /* owns the strings above */
} ctns_sns_msg_t;


typedef struct {
    const char  *const *topics;         /* allowed TopicArn values */
    size_t              n_topics;
    int                 min_version;    /* 2 refuses SHA1withRSA */
    long                max_age;        /* seconds Timestamp may be old */
    long                skew;           /* seconds Timestamp may be ahead */
} ctns_sns_conf_t;


ctns_verify_rc_t ctns_sns_parse(const char *body, size_t len,
    ctns_sns_msg_t **msg, ctns_verify_err_t *err);
void ctns_sns_free(ctns_sns_msg_t *msg);

/* Topic allow-list, SignatureVersion, SigningCertURL and its region, age. */
ctns_verify_rc_t ctns_sns_check(const ctns_sns_conf_t *conf,
    const ctns_sns_msg_t *msg, time_t now, ctns_verify_err_t *err);

/* The exact bytes SNS signed, malloc'd. */
ctns_verify_rc_t ctns_sns_string_to_sign(const ctns_sns_msg_t *msg,
    unsigned char **out, size_t *len, ctns_verify_err_t *err);

ctns_verify_rc_t ctns_sns_verify_signature(const ctns_sns_msg_t *msg,
    EVP_PKEY *key, ctns_verify_err_t *err);

/* parts may be NULL. */
ctns_verify_rc_t ctns_sns_url_check(const char *url, size_t len,
    ctns_sns_url_kind_t kind, ctns_sns_url_t *parts, ctns_verify_err_t *err);

/*
 * The cache file name of a (checked) SigningCertURL: "sns-<sha256 hex of
 * the URL>.pem", so that no URL byte reaches the file system.  buf has
 * CTNS_SNS_CERT_NAME_LEN bytes.
 */
void ctns_sns_cert_file_name(const char *url, size_t len, char *buf);

/*
 * The public key of a PEM certificate, valid at now, RSA >= 2048 bits;
 * the caller frees it.  *not_after (when not NULL) is the end of the
 * certificate's validity, for a cache to stop using it then.
 * ctns_sns_cert_load() reads a cache file: a missing file is
 * CTNS_VERIFY_NOKEY.
 */
ctns_verify_rc_t ctns_sns_cert_key(const char *pem, size_t len, time_t now,
    EVP_PKEY **key, time_t *not_after, ctns_verify_err_t *err);
ctns_verify_rc_t ctns_sns_cert_load(const char *path, time_t now,
    EVP_PKEY **key, time_t *not_after, ctns_verify_err_t *err);


#endif /* _CTNS_SNS_H_INCLUDED_ */
