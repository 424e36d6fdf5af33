/*
 * Copyright (C) ct-netsuite authors
 */


#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_money.h"


/* currencies whose ISO 4217 minor unit is not 2 */
static const struct {
    const char  *code;
    int          digits;
} ctns_money_exceptions[] = {
    { "BHD", 3 }, { "IQD", 3 }, { "JOD", 3 }, { "KWD", 3 }, { "LYD", 3 },
    { "OMR", 3 }, { "TND", 3 },
    { "BIF", 0 }, { "CLP", 0 }, { "DJF", 0 }, { "GNF", 0 }, { "ISK", 0 },
    { "JPY", 0 }, { "KMF", 0 }, { "KRW", 0 }, { "PYG", 0 }, { "RWF", 0 },
    { "UGX", 0 }, { "UYI", 0 }, { "VND", 0 }, { "VUV", 0 }, { "XAF", 0 },
    { "XOF", 0 }, { "XPF", 0 },
    { NULL, 0 }
};


int
ctns_money_digits(const char *currency)
{
    size_t  i;

    for (i = 0; ctns_money_exceptions[i].code; i++) {
        if (strcmp(ctns_money_exceptions[i].code, currency) == 0) {
            return ctns_money_exceptions[i].digits;
        }
    }

    return 2;
}


int
ctns_money_get(const json_t *money, ctns_money_t *m)
{
    const char  *code;
    json_t      *cents, *fd;

    code = json_string_value(json_object_get(money, "currencyCode"));
    cents = json_object_get(money, "centAmount");
    fd = json_object_get(money, "fractionDigits");

    if (code == NULL || strlen(code) != 3 || !json_is_integer(cents)) {
        return -1;
    }

    memcpy(m->currency, code, 4);
    m->minor = json_integer_value(cents);
    m->digits = fd ? (int) json_integer_value(fd) : ctns_money_digits(code);

    if ((fd && !json_is_integer(fd))
        || m->digits < 0 || m->digits > CTNS_MONEY_MAX_DIGITS)
    {
        return -1;
    }

    return 0;
}


int
ctns_money_format(int64_t minor, int digits, char *buf, size_t len)
{
    int       n, i;
    char      tmp[32], *p;
    uint64_t  u;

    /* digits of |minor| right to left, then sign, point and zero padding */
    u = minor < 0 ? (uint64_t) 0 - (uint64_t) minor : (uint64_t) minor;
    p = tmp + sizeof(tmp);
    i = 0;

    do {
        if (i == digits && digits > 0) {
            *--p = '.';
        }

        *--p = (char) ('0' + u % 10);
        u /= 10;
        i++;

    } while (u || i <= digits);

    if (minor < 0) {
        *--p = '-';
    }

    n = (int) (tmp + sizeof(tmp) - p);

    if ((size_t) n >= len) {
        return -1;
    }

    memcpy(buf, p, n);
    buf[n] = '\0';

    return n;
}


static json_t *
ctns_money_mark(const char *decimal)
{
    char  buf[48];

    buf[0] = CTNS_MONEY_MARK;
    snprintf(buf + 1, sizeof(buf) - 1, "%s", decimal);

    return json_string(buf);
}


json_t *
ctns_money_json(int64_t minor, int digits)
{
    char  buf[32];

    ctns_money_format(minor, digits, buf, sizeof(buf));

    return ctns_money_mark(buf);
}


json_t *
ctns_money_percent_json(int64_t rate_ppm)
{
    int   n;
    char  buf[32];

    /* ppm / 10^4 is the percentage; keep at most 4 decimals, no zeros */
    n = ctns_money_format(rate_ppm, 4, buf, sizeof(buf));

    while (n > 0 && buf[n - 1] == '0') {
        buf[--n] = '\0';
    }

    if (n > 0 && buf[n - 1] == '.') {
        buf[--n] = '\0';
    }

    return ctns_money_mark(buf);
}


/* parses "-12.3" as minor units of the given precision, exactly */
static int
ctns_money_parse(const char *s, int digits, int64_t *minor)
{
    int       neg, frac, seen;
    int64_t   v;

    neg = (*s == '-');
    s += neg;
    v = 0;
    frac = -1;
    seen = 0;

    for ( /* void */ ; *s; s++) {
        if (*s == '.' && frac < 0) {
            frac = 0;
            continue;
        }

        if (*s < '0' || *s > '9' || v > INT64_MAX / 100) {
            return -1;
        }

        if (frac >= digits) {
            if (*s != '0') {
                return -1;      /* more precision than the currency has */
            }
            continue;
        }

        v = v * 10 + (*s - '0');
        seen = 1;

        if (frac >= 0) {
            frac++;
        }
    }

    if (!seen) {
        return -1;
    }

    for (frac = frac < 0 ? 0 : frac; frac < digits; frac++) {
        v *= 10;
    }

    *minor = neg ? -v : v;

    return 0;
}


