/*
 * Copyright (C) ct-netsuite authors
 *
 * The settlement model shared by the PSP parsers and the deposit builder:
 * storage, decimal amounts without floating point, currency conversion at
 * the report's rate, and the payout balance check.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_grow.h"
#include "ctns_money.h"
#include "ctns_settle.h"


/* 10^18 still fits int64_t: rates and amounts are bounded by it */
#define CTNS_SETTLE_MAX_DIGITS  18
#define CTNS_SETTLE_RATE_FRAC   9


static const char  *ctns_settle_types[] = {
    "capture", "refund", "chargeback", "fee", "adjustment"
};


const char *
ctns_settle_type_name(ctns_settle_type_e type)
{
    return ctns_settle_types[type];
}


ctns_payout_t *
ctns_settle_payout_add(ctns_settlement_t *s, const char *psp, const char *id)
{
    ctns_payout_t  *p;

    p = ctns_grow((void **) &s->payouts, &s->n, &s->cap,
                  sizeof(ctns_payout_t), 8);
    if (p == NULL) {
        return NULL;
    }

    snprintf(p->psp, sizeof(p->psp), "%s", psp);
    snprintf(p->id, sizeof(p->id), "%s", id);

    return p;
}


ctns_settle_line_t *
ctns_settle_line_add(ctns_payout_t *p)
{
    return ctns_grow((void **) &p->lines, &p->nlines, &p->cap,
                     sizeof(ctns_settle_line_t), 8);
}


void
ctns_settlement_free(ctns_settlement_t *s)
{
    size_t  i;

    for (i = 0; i < s->n; i++) {
        free(s->payouts[i].lines);
    }

    free(s->payouts);
    memset(s, 0, sizeof(ctns_settlement_t));
}


/* digits before and after the point as integers; -1 on anything else */
static int
ctns_settle_split(const char *s, int maxfrac, int64_t *ip, int64_t *fp,
    int *nfrac)
{
    int          nint;
    const char  *p;

    *ip = 0;
    *fp = 0;
    *nfrac = 0;
    nint = 0;

    for (p = s; *p >= '0' && *p <= '9'; p++) {
        if (++nint > CTNS_SETTLE_MAX_DIGITS - CTNS_SETTLE_RATE_FRAC) {
            return -1;
        }

        *ip = *ip * 10 + (*p - '0');
    }

    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++*nfrac > maxfrac) {
                return -1;
            }

            *fp = *fp * 10 + (*p - '0');
        }

        if (*nfrac == 0) {
            return -1;
        }
    }

    return (*p != '\0' || (nint == 0 && *nfrac == 0)) ? -1 : 0;
}


static int64_t
ctns_settle_pow10(int n)
{
    int64_t  v;

    for (v = 1; n > 0; n--) {
        v *= 10;
    }

    return v;
}


int
ctns_settle_decimal(const char *s, int digits, int64_t *minor)
{
    int      nfrac;
    int64_t  ip, fp;

    if (s[0] == '\0') {
        *minor = 0;
        return 0;
    }

    if (ctns_settle_split(s, digits, &ip, &fp, &nfrac) != 0) {
        return -1;
    }

    *minor = ip * ctns_settle_pow10(digits)
             + fp * ctns_settle_pow10(digits - nfrac);

    return 0;
}


int
ctns_settle_convert(int64_t gross, int gdigits, const char *rate,
    int ndigits, int64_t *out)
{
    int      nfrac;
    int64_t  ip, fp, num, den;

    if (rate[0] == '\0') {
        rate = "1";
    }

    if (ctns_settle_split(rate, CTNS_SETTLE_RATE_FRAC, &ip, &fp, &nfrac)
        != 0)
    {
        return -1;
    }

    /* gross / 10^gdigits * rate * 10^ndigits, rate = num / 10^nfrac */
    num = ip * ctns_settle_pow10(nfrac) + fp;
    den = ctns_settle_pow10(nfrac);

    if (num == 0) {
        return -1;
    }

    if (ndigits >= gdigits) {
        num *= ctns_settle_pow10(ndigits - gdigits);

    } else {
        den *= ctns_settle_pow10(gdigits - ndigits);
    }

    *out = ctns_money_muldiv(gross, num, den);

    return 0;
}


int
ctns_settle_check(const ctns_settlement_t *s, ctns_conf_errors_t *errs)
{
    int             rc;
    char            a[32], b[32], where[160];
    size_t          i, k;
    int64_t         sum;
    ctns_payout_t  *p;

    rc = 0;

    for (i = 0; i < s->n; i++) {
        p = &s->payouts[i];
        sum = 0;

        for (k = 0; k < p->nlines; k++) {
            sum += p->lines[k].net;
        }

        snprintf(where, sizeof(where), "payout %s", p->id);

        if (p->amount <= 0) {
            ctns_conf_error(errs, where, "pays out nothing: no deposit to "
                            "post");
            rc = -1;
            continue;
        }

        if (sum != p->amount) {
            ctns_money_format(sum, p->digits, a, sizeof(a));
            ctns_money_format(p->amount, p->digits, b, sizeof(b));
            ctns_conf_error(errs, where, "lines net %s %s but the payout is "
                            "%s %s", a, p->currency, b, p->currency);
            rc = -1;
        }
    }

    return rc;
}
