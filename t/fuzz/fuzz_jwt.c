/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: the Pub/Sub token verifier against the TEST-ONLY JWKS (cwd
 * t/fixtures), in two modes chosen by the first byte.  Raw: the input is an
 * Authorization value or a token.  Signed: the input is "header\nclaims";
 * both are base64url-encoded and signed with the TEST-ONLY private key, so
 * that the header and claim checks behind a valid signature are reached.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>

#include "ctns_base64.h"
#include "ctns_jwt.h"


static ctns_jwks_t  *keys;
static EVP_PKEY     *private_key;

static const char   *audiences[] = { "https://hooks.example.com/ct" };

static const ctns_jwt_conf_t  conf = {
    audiences, 1, "ct-push-invoker@example-project.iam.gserviceaccount.com",
    300, 3900
};


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE               *f;
    ctns_verify_err_t   err;

    keys = ctns_jwks_load("signatures/jwks.json", &err);
    f = fopen("signatures/TEST-ONLY-rsa2048-private-key.pem", "r");

    if (keys == NULL || f == NULL) {
        fprintf(stderr, "fuzz_jwt: fixtures missing (run from t/fixtures)\n");
        abort();
    }

    private_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);

    if (private_key == NULL) {
        abort();
    }

    return 0;
}


/* header "." claims "." RS256 signature, all base64url */

static size_t
signed_token(const unsigned char *hdr, size_t hlen, const unsigned char *cl,
    size_t clen, char *tok)
{
    size_t        n, sig_len;
    EVP_MD_CTX   *ctx;
    unsigned char sig[512];

    n = ctns_base64url_encode((unsigned char *) tok, hdr, hlen);
    tok[n++] = '.';
    n += ctns_base64url_encode((unsigned char *) tok + n, cl, clen);

    ctx = EVP_MD_CTX_new();
    sig_len = sizeof(sig);

    if (ctx == NULL
        || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, private_key) != 1
        || EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *) tok, n) != 1)
    {
        abort();
    }

    EVP_MD_CTX_free(ctx);

    tok[n++] = '.';
    n += ctns_base64url_encode((unsigned char *) tok + n, sig, sig_len);

    return n;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char                   *tok;
    size_t                  len;
    const char             *raw;
    const unsigned char    *nl;
    ctns_verify_err_t       err;

    if (size > 0 && data[0] == 'S' && size < 2048
        && (nl = memchr(data + 1, '\n', size - 1)) != NULL)
    {
        tok = malloc(2 * size + 512);
        if (tok == NULL) {
            return 0;
        }

        len = signed_token(data + 1, nl - data - 1, nl + 1,
                           data + size - nl - 1, tok);
        ctns_jwt_verify(&conf, keys, tok, len, 1782901222, &err);
        free(tok);

        return 0;
    }

    raw = ctns_jwt_from_authorization((const char *) data, size, &len);
    if (raw == NULL) {
        raw = (const char *) data;
        len = size;
    }

    ctns_jwt_verify(&conf, keys, raw, len, 1782901222, &err);

    return 0;
}
