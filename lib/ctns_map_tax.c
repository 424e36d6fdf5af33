/*
 * Copyright (C) ct-netsuite authors
 *
 * SuiteTax: tax portions of commercetools lines, the tax code of each, and
 * the exact tax override.  NetSuite generates the references that tie tax
 * detail rows to item lines, so the override is a PATCH whose body is
 * derived from the record read back (netsuite.md 4.4).
 */


#include <string.h>

#include "ctns_map_int.h"


static json_t *ctns_map_tax_derive(const json_t *read, const json_t *arg,
    char *err, size_t errlen);


static int
ctns_map_tax_add(ctns_map_line_t *line, const char *name, int64_t rate,
    int64_t amount, const json_t *tax_rate)
{
    size_t            i;
    ctns_map_part_t  *p;

    for (i = 0; i < line->nparts; i++) {
        p = &line->parts[i];

        if (p->rate == rate && strcmp(p->name, name) == 0) {
            p->amount += amount;
            return 0;
        }
    }

    if (line->nparts == CTNS_MAP_MAX_PARTS) {
        return -1;
    }

    p = &line->parts[line->nparts++];
    p->name = name;
    p->rate = rate;
    p->amount = amount;
    p->tax_rate = tax_rate;
    p->code = NULL;

    return 0;
}


/*
 * Adds the portions of one TaxedItemPrice to the line and returns its net.
 * A tax that its portions do not add up to (old orders without portions,
 * rounding) is settled on the largest portion, or on one named after the
 * tax rate.
 */
int
ctns_map_tax_parts(const json_t *taxed, const json_t *tax_rate,
    ctns_map_line_t *line, int64_t *net, char *err, size_t errlen)
{
    size_t         i, big;
    int64_t        rate, sum;
    json_t        *portion;
    const json_t  *portions;
    ctns_money_t   n, g, a;
    const char    *name;

    if (ctns_money_get(json_object_get(taxed, "totalNet"), &n) != 0
        || ctns_money_get(json_object_get(taxed, "totalGross"), &g) != 0)
    {
        ctns_map_err(err, errlen, "taxedPrice without totalNet/totalGross");
        return -1;
    }

    *net = n.minor;
    sum = 0;
    portions = json_object_get(taxed, "taxPortions");

    json_array_foreach(portions, i, portion) {
        name = ctns_map_str(portion, "name");
        rate = ctns_money_rate_ppm(json_object_get(portion, "rate"));

        if (ctns_money_get(json_object_get(portion, "amount"), &a) != 0
            || rate < 0)
        {
            ctns_map_err(err, errlen, "malformed tax portion %zu", i);
            return -1;
        }

        if (ctns_map_tax_add(line, name ? name : "", rate, a.minor, tax_rate)
            != 0)
        {
            ctns_map_err(err, errlen, "more than %d tax portions on a line",
                         CTNS_MAP_MAX_PARTS);
            return -1;
        }

        sum += a.minor;
    }

    if (sum == g.minor - n.minor) {
        return 0;
    }

    if (line->nparts == 0) {
        name = ctns_map_str(tax_rate, "name");
        rate = ctns_money_rate_ppm(json_object_get(tax_rate, "amount"));

        return ctns_map_tax_add(line, name ? name : "", rate < 0 ? 0 : rate,
                                g.minor - n.minor, tax_rate);
    }

    for (big = 0, i = 1; i < line->nparts; i++) {
        if (line->parts[i].amount > line->parts[big].amount) {
            big = i;
        }
    }

    line->parts[big].amount += g.minor - n.minor - sum;

    return 0;
}


static int
ctns_map_tax_eq(const char *want, const char *have)
{
    return want == NULL || (have && strcmp(want, have) == 0);
}


static const json_t *
ctns_map_tax_code(const ctns_map_conf_t *conf, const char *name,
    int64_t rate, const json_t *tax_rate)
{
    size_t                     i;
    const ctns_map_taxcode_t  *t;

    for (i = 0; i < conf->ncodes; i++) {
        t = &conf->codes[i];

        if (ctns_map_tax_eq(t->rate_name, ctns_map_str(tax_rate, "name"))
            && ctns_map_tax_eq(t->name, name)
            && ctns_map_tax_eq(t->country, ctns_map_str(tax_rate, "country"))
            && ctns_map_tax_eq(t->state, ctns_map_str(tax_rate, "state"))
            && (t->rate < 0 || t->rate == rate))
        {
            return t->code;
        }
    }

    return conf->default_code;
}


