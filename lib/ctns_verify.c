/*
 * Copyright (C) ct-netsuite authors
 */


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctns_verify.h"


#define CTNS_RSA_MIN_BITS  2048


ctns_verify_rc_t
ctns_verify_fail(ctns_verify_err_t *err, ctns_verify_rc_t rc,
    const char *fmt, ...)
{
    char     *p;
    va_list   args;

    if (err == NULL) {
        return rc;
    }

    va_start(args, fmt);
    vsnprintf(err->reason, sizeof(err->reason), fmt, args);
    va_end(args);

    for (p = err->reason; *p; p++) {
        if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e) {
            *p = '?';
        }
    }

    return rc;
}


json_t *
ctns_verify_json(const char *buf, size_t len, const char *what,
    ctns_verify_err_t *err)
{
    json_t        *root;
    json_error_t   jerr;

    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                         "%s: invalid JSON at offset %d: %.60s",
                         what, jerr.position, jerr.text);
    }

    return root;
}


const char *
ctns_verify_json_str(json_t *obj, const char *key, size_t *len,
    ctns_verify_rc_t *rc, ctns_verify_err_t *err)
{
    json_t  *v;

    v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        return NULL;
    }

    if (!json_is_string(v)) {
        *rc = ctns_verify_fail(err, CTNS_VERIFY_MALFORMED,
                               "\"%s\" is not a string", key);
        return NULL;
    }

    if (len) {
        *len = json_string_length(v);
    }

    return json_string_value(v);
}


ctns_verify_rc_t
ctns_verify_rsa(EVP_PKEY *key, const EVP_MD *md, const unsigned char *data,
    size_t len, const unsigned char *sig, size_t sig_len,
    ctns_verify_err_t *err)
{
    int          rc;
    EVP_MD_CTX  *ctx;

    if (!EVP_PKEY_is_a(key, "RSA")
        || EVP_PKEY_get_bits(key) < CTNS_RSA_MIN_BITS)
    {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "key is not RSA of at least %d bits",
                                CTNS_RSA_MIN_BITS);
    }

    if (sig_len != (size_t) EVP_PKEY_get_size(key)) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "signature is %zu bytes, key needs %d",
                                sig_len, EVP_PKEY_get_size(key));
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    /* the default RSA padding of a verify context is PKCS#1 v1.5 */
    rc = EVP_DigestVerifyInit(ctx, NULL, md, NULL, key);
    if (rc == 1) {
        rc = EVP_DigestVerify(ctx, sig, sig_len, data, len);
    }

    EVP_MD_CTX_free(ctx);

    if (rc != 1) {
        return ctns_verify_fail(err, CTNS_VERIFY_DENIED,
                                "%s signature mismatch", EVP_MD_get0_name(md));
    }

    return CTNS_VERIFY_OK;
}


ctns_verify_rc_t
ctns_verify_read_file(const char *path, size_t max, char **buf, size_t *len,
    ctns_verify_err_t *err)
{
    FILE         *f;
    char         *p;
    size_t        n;
    struct stat   st;

    *buf = NULL;

    f = fopen(path, "rb");
    if (f == NULL) {
        return ctns_verify_fail(err, errno == ENOENT ? CTNS_VERIFY_NOKEY
                                                     : CTNS_VERIFY_ERROR,
                                "%s: %s", path, strerror(errno));
    }

    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)
        || (size_t) st.st_size > max)
    {
        fclose(f);
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR,
                                "%s: not a regular file of at most %zu bytes",
                                path, max);
    }

    p = malloc((size_t) st.st_size + 1);
    if (p == NULL) {
        fclose(f);
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "out of memory");
    }

    n = fread(p, 1, (size_t) st.st_size, f);
    fclose(f);

    if (n != (size_t) st.st_size) {
        free(p);
        return ctns_verify_fail(err, CTNS_VERIFY_ERROR, "%s: short read",
                                path);
    }

    p[n] = '\0';
    *buf = p;
    *len = n;

    return CTNS_VERIFY_OK;
}
