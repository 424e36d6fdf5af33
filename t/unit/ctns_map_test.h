/*
 * Copyright (C) ct-netsuite authors
 *
 * Helpers of the mapping tests: running an event through ctns_map_event()
 * with the resources the engine would fetch, and a small in-memory ledger
 * that executes plans the way NetSuite does (upsert with replace, PATCH of
 * keyed lines, read + derive, transform of a sales order into an invoice)
 * and computes document totals as NetSuite does: item amounts + shipping
 * cost + tax detail amounts.  Bodies go through ctns_map_body_dumps() and
 * are parsed back, as the engine would send them.
 */

#ifndef _CTNS_MAP_TEST_H_INCLUDED_
#define _CTNS_MAP_TEST_H_INCLUDED_


#include <math.h>

#include <jansson.h>

#include "ctns_map.h"
#include "ctns_money.h"
#include "ctns_test.h"


/* not every test uses every helper */
#define MT_FN  static __attribute__((unused))


MT_FN const char *
mt_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}


MT_FN json_t *
mt_load(const char *path)
{
    json_t        *j;
    json_error_t   e;

    j = json_load_file(path, 0, &e);

    if (j == NULL) {
        fprintf(stderr, "%s:%d: %s\n", path, e.line, e.text);
    }

    return j;
}


/* the mapping configuration of the tests with a JSON patch merged in */
MT_FN ctns_map_conf_t *
mt_conf(const char *patch)
{
    json_t              *root, *p;
    ctns_map_conf_t     *conf;
    ctns_conf_errors_t   errs;

    memset(&errs, 0, sizeof(errs));
    root = mt_load("config/mapping.json");
    p = patch ? json_loads(patch, 0, NULL) : json_object();

    if (root == NULL || p == NULL) {
        fprintf(stderr, "bad patch %s\n", patch);
        json_decref(root);
        return NULL;
    }

    json_object_update_recursive(root, p);
    conf = ctns_map_conf_load(root, &errs);
    ctns_conf_errors_print(&errs, stderr);
    ctns_conf_errors_free(&errs);
    json_decref(root);
    json_decref(p);

    return conf;
}


/* the stream entry the module would have made of a Platform payload */
MT_FN void
mt_event(ctns_event_t *ev, const json_t *payload)
{
    const char  *type, *rt, *rid;

    memset(ev, 0, sizeof(ctns_event_t));

    type = json_string_value(json_object_get(payload, "type"));
    rt = json_string_value(json_object_get(json_object_get(payload,
                                                           "resource"),
                                           "typeId"));
    rid = json_string_value(json_object_get(json_object_get(payload,
                                                            "resource"),
                                            "id"));

    snprintf(ev->type, sizeof(ev->type), "%s", type ? type : "");
    snprintf(ev->rtype, sizeof(ev->rtype), "%s", rt ? rt : "");
    snprintf(ev->rid, sizeof(ev->rid), "%s", rid ? rid : "");
    ev->seq = json_integer_value(json_object_get(payload, "sequenceNumber"));
    ev->rv = json_integer_value(json_object_get(payload, "resourceVersion"));
}


/*
 * Runs the NEED conversation: every path asked for must be in resources
 * (a missing one is a test failure).  Returns the final rc.
 */
MT_FN int
mt_map(const ctns_map_conf_t *conf, json_t *payload, json_t *resources,
    ctns_plan_t *plan, char *err, size_t errlen)
{
    int                rc, rounds;
    json_t            *r;
    ctns_event_t       ev;
    ctns_map_input_t   in;

    mt_event(&ev, payload);
    memset(&in, 0, sizeof(in));
    in.event = &ev;
    in.payload = payload;
    in.fetched = json_object();

    for (rounds = 0; rounds < 8; rounds++) {
        rc = ctns_map_event(conf, &in, plan, err, errlen);

        if (rc != CTNS_MAP_NEED) {
            break;
        }

        r = resources ? json_object_get(resources, in.need) : NULL;

        if (r == NULL) {
            fprintf(stderr, "mapping needs %s, the test has no such "
                    "resource\n", in.need);
            rc = CTNS_MAP_ERROR;
            break;
        }

        json_object_set(in.fetched, in.need, r);
    }

    json_decref(in.fetched);

    return rc;
}


/* --- the ledger ------------------------------------------------------------ */


