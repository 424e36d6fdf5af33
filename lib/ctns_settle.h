/*
 * Copyright (C) ct-netsuite authors
 *
 * PSP settlements: a payout (Stripe po_..., Adyen batch) and the lines that
 * explain it, parsed from the PSP's file into one model, linked to the
 * NetSuite records the worker posted at capture (the PSP index
 * ctns:idx:psp:<reference>), and turned into one NetSuite bank deposit.
 *
 * Money is integer minor units.  A line's gross is in its own currency
 * (a USD sale settled in EUR), converted, fee and net are in the payout
 * currency.  Signs follow the PSP balance: positive is money in.
 *
 *   capture     gross > 0, net = converted - fee
 *   refund      gross < 0, net = converted - fee
 *   chargeback  gross < 0 (dispute), net = converted - fee
 *   fee         gross 0, net = -fee
 *   adjustment  any sign: reserve moves, reversals, balance transfers
 *
 * sum(net of lines) == payout amount, checked by the parsers.
 */

#ifndef _CTNS_SETTLE_H_INCLUDED_
#define _CTNS_SETTLE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctns_batch_conf.h"
#include "ctns_conf_err.h"


#define CTNS_SETTLE_REFS      3
#define CTNS_SETTLE_REF_LEN   96
#define CTNS_SETTLE_ID_LEN    96


typedef enum {
    CTNS_SETTLE_CAPTURE = 0,
    CTNS_SETTLE_REFUND,
    CTNS_SETTLE_CHARGEBACK,
    CTNS_SETTLE_FEE,
    CTNS_SETTLE_ADJUSTMENT
} ctns_settle_type_e;


typedef struct {
    ctns_settle_type_e  type;
    char                id[CTNS_SETTLE_ID_LEN];   /* unique within the PSP */
    int                 row;                      /* 1-based, for messages */
    char                kind[32];                 /* the PSP's own type */
    char                refs[CTNS_SETTLE_REFS][CTNS_SETTLE_REF_LEN];
    char                gross_currency[4];
    int                 gross_digits;
    int64_t             gross;
    char                rate[24];                 /* "0.925"; "" = 1 */
    int64_t             converted;                /* gross, payout currency */
    int64_t             fee;
    int64_t             net;
    char                memo[128];
} ctns_settle_line_t;


typedef struct {
    char                 psp[16];                 /* "adyen", "stripe" */
    char                 id[CTNS_SETTLE_ID_LEN];  /* [A-Za-z0-9_-] */
    char                 currency[4];
    int                  digits;
    int64_t              amount;                  /* paid out, > 0 */
    char                 date[11];                /* YYYY-MM-DD */
    ctns_settle_line_t  *lines;
    size_t               nlines;
    size_t               cap;
} ctns_payout_t;


typedef struct {
    ctns_payout_t       *payouts;
    size_t               n;
    size_t               cap;
} ctns_settlement_t;


/*
 * Parsers: every problem is appended to errs, located as "row 3, column
 * \"Net Credit (NC)\"" (Adyen) or as a JSON path (Stripe).  Returns 0, or
 * -1 when there was any error; the settlement is then unusable.
 */
int ctns_settle_adyen_parse(const char *csv, size_t len,
    ctns_settlement_t *s, ctns_conf_errors_t *errs);
int ctns_settle_stripe_parse(const json_t *doc, ctns_settlement_t *s,
    ctns_conf_errors_t *errs);

void ctns_settlement_free(ctns_settlement_t *s);

ctns_payout_t *ctns_settle_payout_add(ctns_settlement_t *s, const char *psp,
    const char *id);
ctns_settle_line_t *ctns_settle_line_add(ctns_payout_t *p);

const char *ctns_settle_type_name(ctns_settle_type_e type);

/*
 * "128.40" in minor units of digits fraction digits; empty is 0.  Only
 * digits and one point, no sign, no more fraction digits than digits.
 * Returns 0 or -1.
 */
int ctns_settle_decimal(const char *s, int digits, int64_t *minor);

