/*
 * Copyright (C) ct-netsuite authors
 *
 * The document model: a commercetools order as NetSuite lines, in integer
 * minor units, whose net amounts and tax portions add up exactly to the
 * order's totals.  Sales orders, cash sales, invoices and credit memos are
 * all written from it.
 */


#include <stdlib.h>
#include <string.h>

#include "ctns_grow.h"
#include "ctns_map_int.h"


static ctns_map_line_t *
ctns_map_doc_add(ctns_map_doc_t *doc, ctns_map_line_kind_e kind, char *err,
    size_t errlen)
{
    ctns_map_line_t  *line;

    line = ctns_grow((void **) &doc->lines, &doc->nlines, &doc->cap,
                     sizeof(ctns_map_line_t), 8);
    if (line == NULL) {
        ctns_map_err(err, errlen, "out of memory");
        return NULL;
    }

    line->kind = kind;
    line->quantity = 1;

    return line;
}


void
ctns_map_doc_free(ctns_map_doc_t *doc)
{
    free(doc->lines);
    json_decref(doc->owned);
    doc->owned = NULL;
    doc->lines = NULL;
    doc->nlines = 0;
    doc->cap = 0;
}


int64_t
ctns_map_line_gross(const ctns_map_line_t *line)
{
    size_t   k;
    int64_t  g;

    for (g = line->net, k = 0; k < line->nparts; k++) {
        g += line->parts[k].amount;
    }

    return g;
}


/*
 * to = the share [before, before + part) of whole units of from: shares of
 * consecutive parts (deliveries, returns) add up to the full line.  The
 * gross is shared and the net is what remains after the tax portions, so a
 * part is worth exactly its share of the line's gross (commercetools.md
 * 8.3: taxedPrice x returned quantity / quantity).
 */
void
ctns_map_line_scale(const ctns_map_line_t *from, ctns_map_line_t *to,
    int64_t before, int64_t part, int64_t whole)
{
    size_t   k;
    int64_t  tax;

    *to = *from;
    to->quantity = part;

    for (tax = 0, k = 0; k < from->nparts; k++) {
        to->parts[k].amount = ctns_money_share(from->parts[k].amount, before,
                                               part, whole);
        tax += to->parts[k].amount;
    }

    to->net = ctns_money_share(ctns_map_line_gross(from), before, part, whole)
              - tax;
}


static int
ctns_map_doc_money(const ctns_map_doc_t *doc, const json_t *money,
    int64_t *minor, const char *what, char *err, size_t errlen)
{
    ctns_money_t  m;

    if (ctns_money_get(money, &m) != 0) {
        ctns_map_err(err, errlen, "order %s: %s is not a money value",
                     doc->number, what);
        return -1;
    }

    if (strcmp(m.currency, doc->currency) != 0 || m.digits != doc->digits) {
        ctns_map_err(err, errlen, "order %s: %s is in %s/%d, the order in "
                     "%s/%d", doc->number, what, m.currency, m.digits,
                     doc->currency, doc->digits);
        return -1;
    }

    *minor = m.minor;

    return 0;
}


/* the tax rate of a line, or of its first shipping method in Multiple */
static const json_t *
ctns_map_doc_rate(const json_t *li, const char *method_key)
{
    size_t   i;
    json_t  *pm;

    if (json_object_get(li, "taxRate")) {
        return json_object_get(li, "taxRate");
    }

    json_array_foreach(json_object_get(li, "perMethodTaxRate"), i, pm) {
        if (method_key == NULL
            || strcmp(ctns_map_str(pm, "shippingMethodKey")
                      ? ctns_map_str(pm, "shippingMethodKey") : "",
                      method_key) == 0)
        {
            return json_object_get(pm, "taxRate");
        }
    }

    return NULL;
}


/*
 * Net and tax portions of a line item or custom line item: taxedPrice, or
 * in Multiple shipping mode the sum of its taxedPricePortions, or with tax
 * disabled the total price alone.
 */