MT_FN json_t *
mt_wire(const json_t *body)
{
    char    *s;
    json_t  *j;

    s = ctns_map_body_dumps(body);
    j = s ? json_loads(s, 0, NULL) : NULL;
    free(s);

    return j;
}


MT_FN int64_t
mt_minor(const json_t *v, int digits)
{
    int64_t  m;

    if (v == NULL || ctns_money_value(v, digits, &m) != 0) {
        return 0;
    }

    return m;
}


MT_FN json_t *
mt_get(json_t *ledger, const char *type, const char *eid)
{
    char  key[200];

    snprintf(key, sizeof(key), "%s/%s", type, eid);

    return json_object_get(ledger, key);
}


/* line numbers and tax detail references, as NetSuite generates them */
MT_FN void
mt_number_lines(json_t *rec, const char *eid)
{
    size_t   i;
    json_t  *l;
    char     ref[200];

    json_array_foreach(json_object_get(json_object_get(rec, "item"), "items"),
                       i, l)
    {
        snprintf(ref, sizeof(ref), "TDR%zu-%s", i + 1, eid);

        if (json_object_get(l, "line") == NULL) {
            json_object_set_new(l, "line", json_integer(i + 1));
        }

        json_object_set_new(l, "taxDetailsReference", json_string(ref));

        if (json_object_get(l, "quantityBilled") == NULL) {
            json_object_set_new(l, "quantityBilled", json_real(0));
        }
    }
}


MT_FN void
mt_merge(json_t *rec, json_t *body, const char *replace)
{
    size_t       i, j;
    const char  *k;
    json_t      *v, *l, *old, *items;

    json_object_foreach(body, k, v) {
        if (strcmp(k, "item") != 0 || strstr(replace, "item")) {
            json_object_set(rec, k, v);
            continue;
        }

        /* keyed lines update in place, others are appended */
        items = json_object_get(json_object_get(rec, "item"), "items");

        json_array_foreach(json_object_get(v, "items"), i, l) {
            json_array_foreach(items, j, old) {
                if (json_equal(json_object_get(old, "line"),
                               json_object_get(l, "line")))
                {
                    json_object_update(old, l);
                    break;
                }
            }

            if (j == json_array_size(items)) {
                json_array_append(items, l);
            }
        }
    }
}


/* salesOrder -> invoice: the lines asked for, or all that are left */
MT_FN json_t *
mt_transform(json_t *so, json_t *body, const char *eid)
{
    size_t   i, j;
    json_t  *inv, *items, *l, *sl, *want, *amount;
    double   q, billed;
    int      first;

    inv = json_deep_copy(so);
    json_object_del(inv, "taxDetails");
    json_object_del(inv, "taxDetailsOverride");
    items = json_array();
    want = json_object_get(json_object_get(body, "item"), "items");
    first = 1;

    json_array_foreach(json_object_get(json_object_get(so, "item"), "items"),
                       i, sl)
    {
        if (json_number_value(json_object_get(sl, "quantityBilled")) > 0) {
            first = 0;
        }
    }

    json_array_foreach(json_object_get(json_object_get(so, "item"), "items"),
                       i, sl)
    {
        billed = json_number_value(json_object_get(sl, "quantityBilled"));
        q = json_number_value(json_object_get(sl, "quantity")) - billed;
        l = NULL;

        if (want) {
            json_array_foreach(want, j, l) {
                if (json_equal(json_object_get(l, "orderLine"),
                               json_object_get(sl, "line")))
                {
                    break;
                }
            }

            if (j == json_array_size(want)) {
                continue;
            }

            q = json_number_value(json_object_get(l, "quantity"));
        }

        if (q <= 0) {
            continue;
        }

        /*
         * As NetSuite: a whole line keeps its amount, a part of one is
         * quantity x rate (the body cannot say otherwise).
         */
        json_object_set_new(sl, "quantityBilled", json_real(billed + q));
        amount = q == json_number_value(json_object_get(sl, "quantity"))
                 ? json_incref(json_object_get(sl, "amount"))
                 : json_real(round(q * json_number_value(
                       json_object_get(sl, "rate")) * 1000) / 1000);
        l = json_pack("{s:O,s:f,s:o}", "item", json_object_get(sl, "item"),
                      "quantity", q, "amount", amount);
        json_object_del(l, "line");
        json_array_append_new(items, l);
    }

    json_object_update(inv, body);
    json_object_set_new(inv, "item", json_pack("{s:o}", "items", items));

    if (!json_object_get(body, "shippingCost") && !first) {
        json_object_del(inv, "shippingCost");
    }

    mt_number_lines(inv, eid);

    return inv;
}


