/*
 * Copyright (C) ct-netsuite authors
 *
 * Small helpers of the mapping: plan building, external ids, safe text,
 * JSON lookups and the enrichment conversation (CTNS_MAP_NEED).
 */


#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_map_int.h"


ctns_op_t *
ctns_map_op(ctns_plan_t *plan, ctns_op_kind_e kind, const char *type,
    const char *eid, json_t *body)
{
    ctns_op_t  *ops, *op;

    ops = realloc(plan->ops, (plan->nops + 1) * sizeof(ctns_op_t));
    if (ops == NULL) {
        json_decref(body);
        return NULL;
    }

    plan->ops = ops;
    op = &ops[plan->nops++];
    memset(op, 0, sizeof(ctns_op_t));

    op->kind = kind;
    snprintf(op->type, sizeof(op->type), "%s", type);
    snprintf(op->eid, sizeof(op->eid), "%s", eid);
    op->body = body;

    return op;
}


void
ctns_map_op_read(ctns_op_t *op, const char *type, const char *eid,
    ctns_op_derive_pt derive)
{
    snprintf(op->read_type, sizeof(op->read_type), "%s", type);
    snprintf(op->read_eid, sizeof(op->read_eid), "%s", eid);
    op->derive = derive;
}


int
ctns_map_set(ctns_plan_t *plan, const char *key, char *value)
{
    ctns_map_set_t  *sets;

    if (value == NULL) {
        return -1;
    }

    sets = realloc(plan->sets, (plan->nsets + 1) * sizeof(ctns_map_set_t));
    if (sets == NULL) {
        free(value);
        return -1;
    }

    plan->sets = sets;
    snprintf(sets[plan->nsets].key, sizeof(sets[0].key), "%s", key);
    sets[plan->nsets].value = value;
    plan->nsets++;

    return 0;
}


/*
 * prefix + id + suffix, where id and suffix must already be external id
 * characters: commercetools ids are UUIDs, anything else is refused rather
 * than silently changed into an id another record might have.
 */
int
ctns_map_eid(char *buf, size_t len, const char *prefix, const char *id,
    const char *suffix)
{
    const char  *p;
    int          n;

    for (p = id; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
        {
            return -1;
        }
    }

    n = snprintf(buf, len, "%s%s%s%s", prefix, id, suffix ? "-" : "",
                 suffix ? suffix : "");

    if (*id == '\0' || n < 0 || (size_t) n >= len) {
        return -1;
    }

    return 0;
}


/*
 * Text from commercetools for a NetSuite body: control characters are
 * dropped (they can never be meant, and the money mark is one) and the
 * length is cut at a character boundary.
 */
json_t *
ctns_map_text(const char *s, size_t max)
{
    size_t   i, n;
    char    *buf;
    json_t  *v;

    if (s == NULL) {
        s = "";
    }

    buf = malloc(strlen(s) + 1);
    if (buf == NULL) {
        return NULL;
    }

    for (i = 0, n = 0; s[i]; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            continue;
        }
        buf[n++] = s[i];
    }

    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char) buf[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    buf[n] = '\0';
    v = json_string(buf);
    free(buf);

    return v;
}


void
ctns_map_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}


const char *
ctns_map_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}


/* "a.b.c" through nested objects */
const json_t *
ctns_map_path(const json_t *obj, const char *path)
{
    const char  *dot;
    char         key[64];
    size_t       n;

    while (obj && (dot = strchr(path, '.')) != NULL) {
        n = dot - path;
        if (n >= sizeof(key)) {
            return NULL;
        }

        memcpy(key, path, n);
        key[n] = '\0';
        obj = json_object_get(obj, key);
        path = dot + 1;
    }

    return obj ? json_object_get(obj, path) : NULL;
}


json_t *
ctns_map_ref_eid(const char *eid)
{
    return json_pack("{s:s}", "externalId", eid);
}


void
ctns_map_set_ref(json_t *body, const char *key, const json_t *ref)
{
    if (ref) {
        json_object_set_new(body, key, json_deep_copy(ref));
    }
}


/* a LocalizedString in the configured locale, else "en", else any */
const char *
ctns_map_lstr(const json_t *localized, const char *locale)
{
    const char  *k, *s;
    json_t      *v;

    if (json_is_string(localized)) {
        return json_string_value(localized);
    }

    if (locale && (s = ctns_map_str(localized, locale)) != NULL) {
        return s;
    }

    if ((s = ctns_map_str(localized, "en")) != NULL) {
        return s;
    }

    json_object_foreach((json_t *) localized, k, v) {
        if (json_is_string(v)) {
            return json_string_value(v);
        }
    }

    return "";
}


/* tranDate: the date part of a commercetools timestamp */
void
ctns_map_date(json_t *body, const char *iso)
{
    char  date[11];

    if (iso == NULL || strlen(iso) < 10 || iso[4] != '-' || iso[7] != '-') {
        return;
    }

    memcpy(date, iso, 10);
    date[10] = '\0';
    json_object_set_new(body, "tranDate", json_string(date));
}


/*
 * A resource the engine fetched for us: 1 found, 0 not there yet (in->need
 * is set: return CTNS_MAP_NEED), -1 it does not exist (404 stored as null).
 */
int
ctns_map_need(ctns_map_input_t *in, const char *path, const json_t **out)
{
    json_t  *v;

    v = in->fetched ? json_object_get(in->fetched, path) : NULL;

    if (v == NULL) {
        snprintf(in->need, sizeof(in->need), "%s", path);
        return 0;
    }

    if (json_is_null(v)) {
        return -1;
    }

    /* a query answer may be stored whole: its first result is meant */
    if (json_is_array(json_object_get(v, "results"))) {
        v = json_array_get(json_object_get(v, "results"), 0);
        if (v == NULL) {
            return -1;
        }
    }

    *out = v;

    return 1;
}


char *
ctns_map_body_dumps(const json_t *body)
{
    return ctns_money_dumps(body, JSON_COMPACT);
}


void
ctns_plan_free(ctns_plan_t *plan)
{
    size_t  i;

    for (i = 0; i < plan->nops; i++) {
        json_decref(plan->ops[i].body);
    }

    for (i = 0; i < plan->nsets; i++) {
        free(plan->sets[i].value);
    }

    free(plan->ops);
    free(plan->sets);
    memset(plan, 0, sizeof(ctns_plan_t));
}
