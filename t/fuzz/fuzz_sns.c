/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: an SNS HTTP body through parsing, policy, the URL rules, the
 * cache file name and the signature check against the TEST-ONLY
 * certificate (cwd t/fixtures); the raw input is also tried as a URL.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_sns.h"


static EVP_PKEY     *key;

static const char   *topics[] = {
    "arn:aws:sns:us-east-1:123456789012:ct-order-events",
};

static const ctns_sns_conf_t  conf = { topics, 1, 1, 3900, 300 };


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ctns_verify_err_t  err;

    if (ctns_sns_cert_load("signatures/TEST-ONLY-self-signed-cert.pem",
                           1782901222, &key, NULL, &err) != CTNS_VERIFY_OK)
    {
        fprintf(stderr, "fuzz_sns: %s (run from t/fixtures)\n", err.reason);
        abort();
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char               name[CTNS_SNS_CERT_NAME_LEN];
    ctns_sns_url_t     parts;
    ctns_sns_msg_t    *m;
    ctns_verify_err_t  err;

    ctns_sns_url_check((const char *) data, size, CTNS_SNS_URL_CERT, &parts,
                       &err);
    ctns_sns_url_check((const char *) data, size, CTNS_SNS_URL_SUBSCRIBE,
                       &parts, &err);

    if (ctns_sns_parse((const char *) data, size, &m, &err)
        != CTNS_VERIFY_OK)
    {
        return 0;
    }

    ctns_sns_check(&conf, m, m->published, &err);
    ctns_sns_cert_file_name(m->signing_cert_url, m->signing_cert_url_len,
                            name);

    if (m->subscribe_url != NULL) {
        ctns_sns_url_check(m->subscribe_url, strlen(m->subscribe_url),
                           CTNS_SNS_URL_SUBSCRIBE, &parts, &err);
    }

    ctns_sns_verify_signature(m, key, &err);
    ctns_sns_free(m);

    return 0;
}
