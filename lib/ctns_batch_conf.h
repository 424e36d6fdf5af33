/*
 * Copyright (C) ct-netsuite authors
 *
 * The configuration sections of the batch commands, validated with the
 * rest of the worker configuration (errors name the JSON path):
 *
 *   "settlements": {
 *     "unmatched": "wait" | "clearing",   what a payout with unlinked
 *                                         lines does (default "wait")
 *     "never_settled_days": 7,            captures older than this and in
 *                                         no payout are reported
 *     "max_attempts": 10,                 deliveries of a failing payout
 *                                         event before it is dead-lettered
 *     "psp": { "<psp>": {
 *       "fees": "610", "chargebacks": "611", "adjustments": "612",
 *       "clearing": "613",
 *       "banks": { "EUR": { "account": "12", "subsidiary": "3",
 *                           "currency": "4" } },
 *       "api": { "key": "env:STRIPE_API_KEY",   the PSP's API, for
 *                "url": "https://api.stripe.com" } } }   webhook payouts
 *   },
 *   "sync": {
 *     "page_size": 500,                   1..500 (commercetools maximum)
 *     "requests_per_second": 10,          commercetools API budget
 *     "overlap_seconds": 60,              windows overlap by this much
 *     "resources": ["orders", "payments"]
 *   }
 *
 * NetSuite ids are given as strings of digits (or integers).
 */

#ifndef _CTNS_BATCH_CONF_H_INCLUDED_
#define _CTNS_BATCH_CONF_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctns_conf_err.h"


#define CTNS_NSID_LEN  24


typedef enum {
    CTNS_UNMATCHED_WAIT = 0,
    CTNS_UNMATCHED_CLEARING
} ctns_unmatched_e;


typedef struct {
    char                currency[4];
    char                account[CTNS_NSID_LEN];
    char                subsidiary[CTNS_NSID_LEN];
    char                ns_currency[CTNS_NSID_LEN];
} ctns_settle_bank_t;


typedef struct {
    char                name[16];
    char                fees[CTNS_NSID_LEN];
    char                chargebacks[CTNS_NSID_LEN];
    char                adjustments[CTNS_NSID_LEN];
    char                clearing[CTNS_NSID_LEN];
    ctns_settle_bank_t *banks;
    size_t              nbanks;
    char                api_key[256];      /* "env:NAME" / "file:/path" */
    char                api_url[256];      /* no trailing slash */
} ctns_settle_psp_t;


typedef struct {
    ctns_unmatched_e    unmatched;
    int                 never_settled_days;
    ctns_settle_psp_t  *psps;
    size_t              npsps;

    int                 page_size;
    int                 requests_per_second;
    int                 overlap_seconds;
    int                 orders;
    int                 payments;

    int                 max_attempts;       /* settlements */
} ctns_batch_conf_t;


/* 1 for the top-level sections read here */
int ctns_batch_conf_section(const char *key);

/* NULL with every problem in errs; absent sections take the defaults */
ctns_batch_conf_t *ctns_batch_conf_load(const json_t *root,
    ctns_conf_errors_t *errs);
void ctns_batch_conf_free(ctns_batch_conf_t *conf);

/* the validator the worker's loader calls: 0, or -1 with errors added */
int ctns_batch_conf_check(const json_t *root, ctns_conf_errors_t *errs);

const ctns_settle_psp_t *ctns_batch_conf_psp(const ctns_batch_conf_t *conf,
    const char *psp);
const ctns_settle_bank_t *ctns_batch_conf_bank(const ctns_settle_psp_t *psp,
    const char *currency);


#endif /* _CTNS_BATCH_CONF_H_INCLUDED_ */
