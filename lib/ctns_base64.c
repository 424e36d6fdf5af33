/*
 * Copyright (C) ct-netsuite authors
 */


#include "ctns_base64.h"


static const char  ctns_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char  ctns_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


static size_t
ctns_base64_encode_internal(unsigned char *dst, const unsigned char *src,
    size_t len, const char *alphabet, int pad)
{
    unsigned char  *d;

    d = dst;

    while (len > 2) {
        *d++ = alphabet[(src[0] >> 2) & 0x3f];
        *d++ = alphabet[((src[0] & 3) << 4) | (src[1] >> 4)];
        *d++ = alphabet[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = alphabet[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len) {
        *d++ = alphabet[(src[0] >> 2) & 0x3f];

        if (len == 1) {
            *d++ = alphabet[(src[0] & 3) << 4];
            if (pad) {
                *d++ = '=';
            }

        } else {
            *d++ = alphabet[((src[0] & 3) << 4) | (src[1] >> 4)];
            *d++ = alphabet[(src[1] & 0x0f) << 2];
        }

        if (pad) {
            *d++ = '=';
        }
    }

    return d - dst;
}


size_t
ctns_base64_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    return ctns_base64_encode_internal(dst, src, len, ctns_b64, 1);
}


size_t
ctns_base64url_encode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    return ctns_base64_encode_internal(dst, src, len, ctns_b64url, 0);
}


static int
ctns_base64_value(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (url) {
        return c == '-' ? 62 : (c == '_' ? 63 : -1);
    }

    return c == '+' ? 62 : (c == '/' ? 63 : -1);
}


static long
ctns_base64_decode_internal(unsigned char *dst, const unsigned char *src,
    size_t len, int url)
{
    int             v;
    size_t          i, pad;
    unsigned long   acc;
    unsigned char  *d;

    pad = 0;

    if (len % 4 == 0 && len >= 4) {
        if (src[len - 1] == '=') {
            pad++;
            if (src[len - 2] == '=') {
                pad++;
            }
        }
    }

    len -= pad;

    if (len % 4 == 1) {
        return -1;
    }

    d = dst;
    acc = 0;

    for (i = 0; i < len; i++) {
        v = ctns_base64_value(src[i], url);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (unsigned long) v;

        if (i % 4 == 3) {
            *d++ = (unsigned char) (acc >> 16);
            *d++ = (unsigned char) (acc >> 8);
            *d++ = (unsigned char) acc;
            acc = 0;
        }
    }

    switch (len % 4) {
    case 2:
        *d++ = (unsigned char) (acc >> 4);
        break;
    case 3:
        *d++ = (unsigned char) (acc >> 10);
        *d++ = (unsigned char) (acc >> 2);
        break;
    }

    return d - dst;
}


long
ctns_base64_decode(unsigned char *dst, const unsigned char *src, size_t len)
{
    return ctns_base64_decode_internal(dst, src, len, 0);
}


long
ctns_base64url_decode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    return ctns_base64_decode_internal(dst, src, len, 1);
}