/* a tax code for every portion, and one for every line */
int
ctns_map_tax_resolve(const ctns_map_conf_t *conf, ctns_map_doc_t *doc,
    char *err, size_t errlen)
{
    size_t            i, k;
    int64_t           rate;
    ctns_map_line_t  *line;
    ctns_map_part_t  *p;
    const json_t     *tr;

    for (i = 0; i < doc->nlines; i++) {
        line = &doc->lines[i];

        for (k = 0; k < line->nparts; k++) {
            p = &line->parts[k];
            p->code = ctns_map_tax_code(conf, p->name, p->rate, p->tax_rate);

            if (p->code == NULL) {
                ctns_map_err(err, errlen,
                             "no tax code for \"%s\" at %.4f%% (rate \"%s\", "
                             "country %s, state %s) in order %s",
                             p->name, (double) p->rate / 10000,
                             ctns_map_str(p->tax_rate, "name")
                             ? ctns_map_str(p->tax_rate, "name") : "",
                             ctns_map_str(p->tax_rate, "country")
                             ? ctns_map_str(p->tax_rate, "country") : "-",
                             ctns_map_str(p->tax_rate, "state")
                             ? ctns_map_str(p->tax_rate, "state") : "-",
                             doc->number);
                return -1;
            }
        }

        /* the line's own code: the whole rate when a rule names it */
        tr = line->nparts ? line->parts[0].tax_rate : NULL;
        rate = ctns_money_rate_ppm(json_object_get(tr, "amount"));
        line->line_code = tr ? ctns_map_tax_code(conf,
                                                 ctns_map_str(tr, "name"),
                                                 rate, tr)
                             : NULL;

        if (line->line_code == NULL || line->nparts > 1) {
            line->line_code = line->nparts ? line->parts[0].code
                                           : conf->default_code;
        }
    }

    return 0;
}


/*
 * The rows of the override for lines in document order; a header line
 * (shipping as shipMethod + shippingCost) uses the reference SHIPPING, the
 * others are found by position when the record is read back.
 */
json_t *
ctns_map_tax_rows(const ctns_map_doc_t *doc, const ctns_map_line_t *lines,
    size_t n)
{
    size_t                  i, k, pos;
    json_t                 *rows, *row;
    const ctns_map_part_t  *p;

    rows = json_array();
    pos = 0;

    for (i = 0; i < n; i++) {
        for (k = 0; k < lines[i].nparts; k++) {
            p = &lines[i].parts[k];

            /* no shipping cost, no SHIPPING tax details to refer to */
            if (lines[i].header && lines[i].net == 0 && p->amount == 0) {
                continue;
            }

            row = json_pack("{s:o,s:o,s:o,s:o}",
                            "taxCode", json_deep_copy(p->code),
                            "taxBasis", ctns_money_json(lines[i].net,
                                                        doc->digits),
                            "taxRate", ctns_money_percent_json(p->rate),
                            "taxAmount", ctns_money_json(p->amount,
                                                         doc->digits));

            if (lines[i].header) {
                json_object_set_new(row, "reference", json_string("SHIPPING"));
            } else {
                json_object_set_new(row, "position", json_integer(pos));
            }

            json_array_append_new(rows, row);
        }

        pos += !lines[i].header;
    }

    return json_pack("{s:i,s:o}", "lines", (json_int_t) pos, "rows", rows);
}


/*
 * The amounts the lines must have, for a transformed document: NetSuite
 * bills part of a line at quantity x rate, which is not the line's exact
 * share; the override PATCH sets them (lines are keyed by "line").
 */
void
ctns_map_tax_amounts(const ctns_map_doc_t *doc, json_t *arg,
    const ctns_map_line_t *lines, size_t n)
{
    size_t   i;
    json_t  *amounts;

    amounts = json_array();

    for (i = 0; i < n; i++) {
        if (!lines[i].header) {
            json_array_append_new(amounts,
                                  ctns_money_json(lines[i].net, doc->digits));
        }
    }

    json_object_set_new(arg, "amounts", amounts);
}


void
ctns_map_tax_op(ctns_plan_t *plan, const char *type, const char *eid,
    json_t *rows)
{
    ctns_op_t  *op;

    op = ctns_map_op(plan, CTNS_OP_PATCH, type, eid, rows);
    if (op == NULL) {
        return;
    }

    snprintf(op->replace, sizeof(op->replace), "taxDetails");
    ctns_map_op_read(op, type, eid, ctns_map_tax_derive);
}


/* the reference NetSuite generated for an item line, as a string */
static const char *
ctns_map_tax_ref(const json_t *line)
{
    json_t  *ref;

    ref = json_object_get(line, "taxDetailsReference");

    return json_is_object(ref) ? ctns_map_str(ref, "id")
                               : json_string_value(ref);
}


/* an amount in the finest unit any currency has (3 digits); 0 if none */
static int64_t
ctns_map_tax_milli(const json_t *v)
{
    int64_t  m;

    return ctns_money_value(v, 3, &m) == 0 ? m : 0;
}


