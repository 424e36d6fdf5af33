/*
 * Copyright (C) ct-netsuite authors
 *
 * The batch commands of ctns-worker (settlements, delta sync,
 * reconciliation) and what they share: options, the configuration with
 * the "settlements" and "sync" sections, Redis, and synchronous requests
 * to NetSuite and commercetools over the worker's HTTP machinery (same
 * authentication, same lanes), with retries on 429/5xx and a request
 * budget for commercetools.
 *
 *   ctns-worker import-settlement --format adyen|stripe FILE [--dry-run]
 *   ctns-worker settlements --unmatched [--format table|json]
 *   ctns-worker sync (--since TIME | --resume) [--every 15m]
 *   ctns-worker reconcile --from DATE --to DATE [--format table|csv|json]
 *   ctns-worker payouts [--once]
 */

#ifndef _CTNS_BATCH_H_INCLUDED_
#define _CTNS_BATCH_H_INCLUDED_


#include <hiredis/hiredis.h>
#include <jansson.h>

#include "ctns_batch_conf.h"
#include "ctns_conf.h"
#include "ctns_ctclient.h"
#include "ctns_http.h"
#include "ctns_nsauth.h"
#include "ctns_settle.h"
#include "ctns_store.h"


typedef struct {
    const char          *command;
    const char          *config;
    const char          *format;
    const char          *since;
    const char          *from;
    const char          *to;
    const char          *every;
    int                  resume;
    int                  unmatched;
    int                  dry_run;
    int                  once;
    char               **args;
    int                  nargs;
} ctns_batch_opts_t;


typedef struct {
    ctns_conf_t         *conf;
    ctns_batch_conf_t   *bconf;
    ctns_store_t         store;
    ctns_http_t         *http;
    ctns_nsauth_t        nsauth;
    ctns_ctclient_t      ct;
    int64_t              ct_next_ms;      /* request budget */
    char                 api[544];        /* <base_url>/services/rest */
    char                 error[512];      /* last request's failure */
} ctns_batch_t;


/* 1 when name is a batch command: main() hands those to ctns_batch_main */
int ctns_batch_command(const char *name);
int ctns_batch_main(int argc, char **argv);

/*
 * NetSuite: method on <api><path> with an optional JSON body.  Returns the
 * parsed answer (JSON null for 204 or an empty body) and the status, or
 * NULL after retries with b->error set.  Prefer: transient is sent for
 * SuiteQL.
 */
json_t *ctns_batch_ns(ctns_batch_t *b, const char *method, const char *path,
    const char *body, long *status);

/* Every row of a SuiteQL query, paged by limit/offset; NULL on failure. */
json_t *ctns_batch_suiteql(ctns_batch_t *b, const char *q);

/* commercetools GET <project>/<path>, within the request budget. */
json_t *ctns_batch_ct(ctns_batch_t *b, const char *path, long *status);

/*
 * GET of an absolute URL with one extra header (a PSP API's
 * "Authorization: Bearer ..."), same retries as the others.
 */
json_t *ctns_batch_get(ctns_batch_t *b, const char *url, const char *header,
    long *status);

/* One Redis command; NULL when Redis failed. */
redisReply *ctns_batch_redis(ctns_batch_t *b, int argc, const char **argv);

/* "<prefix>:<fmt...>" */
void ctns_batch_key(const ctns_batch_t *b, char *buf, size_t len,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

int ctns_cmd_import_settlement(ctns_batch_t *b, const ctns_batch_opts_t *o);
int ctns_cmd_settlements(ctns_batch_t *b, const ctns_batch_opts_t *o);
int ctns_cmd_sync(ctns_batch_t *b, const ctns_batch_opts_t *o);
int ctns_cmd_reconcile(ctns_batch_t *b, const ctns_batch_opts_t *o);
int ctns_cmd_payouts(ctns_batch_t *b, const ctns_batch_opts_t *o);

/*
 * The settlement ledger (ctns_cmd_settle.c), shared with the consumer of
 * Stripe payout events (ctns_cmd_payouts.c).
 */

/* Posts every payout of s: 0 all posted, 3 some wait, 1 some failed. */
int ctns_settle_import(ctns_batch_t *b, const char *psp,
    ctns_settlement_t *s, int dry_run);

/* The ledger state of a payout ("posted", "waiting", ...; "" unknown). */
int ctns_settle_state(ctns_batch_t *b, const char *psp, const char *id,
    char *state, size_t len);

/*
 * A payout that failed or was canceled at the PSP: a posted deposit is
 * reversed, a waiting payout and its exceptions are dropped, an unknown
 * one is remembered so that a late payout.paid posts nothing.  0 or -1.
 */
int ctns_settle_cancel(ctns_batch_t *b, const char *psp, const char *id,
    const char *date, const char *why);


#endif /* _CTNS_BATCH_H_INCLUDED_ */
