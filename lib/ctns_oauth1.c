/*
 * Copyright (C) ct-netsuite authors
 */


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ctns_base64.h"
#include "ctns_grow.h"
#include "ctns_oauth1.h"


typedef struct {
    char  *name;                     /* percent-encoded */
    char  *value;                    /* percent-encoded */
} ctns_oauth1_param_t;


typedef struct {
    ctns_oauth1_param_t  *items;
    size_t                n;
    size_t                cap;
} ctns_oauth1_params_t;


static const char  ctns_hex[] = "0123456789ABCDEF";


size_t
ctns_oauth1_encode(char *dst, const char *src, size_t len)
{
    size_t          i;
    char           *d;
    unsigned char   c;

    d = dst;

    for (i = 0; i < len; i++) {
        c = (unsigned char) src[i];

        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *d++ = (char) c;
            continue;
        }

        *d++ = '%';
        *d++ = ctns_hex[c >> 4];
        *d++ = ctns_hex[c & 0x0f];
    }

    *d = '\0';

    return d - dst;
}


static char *
ctns_oauth1_encode_dup(const char *src, size_t len)
{
    char  *dst;

    dst = malloc(3 * len + 1);
    if (dst == NULL) {
        return NULL;
    }

    ctns_oauth1_encode(dst, src, len);

    return dst;
}


static int
ctns_hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = tolower(c);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* application/x-www-form-urlencoded decoding in place; returns length */

static size_t
ctns_form_decode(char *s, size_t len)
{
    size_t  i, n;
    int     hi, lo;

    for (i = 0, n = 0; i < len; i++) {
        if (s[i] == '+') {
            s[n++] = ' ';
            continue;
        }

        if (s[i] == '%' && i + 2 < len) {
            hi = ctns_hexval((unsigned char) s[i + 1]);
            lo = ctns_hexval((unsigned char) s[i + 2]);

            if (hi >= 0 && lo >= 0) {
                s[n++] = (char) (hi << 4 | lo);
                i += 2;
                continue;
            }
        }

        s[n++] = s[i];
    }

    return n;
}


static int
ctns_oauth1_add(ctns_oauth1_params_t *ps, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
    ctns_oauth1_param_t  *p;

    p = ctns_grow((void **) &ps->items, &ps->n, &ps->cap,
                  sizeof(ctns_oauth1_param_t), 16);
    if (p == NULL) {
        return -1;
    }

    p->name = ctns_oauth1_encode_dup(name, nlen);
    p->value = ctns_oauth1_encode_dup(value, vlen);

    if (p->name == NULL || p->value == NULL) {
        free(p->name);
        free(p->value);
        ps->n--;
        return -1;
    }

    return 0;
}


static int
ctns_oauth1_add_str(ctns_oauth1_params_t *ps, const char *name,
    const char *value)
{
    return ctns_oauth1_add(ps, name, strlen(name), value, strlen(value));
}


/* Adds every name=value pair of a raw query string, form-decoded. */

static int
ctns_oauth1_add_query(ctns_oauth1_params_t *ps, const char *q, size_t len)
{
    char        *buf, *pair, *eq, *end;
    size_t       plen, nlen, vlen;
    int          rc;

    buf = malloc(len + 1);
    if (buf == NULL) {
        return -1;
    }

    memcpy(buf, q, len);
    buf[len] = '\0';

    rc = 0;
    pair = buf;

    while (rc == 0 && pair < buf + len) {
        end = strchr(pair, '&');
        if (end == NULL) {
            end = buf + len;
        }

        plen = end - pair;

        if (plen) {
            eq = memchr(pair, '=', plen);

            if (eq == NULL) {
                nlen = ctns_form_decode(pair, plen);
                rc = ctns_oauth1_add(ps, pair, nlen, "", 0);

            } else {
                nlen = ctns_form_decode(pair, eq - pair);
                vlen = ctns_form_decode(eq + 1, end - eq - 1);
                rc = ctns_oauth1_add(ps, pair, nlen, eq + 1, vlen);
            }
        }

        pair = end + 1;
    }

    free(buf);

    return rc;
}


