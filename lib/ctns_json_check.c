/*
 * Copyright (C) ct-netsuite authors
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_json_check.h"


typedef struct {
    const unsigned char  *p;
    const unsigned char  *end;
    const char           *why;
} ctns_jc_t;


static void
ctns_jc_ws(ctns_jc_t *c)
{
    while (c->p < c->end
           && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'
               || *c->p == '\r'))
    {
        c->p++;
    }
}


static int
ctns_jc_fail(ctns_jc_t *c, const char *why)
{
    c->why = why;
    return -1;
}


static int
ctns_jc_hex4(const unsigned char *p, unsigned *v)
{
    int  i;

    *v = 0;

    for (i = 0; i < 4; i++) {
        *v <<= 4;

        if (p[i] >= '0' && p[i] <= '9') {
            *v |= p[i] - '0';

        } else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f') {
            *v |= (p[i] | 0x20) - 'a' + 10;

        } else {
            return -1;
        }
    }

    return 0;
}


/* One UTF-8 sequence of 2..4 bytes starting at c->p (RFC 3629). */

static int
ctns_jc_utf8(ctns_jc_t *c)
{
    size_t          n, i;
    unsigned        cp, min;
    unsigned char   b;

    b = *c->p;

    if (b >= 0xc2 && b <= 0xdf) {
        n = 2; cp = b & 0x1f; min = 0x80;

    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3; cp = b & 0x0f; min = 0x800;

    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4; cp = b & 0x07; min = 0x10000;

    } else {
        return ctns_jc_fail(c, "invalid UTF-8");
    }

    if ((size_t) (c->end - c->p) < n) {
        return ctns_jc_fail(c, "truncated UTF-8");
    }

    for (i = 1; i < n; i++) {
        if ((c->p[i] & 0xc0) != 0x80) {
            return ctns_jc_fail(c, "invalid UTF-8");
        }

        cp = (cp << 6) | (c->p[i] & 0x3f);
    }

    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return ctns_jc_fail(c, "invalid UTF-8");
    }

    c->p += n;

    return 0;
}


static int
ctns_jc_string(ctns_jc_t *c)
{
    unsigned  v;

    for (c->p++; c->p < c->end; /* void */) {

        if (*c->p == '"') {
            c->p++;
            return 0;
        }

        if (*c->p < 0x20) {
            return ctns_jc_fail(c, "control character in string");
        }

        if (*c->p >= 0x80) {
            if (ctns_jc_utf8(c) != 0) {
                return -1;
            }

            continue;
        }

        if (*c->p != '\\') {
            c->p++;
            continue;
        }

        if (c->end - c->p < 2) {
            break;
        }

        if (strchr("\"\\/bfnrt", c->p[1]) != NULL && c->p[1] != '\0') {
            c->p += 2;
            continue;
        }

        if (c->p[1] != 'u' || c->end - c->p < 6
            || ctns_jc_hex4(c->p + 2, &v) != 0)
        {
            return ctns_jc_fail(c, "invalid escape in string");
        }

        c->p += 6;

        /*
         * A lone surrogate is no character: the worker's parser (jansson)
         * refuses it, so the edge must not acknowledge it.
         */
        if (v >= 0xdc00 && v <= 0xdfff) {
            return ctns_jc_fail(c, "lone surrogate escape in string");
        }

        if (v >= 0xd800 && v <= 0xdbff) {
            if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u'
                || ctns_jc_hex4(c->p + 2, &v) != 0
                || v < 0xdc00 || v > 0xdfff)
            {
                return ctns_jc_fail(c, "lone surrogate escape in string");
            }

            c->p += 6;
        }
    }

    return ctns_jc_fail(c, "unterminated string");
}


static int
ctns_jc_digits(ctns_jc_t *c)
{
    const unsigned char  *start;

    start = c->p;

    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        c->p++;
    }

    return c->p > start ? 0 : ctns_jc_fail(c, "invalid number");
}


static int
ctns_jc_number(ctns_jc_t *c)
{
    if (*c->p == '-') {
        c->p++;
    }

    if (c->p < c->end && *c->p == '0') {
        c->p++;

    } else if (ctns_jc_digits(c) != 0) {
        return -1;
    }

    if (c->p < c->end && *c->p == '.') {
        c->p++;

        if (ctns_jc_digits(c) != 0) {
            return -1;
        }
    }

    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;

        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
            c->p++;
        }

        return ctns_jc_digits(c);
    }

    return 0;
}


static int
ctns_jc_literal(ctns_jc_t *c, const char *word)
{
    size_t  n;

    n = strlen(word);

    if ((size_t) (c->end - c->p) < n || memcmp(c->p, word, n) != 0) {
        return ctns_jc_fail(c, "invalid literal");
    }

    c->p += n;

    return 0;
}


static int
ctns_jc_scalar(ctns_jc_t *c)
{
    switch (*c->p) {

    case '"':
        return ctns_jc_string(c);

    case 't':
        return ctns_jc_literal(c, "true");

    case 'f':
        return ctns_jc_literal(c, "false");

    case 'n':
        return ctns_jc_literal(c, "null");

    default:
        if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) {
            return ctns_jc_number(c);
        }

        return ctns_jc_fail(c, "unexpected character");
    }
}


/*
 * Iterative: the stack holds '{' or '[' per open container, so hostile
 * nesting costs a bounded array, never the C stack.
 */

