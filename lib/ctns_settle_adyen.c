/*
 * Copyright (C) ct-netsuite authors
 *
 * Adyen settlement details report (CSV, RFC 4180): one header line, then
 * transaction, fee, correction and MerchantPayout lines.  Columns are found
 * by header name, since accounts can reorder them and add optional ones;
 * an unknown or missing column, an unknown record type, a malformed amount
 * or a line whose net does not follow from gross x rate - costs is an
 * error naming the row and column.  Rows are grouped into payouts by
 * (Merchant Account, Batch Number).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_eid.h"
#include "ctns_money.h"
#include "ctns_settle.h"


#define CTNS_CSV_MAX_COLUMNS  64


enum {
    COL_MERCHANT = 0, COL_PSP_REF, COL_MERCHANT_REF, COL_DATE, COL_TYPE,
    COL_MOD_REF, COL_GROSS_CUR, COL_GROSS_DEBIT, COL_GROSS_CREDIT, COL_RATE,
    COL_NET_CUR, COL_NET_DEBIT, COL_NET_CREDIT, COL_COMMISSION, COL_MARKUP,
    COL_SCHEME, COL_INTERCHANGE, COL_MOD_MERCHANT_REF, COL_BATCH,
    COL_REQUIRED
};


/* required columns in the enum's order, then the optional ones we know */
static const char  *ctns_adyen_columns[] = {
    "Merchant Account", "Psp Reference", "Merchant Reference",
    "Creation Date", "Type", "Modification Reference", "Gross Currency",
    "Gross Debit (GC)", "Gross Credit (GC)", "Exchange Rate", "Net Currency",
    "Net Debit (NC)", "Net Credit (NC)", "Commission (NC)", "Markup (NC)",
    "Scheme Fees (NC)", "Interchange (NC)", "Modification Merchant Reference",
    "Batch Number",
    "Company Account", "Payment Method", "TimeZone",
    "Payment Method Variant", "Reserved4", "Reserved5", "Reserved6",
    "Reserved7", "Reserved8", "Reserved9", "Reserved10", NULL
};


typedef enum {
    ADYEN_LINE = 0,
    ADYEN_PAYOUT
} ctns_adyen_kind_e;


static const struct {
    const char          *name;
    ctns_adyen_kind_e    kind;
    ctns_settle_type_e   type;
    int                  tx;           /* carries gross and costs */
} ctns_adyen_types[] = {
    { "Settled", ADYEN_LINE, CTNS_SETTLE_CAPTURE, 1 },
    { "Refunded", ADYEN_LINE, CTNS_SETTLE_REFUND, 1 },
    { "Chargeback", ADYEN_LINE, CTNS_SETTLE_CHARGEBACK, 1 },
    { "SecondChargeback", ADYEN_LINE, CTNS_SETTLE_CHARGEBACK, 1 },
    { "ChargebackReversed", ADYEN_LINE, CTNS_SETTLE_ADJUSTMENT, 1 },
    { "RefundedReversed", ADYEN_LINE, CTNS_SETTLE_ADJUSTMENT, 1 },
    { "Fee", ADYEN_LINE, CTNS_SETTLE_FEE, 0 },
    { "MiscCosts", ADYEN_LINE, CTNS_SETTLE_FEE, 0 },
    { "PaymentCost", ADYEN_LINE, CTNS_SETTLE_FEE, 0 },
    { "DepositCorrection", ADYEN_LINE, CTNS_SETTLE_ADJUSTMENT, 0 },
    { "Balancetransfer", ADYEN_LINE, CTNS_SETTLE_ADJUSTMENT, 0 },
    { "MerchantPayout", ADYEN_PAYOUT, CTNS_SETTLE_ADJUSTMENT, 0 },
    { NULL, ADYEN_LINE, CTNS_SETTLE_ADJUSTMENT, 0 }
};


typedef struct {
    const char          *p;
    const char          *end;
    char                *buf;          /* unquoted field text */
    size_t               buf_len;
    char                *fields[CTNS_CSV_MAX_COLUMNS];
    size_t               n;
    int                  row;
} ctns_csv_t;


typedef struct {
    ctns_csv_t           csv;
    int                  col[COL_REQUIRED];
    size_t               ncols;
    ctns_settlement_t   *s;
    ctns_conf_errors_t  *errs;
    int                  failed;
} ctns_adyen_t;


