/*
 * Copyright (C) ct-netsuite authors
 *
 * Money in integer minor units: currency precision, decimal formatting
 * without floating point, rounding divisions, proportional allocation by
 * largest remainder, and the JSON form of amounts in NetSuite bodies.
 *
 * jansson can only hold a decimal number as a double, and a double cannot
 * say "64.85" exactly.  An amount is therefore kept in a body as a marked
 * string (ctns_money_json) and ctns_money_dumps() writes it out as a bare
 * JSON number with exactly the currency's fraction digits.
 */

#ifndef _CTNS_MONEY_H_INCLUDED_
#define _CTNS_MONEY_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>


#define CTNS_MONEY_MAX_DIGITS  3
#define CTNS_MONEY_MARK        '\x01'

/* a rate in parts per million: 0.19 is 190000 */
#define CTNS_PPM               1000000


typedef struct {
    char      currency[4];
    int       digits;
    int64_t   minor;
} ctns_money_t;


/* ISO 4217 default fraction digits: 0, 2 or 3 */
int ctns_money_digits(const char *currency);

/*
 * Reads a commercetools money object {currencyCode, centAmount,
 * fractionDigits}.  Returns 0, or -1 when it is not one (or its
 * fractionDigits is outside 0..3).
 */
int ctns_money_get(const json_t *money, ctns_money_t *m);

/* "-64.85" for (-6485, 2); returns the length or -1 if buf is too small */
int ctns_money_format(int64_t minor, int digits, char *buf, size_t len);

/* the marked string that ctns_money_dumps() writes as a number */
json_t *ctns_money_json(int64_t minor, int digits);

/*
 * Reads an amount back: a marked string, a JSON integer or real (as
 * NetSuite returns them, rounded half away from zero), in minor units of
 * the given precision.  Returns 0 or -1.
 */
int ctns_money_value(const json_t *v, int digits, int64_t *minor);

/* json_dumps() with marked amounts written as numbers; free() the result */
char *ctns_money_dumps(const json_t *json, size_t flags);

/* a * b / c rounded half away from zero; c must not be 0 */
int64_t ctns_money_muldiv(int64_t a, int64_t b, int64_t c);

/*
 * The share of total that belongs to [before, before + part) out of whole,
 * such that the shares of consecutive parts add up to total exactly.
 */
int64_t ctns_money_share(int64_t total, int64_t before, int64_t part,
    int64_t whole);

/*
 * Splits total over n weights proportionally; remainders go to the largest
 * fractional parts (ties to the earlier index).  All weights 0: equal
 * weights.  Weights are taken by absolute value.  out[] sums to total.
 */
void ctns_money_allocate(int64_t total, const int64_t *weights, size_t n,
    int64_t *out);

/* net of a gross amount at rate (ppm): round(gross / (1 + rate)) */
int64_t ctns_money_net_of_gross(int64_t gross, int64_t rate_ppm);

/* a JSON rate (0.19) in ppm; -1 when not a number in [0, 10] */
int64_t ctns_money_rate_ppm(const json_t *v);

/* "19" for 190000 ppm, "7.25" for 72500: the percentage NetSuite shows */
json_t *ctns_money_percent_json(int64_t rate_ppm);


#endif /* _CTNS_MONEY_H_INCLUDED_ */
