/*
 * Copyright (C) ct-netsuite authors
 *
 * Loads and validates the mapping sections of the worker configuration.
 * Every problem is reported with its JSON path; loading goes on after an
 * error so that one run shows all of them.
 */


#include <stdlib.h>
#include <string.h>

#include "ctns_map_int.h"


typedef struct {
    ctns_map_conf_t     *conf;
    ctns_conf_errors_t  *errs;
} ctns_conf_ctx_t;


static const char  *ctns_map_sections[] = {
    "routing", "items", "tax", "discounts", "shipping", "giftcards",
    "accounts", "flows", "customers", "custom_fields", NULL
};


static int
ctns_conf_in(const char *key, const char **allowed)
{
    for ( /* void */ ; *allowed; allowed++) {
        if (strcmp(key, *allowed) == 0) {
            return 1;
        }
    }

    return 0;
}


/* "path.key"; a path too long for the buffer is cut, never overflows */
static void
ctns_conf_sub(char *buf, size_t len, const char *path, const char *key)
{
    if (snprintf(buf, len, "%s.%s", path, key) >= (int) len) {
        buf[len - 1] = '\0';
    }
}


/* typos in field names are errors, not silently ignored settings */
static void
ctns_conf_known(ctns_conf_ctx_t *ctx, const json_t *obj, const char *path,
    const char **allowed)
{
    const char  *k;
    json_t      *v;
    char         sub[160];

    json_object_foreach((json_t *) obj, k, v) {
        if (!ctns_conf_in(k, allowed)) {
            ctns_conf_sub(sub, sizeof(sub), path, k);
            ctns_conf_error(ctx->errs, sub, "unknown field");
        }
    }
}


/* an object section: NULL when absent, error when not an object */
static const json_t *
ctns_conf_object(ctns_conf_ctx_t *ctx, const json_t *parent, const char *key,
    const char *path, const char **allowed)
{
    json_t  *obj;

    obj = json_object_get(parent, key);

    if (obj == NULL || json_is_null(obj)) {
        return NULL;
    }

    if (!json_is_object(obj)) {
        ctns_conf_error(ctx->errs, path, "must be an object");
        return NULL;
    }

    if (allowed) {
        ctns_conf_known(ctx, obj, path, allowed);
    }

    return obj;
}


static int
ctns_conf_idchars(const char *s, int digits_only)
{
    if (*s == '\0') {
        return 0;
    }

    for ( /* void */ ; *s; s++) {
        if (*s >= '0' && *s <= '9') {
            continue;
        }

        if (digits_only) {
            return 0;
        }

        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || *s == '_' || *s == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * A NetSuite reference: "123" (internal id), {"id": "123"} or
 * {"externalId": "ct-sku-X"}; kept as the object NetSuite expects.
 */
static const json_t *
ctns_conf_ref_value(ctns_conf_ctx_t *ctx, const json_t *v, const char *path)
{
    json_t      *ref, *id, *eid;
    const char  *s;
    char         num[32];

    id = NULL;
    eid = NULL;

    if (json_is_string(v)) {
        id = (json_t *) v;

    } else if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long) json_integer_value(v));
        id = json_string(num);
        json_array_append_new(ctx->conf->owned, id);

    } else if (json_is_object(v) && json_object_size(v) == 1) {
        id = json_object_get(v, "id");
        eid = json_object_get(v, "externalId");

        if (json_is_integer(id)) {
            return ctns_conf_ref_value(ctx, id, path);
        }
    }

    if (eid) {
        s = json_string_value(eid);

        if (s == NULL || !ctns_conf_idchars(s, 0) || strlen(s) > 255) {
            ctns_conf_error(ctx->errs, path,
                            "externalId must be 1-255 characters of "
                            "[A-Za-z0-9_-]");
            return NULL;
        }

        ref = json_pack("{s:s}", "externalId", s);

    } else {
        s = json_string_value(id);

        if (s == NULL || !ctns_conf_idchars(s, 1)) {
            ctns_conf_error(ctx->errs, path,
                            "must be a NetSuite internal id (\"123\"), "
                            "{\"id\": \"123\"} or {\"externalId\": \"...\"}");
            return NULL;
        }

        ref = json_pack("{s:s}", "id", s);
    }

    json_array_append_new(ctx->conf->owned, ref);

    return ref;
}