/*
 * One record: fields end at ',' or at CRLF/LF outside quotes; a quoted
 * field doubles its quotes and may span lines.  Returns 1 with a record,
 * 0 at the end, -1 on malformed quoting (message in err).
 */
static int
ctns_csv_record(ctns_csv_t *c, char *err, size_t errlen)
{
    char   *o;
    int     quoted;

    if (c->p >= c->end) {
        return 0;
    }

    c->n = 0;
    c->row++;
    o = c->buf;

    for ( ;; ) {
        if (c->n == CTNS_CSV_MAX_COLUMNS) {
            snprintf(err, errlen, "more than %d columns",
                     CTNS_CSV_MAX_COLUMNS);
            return -1;
        }

        c->fields[c->n++] = o;
        quoted = (c->p < c->end && *c->p == '"');

        if (quoted) {
            for (c->p++; ; c->p++) {
                if (c->p >= c->end) {
                    snprintf(err, errlen, "field %zu: unterminated quote",
                             c->n);
                    return -1;
                }

                if (*c->p == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        *o++ = *c->p++;
                        continue;
                    }

                    c->p++;
                    break;
                }

                *o++ = *c->p;
            }

        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n'
                   && *c->p != '\r')
            {
                if (*c->p == '"') {
                    snprintf(err, errlen, "field %zu: quote inside an "
                             "unquoted field", c->n);
                    return -1;
                }

                *o++ = *c->p++;
            }
        }

        *o++ = '\0';

        if (c->p >= c->end) {
            return 1;
        }

        if (*c->p == ',') {
            c->p++;
            continue;
        }

        if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n') {
            c->p += 2;
            return 1;
        }

        if (*c->p == '\n') {
            c->p++;
            return 1;
        }

        snprintf(err, errlen, "field %zu: %s after the closing quote",
                 c->n, *c->p == '\r' ? "bare CR" : "text");
        return -1;
    }
}


static void
ctns_adyen_error(ctns_adyen_t *a, int col, const char *fmt, const char *arg)
{
    char  where[160];

    if (col < 0) {
        snprintf(where, sizeof(where), "row %d", a->csv.row);

    } else {
        snprintf(where, sizeof(where), "row %d, column \"%s\"", a->csv.row,
                 ctns_adyen_columns[col]);
    }

    ctns_conf_error(a->errs, where, fmt, arg);
    a->failed = 1;
}


static int
ctns_adyen_header(ctns_adyen_t *a)
{
    size_t   i, k;
    int      rc;

    for (k = 0; k < COL_REQUIRED; k++) {
        a->col[k] = -1;
    }

    rc = 0;

    for (i = 0; i < a->csv.n; i++) {
        for (k = 0; ctns_adyen_columns[k]; k++) {
            if (strcmp(a->csv.fields[i], ctns_adyen_columns[k]) == 0) {
                break;
            }
        }

        if (ctns_adyen_columns[k] == NULL) {
            ctns_adyen_error(a, -1, "unknown column \"%s\"",
                             a->csv.fields[i]);
            rc = -1;
            continue;
        }

        if (k < COL_REQUIRED) {
            if (a->col[k] >= 0) {
                ctns_adyen_error(a, (int) k, "%s", "column appears twice");
                rc = -1;
            }

            a->col[k] = (int) i;
        }
    }

    for (k = 0; k < COL_REQUIRED; k++) {
        if (a->col[k] < 0) {
            ctns_adyen_error(a, (int) k, "%s", "required column is missing");
            rc = -1;
        }
    }

    a->ncols = a->csv.n;

    return rc;
}


static const char *
ctns_adyen_field(ctns_adyen_t *a, int col)
{
    return a->csv.fields[a->col[col]];
}


static int
ctns_adyen_amount(ctns_adyen_t *a, int col, int digits, int64_t *v)
{
    if (ctns_settle_decimal(ctns_adyen_field(a, col), digits, v) != 0) {
        ctns_adyen_error(a, col, "\"%s\" is not an amount in the currency's "
                         "precision", ctns_adyen_field(a, col));
        return -1;
    }

    return 0;
}


static int
ctns_adyen_currency(ctns_adyen_t *a, int col, char *cur)
{
    const char  *v;

    v = ctns_adyen_field(a, col);

    if (strlen(v) != 3 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A'
        || v[1] > 'Z' || v[2] < 'A' || v[2] > 'Z')
    {
        ctns_adyen_error(a, col, "\"%s\" is not an ISO 4217 currency code",
                         v);
        return -1;
    }

    memcpy(cur, v, 4);

    return 0;
}


