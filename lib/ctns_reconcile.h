/*
 * Copyright (C) ct-netsuite authors
 *
 * Reconciliation: what commercetools says must be in NetSuite (orders,
 * refunds) against what NetSuite holds, matched by external id.  Each side
 * is a set of items; items read from a margin around the period (time
 * zones, posting delays) take part in matching but are not reported on
 * their own (in_range 0).  Gaps:
 *
 *   missing   in commercetools for the period, not in NetSuite
 *   extra     in NetSuite for the period, unknown to commercetools
 *   total     in both, totals differ (both amounts kept)
 *   dead      a dead-lettered event (added by the caller)
 */

#ifndef _CTNS_RECONCILE_H_INCLUDED_
#define _CTNS_RECONCILE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>


typedef struct {
    char        eid[128];
    char        type[32];
    char        ref[96];            /* order number, transaction id */
    char        currency[4];
    int         digits;
    int64_t     total;              /* minor units, absolute value */
    int         in_range;
    char        ns_id[24];
} ctns_recon_item_t;


typedef struct {
    ctns_recon_item_t  *items;
    size_t              n;
    size_t              cap;
} ctns_recon_set_t;


typedef enum {
    CTNS_GAP_MISSING = 0,
    CTNS_GAP_EXTRA,
    CTNS_GAP_TOTAL,
    CTNS_GAP_DEAD
} ctns_gap_kind_e;


typedef struct {
    ctns_gap_kind_e     kind;
    char                eid[128];
    char                type[32];
    char                ref[96];
    char                ns_id[24];
    char                currency[4];
    int                 digits;
    int64_t             ct_total;
    int64_t             ns_total;
    char                detail[320];
} ctns_recon_gap_t;


typedef struct {
    ctns_recon_gap_t   *gaps;
    size_t              n;
    size_t              cap;
    size_t              compared;   /* commercetools items in the period */
    size_t              matched;    /* of those, in NetSuite, same total */
} ctns_recon_report_t;


ctns_recon_item_t *ctns_recon_add(ctns_recon_set_t *s);
void ctns_recon_set_free(ctns_recon_set_t *s);

ctns_recon_gap_t *ctns_recon_gap_add(ctns_recon_report_t *rep);
void ctns_recon_report_free(ctns_recon_report_t *rep);

/* Sorts both sets by external id and appends the gaps; 0 or -1 (memory). */
int ctns_reconcile(ctns_recon_set_t *ct, ctns_recon_set_t *ns,
    ctns_recon_report_t *rep);

/* "table", "csv" or "json"; -1 for another format */
int ctns_recon_print(const ctns_recon_report_t *rep, const char *format,
    FILE *out);

const char *ctns_recon_kind_name(ctns_gap_kind_e kind);


#endif /* _CTNS_RECONCILE_H_INCLUDED_ */
