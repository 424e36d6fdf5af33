/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: a PSP settlement file, as `ctns-worker import-settlement`
 * reads it: the input is tried as an Adyen settlement detail report (CSV)
 * and, when it is JSON, as a Stripe payouts export.  A settlement that
 * parses must balance (every payout's lines sum to its amount, which the
 * parsers promise) and name its payouts with [A-Za-z0-9_-] ids.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_settle.h"


#define CHECK(cond)                                                          \
    if (!(cond)) {                                                           \
        fprintf(stderr, "fuzz_settle: %s (line %d)\n", #cond, __LINE__);     \
        abort();                                                             \
    }


static void
fuzz_judge(int rc, ctns_settlement_t *s, ctns_conf_errors_t *errs)
{
    size_t               i, j;
    ctns_conf_errors_t   check;

    CHECK((rc == 0) == (errs->n == 0));

    for (i = 0; i < errs->n; i++) {
        CHECK(errs->items[i].msg[0] != '\0');
    }

    if (rc == 0) {
        memset(&check, 0, sizeof(check));
        CHECK(ctns_settle_check(s, &check) == 0);
        ctns_conf_errors_free(&check);

        for (i = 0; i < s->n; i++) {
            CHECK(s->payouts[i].id[0] != '\0');
            CHECK(strspn(s->payouts[i].id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "abcdefghijklmnopqrstuvwxyz0123456789_-")
                  == strlen(s->payouts[i].id));

            for (j = 0; j < s->payouts[i].nlines; j++) {
                (void) ctns_settle_type_name(s->payouts[i].lines[j].type);
                (void) ctns_settle_needs_link(&s->payouts[i].lines[j]);
            }
        }
    }

    ctns_conf_errors_free(errs);
    ctns_settlement_free(s);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int                  rc;
    json_t              *doc;
    ctns_settlement_t    s;
    ctns_conf_errors_t   errs;

    memset(&s, 0, sizeof(s));
    memset(&errs, 0, sizeof(errs));
    rc = ctns_settle_adyen_parse((const char *) data, size, &s, &errs);
    fuzz_judge(rc, &s, &errs);

    doc = json_loadb((const char *) data, size, 0, NULL);
    if (doc == NULL) {
        return 0;
    }

    memset(&s, 0, sizeof(s));
    memset(&errs, 0, sizeof(errs));
    rc = ctns_settle_stripe_parse(doc, &s, &errs);
    fuzz_judge(rc, &s, &errs);

    json_decref(doc);

    return 0;
}