static ctns_payout_t *
ctns_adyen_payout(ctns_adyen_t *a, const char *cur)
{
    size_t          i;
    char            id[CTNS_SETTLE_ID_LEN];
    ctns_payout_t  *p;

    if (snprintf(id, sizeof(id), "%s-%s", ctns_adyen_field(a, COL_MERCHANT),
                 ctns_adyen_field(a, COL_BATCH)) >= (int) sizeof(id)
        || ctns_adyen_field(a, COL_BATCH)[0] == '\0'
        || !ctns_eid_valid(id))
    {
        ctns_adyen_error(a, COL_BATCH, "merchant account and batch number "
                         "\"%s\" do not make an external id "
                         "([A-Za-z0-9_-])", id);
        return NULL;
    }

    for (i = 0; i < a->s->n; i++) {
        p = &a->s->payouts[i];

        if (strcmp(p->id, id) == 0) {
            if (strcmp(p->currency, cur) != 0) {
                ctns_adyen_error(a, COL_NET_CUR, "batch mixes net currencies "
                                 "(%s before)", p->currency);
                return NULL;
            }

            return p;
        }
    }

    p = ctns_settle_payout_add(a->s, "adyen", id);
    if (p == NULL) {
        ctns_adyen_error(a, -1, "%s", "out of memory");
        return NULL;
    }

    memcpy(p->currency, cur, 4);
    p->digits = ctns_money_digits(cur);

    return p;
}


/* gross, rate and the four cost columns of a transaction line */
static int
ctns_adyen_tx(ctns_adyen_t *a, ctns_payout_t *p, ctns_settle_line_t *l)
{
    int      k;
    int64_t  debit, credit, cost;
    char     want[32], got[32];
    static const int  costs[] = {
        COL_COMMISSION, COL_MARKUP, COL_SCHEME, COL_INTERCHANGE
    };

    if (ctns_adyen_currency(a, COL_GROSS_CUR, l->gross_currency) != 0) {
        return -1;
    }

    l->gross_digits = ctns_money_digits(l->gross_currency);

    if (ctns_adyen_amount(a, COL_GROSS_DEBIT, l->gross_digits, &debit)
        || ctns_adyen_amount(a, COL_GROSS_CREDIT, l->gross_digits, &credit))
    {
        return -1;
    }

    if ((debit == 0) == (credit == 0)) {
        ctns_adyen_error(a, COL_GROSS_CREDIT, "%s", "exactly one of the gross "
                         "debit and credit must be set");
        return -1;
    }

    l->gross = credit - debit;
    snprintf(l->rate, sizeof(l->rate), "%s", ctns_adyen_field(a, COL_RATE));

    if (ctns_settle_convert(l->gross, l->gross_digits, l->rate, p->digits,
                            &l->converted) != 0)
    {
        ctns_adyen_error(a, COL_RATE, "\"%s\" is not an exchange rate",
                         l->rate);
        return -1;
    }

    for (k = 0; k < 4; k++) {
        if (ctns_adyen_amount(a, costs[k], p->digits, &cost) != 0) {
            return -1;
        }

        l->fee += cost;
    }

    if (l->net != l->converted - l->fee) {
        ctns_money_format(l->converted - l->fee, p->digits, want,
                          sizeof(want));
        ctns_money_format(l->net, p->digits, got, sizeof(got));
        snprintf(l->memo, sizeof(l->memo), "net %s, but gross x rate - "
                 "costs = %s", got, want);
        ctns_adyen_error(a, l->net >= 0 ? COL_NET_CREDIT : COL_NET_DEBIT,
                         "%s", l->memo);
        return -1;
    }

    return 0;
}


static void
ctns_adyen_refs(ctns_adyen_t *a, ctns_settle_line_t *l, const char *type)
{
    const char  *mod;

    mod = ctns_adyen_field(a, COL_MOD_REF);

    snprintf(l->refs[0], sizeof(l->refs[0]), "%s", mod);
    snprintf(l->refs[1], sizeof(l->refs[1]), "%s",
             ctns_adyen_field(a, COL_PSP_REF));
    snprintf(l->refs[2], sizeof(l->refs[2]), "%s",
             ctns_adyen_field(a, COL_MERCHANT_REF));

    /* the modification reference identifies a capture or refund once */
    if (l->refs[1][0] && mod[0]) {
        snprintf(l->id, sizeof(l->id), "%s-%s", type, mod);

    } else {
        snprintf(l->id, sizeof(l->id), "%s-%s-row%d",
                 ctns_adyen_field(a, COL_BATCH), type, a->csv.row);
    }

    snprintf(l->memo, sizeof(l->memo), "%s %s", type,
             l->refs[1][0] ? l->refs[1] : mod);
}


