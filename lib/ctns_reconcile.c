/*
 * Copyright (C) ct-netsuite authors
 *
 * Matching by external id over two sorted arrays, and the three report
 * formats: an aligned table for people, RFC 4180 CSV and JSON for tools.
 */


#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctns_grow.h"
#include "ctns_money.h"
#include "ctns_reconcile.h"


static const char  *ctns_recon_kinds[] = { "missing", "extra", "total",
                                           "dead" };


const char *
ctns_recon_kind_name(ctns_gap_kind_e kind)
{
    return ctns_recon_kinds[kind];
}


ctns_recon_item_t *
ctns_recon_add(ctns_recon_set_t *s)
{
    return ctns_grow((void **) &s->items, &s->n, &s->cap,
                     sizeof(ctns_recon_item_t), 64);
}


ctns_recon_gap_t *
ctns_recon_gap_add(ctns_recon_report_t *rep)
{
    return ctns_grow((void **) &rep->gaps, &rep->n, &rep->cap,
                     sizeof(ctns_recon_gap_t), 64);
}


void
ctns_recon_set_free(ctns_recon_set_t *s)
{
    free(s->items);
    memset(s, 0, sizeof(ctns_recon_set_t));
}


void
ctns_recon_report_free(ctns_recon_report_t *rep)
{
    free(rep->gaps);
    memset(rep, 0, sizeof(ctns_recon_report_t));
}


static int
ctns_recon_cmp(const void *a, const void *b)
{
    return strcmp(((const ctns_recon_item_t *) a)->eid,
                  ((const ctns_recon_item_t *) b)->eid);
}


static int
ctns_recon_gap(ctns_recon_report_t *rep, ctns_gap_kind_e kind,
    const ctns_recon_item_t *ct, const ctns_recon_item_t *ns)
{
    ctns_recon_gap_t         *g;
    const ctns_recon_item_t  *any;

    g = ctns_recon_gap_add(rep);
    if (g == NULL) {
        return -1;
    }

    any = ct ? ct : ns;

    g->kind = kind;
    g->digits = any->digits;
    memcpy(g->eid, any->eid, sizeof(g->eid));
    memcpy(g->type, any->type, sizeof(g->type));
    memcpy(g->ref, any->ref, sizeof(g->ref));
    memcpy(g->currency, any->currency, sizeof(g->currency));
    g->ct_total = ct ? ct->total : 0;
    g->ns_total = ns ? ns->total : 0;

    if (ns) {
        memcpy(g->ns_id, ns->ns_id, sizeof(g->ns_id));
    }

    snprintf(g->detail, sizeof(g->detail), "%s",
             kind == CTNS_GAP_MISSING ? "not in NetSuite"
             : kind == CTNS_GAP_EXTRA ? "not in commercetools"
             : "totals differ");

    return 0;
}


int
ctns_reconcile(ctns_recon_set_t *ct, ctns_recon_set_t *ns,
    ctns_recon_report_t *rep)
{
    int                  c, rc;
    size_t               i, k;
    ctns_recon_item_t   *a, *b;

    qsort(ct->items, ct->n, sizeof(ctns_recon_item_t), ctns_recon_cmp);
    qsort(ns->items, ns->n, sizeof(ctns_recon_item_t), ctns_recon_cmp);

    i = 0;
    k = 0;
    rc = 0;

    while (rc == 0 && (i < ct->n || k < ns->n)) {
        a = i < ct->n ? &ct->items[i] : NULL;
        b = k < ns->n ? &ns->items[k] : NULL;
        c = (a && b) ? strcmp(a->eid, b->eid) : (a ? -1 : 1);

        if (c < 0) {
            rc = a->in_range ? ctns_recon_gap(rep, CTNS_GAP_MISSING, a, NULL)
                             : 0;
            rep->compared += a->in_range;
            i++;

        } else if (c > 0) {
            rc = b->in_range ? ctns_recon_gap(rep, CTNS_GAP_EXTRA, NULL, b)
                             : 0;
            k++;

        } else {
            /* either side in the period makes the pair count */
            if (a->in_range || b->in_range) {
                rep->compared++;

                if (a->total != b->total) {
                    rc = ctns_recon_gap(rep, CTNS_GAP_TOTAL, a, b);

                } else {
                    rep->matched++;
                }
            }

            i++;
            k++;
        }
    }

    return rc;
}


static void
ctns_recon_amount(const ctns_recon_gap_t *g, int ns, char *buf, size_t len)
{
    buf[0] = '\0';

    if (g->kind == CTNS_GAP_DEAD || (g->kind == CTNS_GAP_MISSING && ns)
        || (g->kind == CTNS_GAP_EXTRA && !ns))
    {
        return;
    }

    ctns_money_format(ns ? g->ns_total : g->ct_total, g->digits, buf, len);
}