static int
ctns_oauth1_param_cmp(const void *a, const void *b)
{
    const ctns_oauth1_param_t  *pa = a, *pb = b;
    int                         rc;

    rc = strcmp(pa->name, pb->name);

    return rc ? rc : strcmp(pa->value, pb->value);
}


static void
ctns_oauth1_params_free(ctns_oauth1_params_t *ps)
{
    size_t  i;

    for (i = 0; i < ps->n; i++) {
        free(ps->items[i].name);
        free(ps->items[i].value);
    }

    free(ps->items);
}


/*
 * scheme://host[:port]/path?query: the normalized base URI (lower-case
 * scheme and host, default port dropped) into uri, the query into *query.
 */

static int
ctns_oauth1_split_url(const char *url, char *uri, size_t urilen,
    const char **query, size_t *qlen)
{
    const char  *p, *host, *port, *path, *q, *end;
    size_t       i, hlen, n;
    int          https;

    if (strncasecmp(url, "https://", 8) == 0) {
        https = 1;
        host = url + 8;

    } else if (strncasecmp(url, "http://", 7) == 0) {
        https = 0;
        host = url + 7;

    } else {
        return -1;
    }

    path = host + strcspn(host, "/?#");
    end = path + strcspn(path, "#");
    q = memchr(path, '?', end - path);

    port = memchr(host, ':', path - host);
    hlen = (port ? port : path) - host;

    if (hlen == 0 || hlen + (path - host) + 16 + (end - path) >= urilen) {
        return -1;
    }

    n = snprintf(uri, urilen, "%s://", https ? "https" : "http");

    for (i = 0; i < hlen; i++) {
        uri[n++] = (char) tolower((unsigned char) host[i]);
    }

    if (port && !((https && path - port == 4 && memcmp(port, ":443", 4) == 0)
                  || (!https && path - port == 3
                      && memcmp(port, ":80", 3) == 0)))
    {
        memcpy(uri + n, port, path - port);
        n += path - port;
    }

    p = q ? q : end;

    if (p == path) {
        uri[n++] = '/';

    } else {
        memcpy(uri + n, path, p - path);
        n += p - path;
    }

    uri[n] = '\0';

    *query = q ? q + 1 : NULL;
    *qlen = q ? (size_t) (end - q - 1) : 0;

    return 0;
}


char *
ctns_oauth1_base_string(const ctns_oauth1_creds_t *creds, const char *method,
    const char *url, const char *nonce, const char *timestamp)
{
    char                  uri[2048], *norm, *base, *d;
    const char           *query;
    size_t                qlen, len, i;
    ctns_oauth1_params_t  ps;

    if (ctns_oauth1_split_url(url, uri, sizeof(uri), &query, &qlen) != 0) {
        return NULL;
    }

    memset(&ps, 0, sizeof(ps));
    norm = NULL;
    base = NULL;

    if (ctns_oauth1_add_str(&ps, "oauth_consumer_key", creds->consumer_key)
        || ctns_oauth1_add_str(&ps, "oauth_nonce", nonce)
        || ctns_oauth1_add_str(&ps, "oauth_signature_method", "HMAC-SHA256")
        || ctns_oauth1_add_str(&ps, "oauth_timestamp", timestamp)
        || ctns_oauth1_add_str(&ps, "oauth_token", creds->token_id)
        || ctns_oauth1_add_str(&ps, "oauth_version", "1.0")
        || (query && ctns_oauth1_add_query(&ps, query, qlen)))
    {
        goto done;
    }

    qsort(ps.items, ps.n, sizeof(ctns_oauth1_param_t), ctns_oauth1_param_cmp);

    len = 1;
    for (i = 0; i < ps.n; i++) {
        len += strlen(ps.items[i].name) + strlen(ps.items[i].value) + 2;
    }

    norm = malloc(len);
    if (norm == NULL) {
        goto done;
    }

    d = norm;
    for (i = 0; i < ps.n; i++) {
        d += sprintf(d, "%s%s=%s", i ? "&" : "", ps.items[i].name,
                     ps.items[i].value);
    }

    len = strlen(method) + 3 * (strlen(uri) + (d - norm)) + 3;

    base = malloc(len);
    if (base == NULL) {
        goto done;
    }

    d = base;
    for (i = 0; method[i]; i++) {
        *d++ = (char) toupper((unsigned char) method[i]);
    }

    *d++ = '&';
    d += ctns_oauth1_encode(d, uri, strlen(uri));
    *d++ = '&';
    ctns_oauth1_encode(d, norm, strlen(norm));

done:

    free(norm);
    ctns_oauth1_params_free(&ps);

    return base;
}