static int
ctns_map_doc_amounts(ctns_map_doc_t *doc, const json_t *li,
    ctns_map_line_t *line, char *err, size_t errlen)
{
    size_t         i;
    int64_t        net;
    json_t        *tp;
    const json_t  *taxed, *portions;

    taxed = json_object_get(li, "taxedPrice");
    portions = json_object_get(li, "taxedPricePortions");

    if (taxed) {
        return ctns_map_tax_parts(taxed, ctns_map_doc_rate(li, NULL), line,
                                  &line->net, err, errlen);
    }

    if (json_array_size(portions) == 0) {
        return ctns_map_doc_money(doc, json_object_get(li, "totalPrice"),
                                  &line->net, "line totalPrice", err, errlen);
    }

    json_array_foreach(portions, i, tp) {
        if (ctns_map_tax_parts(json_object_get(tp, "taxedPrice"),
                               ctns_map_doc_rate(li,
                                   ctns_map_str(tp, "shippingMethodKey")),
                               line, &net, err, errlen)
            != 0)
        {
            return -1;
        }

        line->net += net;
    }

    return 0;
}


static const json_t *
ctns_map_doc_sku_item(const ctns_map_conf_t *conf, ctns_map_doc_t *doc,
    const char *sku)
{
    char     eid[256];
    json_t  *ref;

    if (sku && conf->skus && json_object_get(conf->skus, sku)) {
        return json_object_get(conf->skus, sku);
    }

    if (sku && conf->sku_prefix) {
        if (ctns_map_eid(eid, sizeof(eid), conf->sku_prefix, sku, NULL) == 0)
        {
            ref = ctns_map_ref_eid(eid);
            json_array_append_new(doc->owned, ref);
            return ref;
        }
    }

    return conf->fallback_item;
}


/*
 * The unit price before cart discounts, times quantity, as net and tax
 * portions at the line's rates: the amount of the item line when discounts
 * are written as discount item lines.
 */
static void
ctns_map_doc_undiscounted(const json_t *li, const ctns_map_line_t *line,
    int64_t gross0, ctns_map_line_t *full)
{
    size_t         k;
    int64_t        rate, w[CTNS_MAP_MAX_PARTS], t[CTNS_MAP_MAX_PARTS];
    const json_t  *tr;

    *full = *line;
    tr = ctns_map_doc_rate(li, NULL);

    for (rate = 0, k = 0; k < line->nparts; k++) {
        w[k] = line->parts[k].rate;
        rate += w[k];
    }

    if (json_is_true(json_object_get(tr, "includedInPrice"))) {
        full->net = ctns_money_net_of_gross(gross0, rate);
        ctns_money_allocate(gross0 - full->net, w, line->nparts, t);

    } else {
        full->net = gross0;

        for (k = 0; k < line->nparts; k++) {
            t[k] = ctns_money_muldiv(gross0, w[k], CTNS_PPM);
        }
    }

    for (k = 0; k < line->nparts; k++) {
        full->parts[k].amount = t[k];
    }
}


static void
ctns_map_doc_desc(ctns_map_line_t *line, const char *fmt, const char *a,
    const char *b)
{
    if (snprintf(line->desc, sizeof(line->desc), fmt, a, b)
        >= (int) sizeof(line->desc))
    {
        line->desc[sizeof(line->desc) - 1] = '\0';
    }
}


/* a discount line carrying the difference between two versions of a line */
static int
ctns_map_doc_discount(ctns_map_doc_t *doc, size_t at,
    const ctns_map_line_t *full, char *err, size_t errlen)
{
    size_t            k;
    ctns_map_line_t  *line, *d;

    d = ctns_map_doc_add(doc, CTNS_LINE_DISCOUNT, err, errlen);
    if (d == NULL) {
        return -1;
    }

    line = &doc->lines[at];
    *d = *line;
    d->kind = CTNS_LINE_DISCOUNT;
    d->item = doc->conf->discount_item;
    d->net = line->net - full->net;

    for (k = 0; k < line->nparts; k++) {
        d->parts[k].amount = line->parts[k].amount - full->parts[k].amount;
    }

    ctns_map_doc_desc(d, "Discount on %s%s", line->desc, "");

    line->net = full->net;
    memcpy(line->parts, full->parts, sizeof(line->parts));

    return 0;
}


