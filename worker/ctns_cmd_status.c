/*
 * Copyright (C) ct-netsuite authors
 *
 * ctns-worker status ORDER: the order's status hash and audit trail as
 * one JSON document, looked up by order id or, failing that, by order
 * number.  The same data the status API serves.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_cmd.h"
#include "ctns_keys_schema.h"
#include "ctns_store.h"


/* JSON-valued fields are shown as JSON, not as strings holding JSON */

static json_t *
ctns_value(const char *s, size_t len)
{
    json_t        *v;
    json_error_t   jerr;

    if (len && (s[0] == '[' || s[0] == '{')) {
        v = json_loadb(s, len, 0, &jerr);
        if (v) {
            return v;
        }
    }

    return json_stringn(s, len);
}


static json_t *
ctns_pairs(const redisReply *r)
{
    size_t   i;
    json_t  *o;

    o = json_object();

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        json_object_set_new(o, r->element[i]->str,
                            ctns_value(r->element[i + 1]->str,
                                       r->element[i + 1]->len));
    }

    return o;
}


/* command on the key fmt (prefix, a1, a2), the whole range with XRANGE */

static redisReply *
ctns_status_cmd(ctns_store_t *st, const char *command, const char *fmt,
    const char *a1, const char *a2)
{
    ctns_cmd_t   c;
    redisReply  *r;

    memset(&c, 0, sizeof(c));

    ctns_cmd_str(&c, command);
    ctns_cmd_fmt(&c, fmt, st->conf->stream.prefix, a1, a2);

    if (strcmp(command, "XRANGE") == 0) {
        ctns_cmd_strs(&c, "-", "+", NULL);
    }

    r = ctns_redis_cmd(&st->redis, &c);
    ctns_cmd_free(&c);

    return r;
}


static json_t *
ctns_trail(ctns_store_t *st, const char *order)
{
    size_t       i;
    json_t      *a, *e;
    redisReply  *r;

    a = json_array();

    r = ctns_status_cmd(st, "XRANGE", CTNS_KEY_AUDIT, "order", order);

    for (i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        e = ctns_pairs(r->element[i]->element[1]);
        json_object_set_new(e, "entry",
                            json_string(r->element[i]->element[0]->str));
        json_array_append_new(a, e);
    }

    freeReplyObject(r);

    return a;
}


int
ctns_cmd_status(const ctns_conf_t *conf, const char *arg)
{
    char          order[256], *out;
    json_t       *doc;
    redisReply   *r;
    ctns_store_t  st;

    if (ctns_store_open(&st, conf, "status") != 0) {
        fprintf(stderr, "ctns-worker: cannot connect to redis\n");
        ctns_store_close(&st);
        return 1;
    }

    snprintf(order, sizeof(order), "%s", arg);

    r = ctns_status_cmd(&st, "HGETALL", CTNS_KEY_STATUS, "order", order);

    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
        freeReplyObject(r);

        /* not an order id: maybe an order number */
        r = ctns_status_cmd(&st, "GET", CTNS_KEY_ORDER_NUMBER, arg, NULL);

        if (r && r->type == REDIS_REPLY_STRING) {
            snprintf(order, sizeof(order), "%s", r->str);
        }

        freeReplyObject(r);
        r = ctns_status_cmd(&st, "HGETALL", CTNS_KEY_STATUS, "order", order);
    }

    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
        fprintf(stderr, "ctns-worker: redis: %s\n",
                r ? r->str : st.redis.err);
        freeReplyObject(r);
        ctns_store_close(&st);
        return 1;
    }

    if (r->elements == 0) {
        fprintf(stderr, "ctns-worker: no status for order %s\n", arg);
        freeReplyObject(r);
        ctns_store_close(&st);
        return 1;
    }

    doc = json_pack("{s:s,s:o,s:o}", "order", order, "status", ctns_pairs(r),
                    "trail", ctns_trail(&st, order));
    freeReplyObject(r);

    out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", out ? out : "{}");

    free(out);
    json_decref(doc);
    ctns_store_close(&st);

    return 0;
}