static const json_t *
ctns_conf_ref(ctns_conf_ctx_t *ctx, const json_t *obj, const char *key,
    const char *path, int required)
{
    json_t  *v;
    char     sub[160];

    ctns_conf_sub(sub, sizeof(sub), path, key);
    v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v)) {
        if (required) {
            ctns_conf_error(ctx->errs, sub, "is required");
        }
        return NULL;
    }

    return ctns_conf_ref_value(ctx, v, sub);
}


static const char *
ctns_conf_str(ctns_conf_ctx_t *ctx, const json_t *obj, const char *key,
    const char *path)
{
    json_t  *v;
    char     sub[160];

    v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v)) {
        return NULL;
    }

    if (!json_is_string(v) || json_string_length(v) == 0) {
        ctns_conf_sub(sub, sizeof(sub), path, key);
        ctns_conf_error(ctx->errs, sub, "must be a non-empty string");
        return NULL;
    }

    return json_string_value(v);
}


/* an enumerated string; returns the index in choices, or def */
static int
ctns_conf_enum(ctns_conf_ctx_t *ctx, const json_t *obj, const char *key,
    const char *path, const char **choices, int def)
{
    int          i;
    const char  *s;
    char         sub[160], list[160];
    size_t       n;

    s = ctns_conf_str(ctx, obj, key, path);
    if (s == NULL) {
        return def;
    }

    list[0] = '\0';

    for (i = 0; choices[i]; i++) {
        if (strcmp(s, choices[i]) == 0) {
            return i;
        }

        n = strlen(list);
        snprintf(list + n, sizeof(list) - n, "%s\"%s\"", i ? ", " : "",
                 choices[i]);
    }

    ctns_conf_sub(sub, sizeof(sub), path, key);
    ctns_conf_error(ctx->errs, sub, "must be one of %s", list);

    return def;
}


static int
ctns_conf_bool(ctns_conf_ctx_t *ctx, const json_t *obj, const char *key,
    const char *path, int def)
{
    json_t  *v;
    char     sub[160];

    v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v)) {
        return def;
    }

    if (!json_is_boolean(v)) {
        ctns_conf_sub(sub, sizeof(sub), path, key);
        ctns_conf_error(ctx->errs, sub, "must be true or false");
        return def;
    }

    return json_is_true(v);
}


/* an object whose every value is a reference, e.g. items.skus */
static const json_t *
ctns_conf_ref_map(ctns_conf_ctx_t *ctx, const json_t *obj, const char *key,
    const char *path)
{
    const char  *k;
    json_t      *v, *map, *out;
    const json_t *ref;
    char         sub[160];

    ctns_conf_sub(sub, sizeof(sub), path, key);
    map = json_object_get(obj, key);

    if (map == NULL || json_is_null(map)) {
        return NULL;
    }

    if (!json_is_object(map)) {
        ctns_conf_error(ctx->errs, sub, "must be an object");
        return NULL;
    }

    out = json_object();
    json_array_append_new(ctx->conf->owned, out);

    json_object_foreach(map, k, v) {
        snprintf(sub, sizeof(sub), "%s.%s.%s", path, key, k);
        ref = ctns_conf_ref_value(ctx, v, sub);

        if (ref) {
            json_object_set(out, k, (json_t *) ref);
        }
    }

    return out;
}


static const json_t *
ctns_conf_strings(ctns_conf_ctx_t *ctx, const json_t *obj, const char *key,
    const char *path, const char *def)
{
    size_t   i;
    json_t  *v, *e, *out;
    char     sub[160];

    v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v)) {
        out = def ? json_pack("[s]", def) : json_array();
        json_array_append_new(ctx->conf->owned, out);
        return out;
    }

    json_array_foreach(v, i, e) {
        if (!json_is_string(e) || json_string_length(e) == 0) {
            snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, key, i);
            ctns_conf_error(ctx->errs, sub, "must be a non-empty string");
        }
    }

    if (!json_is_array(v)) {
        ctns_conf_sub(sub, sizeof(sub), path, key);
        ctns_conf_error(ctx->errs, sub, "must be an array of strings");
        return NULL;
    }

    return v;
}