static int
ctns_map_doc_item(ctns_map_doc_t *doc, const json_t *li, char *err,
    size_t errlen)
{
    int64_t           unit, gross0, gross1;
    const char       *sku;
    const json_t     *price;
    ctns_map_line_t  *line, full;

    line = ctns_map_doc_add(doc, CTNS_LINE_ITEM, err, errlen);
    if (line == NULL) {
        return -1;
    }

    sku = ctns_map_str(json_object_get(li, "variant"), "sku");
    line->ct_id = ctns_map_str(li, "id");
    line->quantity = json_integer_value(json_object_get(li, "quantity"));
    line->item = ctns_map_doc_sku_item(doc->conf, doc, sku);
    ctns_map_doc_desc(line, "%s%s",
                      ctns_map_lstr(json_object_get(li, "name"),
                                    doc->conf->locale), "");

    if (line->item == NULL) {
        ctns_map_err(err, errlen, "unknown SKU %s on line %s of order %s "
                     "and no items.fallback", sku ? sku : "(none)",
                     line->ct_id ? line->ct_id : "?", doc->number);
        return -1;
    }

    if (line->ct_id == NULL || line->quantity <= 0) {
        ctns_map_err(err, errlen, "order %s: line item without id or "
                     "quantity", doc->number);
        return -1;
    }

    if (ctns_map_doc_amounts(doc, li, line, err, errlen) != 0) {
        return -1;
    }

    if (!doc->conf->discount_by_item
        || json_array_size(json_object_get(li, "discountedPricePerQuantity"))
           == 0)
    {
        return 0;
    }

    price = json_object_get(li, "price");
    price = json_object_get(price, "discounted")
            ? ctns_map_path(price, "discounted.value")
            : json_object_get(price, "value");

    if (ctns_map_doc_money(doc, price, &unit, "line price", err, errlen) != 0
        || ctns_map_doc_money(doc, json_object_get(li, "totalPrice"),
                              &gross1, "line totalPrice", err, errlen) != 0)
    {
        return -1;
    }

    gross0 = unit * line->quantity;

    if (gross0 == gross1) {
        return 0;
    }

    ctns_map_doc_undiscounted(li, line, gross0, &full);

    return ctns_map_doc_discount(doc, doc->nlines - 1, &full, err, errlen);
}


static int
ctns_map_doc_prefixed(const json_t *prefixes, const char *slug,
    const char *key)
{
    size_t       i;
    json_t      *p;
    const char  *s;

    json_array_foreach(prefixes, i, p) {
        s = json_string_value(p);

        if ((slug && strncmp(slug, s, strlen(s)) == 0)
            || (key && strncmp(key, s, strlen(s)) == 0))
        {
            return 1;
        }
    }

    return 0;
}


static const json_t *
ctns_map_doc_custom_item(const ctns_map_conf_t *conf, const char *slug,
    const char *key, int negative)
{
    const json_t  *m;

    m = conf->custom_lines;

    if (m && slug && json_object_get(m, slug)) {
        return json_object_get(m, slug);
    }

    if (m && key && json_object_get(m, key)) {
        return json_object_get(m, key);
    }

    if (negative) {
        if (conf->gc_redemption_item
            && ctns_map_doc_prefixed(conf->gc_redemption_prefixes, slug, key))
        {
            return conf->gc_redemption_item;
        }

        return conf->discount_item ? conf->discount_item
                                   : conf->gc_redemption_item;
    }

    if (conf->gc_purchase_item
        && ctns_map_doc_prefixed(conf->gc_purchase_prefixes, slug, key))
    {
        return conf->gc_purchase_item;
    }

    return conf->fallback_item;
}