int
ctns_oauth1_sign(const ctns_oauth1_creds_t *creds, const char *base,
    char *sig)
{
    char           *key;
    size_t          cs, ts, n;
    unsigned int    mdlen;
    unsigned char   md[EVP_MAX_MD_SIZE];

    cs = strlen(creds->consumer_secret);
    ts = strlen(creds->token_secret);

    key = malloc(3 * (cs + ts) + 2);
    if (key == NULL) {
        return -1;
    }

    n = ctns_oauth1_encode(key, creds->consumer_secret, cs);
    key[n++] = '&';
    n += ctns_oauth1_encode(key + n, creds->token_secret, ts);

    if (HMAC(EVP_sha256(), key, (int) n, (const unsigned char *) base,
             strlen(base), md, &mdlen) == NULL)
    {
        OPENSSL_cleanse(key, n);
        free(key);
        return -1;
    }

    OPENSSL_cleanse(key, n);
    free(key);

    n = ctns_base64_encode((unsigned char *) sig, md, mdlen);
    sig[n] = '\0';

    return 0;
}


char *
ctns_oauth1_header(const ctns_oauth1_creds_t *creds, const char *method,
    const char *url, const char *nonce, const char *timestamp)
{
    char    *base, *hdr, *e[6], sig[48];
    size_t   len, i;

    base = ctns_oauth1_base_string(creds, method, url, nonce, timestamp);
    if (base == NULL) {
        return NULL;
    }

    if (ctns_oauth1_sign(creds, base, sig) != 0) {
        free(base);
        return NULL;
    }

    free(base);

    e[0] = ctns_oauth1_encode_dup(creds->realm, strlen(creds->realm));
    e[1] = ctns_oauth1_encode_dup(creds->consumer_key,
                                  strlen(creds->consumer_key));
    e[2] = ctns_oauth1_encode_dup(creds->token_id, strlen(creds->token_id));
    e[3] = ctns_oauth1_encode_dup(nonce, strlen(nonce));
    e[4] = ctns_oauth1_encode_dup(timestamp, strlen(timestamp));
    e[5] = ctns_oauth1_encode_dup(sig, strlen(sig));

    hdr = NULL;
    len = 256;

    for (i = 0; i < 6; i++) {
        if (e[i] == NULL) {
            goto done;
        }

        len += strlen(e[i]);
    }

    hdr = malloc(len);
    if (hdr == NULL) {
        goto done;
    }

    snprintf(hdr, len, "OAuth realm=\"%s\", oauth_consumer_key=\"%s\", "
             "oauth_token=\"%s\", oauth_nonce=\"%s\", "
             "oauth_timestamp=\"%s\", oauth_signature_method=\"HMAC-SHA256\", "
             "oauth_version=\"1.0\", oauth_signature=\"%s\"",
             e[0], e[1], e[2], e[3], e[4], e[5]);

done:

    for (i = 0; i < 6; i++) {
        free(e[i]);
    }

    return hdr;
}