/* RFC 4180: quoted when it holds a comma, quote or line break */
static void
ctns_recon_csv_field(FILE *out, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);

    } else {
        fputc('"', out);

        for ( /* void */ ; *s; s++) {
            if (*s == '"') {
                fputc('"', out);
            }

            fputc(*s, out);
        }

        fputc('"', out);
    }

    fputs(last ? "\r\n" : ",", out);
}


static void
ctns_recon_csv(const ctns_recon_report_t *rep, FILE *out)
{
    size_t                   i, k;
    char                     ct[32], ns[32];
    const char              *f[9];
    const ctns_recon_gap_t  *g;
    static const char       *head[] = {
        "gap", "external_id", "type", "reference", "netsuite_id",
        "currency", "commercetools_total", "netsuite_total", "detail"
    };

    for (k = 0; k < 9; k++) {
        ctns_recon_csv_field(out, head[k], k == 8);
    }

    for (i = 0; i < rep->n; i++) {
        g = &rep->gaps[i];
        ctns_recon_amount(g, 0, ct, sizeof(ct));
        ctns_recon_amount(g, 1, ns, sizeof(ns));

        f[0] = ctns_recon_kind_name(g->kind);
        f[1] = g->eid;
        f[2] = g->type;
        f[3] = g->ref;
        f[4] = g->ns_id;
        f[5] = g->currency;
        f[6] = ct;
        f[7] = ns;
        f[8] = g->detail;

        for (k = 0; k < 9; k++) {
            ctns_recon_csv_field(out, f[k], k == 8);
        }
    }
}


static int
ctns_recon_json(const ctns_recon_report_t *rep, FILE *out)
{
    int                      rc;
    size_t                   i;
    char                     ct[32], ns[32];
    json_t                  *root, *gaps;
    const ctns_recon_gap_t  *g;

    gaps = json_array();

    for (i = 0; i < rep->n; i++) {
        g = &rep->gaps[i];
        ctns_recon_amount(g, 0, ct, sizeof(ct));
        ctns_recon_amount(g, 1, ns, sizeof(ns));

        json_array_append_new(gaps, json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s}",
            "gap", ctns_recon_kind_name(g->kind), "externalId", g->eid,
            "type", g->type, "reference", g->ref, "netsuiteId", g->ns_id,
            "currency", g->currency,
            "commercetoolsTotal", ct[0] ? ct : NULL,
            "netsuiteTotal", ns[0] ? ns : NULL, "detail", g->detail));
    }

    root = json_pack("{s:I,s:I,s:I,s:o}", "compared",
                     (json_int_t) rep->compared, "matched",
                     (json_int_t) rep->matched, "gapCount",
                     (json_int_t) rep->n, "gaps", gaps);

    rc = json_dumpf(root, out, JSON_INDENT(2));
    fputc('\n', out);
    json_decref(root);

    return rc;
}


static void
ctns_recon_table(const ctns_recon_report_t *rep, FILE *out)
{
    size_t                   i;
    char                     ct[32], ns[32];
    const ctns_recon_gap_t  *g;

    fprintf(out, "%-8s %-48s %-16s %-20s %14s %14s %-4s %s\n", "GAP",
            "EXTERNAL ID", "TYPE", "REFERENCE", "COMMERCETOOLS", "NETSUITE",
            "CUR", "DETAIL");

    for (i = 0; i < rep->n; i++) {
        g = &rep->gaps[i];
        ctns_recon_amount(g, 0, ct, sizeof(ct));
        ctns_recon_amount(g, 1, ns, sizeof(ns));

        fprintf(out, "%-8s %-48s %-16s %-20s %14s %14s %-4s %s\n",
                ctns_recon_kind_name(g->kind), g->eid, g->type, g->ref, ct,
                ns, g->currency, g->detail);
    }

    fprintf(out, "%zu compared, %zu matched, %zu gap%s\n", rep->compared,
            rep->matched, rep->n, rep->n == 1 ? "" : "s");
}


int
ctns_recon_print(const ctns_recon_report_t *rep, const char *format,
    FILE *out)
{
    if (format == NULL || strcmp(format, "table") == 0) {
        ctns_recon_table(rep, out);
        return 0;
    }

    if (strcmp(format, "csv") == 0) {
        ctns_recon_csv(rep, out);
        return 0;
    }

    if (strcmp(format, "json") == 0) {
        return ctns_recon_json(rep, out);
    }

    return -1;
}