static int
ctns_map_doc_custom(ctns_map_doc_t *doc, const json_t *cli, char *err,
    size_t errlen)
{
    int64_t           total;
    const char       *slug, *key;
    ctns_map_line_t  *line;

    line = ctns_map_doc_add(doc, CTNS_LINE_CUSTOM, err, errlen);
    if (line == NULL) {
        return -1;
    }

    slug = ctns_map_str(cli, "slug");
    key = ctns_map_str(cli, "key");
    line->ct_id = ctns_map_str(cli, "id");
    line->quantity = json_integer_value(json_object_get(cli, "quantity"));
    ctns_map_doc_desc(line, "%s%s",
                      ctns_map_lstr(json_object_get(cli, "name"),
                                    doc->conf->locale), "");

    if (ctns_map_doc_money(doc, json_object_get(cli, "totalPrice"), &total,
                           "custom line totalPrice", err, errlen) != 0
        || ctns_map_doc_amounts(doc, cli, line, err, errlen) != 0)
    {
        return -1;
    }

    line->item = ctns_map_doc_custom_item(doc->conf, slug, key, total < 0);

    if (line->item == NULL || line->ct_id == NULL || line->quantity <= 0) {
        ctns_map_err(err, errlen, "no item for custom line item %s of order "
                     "%s (set items.custom_lines, giftcards.* or "
                     "items.fallback)", slug ? slug : "?", doc->number);
        return -1;
    }

    if (total < 0) {
        line->kind = CTNS_LINE_DISCOUNT;
    }

    return 0;
}


static const json_t *
ctns_map_doc_method(const ctns_map_conf_t *conf, const json_t *info,
    const char *shipping_key)
{
    const char    *keys[3];
    size_t         i;
    const json_t  *m;

    keys[0] = ctns_map_str(info, "shippingMethodName");
    keys[1] = ctns_map_str(json_object_get(info, "shippingMethod"), "id");
    keys[2] = shipping_key;

    for (i = 0; conf->ship_methods && i < 3; i++) {
        m = keys[i] ? json_object_get(conf->ship_methods, keys[i]) : NULL;
        if (m) {
            return m;
        }
    }

    return conf->ship_default;
}


static int
ctns_map_doc_ship(ctns_map_doc_t *doc, const json_t *info, const char *key,
    char *err, size_t errlen)
{
    const char       *name;
    const json_t     *taxed, *price;
    ctns_map_line_t  *line;

    line = ctns_map_doc_add(doc, CTNS_LINE_SHIPPING, err, errlen);
    if (line == NULL) {
        return -1;
    }

    name = ctns_map_str(info, "shippingMethodName");
    line->ct_id = key;
    line->item = doc->conf->ship_item;
    line->ship_method = ctns_map_doc_method(doc->conf, info, key);
    ctns_map_doc_desc(line, "%s%s", name ? name : "Shipping", "");

    taxed = json_object_get(info, "taxedPrice");

    if (taxed) {
        return ctns_map_tax_parts(taxed, json_object_get(info, "taxRate"),
                                  line, &line->net, err, errlen);
    }

    price = json_object_get(info, "discountedPrice")
            ? ctns_map_path(info, "discountedPrice.value")
            : json_object_get(info, "price");

    return ctns_map_doc_money(doc, price, &line->net, "shipping price", err,
                              errlen);
}