int
ctns_money_value(const json_t *v, int digits, int64_t *minor)
{
    int          i;
    double       d;
    int64_t      scale;
    const char  *s;

    for (scale = 1, i = 0; i < digits; i++) {
        scale *= 10;
    }

    if (json_is_integer(v)) {
        *minor = json_integer_value(v) * scale;
        return 0;
    }

    if (json_is_real(v)) {
        d = json_real_value(v) * (double) scale;

        if (!isfinite(d) || fabs(d) > 9e15) {
            return -1;
        }

        *minor = (int64_t) llround(d);
        return 0;
    }

    s = json_string_value(v);

    if (s == NULL || s[0] != CTNS_MONEY_MARK) {
        return -1;
    }

    return ctns_money_parse(s + 1, digits, minor);
}


static int
ctns_money_is_decimal(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'
              || (s[i] == '-' && i == 0)))
        {
            return 0;
        }
    }

    return len > 0;
}


char *
ctns_money_dumps(const json_t *json, size_t flags)
{
    char        *out, *src, *dst, *end;
    size_t       len;
    const char   mark[] = "\"\\u0001";

    out = json_dumps(json, flags);
    if (out == NULL) {
        return NULL;
    }

    /*
     * jansson escapes the mark byte as \u0001.  A marked string holds only
     * [-0-9.] (ctns_money_json), so its closing quote is the next '"'; the
     * mapping strips control characters from every text it copies from
     * commercetools, so no other string can start with the mark.
     */
    src = out;
    dst = out;

    while (*src) {
        if (strncmp(src, mark, sizeof(mark) - 1) == 0) {
            end = strchr(src + sizeof(mark) - 1, '"');

            if (end != NULL) {
                len = end - (src + sizeof(mark) - 1);

                if (ctns_money_is_decimal(src + sizeof(mark) - 1, len)) {
                    memmove(dst, src + sizeof(mark) - 1, len);
                    dst += len;
                    src = end + 1;
                    continue;
                }
            }
        }

        *dst++ = *src++;
    }

    *dst = '\0';

    return out;
}


int64_t
ctns_money_muldiv(int64_t a, int64_t b, int64_t c)
{
    __int128  n, q, r;

    n = (__int128) a * b;

    if (c < 0) {
        n = -n;
        c = -c;
    }

    q = n / c;
    r = n % c;

    /* half away from zero */
    if (r < 0 ? -2 * r >= c : 2 * r >= c) {
        q += (n < 0) ? -1 : 1;
    }

    return (int64_t) q;
}


int64_t
ctns_money_share(int64_t total, int64_t before, int64_t part, int64_t whole)
{
    if (whole == 0) {
        return 0;
    }

    return ctns_money_muldiv(total, before + part, whole)
           - ctns_money_muldiv(total, before, whole);
}


void
ctns_money_allocate(int64_t total, const int64_t *weights, size_t n,
    int64_t *out)
{
    size_t     i, k, best;
    int64_t    sum, w, given, left;
    __int128   rem, best_rem, *rems;
    int        neg;

    if (n == 0) {
        return;
    }

    for (sum = 0, i = 0; i < n; i++) {
        sum += weights[i] < 0 ? -weights[i] : weights[i];
    }

    neg = total < 0;
    left = neg ? -total : total;

    rems = calloc(n, sizeof(__int128));
    given = 0;

    for (i = 0; i < n; i++) {
        w = sum ? (weights[i] < 0 ? -weights[i] : weights[i]) : 1;
        out[i] = (int64_t) (((__int128) left * w) / (sum ? sum : (int64_t) n));

        if (rems) {
            rems[i] = ((__int128) left * w) % (sum ? sum : (int64_t) n);
        }

        given += out[i];
    }

    /* the units still missing go to the largest remainders, one each */
    for (k = 0; given < left && k < n; k++) {
        best = 0;
        best_rem = -1;

        for (i = 0; i < n; i++) {
            rem = rems ? rems[i] : 0;
            if (rem > best_rem) {
                best_rem = rem;
                best = i;
            }
        }

        out[best]++;
        given++;

        if (rems) {
            rems[best] = -2;
        }
    }

    /* without memory for remainders: the rest to the first entry */
    out[0] += left - given;

    free(rems);

    if (neg) {
        for (i = 0; i < n; i++) {
            out[i] = -out[i];
        }
    }
}


int64_t
ctns_money_net_of_gross(int64_t gross, int64_t rate_ppm)
{
    return ctns_money_muldiv(gross, CTNS_PPM, CTNS_PPM + rate_ppm);
}


int64_t
ctns_money_rate_ppm(const json_t *v)
{
    double  d;

    if (!json_is_number(v)) {
        return -1;
    }

    d = json_number_value(v);

    if (!(d >= 0 && d <= 10)) {
        return -1;
    }

    return (int64_t) llround(d * CTNS_PPM);
}