static void
ctns_conf_route(ctns_conf_ctx_t *ctx, const json_t *rule, size_t i)
{
    ctns_map_route_t  *r;
    const json_t      *match;
    char               path[64], mpath[80];

    static const char  *fields[] = {
        "match", "subsidiary", "currency", "location", "department",
        "class", "clearing_account", "undeposited_funds_account",
        "refund_account", "giftcard_account", "guest_customer", NULL
    };
    static const char  *mfields[] = {
        "store", "country", "currency", "payment_method", NULL
    };

    r = &ctx->conf->routes[i];
    snprintf(path, sizeof(path), "routing[%zu]", i);
    snprintf(mpath, sizeof(mpath), "%s.match", path);

    if (!json_is_object(rule)) {
        ctns_conf_error(ctx->errs, path, "must be an object");
        return;
    }

    ctns_conf_known(ctx, rule, path, fields);

    match = ctns_conf_object(ctx, rule, "match", mpath, mfields);

    if (match) {
        r->store = ctns_conf_str(ctx, match, "store", mpath);
        r->country = ctns_conf_str(ctx, match, "country", mpath);
        r->currency_code = ctns_conf_str(ctx, match, "currency", mpath);
        r->payment_method = ctns_conf_str(ctx, match, "payment_method",
                                          mpath);
        if (r->payment_method) {
            ctx->conf->route_by_method = 1;
        }
    }

    r->subsidiary = ctns_conf_ref(ctx, rule, "subsidiary", path, 1);
    r->currency = ctns_conf_ref(ctx, rule, "currency", path, 0);
    r->location = ctns_conf_ref(ctx, rule, "location", path, 0);
    r->department = ctns_conf_ref(ctx, rule, "department", path, 0);
    r->klass = ctns_conf_ref(ctx, rule, "class", path, 0);
    r->clearing = ctns_conf_ref(ctx, rule, "clearing_account", path, 0);
    r->undeposited = ctns_conf_ref(ctx, rule, "undeposited_funds_account",
                                   path, 0);
    r->refund_account = ctns_conf_ref(ctx, rule, "refund_account", path, 0);
    r->giftcard = ctns_conf_ref(ctx, rule, "giftcard_account", path, 0);
    r->guest_customer = ctns_conf_ref(ctx, rule, "guest_customer", path, 0);
}


static void
ctns_conf_routing(ctns_conf_ctx_t *ctx, const json_t *root)
{
    size_t   i;
    json_t  *rules, *rule;

    rules = json_object_get(root, "routing");

    if (!json_is_array(rules) || json_array_size(rules) == 0) {
        ctns_conf_error(ctx->errs, "routing",
                        "must be a non-empty array of rules");
        return;
    }

    ctx->conf->nroutes = json_array_size(rules);
    ctx->conf->routes = calloc(ctx->conf->nroutes, sizeof(ctns_map_route_t));

    if (ctx->conf->routes == NULL) {
        ctns_conf_error(ctx->errs, "routing", "out of memory");
        return;
    }

    json_array_foreach(rules, i, rule) {
        ctns_conf_route(ctx, rule, i);
    }
}