/*
 * Keyed updates of the lines whose amount is not the one wanted.  Deposits
 * NetSuite applied when it created the invoice cover its total at that
 * moment: a correction down that would take the total below what is
 * applied is left out (NetSuite would refuse the whole PATCH), so that the
 * tax override always lands; the line keeps NetSuite's cent.
 */
static void
ctns_map_tax_fix_amounts(json_t *out, const json_t *read,
    const json_t *amounts)
{
    size_t         i;
    json_t        *want, *fix, *row;
    int64_t        have, should, total, paid, rest;
    const json_t  *line, *lines;

    lines = ctns_map_path(read, "item.items");
    fix = json_array();

    /* the total after this PATCH, and what is applied to the record */
    total = ctns_map_tax_milli(json_object_get(read, "shippingCost"));

    json_array_foreach(ctns_map_path(out, "taxDetails.items"), i, row) {
        total += ctns_map_tax_milli(json_object_get(row, "taxAmount"));
    }

    json_array_foreach(lines, i, line) {
        total += ctns_map_tax_milli(json_object_get(line, "amount"));
    }

    json_array_foreach(amounts, i, want) {
        should = ctns_map_tax_milli(want);
        total += should - ctns_map_tax_milli(json_object_get(
                              json_array_get(lines, i), "amount"));
    }

    paid = ctns_map_tax_milli(json_object_get(read, "amountPaid"));
    rest = total - paid;

    json_array_foreach(amounts, i, want) {
        line = json_array_get(lines, i);
        have = ctns_map_tax_milli(json_object_get(line, "amount"));
        should = ctns_map_tax_milli(want);

        if (have == should) {
            continue;
        }

        if (should < have && rest < 0) {
            rest += have - should;
            continue;
        }

        json_array_append_new(fix, json_pack("{s:O,s:O}", "line",
                              json_object_get(line, "line"), "amount",
                              want));
    }

    if (json_array_size(fix)) {
        json_object_set_new(out, "item", json_pack("{s:o}", "items", fix));
    } else {
        json_decref(fix);
    }
}


/* the record already carries these rows, with the override on */
static int
ctns_map_tax_same(const json_t *read, const json_t *rows)
{
    size_t         i;
    int64_t        a, b;
    json_t        *row;
    const json_t  *have, *h;

    have = ctns_map_path(read, "taxDetails.items");

    if (!json_is_true(json_object_get(read, "taxDetailsOverride"))
        || json_array_size(have) != json_array_size(rows))
    {
        return 0;
    }

    json_array_foreach(rows, i, row) {
        h = json_array_get(have, i);

        if (ctns_money_value(json_object_get(h, "taxAmount"), 3, &a) != 0
            || ctns_money_value(json_object_get(row, "taxAmount"), 3, &b)
               != 0
            || a != b
            || !json_equal(ctns_map_path(h, "taxDetailsReference.id"),
                           ctns_map_path(row, "taxDetailsReference.id"))
            || !json_equal(ctns_map_path(h, "taxCode.id"),
                           ctns_map_path(row, "taxCode.id")))
        {
            return 0;
        }
    }

    return 1;
}


static json_t *
ctns_map_tax_derive(const json_t *read, const json_t *arg, char *err,
    size_t errlen)
{
    size_t         i, have, want;
    json_t        *row, *out, *items, *r;
    const json_t  *lines;
    const char    *ref;

    lines = ctns_map_path(read, "item.items");
    have = json_array_size(lines);
    want = (size_t) json_integer_value(json_object_get(arg, "lines"));

    if (have != want) {
        ctns_map_err(err, errlen,
                     "%s has %zu item lines, the tax override was made for "
                     "%zu", ctns_map_str(read, "externalId")
                            ? ctns_map_str(read, "externalId") : "record",
                     have, want);
        return NULL;
    }

    items = json_array();

    json_array_foreach(json_object_get(arg, "rows"), i, row) {
        ref = ctns_map_str(row, "reference");

        if (ref == NULL) {
            ref = ctns_map_tax_ref(json_array_get(lines,
                                   json_integer_value(
                                       json_object_get(row, "position"))));
        }

        if (ref == NULL) {
            json_decref(items);
            ctns_map_err(err, errlen, "item line without taxDetailsReference");
            return NULL;
        }

        r = json_deep_copy(row);
        json_object_del(r, "position");
        json_object_del(r, "reference");
        json_object_set_new(r, "taxDetailsReference",
                            json_pack("{s:s}", "id", ref));
        json_array_append_new(items, r);
    }

    out = json_pack("{s:b,s:{s:o}}", "taxDetailsOverride", 1,
                    "taxDetails", "items", items);

    ctns_map_tax_fix_amounts(out, read, json_object_get(arg, "amounts"));

    /* every event of an order brings its documents: write only news */
    if (json_object_get(out, "item") == NULL
        && ctns_map_tax_same(read, items))
    {
        json_decref(out);
        return json_null();
    }

    return out;
}