int
ctns_json_check(const char *p, size_t len, size_t *off, const char **why)
{
    int            expect_key, want_value;
    size_t         depth;
    ctns_jc_t      c;
    unsigned char  stack[CTNS_JSON_MAX_DEPTH];

    c.p = (const unsigned char *) p;
    c.end = c.p + len;
    c.why = NULL;
    depth = 0;
    want_value = 1;
    expect_key = 0;

    for ( ;; ) {
        ctns_jc_ws(&c);

        if (c.p == c.end) {
            if (depth || want_value) {
                ctns_jc_fail(&c, "unexpected end of input");
                goto failed;
            }

            return 0;
        }

        if (depth == 0 && !want_value) {
            ctns_jc_fail(&c, "data after the document");
            goto failed;
        }

        if (expect_key) {
            if (*c.p == '}' && want_value == 2) {
                goto close;
            }

            if (*c.p != '"' || ctns_jc_string(&c) != 0) {
                if (c.why == NULL) {
                    ctns_jc_fail(&c, "expected a member name");
                }
                goto failed;
            }

            ctns_jc_ws(&c);

            if (c.p == c.end || *c.p != ':') {
                ctns_jc_fail(&c, "expected ':'");
                goto failed;
            }

            c.p++;
            expect_key = 0;
            want_value = 1;
            continue;
        }

        if (want_value) {
            if (*c.p == ']' && want_value == 2) {
                goto close;
            }

            if (*c.p == '{' || *c.p == '[') {
                if (depth == CTNS_JSON_MAX_DEPTH) {
                    ctns_jc_fail(&c, "nested too deep");
                    goto failed;
                }

                stack[depth++] = *c.p;
                expect_key = (*c.p == '{');
                want_value = 2;         /* may close at once */
                c.p++;
                continue;
            }

            if (ctns_jc_scalar(&c) != 0) {
                goto failed;
            }

            want_value = 0;
            continue;
        }

        /* after a value inside a container */

        if (*c.p == ',') {
            c.p++;
            expect_key = (stack[depth - 1] == '{');
            want_value = 1;
            continue;
        }

        if ((*c.p == '}' && stack[depth - 1] == '{')
            || (*c.p == ']' && stack[depth - 1] == '['))
        {
            goto close;
        }

        ctns_jc_fail(&c, "expected ',' or the end of the container");
        goto failed;

    close:

        if ((*c.p == '}') != (stack[depth - 1] == '{')) {
            ctns_jc_fail(&c, "mismatched bracket");
            goto failed;
        }

        c.p++;
        depth--;
        expect_key = 0;
        want_value = 0;
    }

failed:

    *off = (const char *) c.p - p;
    *why = c.why;

    return -1;
}


static size_t
ctns_json_utf8_put(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char) cp;
        return 1;
    }

    if (cp < 0x800) {
        d[0] = (char) (0xc0 | (cp >> 6));
        d[1] = (char) (0x80 | (cp & 0x3f));
        return 2;
    }

    if (cp < 0x10000) {
        d[0] = (char) (0xe0 | (cp >> 12));
        d[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char) (0x80 | (cp & 0x3f));
        return 3;
    }

    d[0] = (char) (0xf0 | (cp >> 18));
    d[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char) (0x80 | (cp & 0x3f));
    return 4;
}


static int
ctns_json_escape(const unsigned char **pp, const unsigned char *end,
    unsigned *cp)
{
    unsigned              lo;
    const unsigned char  *p = *pp;
    static const char     from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char           *e;

    if (p + 1 >= end) {
        return -1;
    }

    if (p[1] != 'u') {
        e = strchr(from, p[1]);
        if (e == NULL || p[1] == '\0') {
            return -1;
        }

        *cp = (unsigned char) to[e - from];
        *pp = p + 2;
        return 0;
    }

    if (end - p < 6 || ctns_jc_hex4(p + 2, cp) != 0) {
        return -1;
    }

    p += 6;

    /* a surrogate pair encodes one code point beyond the BMP */
    if (*cp >= 0xd800 && *cp <= 0xdbff) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u'
            || ctns_jc_hex4(p + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
        {
            return -1;
        }

        *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
        p += 6;

    } else if (*cp >= 0xdc00 && *cp <= 0xdfff) {
        return -1;
    }

    *pp = p;

    return 0;
}


int
ctns_json_str(const ctns_json_span_t *v, char *dst, size_t size)
{
    size_t                n;
    unsigned              cp;
    const unsigned char  *p, *end;

    if (v->len < 2 || v->p[0] != '"' || v->p[v->len - 1] != '"') {
        return -1;
    }

    p = (const unsigned char *) v->p + 1;
    end = (const unsigned char *) v->p + v->len - 1;
    n = 0;

    while (p < end) {
        if (n + 4 >= size) {
            return -1;
        }

        if (*p != '\\') {
            dst[n++] = (char) *p++;
            continue;
        }

        if (ctns_json_escape(&p, end, &cp) != 0 || cp == 0) {
            return -1;
        }

        n += ctns_json_utf8_put(dst + n, cp);
    }

    dst[n] = '\0';

    return 0;
}


int
ctns_json_int64(const ctns_json_span_t *v, int64_t *out)
{
    char        buf[24], *last;
    long long   n;

    if (v->len == 0 || v->len >= sizeof(buf)
        || strspn(v->p, "-0123456789") != v->len)
    {
        return -1;
    }

    memcpy(buf, v->p, v->len);
    buf[v->len] = '\0';

    errno = 0;
    n = strtoll(buf, &last, 10);

    if (errno || *last != '\0') {
        return -1;
    }

    *out = n;

    return 0;
}