static void
ctns_adyen_row(ctns_adyen_t *a)
{
    size_t               i;
    int64_t              debit, credit;
    const char          *type;
    char                 cur[24];
    ctns_payout_t       *p;
    ctns_settle_line_t  *l;

    if (a->csv.n != a->ncols) {
        snprintf(cur, sizeof(cur), "%zu", a->ncols);
        ctns_adyen_error(a, -1, "the header has %s columns, this row not",
                         cur);
        return;
    }

    type = ctns_adyen_field(a, COL_TYPE);

    for (i = 0; ctns_adyen_types[i].name; i++) {
        if (strcmp(ctns_adyen_types[i].name, type) == 0) {
            break;
        }
    }

    if (ctns_adyen_types[i].name == NULL) {
        ctns_adyen_error(a, COL_TYPE, "unknown record type \"%s\"", type);
        return;
    }

    if (ctns_adyen_currency(a, COL_NET_CUR, cur) != 0) {
        return;
    }

    p = ctns_adyen_payout(a, cur);
    if (p == NULL) {
        return;
    }

    if (ctns_adyen_amount(a, COL_NET_DEBIT, p->digits, &debit)
        || ctns_adyen_amount(a, COL_NET_CREDIT, p->digits, &credit))
    {
        return;
    }

    if (ctns_adyen_types[i].kind == ADYEN_PAYOUT) {
        p->amount += debit - credit;
        snprintf(p->date, sizeof(p->date), "%.10s",
                 ctns_adyen_field(a, COL_DATE));
        return;
    }

    l = ctns_settle_line_add(p);
    if (l == NULL) {
        ctns_adyen_error(a, -1, "%s", "out of memory");
        return;
    }

    l->type = ctns_adyen_types[i].type;
    l->row = a->csv.row;
    l->net = credit - debit;
    snprintf(l->kind, sizeof(l->kind), "%s", type);
    ctns_adyen_refs(a, l, type);

    if (ctns_adyen_types[i].tx) {
        ctns_adyen_tx(a, p, l);
        return;
    }

    memcpy(l->gross_currency, cur, 4);
    l->gross_digits = p->digits;

    if (l->type == CTNS_SETTLE_FEE) {
        l->fee = -l->net;
    }
}


int
ctns_settle_adyen_parse(const char *csv, size_t len, ctns_settlement_t *s,
    ctns_conf_errors_t *errs)
{
    int           rc;
    char          err[128];
    ctns_adyen_t  a;

    memset(&a, 0, sizeof(a));
    memset(s, 0, sizeof(ctns_settlement_t));

    a.s = s;
    a.errs = errs;
    a.csv.p = csv;
    a.csv.end = csv + len;

    /* a UTF-8 byte order mark is what spreadsheet exports start with */
    if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0) {
        a.csv.p += 3;
    }

    a.csv.buf = malloc(len + CTNS_CSV_MAX_COLUMNS + 1);
    if (a.csv.buf == NULL) {
        ctns_conf_error(errs, "", "out of memory");
        return -1;
    }

    rc = ctns_csv_record(&a.csv, err, sizeof(err));

    if (rc <= 0) {
        ctns_conf_error(errs, "row 1", "%s", rc == 0 ? "empty report" : err);
        free(a.csv.buf);
        return -1;
    }

    if (ctns_adyen_header(&a) != 0) {
        free(a.csv.buf);
        return -1;
    }

    for ( ;; ) {
        rc = ctns_csv_record(&a.csv, err, sizeof(err));

        if (rc == 0) {
            break;
        }

        if (rc < 0) {
            ctns_adyen_error(&a, -1, "%s", err);
            break;
        }

        /* a blank line (often the last) carries nothing */
        if (a.csv.n == 1 && a.csv.fields[0][0] == '\0') {
            continue;
        }

        ctns_adyen_row(&a);
    }

    free(a.csv.buf);

    if (!a.failed && s->n == 0) {
        ctns_conf_error(errs, "", "the report has no lines");
        a.failed = 1;
    }

    if (a.failed || ctns_settle_check(s, errs) != 0) {
        ctns_settlement_free(s);
        return -1;
    }

    return 0;
}