static void
ctns_conf_items(ctns_conf_ctx_t *ctx, const json_t *root)
{
    const json_t     *items;
    ctns_map_conf_t  *c;

    static const char  *fields[] = {
        "skus", "sku_external_id_prefix", "custom_lines", "fallback",
        "rounding", "rounding_down", "refund", "locale", NULL
    };

    c = ctx->conf;
    items = ctns_conf_object(ctx, root, "items", "items", fields);

    if (items == NULL) {
        ctns_conf_error(ctx->errs, "items", "is required");
        return;
    }

    c->skus = ctns_conf_ref_map(ctx, items, "skus", "items");
    c->custom_lines = ctns_conf_ref_map(ctx, items, "custom_lines", "items");
    c->sku_prefix = ctns_conf_str(ctx, items, "sku_external_id_prefix",
                                  "items");
    c->fallback_item = ctns_conf_ref(ctx, items, "fallback", "items", 0);
    c->rounding_item = ctns_conf_ref(ctx, items, "rounding", "items", 0);
    c->rounding_down = ctns_conf_ref(ctx, items, "rounding_down", "items", 0);
    c->refund_item = ctns_conf_ref(ctx, items, "refund", "items", 0);
    c->locale = ctns_conf_str(ctx, items, "locale", "items");

    if (c->skus == NULL && c->sku_prefix == NULL && c->fallback_item == NULL)
    {
        ctns_conf_error(ctx->errs, "items",
                        "needs \"skus\", \"sku_external_id_prefix\" or "
                        "\"fallback\"");
    }
}


static void
ctns_conf_taxcode(ctns_conf_ctx_t *ctx, const json_t *rule, size_t i)
{
    ctns_map_taxcode_t  *t;
    json_t              *rate;
    char                 path[64];

    static const char  *fields[] = {
        "rate_name", "name", "country", "state", "rate", "code", NULL
    };

    t = &ctx->conf->codes[i];
    snprintf(path, sizeof(path), "tax.codes[%zu]", i);

    if (!json_is_object(rule)) {
        ctns_conf_error(ctx->errs, path, "must be an object");
        return;
    }

    ctns_conf_known(ctx, rule, path, fields);

    t->rate_name = ctns_conf_str(ctx, rule, "rate_name", path);
    t->name = ctns_conf_str(ctx, rule, "name", path);
    t->country = ctns_conf_str(ctx, rule, "country", path);
    t->state = ctns_conf_str(ctx, rule, "state", path);
    t->code = ctns_conf_ref(ctx, rule, "code", path, 1);
    t->rate = -1;

    rate = json_object_get(rule, "rate");

    if (rate && !json_is_null(rate)) {
        t->rate = ctns_money_rate_ppm(rate);

        if (t->rate < 0) {
            char  sub[160];

            snprintf(sub, sizeof(sub), "%s.rate", path);
            ctns_conf_error(ctx->errs, sub,
                            "must be a number between 0 and 1 (0.19)");
        }
    }
}


static void
ctns_conf_tax(ctns_conf_ctx_t *ctx, const json_t *root)
{
    size_t            i;
    json_t           *codes, *rule;
    const json_t     *tax;
    ctns_map_conf_t  *c;

    static const char  *fields[] = {
        "mode", "codes", "default_code", "refund_code", "rounding", NULL
    };
    static const char  *modes[] = { "override", "netsuite", NULL };
    static const char  *roundings[] = { "largest_remainder", "item", NULL };

    c = ctx->conf;
    tax = ctns_conf_object(ctx, root, "tax", "tax", fields);

    if (tax == NULL) {
        ctns_conf_error(ctx->errs, "tax", "is required");
        return;
    }

    c->tax_override = ctns_conf_enum(ctx, tax, "mode", "tax", modes, 0) == 0;
    c->rounding_by_item = ctns_conf_enum(ctx, tax, "rounding", "tax",
                                         roundings, 0) == 1;
    c->default_code = ctns_conf_ref(ctx, tax, "default_code", "tax", 0);
    c->refund_code = ctns_conf_ref(ctx, tax, "refund_code", "tax", 0);

    if (c->rounding_by_item && c->rounding_item == NULL) {
        ctns_conf_error(ctx->errs, "tax.rounding",
                        "\"item\" needs items.rounding");
    }

    codes = json_object_get(tax, "codes");

    if (codes == NULL || json_is_null(codes)) {
        if (c->default_code == NULL) {
            ctns_conf_error(ctx->errs, "tax.codes",
                            "is required unless tax.default_code is set");
        }
        return;
    }

    if (!json_is_array(codes)) {
        ctns_conf_error(ctx->errs, "tax.codes", "must be an array of rules");
        return;
    }

    c->ncodes = json_array_size(codes);
    c->codes = calloc(c->ncodes ? c->ncodes : 1, sizeof(ctns_map_taxcode_t));

    if (c->codes == NULL) {
        c->ncodes = 0;
        ctns_conf_error(ctx->errs, "tax.codes", "out of memory");
        return;
    }

    json_array_foreach(codes, i, rule) {
        ctns_conf_taxcode(ctx, rule, i);
    }
}