static int
ctns_map_doc_shipping(ctns_map_doc_t *doc, char *err, size_t errlen)
{
    size_t            i, first;
    json_t           *s;
    ctns_map_line_t  *line;

    first = doc->nlines;

    if (json_object_get(doc->order, "shippingInfo")) {
        if (ctns_map_doc_ship(doc, json_object_get(doc->order, "shippingInfo"),
                              ctns_map_str(doc->order, "shippingKey"), err,
                              errlen) != 0)
        {
            return -1;
        }
    }

    json_array_foreach(json_object_get(doc->order, "shipping"), i, s) {
        if (ctns_map_doc_ship(doc, json_object_get(s, "shippingInfo"),
                              ctns_map_str(s, "shippingKey"), err, errlen)
            != 0)
        {
            return -1;
        }
    }

    /* NetSuite has one shipMethod/shippingCost: several go on lines */
    if (doc->nlines - first == 1 && !doc->conf->ship_by_line) {
        line = &doc->lines[first];
        line->header = 1;

        if (line->ship_method == NULL) {
            ctns_map_err(err, errlen, "no ship method for \"%s\" of order %s "
                         "(set shipping.methods or shipping.default_method)",
                         line->desc, doc->number);
            return -1;
        }

        return 0;
    }

    for (i = first; i < doc->nlines; i++) {
        if (doc->lines[i].item == NULL) {
            ctns_map_err(err, errlen, "order %s has several shipping "
                         "methods: they are written as lines and need "
                         "shipping.item", doc->number);
            return -1;
        }
    }

    return 0;
}


typedef struct {
    const char     *name;
    int64_t         rate;
    int64_t         target;
    int64_t         have;
    const json_t   *tax_rate;
} ctns_map_key_t;


#define CTNS_MAP_MAX_KEYS  32


static ctns_map_key_t *
ctns_map_key(ctns_map_key_t *keys, size_t *n, const char *name, int64_t rate)
{
    size_t  i;

    for (i = 0; i < *n; i++) {
        if (keys[i].rate == rate && strcmp(keys[i].name, name) == 0) {
            return &keys[i];
        }
    }

    if (*n == CTNS_MAP_MAX_KEYS) {
        return NULL;
    }

    memset(&keys[*n], 0, sizeof(ctns_map_key_t));
    keys[*n].name = name;
    keys[*n].rate = rate;

    return &keys[(*n)++];
}


/* order-level tax portions against the sum of the lines' portions */
static int
ctns_map_doc_keys(ctns_map_doc_t *doc, ctns_map_key_t *keys, size_t *n,
    int64_t tax, char *err, size_t errlen)
{
    size_t           i, k, big;
    int64_t          sum, rate;
    json_t          *p;
    ctns_money_t     a;
    ctns_map_key_t  *key;

    *n = 0;
    sum = 0;

    json_array_foreach(ctns_map_path(doc->order, "taxedPrice.taxPortions"),
                       i, p)
    {
        rate = ctns_money_rate_ppm(json_object_get(p, "rate"));
        key = ctns_map_key(keys, n, ctns_map_str(p, "name")
                                    ? ctns_map_str(p, "name") : "", rate);

        if (key == NULL || rate < 0
            || ctns_money_get(json_object_get(p, "amount"), &a) != 0)
        {
            ctns_map_err(err, errlen, "order %s: malformed tax portion %zu",
                         doc->number, i);
            return -1;
        }

        key->target += a.minor;
        sum += a.minor;
    }

    for (i = 0; i < doc->nlines; i++) {
        for (k = 0; k < doc->lines[i].nparts; k++) {
            key = ctns_map_key(keys, n, doc->lines[i].parts[k].name,
                               doc->lines[i].parts[k].rate);
            if (key == NULL) {
                ctns_map_err(err, errlen, "order %s: too many tax rates",
                             doc->number);
                return -1;
            }

            key->have += doc->lines[i].parts[k].amount;
            key->tax_rate = doc->lines[i].parts[k].tax_rate;
        }
    }

    /* portions that miss totalTax by a cent: the largest one takes it */
    if (sum != tax && *n > 0) {
        for (big = 0, i = 1; i < *n; i++) {
            if (keys[i].target > keys[big].target) {
                big = i;
            }
        }

        keys[big].target += tax - sum;
    }

    return 0;
}