/*
 * gross (gdigits) x rate ("0.925") in minor units of ndigits, rounded half
 * away from zero.  Returns 0, or -1 when the rate is not a decimal > 0.
 */
int ctns_settle_convert(int64_t gross, int gdigits, const char *rate,
    int ndigits, int64_t *out);

/* sum(net) == amount for every payout; errors name the payout */
int ctns_settle_check(const ctns_settlement_t *s, ctns_conf_errors_t *errs);


/*
 * Linking a line to the NetSuite record posted at capture or refund.  The
 * caller looks the line's refs up in the PSP index, in order, and hands
 * each entry found to ctns_settle_link() until one is usable; then it
 * resolves the record's internal id (ns_id) for the deposit.
 */
typedef enum {
    CTNS_LINK_NONE = 0,        /* fee, adjustment: nothing to link */
    CTNS_LINK_MATCHED,
    CTNS_LINK_UNMATCHED,       /* no index entry for any reference */
    CTNS_LINK_MISMATCH         /* found, but amount or currency differ */
} ctns_link_state_e;


typedef struct {
    ctns_link_state_e   state;
    char                ref[CTNS_SETTLE_REF_LEN];
    char                type[32];               /* NetSuite record type */
    char                eid[128];
    char                ns_id[CTNS_NSID_LEN];
    char                order_id[80];
    char                payment_id[80];
    char                transaction_id[80];
    char                currency[4];
    int64_t             amount;
    char                reason[320];
} ctns_settle_link_t;


/* 1 when the line must be linked to post (captures, refunds) */
int ctns_settle_needs_link(const ctns_settle_line_t *l);

/*
 * Judges one PSP index entry (its JSON text) for the line.  Returns 1 when
 * it belongs to the line (link->state MATCHED, or MISMATCH with reason), 0
 * when it is a record of another kind (a capture for a refund line: try the
 * next reference), -1 when the entry is not valid JSON of the index shape.
 */
int ctns_settle_link(const ctns_settle_line_t *l, const char *ref,
    const char *entry, ctns_settle_link_t *link);


#define CTNS_DEPOSIT_OK       0
#define CTNS_DEPOSIT_WAIT     1
#define CTNS_DEPOSIT_ERROR   -1


/*
 * The NetSuite "deposit" body of a payout, externalId
 * ct-payout-<psp>-<payoutId>: matched captures and refunds on the payment
 * sublist by internal id, PSP fees and chargebacks as cash back, other
 * adjustments as other deposits or cash back by sign.  A matched line in
 * another currency than the payout, and with the "clearing" policy an
 * unmatched one, is booked at its converted amount on the PSP clearing
 * account.  The total is checked against the payout amount to the cent.
 * links[] holds one link per line.  Returns CTNS_DEPOSIT_WAIT (unmatched
 * lines, "wait" policy: *body NULL), _OK with *body, or _ERROR with err.
 */
int ctns_settle_deposit(const ctns_payout_t *p,
    const ctns_settle_link_t *links, const ctns_settle_psp_t *psp,
    ctns_unmatched_e policy, json_t **body, char *err, size_t errlen);


/*
 * The NetSuite "journalEntry" that reverses the deposit of a payout the
 * PSP reports failed after it was posted, externalId
 * ct-payout-rev-<psp>-<payoutId>: the amount ("38.77", as the ledger keeps
 * it) leaves the bank account again (credit) and waits on the PSP's
 * adjustments account (debit).  The PSP returns the money to its balance
 * and pays it out again as a payout_reversal line of a later payout, which
 * the deposit of that payout books on the same adjustments account, so the
 * account clears.  The deposited payments stay deposited: the later payout
 * does not list them again.  NULL with err when the payout's currency has
 * no bank or the amount is no decimal.
 */
json_t *ctns_settle_reversal(const ctns_settle_psp_t *psp,
    const char *payout_id, const char *currency, const char *amount,
    const char *date, const char *memo, char *err, size_t errlen);


#endif /* _CTNS_SETTLE_H_INCLUDED_ */