static void
ctns_conf_discounts(ctns_conf_ctx_t *ctx, const json_t *root)
{
    const json_t  *d;

    static const char  *fields[] = { "mode", "item", NULL };
    static const char  *modes[] = { "rate", "item", NULL };

    d = ctns_conf_object(ctx, root, "discounts", "discounts", fields);
    if (d == NULL) {
        return;
    }

    ctx->conf->discount_by_item = ctns_conf_enum(ctx, d, "mode", "discounts",
                                                 modes, 0) == 1;
    ctx->conf->discount_item = ctns_conf_ref(ctx, d, "item", "discounts",
                                             ctx->conf->discount_by_item);
}


static void
ctns_conf_shipping(ctns_conf_ctx_t *ctx, const json_t *root)
{
    const json_t     *s;
    ctns_map_conf_t  *c;

    static const char  *fields[] = {
        "mode", "methods", "default_method", "item", NULL
    };
    static const char  *modes[] = { "header", "line", NULL };

    c = ctx->conf;
    s = ctns_conf_object(ctx, root, "shipping", "shipping", fields);

    if (s == NULL) {
        ctns_conf_error(ctx->errs, "shipping", "is required");
        return;
    }

    c->ship_by_line = ctns_conf_enum(ctx, s, "mode", "shipping", modes, 0)
                      == 1;
    c->ship_methods = ctns_conf_ref_map(ctx, s, "methods", "shipping");
    c->ship_default = ctns_conf_ref(ctx, s, "default_method", "shipping", 0);
    c->ship_item = ctns_conf_ref(ctx, s, "item", "shipping", c->ship_by_line);

    if (!c->ship_by_line && c->ship_methods == NULL && c->ship_default == NULL)
    {
        ctns_conf_error(ctx->errs, "shipping",
                        "\"header\" mode needs \"methods\" or "
                        "\"default_method\"");
    }
}


static void
ctns_conf_giftcards(ctns_conf_ctx_t *ctx, const json_t *root)
{
    const json_t     *g;
    ctns_map_conf_t  *c;

    static const char  *fields[] = {
        "purchase_item", "purchase_prefixes", "redemption_item",
        "redemption_prefixes", "payment_methods", "account", NULL
    };

    c = ctx->conf;
    g = ctns_conf_object(ctx, root, "giftcards", "giftcards", fields);

    if (g == NULL) {
        g = json_object();
        json_array_append_new(c->owned, (json_t *) g);
    }

    c->gc_purchase_item = ctns_conf_ref(ctx, g, "purchase_item", "giftcards",
                                        0);
    c->gc_redemption_item = ctns_conf_ref(ctx, g, "redemption_item",
                                          "giftcards", 0);
    c->gc_account = ctns_conf_ref(ctx, g, "account", "giftcards", 0);
    c->gc_purchase_prefixes = ctns_conf_strings(ctx, g, "purchase_prefixes",
                                                "giftcards", "gift-card");
    c->gc_redemption_prefixes = ctns_conf_strings(ctx, g,
                                                  "redemption_prefixes",
                                                  "giftcards",
                                                  "gift-card-redemption");
    c->gc_methods = ctns_conf_strings(ctx, g, "payment_methods", "giftcards",
                                      "giftcard");
}