/* spreads amount over the lines proportionally to weights */
static void
ctns_map_doc_spread(ctns_map_doc_t *doc, int64_t amount,
    const ctns_map_key_t *key)
{
    size_t            i, k, n;
    int64_t          *w, *out;
    ctns_map_line_t  *line;

    n = doc->nlines;
    w = calloc(n ? n : 1, sizeof(int64_t));
    out = calloc(n ? n : 1, sizeof(int64_t));

    if (w == NULL || out == NULL || n == 0) {
        free(w);
        free(out);
        return;
    }

    for (i = 0; i < n; i++) {
        line = &doc->lines[i];

        if (key == NULL) {
            w[i] = (line->kind == CTNS_LINE_ITEM
                    || line->kind == CTNS_LINE_CUSTOM) ? line->net : 0;
            continue;
        }

        for (k = 0; k < line->nparts; k++) {
            if (line->parts[k].rate == key->rate
                && strcmp(line->parts[k].name, key->name) == 0)
            {
                w[i] = line->parts[k].amount ? line->parts[k].amount : 1;
            }
        }
    }

    ctns_money_allocate(amount, w, n, out);

    for (i = 0; i < n; i++) {
        line = &doc->lines[i];

        if (key == NULL) {
            line->net += out[i];
            continue;
        }

        for (k = 0; k < line->nparts; k++) {
            if (line->parts[k].rate == key->rate
                && strcmp(line->parts[k].name, key->name) == 0)
            {
                line->parts[k].amount += out[i];
                out[i] = 0;
            }
        }

        /* a rate no line carries: the line the allocation chose takes it */
        if (out[i] && line->nparts < CTNS_MAP_MAX_PARTS) {
            line->parts[line->nparts].name = key->name;
            line->parts[line->nparts].rate = key->rate;
            line->parts[line->nparts].amount = out[i];
            line->parts[line->nparts].tax_rate = key->tax_rate;
            line->nparts++;
        }
    }

    free(w);
    free(out);
}


/*
 * Makes the lines add up to the order's own totals: a cart discount on the
 * total price (or a rounding difference between line and order level) goes
 * on a discount / rounding item line or is spread over the lines by largest
 * remainder, as configured.
 */
static int
ctns_map_doc_reconcile(ctns_map_doc_t *doc, char *err, size_t errlen)
{
    size_t            i, k, nkeys;
    int64_t           net, gross, diff;
    ctns_map_key_t    keys[CTNS_MAP_MAX_KEYS];
    ctns_map_line_t  *line;
    const json_t     *item;

    for (net = 0, gross = 0, i = 0; i < doc->nlines; i++) {
        net += doc->lines[i].net;
        gross += ctns_map_line_gross(&doc->lines[i]);
    }

    if (ctns_map_doc_keys(doc, keys, &nkeys, doc->total - doc->total_net,
                          err, errlen) != 0)
    {
        return -1;
    }

    diff = doc->total_net - net;

    for (k = 0; k < nkeys && diff == 0; k++) {
        diff = keys[k].target - keys[k].have;
    }

    if (diff == 0) {
        return 0;
    }

    item = json_object_get(doc->order, "discountOnTotalPrice")
           ? (doc->conf->discount_by_item ? doc->conf->discount_item : NULL)
           : (doc->conf->rounding_by_item ? doc->conf->rounding_item : NULL);

    /* a charge item cannot be negative: rounding down has its own item */
    if (item == doc->conf->rounding_item && doc->total < gross
        && doc->conf->rounding_down)
    {
        item = doc->conf->rounding_down;
    }

    if (item == NULL) {
        ctns_map_doc_spread(doc, doc->total_net - net, NULL);

        for (k = 0; k < nkeys; k++) {
            if (keys[k].target != keys[k].have) {
                ctns_map_doc_spread(doc, keys[k].target - keys[k].have,
                                    &keys[k]);
            }
        }

        return 0;
    }

    line = ctns_map_doc_add(doc, item == doc->conf->discount_item
                                 ? CTNS_LINE_DISCOUNT : CTNS_LINE_ROUNDING,
                            err, errlen);
    if (line == NULL) {
        return -1;
    }

    line->item = item;
    line->net = doc->total_net - net;
    ctns_map_doc_desc(line, "%s%s", line->kind == CTNS_LINE_DISCOUNT
                      ? "Cart discount" : "Rounding", "");

    for (k = 0; k < nkeys; k++) {
        if (keys[k].target == keys[k].have) {
            continue;
        }

        if (line->nparts == CTNS_MAP_MAX_PARTS) {
            ctns_map_err(err, errlen, "order %s: too many tax rates",
                         doc->number);
            return -1;
        }

        line->parts[line->nparts].name = keys[k].name;
        line->parts[line->nparts].rate = keys[k].rate;
        line->parts[line->nparts].amount = keys[k].target - keys[k].have;
        line->parts[line->nparts].tax_rate = keys[k].tax_rate;
        line->nparts++;
    }

    return 0;
}