/* internal ids as NetSuite assigns them, one sequence for all records */
static void
mt_add(json_t *ledger, const char *key, json_t *rec, const char *eid)
{
    char  id[32];

    snprintf(id, sizeof(id), "%zu", 5001 + json_object_size(ledger));
    json_object_set_new(rec, "id", json_string(id));
    json_object_set_new(rec, "externalId", json_string(eid));
    mt_number_lines(rec, eid);
    json_object_set_new(ledger, key, rec);
}


/* records of a type in the ledger */
MT_FN size_t
mt_count(json_t *ledger, const char *type)
{
    size_t       n, len;
    const char  *k;
    json_t      *v;

    n = 0;
    len = strlen(type);

    json_object_foreach(ledger, k, v) {
        n += strncmp(k, type, len) == 0 && k[len] == '/';
    }

    return n;
}


/*
 * invoice -> customerPayment, creditMemo -> customerRefund: the body, and
 * unless it says otherwise, the source applied for its total.
 */
static json_t *
mt_transform_apply(json_t *src, json_t *body)
{
    size_t   i;
    double   t;
    json_t  *rec, *l;

    rec = json_deep_copy(body);

    if (json_object_get(rec, "apply") == NULL) {
        t = json_number_value(json_object_get(src, "shippingCost"));

        json_array_foreach(json_object_get(json_object_get(src, "item"),
                                           "items"), i, l)
        {
            t += json_number_value(json_object_get(l, "amount"));
        }

        json_array_foreach(json_object_get(json_object_get(src, "taxDetails"),
                                           "items"), i, l)
        {
            t += json_number_value(json_object_get(l, "taxAmount"));
        }

        json_object_set_new(rec, "apply",
            json_pack("{s:[{s:{s:O},s:b,s:f}]}", "items", "doc", "id",
                      json_object_get(src, "id"), "apply", 1, "amount",
                      round(t * 1000) / 1000));
    }

    return rec;
}


/* NetSuite's rule: SHIPPING tax details only with a shipping cost */
static int
mt_valid(json_t *rec, const char *key)
{
    size_t   i;
    json_t  *row, *ref;

    json_array_foreach(json_object_get(json_object_get(rec, "taxDetails"),
                                       "items"), i, row)
    {
        ref = json_object_get(json_object_get(row, "taxDetailsReference"),
                              "id");

        if (strcmp(json_string_value(ref) ? json_string_value(ref) : "",
                   "SHIPPING") == 0
            && json_number_value(json_object_get(rec, "shippingCost")) == 0)
        {
            fprintf(stderr, "%s: Invalid tax details reference SHIPPING\n",
                    key);
            return -1;
        }
    }

    return 0;
}


/*
 * Executes a plan on the ledger; 0, or -1 (with the reason on stderr) when
 * NetSuite would refuse something.
 */