static void
ctns_conf_accounts(ctns_conf_ctx_t *ctx, const json_t *root)
{
    const char    *k;
    json_t        *v;
    const json_t  *a, *psp;
    char           path[160];

    static const char  *fields[] = {
        "undeposited_funds", "refund", "psp", NULL
    };
    static const char  *pfields[] = { "clearing", "fee", NULL };

    a = ctns_conf_object(ctx, root, "accounts", "accounts", fields);
    if (a == NULL) {
        return;
    }

    ctx->conf->undeposited = ctns_conf_ref(ctx, a, "undeposited_funds",
                                           "accounts", 0);
    ctx->conf->refund_account = ctns_conf_ref(ctx, a, "refund", "accounts",
                                              0);

    psp = ctns_conf_object(ctx, a, "psp", "accounts.psp", NULL);
    if (psp == NULL) {
        return;
    }

    v = json_object();
    json_array_append_new(ctx->conf->owned, v);
    ctx->conf->psp = v;

    json_object_foreach((json_t *) psp, k, v) {
        json_t  *entry;

        snprintf(path, sizeof(path), "accounts.psp.%s", k);

        if (ctns_conf_object(ctx, psp, k, path, pfields) == NULL) {
            continue;
        }

        entry = json_object();
        json_object_set_new((json_t *) ctx->conf->psp, k, entry);

        if (json_object_get(v, "clearing")) {
            json_object_set(entry, "clearing",
                            (json_t *) ctns_conf_ref(ctx, v, "clearing", path,
                                                     0));
        }

        if (json_object_get(v, "fee")) {
            json_object_set(entry, "fee",
                            (json_t *) ctns_conf_ref(ctx, v, "fee", path, 0));
        }
    }
}


static void
ctns_conf_flows(ctns_conf_ctx_t *ctx, const json_t *root)
{
    const json_t     *f;
    ctns_map_conf_t  *c;

    static const char  *fields[] = {
        "order", "invoice", "payments", "refunds", "cancellations", NULL
    };
    static const char  *orders[] = { "salesOrder", "cashSale", NULL };
    static const char  *invoices[] = { "on_shipment", "on_order", NULL };

    c = ctx->conf;
    c->payments = 1;
    c->refunds = 1;
    c->cancellations = 1;

    f = ctns_conf_object(ctx, root, "flows", "flows", fields);
    if (f == NULL) {
        return;
    }

    c->cash_sale = ctns_conf_enum(ctx, f, "order", "flows", orders, 0) == 1;
    c->invoice_on_order = ctns_conf_enum(ctx, f, "invoice", "flows",
                                         invoices, 0) == 1;
    c->payments = ctns_conf_bool(ctx, f, "payments", "flows", 1);
    c->refunds = ctns_conf_bool(ctx, f, "refunds", "flows", 1);
    c->cancellations = ctns_conf_bool(ctx, f, "cancellations", "flows", 1);

    if (c->cash_sale && ctns_conf_str(ctx, f, "invoice", "flows")) {
        ctns_conf_error(ctx->errs, "flows.invoice",
                        "does not apply when flows.order is \"cashSale\"");
    }
}


static void
ctns_conf_customers(ctns_conf_ctx_t *ctx, const json_t *root)
{
    const json_t  *c;

    static const char  *fields[] = { "guests", "upsert_on_order", NULL };
    static const char  *guests[] = { "per_store", "by_email", NULL };

    ctx->conf->upsert_on_order = 1;

    c = ctns_conf_object(ctx, root, "customers", "customers", fields);
    if (c == NULL) {
        return;
    }

    ctx->conf->guests_by_email = ctns_conf_enum(ctx, c, "guests", "customers",
                                                guests, 0) == 1;
    ctx->conf->upsert_on_order = ctns_conf_bool(ctx, c, "upsert_on_order",
                                                "customers", 1);
}


static const char *
ctns_conf_field_id(ctns_conf_ctx_t *ctx, const json_t *obj, const char *key)
{
    const char  *s, *p;
    char         path[96];

    s = ctns_conf_str(ctx, obj, key, "custom_fields");
    if (s == NULL) {
        return NULL;
    }

    for (p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')
              || *p == '_'))
        {
            break;
        }
    }

    if (*p || strncmp(s, "cust", 4) != 0) {
        snprintf(path, sizeof(path), "custom_fields.%s", key);
        ctns_conf_error(ctx->errs, path,
                        "must be a NetSuite custom field id such as "
                        "\"custbody_ct_order_id\" ([a-z0-9_], starting "
                        "with \"cust\")");
        return NULL;
    }

    return s;
}