static int
ctns_map_doc_totals(ctns_map_doc_t *doc, char *err, size_t errlen)
{
    const json_t  *taxed;

    taxed = json_object_get(doc->order, "taxedPrice");

    if (taxed == NULL) {
        if (ctns_map_doc_money(doc, json_object_get(doc->order, "totalPrice"),
                               &doc->total, "totalPrice", err, errlen) != 0)
        {
            return -1;
        }

        doc->total_net = doc->total;
        return 0;
    }

    if (ctns_map_doc_money(doc, json_object_get(taxed, "totalGross"),
                           &doc->total, "taxedPrice.totalGross", err, errlen)
        != 0
        || ctns_map_doc_money(doc, json_object_get(taxed, "totalNet"),
                              &doc->total_net, "taxedPrice.totalNet", err,
                              errlen) != 0)
    {
        return -1;
    }

    return 0;
}


int
ctns_map_doc_order(const ctns_map_conf_t *conf, const json_t *order,
    const char *method, ctns_map_doc_t *doc, char *err, size_t errlen)
{
    size_t         i;
    json_t        *li;
    ctns_money_t   total;

    memset(doc, 0, sizeof(ctns_map_doc_t));
    doc->conf = conf;
    doc->order = order;
    doc->method = method;
    doc->id = ctns_map_str(order, "id");
    doc->number = ctns_map_str(order, "orderNumber");
    doc->owned = json_array();

    if (doc->id == NULL) {
        ctns_map_err(err, errlen, "order without id");
        return -1;
    }

    if (doc->number == NULL) {
        doc->number = doc->id;
    }

    if (ctns_money_get(json_object_get(order, "totalPrice"), &total) != 0) {
        ctns_map_err(err, errlen, "order %s without a valid totalPrice",
                     doc->number);
        return -1;
    }

    memcpy(doc->currency, total.currency, sizeof(doc->currency));
    doc->digits = total.digits;

    if (ctns_map_route_order(conf, doc, err, errlen) != 0
        || ctns_map_doc_totals(doc, err, errlen) != 0)
    {
        return -1;
    }

    json_array_foreach(json_object_get(order, "lineItems"), i, li) {
        if (ctns_map_doc_item(doc, li, err, errlen) != 0) {
            return -1;
        }
    }

    json_array_foreach(json_object_get(order, "customLineItems"), i, li) {
        if (ctns_map_doc_custom(doc, li, err, errlen) != 0) {
            return -1;
        }
    }

    if (ctns_map_doc_shipping(doc, err, errlen) != 0
        || ctns_map_doc_reconcile(doc, err, errlen) != 0)
    {
        return -1;
    }

    return ctns_map_tax_resolve(conf, doc, err, errlen);
}