MT_FN int
mt_exec(json_t *ledger, const ctns_plan_t *plan)
{
    size_t      i;
    int         rc;
    json_t     *body, *rec, *wire, *read;
    char        key[200], err[256];
    ctns_op_t  *op;

    rc = 0;

    for (i = 0; i < plan->nops; i++) {
        op = &plan->ops[i];
        snprintf(key, sizeof(key), "%s/%s", op->type, op->eid);
        body = json_incref(op->body);

        if ((op->kind == CTNS_OP_TRANSFORM || op->kind == CTNS_OP_CREATE)
            && json_object_get(ledger, key))
        {
            json_decref(body);
            continue;
        }

        if (op->read_type[0]) {
            read = mt_get(ledger, op->read_type, op->read_eid);
            wire = read ? json_incref(read) : NULL;

            if (wire == NULL) {
                fprintf(stderr, "op %zu reads missing %s/%s\n", i,
                        op->read_type, op->read_eid);
                json_decref(body);
                return -1;
            }

            json_decref(body);
            body = op->derive(wire, op->body, err, sizeof(err));
            json_decref(wire);

            if (body == NULL) {
                fprintf(stderr, "op %zu derive: %s\n", i, err);
                return -1;
            }

            if (json_is_null(body)) {
                json_decref(body);
                continue;
            }
        }

        wire = mt_wire(body);
        json_decref(body);

        if (wire == NULL) {
            fprintf(stderr, "op %zu: body does not serialize\n", i);
            return -1;
        }

        rec = json_object_get(ledger, key);

        if (op->kind == CTNS_OP_TRANSFORM) {
            read = mt_get(ledger, op->from_type, op->from_eid);
            if (read == NULL) {
                fprintf(stderr, "op %zu transforms missing %s/%s\n", i,
                        op->from_type, op->from_eid);
                json_decref(wire);
                return -1;
            }

            mt_add(ledger, key, strcmp(op->from_type, "salesOrder") == 0
                                ? mt_transform(read, wire, op->eid)
                                : mt_transform_apply(read, wire), op->eid);

        } else if (rec == NULL && op->kind == CTNS_OP_PATCH) {
            fprintf(stderr, "op %zu patches missing %s\n", i, key);
            rc = -1;

        } else if (rec == NULL) {
            mt_add(ledger, key, json_incref(wire), op->eid);

        } else {
            mt_merge(rec, wire, op->replace);
            mt_number_lines(rec, op->eid);
        }

        json_decref(wire);

        if (json_object_get(ledger, key)
            && mt_valid(json_object_get(ledger, key), key) != 0)
        {
            rc = -1;
        }
    }

    return rc;
}


/* a document total as NetSuite computes it, in minor units */
MT_FN int64_t
mt_total(json_t *ledger, const char *type, const char *eid, int digits)
{
    size_t   i;
    int64_t  t;
    json_t  *rec, *l;

    rec = mt_get(ledger, type, eid);
    if (rec == NULL) {
        return INT64_MIN;
    }

    t = mt_minor(json_object_get(rec, "shippingCost"), digits);

    json_array_foreach(json_object_get(json_object_get(rec, "item"), "items"),
                       i, l)
    {
        t += mt_minor(json_object_get(l, "amount"), digits);
    }

    json_array_foreach(json_object_get(json_object_get(rec, "taxDetails"),
                                       "items"), i, l)
    {
        t += mt_minor(json_object_get(l, "taxAmount"), digits);
    }

    return t;
}


/* a plan on a fresh ledger: the document's total, INT64_MIN if refused */
MT_FN int64_t
mt_plan_total(const ctns_plan_t *plan, const char *type, const char *eid,
    int digits)
{
    int64_t   t;
    json_t   *ledger;

    ledger = json_object();
    t = mt_exec(ledger, plan) == 0 ? mt_total(ledger, type, eid, digits)
                                   : INT64_MIN;
    json_decref(ledger);

    return t;
}


MT_FN const ctns_op_t *
mt_op(const ctns_plan_t *plan, const char *type, const char *eid,
    ctns_op_kind_e kind)
{
    size_t  i;

    for (i = 0; i < plan->nops; i++) {
        if (plan->ops[i].kind == kind && strcmp(plan->ops[i].type, type) == 0
            && strcmp(plan->ops[i].eid, eid) == 0)
        {
            return &plan->ops[i];
        }
    }

    return NULL;
}


MT_FN const char *
mt_set(const ctns_plan_t *plan, const char *key)
{
    size_t  i;

    for (i = 0; i < plan->nsets; i++) {
        if (strcmp(plan->sets[i].key, key) == 0) {
            return plan->sets[i].value;
        }
    }

    return NULL;
}


/* an amount of a wire body at a dotted path, in minor units */
MT_FN int64_t
mt_amount(const json_t *body, const char *path, int digits)
{
    json_t  *wire;
    int64_t  m;
    json_t  *v;
    char     buf[128], *p, *dot;

    wire = mt_wire(body);
    snprintf(buf, sizeof(buf), "%s", path);
    v = wire;

    for (p = buf; v && p; p = dot ? dot + 1 : NULL) {
        dot = strchr(p, '.');
        if (dot) {
            *dot = '\0';
        }

        v = (*p >= '0' && *p <= '9') ? json_array_get(v, atoi(p))
                                     : json_object_get(v, p);
    }

    m = v ? mt_minor(v, digits) : INT64_MIN;
    json_decref(wire);

    return m;
}


#endif /* _CTNS_MAP_TEST_H_INCLUDED_ */