static void
ctns_conf_custom_fields(ctns_conf_ctx_t *ctx, const json_t *root)
{
    const json_t     *f;
    ctns_map_conf_t  *c;

    static const char  *fields[] = {
        "order_id", "cart_id", "payment_ref", "order_number", "psp_name",
        "psp_reference", NULL
    };

    c = ctx->conf;
    f = ctns_conf_object(ctx, root, "custom_fields", "custom_fields", fields);
    if (f == NULL) {
        return;
    }

    c->cf_order_id = ctns_conf_field_id(ctx, f, "order_id");
    c->cf_cart_id = ctns_conf_field_id(ctx, f, "cart_id");
    c->cf_payment_ref = ctns_conf_field_id(ctx, f, "payment_ref");
    c->cf_order_number = ctns_conf_field_id(ctx, f, "order_number");
    c->cf_psp_name = ctns_conf_field_id(ctx, f, "psp_name");
    c->cf_psp_ref = ctns_conf_field_id(ctx, f, "psp_reference");
}


/* rules that need both sections: what a refund or a capture posts to */
static void
ctns_conf_cross_check(ctns_conf_ctx_t *ctx)
{
    size_t            i;
    char              path[64];
    ctns_map_conf_t  *c;

    c = ctx->conf;

    if (c->refunds && c->refund_account == NULL && c->undeposited == NULL) {
        for (i = 0; i < c->nroutes; i++) {
            if (c->routes[i].refund_account == NULL
                && c->routes[i].undeposited == NULL
                && c->routes[i].clearing == NULL)
            {
                snprintf(path, sizeof(path), "routing[%zu].refund_account",
                         i);
                ctns_conf_error(ctx->errs, path,
                                "refunds need an account: set it here, in "
                                "accounts.refund or in "
                                "accounts.undeposited_funds");
            }
        }
    }
}


ctns_map_conf_t *
ctns_map_conf_load(const json_t *root, ctns_conf_errors_t *errs)
{
    size_t            before, i;
    ctns_conf_ctx_t   ctx;
    ctns_map_conf_t  *conf;

    before = errs->n;

    if (!json_is_object(root)) {
        ctns_conf_error(errs, "", "the configuration must be a JSON object");
        return NULL;
    }

    conf = calloc(1, sizeof(ctns_map_conf_t));
    if (conf == NULL) {
        ctns_conf_error(errs, "", "out of memory");
        return NULL;
    }

    /* a private copy: the caller may free its document after loading */
    conf->root = json_object();
    conf->owned = json_array();

    for (i = 0; ctns_map_sections[i]; i++) {
        json_t  *v = json_object_get(root, ctns_map_sections[i]);

        if (v) {
            json_object_set_new(conf->root, ctns_map_sections[i],
                                json_deep_copy(v));
        }
    }

    ctx.conf = conf;
    ctx.errs = errs;

    ctns_conf_routing(&ctx, conf->root);
    ctns_conf_items(&ctx, conf->root);
    ctns_conf_tax(&ctx, conf->root);
    ctns_conf_discounts(&ctx, conf->root);
    ctns_conf_shipping(&ctx, conf->root);
    ctns_conf_giftcards(&ctx, conf->root);
    ctns_conf_accounts(&ctx, conf->root);
    ctns_conf_flows(&ctx, conf->root);
    ctns_conf_customers(&ctx, conf->root);
    ctns_conf_custom_fields(&ctx, conf->root);
    ctns_conf_cross_check(&ctx);

    if (errs->n != before) {
        ctns_map_conf_free(conf);
        return NULL;
    }

    return conf;
}


void
ctns_map_conf_free(ctns_map_conf_t *conf)
{
    if (conf == NULL) {
        return;
    }

    free(conf->routes);
    free(conf->codes);
    json_decref(conf->owned);
    json_decref(conf->root);
    free(conf);
}
