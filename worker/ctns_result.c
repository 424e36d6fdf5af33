/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_clock.h"
#include "ctns_keys_schema.h"
#include "ctns_log.h"
#include "ctns_result.h"


#define CTNS_ORDER_NUMBER_SET  "idx:order-number:"
#define CTNS_ORDER_NUMBER_MAX  128


/*
 * Merges ARGV[1] (records of this event) into the hash's "records" by
 * (type, externalId), raises "seq"/"rv" to ARGV[2]/ARGV[3] (when not
 * empty), then sets the field/value pairs from ARGV[4] on.
 */
static const char  ctns_lua_apply[] =
    "local k = KEYS[1] "
    "if ARGV[1] ~= '' then "
    "  local cur = redis.call('HGET', k, 'records') "
    "  local list = {} "
    "  if cur and cur ~= '' then list = cjson.decode(cur) end "
    "  for _, r in ipairs(cjson.decode(ARGV[1])) do "
    "    local found = false "
    "    for _, c in ipairs(list) do "
    "      if c.type == r.type and c.externalId == r.externalId then "
    "        if r.id ~= '' then c.id = r.id end "
    "        found = true "
    "      end "
    "    end "
    "    if not found then list[#list + 1] = r end "
    "  end "
    "  if #list > 0 then redis.call('HSET', k, 'records', cjson.encode(list)) "
    "  end "
    "end "
    "for i, f in ipairs({'seq', 'rv'}) do "
    "  if ARGV[i + 1] ~= '' then "
    "    local c = tonumber(redis.call('HGET', k, f) or '-1') or -1 "
    "    if tonumber(ARGV[i + 1]) > c then "
    "      redis.call('HSET', k, f, ARGV[i + 1]) end "
    "  end "
    "end "
    "if redis.call('HEXISTS', k, 'records') == 0 then "
    "  redis.call('HSET', k, 'records', '[]') end "
    "if #ARGV > 3 then redis.call('HSET', k, unpack(ARGV, 4)) end "
    "return 1";


typedef struct {
    ctns_cmd_t   cmds[32];
    int          n;
} ctns_batch_t;


static ctns_cmd_t *
ctns_batch_cmd(ctns_batch_t *b)
{
    ctns_cmd_t  *c;

    c = &b->cmds[b->n++];
    memset(c, 0, sizeof(ctns_cmd_t));

    return c;
}


static int
ctns_batch_send(ctns_job_t *job, ctns_batch_t *b)
{
    int  i, rc;

    rc = ctns_store_pipeline(&job->eng->store, b->cmds, b->n);

    for (i = 0; i < b->n; i++) {
        ctns_cmd_free(&b->cmds[i]);
    }

    return rc;
}


static const char *
ctns_prefix(const ctns_job_t *job)
{
    return job->eng->conf->stream.prefix;
}


const char *
ctns_result_other_order(const ctns_job_t *job)
{
    const char  *oid;

    oid = job->have_plan ? job->plan.order_id : "";

    if (oid[0] == '\0'
        || (strcmp(job->ev.rtype, "order") == 0
            && strcmp(job->ev.rid, oid) == 0))
    {
        return NULL;
    }

    return oid;
}


/*
 * The order number of the job's order and that order's id: the plan's
 * index entry, else for an order event the number its message or its
 * fetched resource carries, so that an order that never posts (a retry,
 * a dead letter before any plan) can be found by its number as well.
 */

static const char *
ctns_order_number(const ctns_job_t *job, const char **order_id)
{
    size_t         i, n;
    char           path[160];
    const char    *number;
    const json_t  *order;

    n = sizeof(CTNS_ORDER_NUMBER_SET) - 1;

    for (i = 0; job->have_plan && i < job->plan.nsets; i++) {
        if (strncmp(job->plan.sets[i].key, CTNS_ORDER_NUMBER_SET, n) == 0
            && job->plan.sets[i].value)
        {
            *order_id = job->plan.sets[i].value;
            return job->plan.sets[i].key + n;
        }
    }

    if (strcmp(job->ev.rtype, "order") != 0) {
        return NULL;
    }

    snprintf(path, sizeof(path), "orders/%s", job->ev.rid);
    order = json_object_get(job->fetched, path);

    if (order == NULL) {
        order = json_object_get(job->payload, "order");
    }

    number = json_string_value(json_object_get(order, "orderNumber"));

    /* longer ones cannot be looked up (the status API's limit) */
    if (number == NULL || number[0] == '\0'
        || strlen(number) > CTNS_ORDER_NUMBER_MAX)
    {
        return NULL;
    }

    *order_id = job->ev.rid;

    return number;
}


/* The order number's index entry, first in a batch; the number or NULL. */

static const char *
ctns_number_index(ctns_job_t *job, ctns_batch_t *b)
{
    const char  *number, *oid;
    ctns_cmd_t  *c;

    oid = NULL;
    number = ctns_order_number(job, &oid);

    if (number == NULL) {
        return NULL;
    }

    c = ctns_batch_cmd(b);
    ctns_cmd_str(c, "SET");
    ctns_cmd_fmt(c, CTNS_KEY_ORDER_NUMBER, ctns_prefix(job), number);
    ctns_cmd_str(c, oid);

    return number;
}


/* Names the number in the order's status hash (a ctns_status() command). */

static void
ctns_number_field(ctns_cmd_t *c, const char *number)
{
    if (number) {
        ctns_cmd_str(c, "order_number");
        ctns_cmd_str(c, number);
    }
}


/* The JSON of the job's error for last_error ({"http",...,"at"}). */

static char *
ctns_result_error_json(const ctns_job_t *job, int64_t at)
{
    json_t  *o;
    char    *s;

    o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:I}",
                  "http", job->err.http, "code", job->err.code,
                  "detail", job->err.detail, "path", job->err.path,
                  "request", job->err_where, "at", (json_int_t) at);

    s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);

    return s;
}


static char *
ctns_records_json(const ctns_job_t *job)
{
    return json_dumps(job->records, JSON_COMPACT | JSON_PRESERVE_ORDER);
}


int
ctns_result_applied_marks(ctns_job_t *job, int64_t *seq, int64_t *rv)
{
    ctns_cmd_t   c;
    redisReply  *r;

    memset(&c, 0, sizeof(c));

    ctns_cmd_str(&c, "HMGET");
    ctns_cmd_fmt(&c, CTNS_KEY_STATUS, ctns_prefix(job), job->ev.rtype,
                 job->ev.rid);
    ctns_cmd_str(&c, "seq");
    ctns_cmd_str(&c, "rv");

    r = ctns_store_argv(&job->eng->store, &c);
    ctns_cmd_free(&c);

    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        freeReplyObject(r);
        return -1;
    }

    *seq = (r->element[0]->type == REDIS_REPLY_STRING)
           ? strtoll(r->element[0]->str, NULL, 10) : -1;
    *rv = (r->element[1]->type == REDIS_REPLY_STRING)
          ? strtoll(r->element[1]->str, NULL, 10) : -1;

    freeReplyObject(r);

    return 0;
}


static void
ctns_event_status(ctns_job_t *job, ctns_batch_t *b, const char *state,
    const char *err)
{
    ctns_cmd_t  *c;

    c = ctns_batch_cmd(b);

    ctns_cmd_str(c, "HSET");
    ctns_cmd_fmt(c, CTNS_KEY_STATUS_EVENT, ctns_prefix(job), job->ev.id);
    ctns_cmd_str(c, "state");
    ctns_cmd_str(c, state);
    ctns_cmd_str(c, "resource");
    ctns_cmd_fmt(c, "%s/%s", job->ev.rtype, job->ev.rid);
    ctns_cmd_str(c, "type");
    ctns_cmd_str(c, job->ev.type);
    ctns_cmd_str(c, "attempts");
    ctns_cmd_fmt(c, "%d", job->attempts);
    ctns_cmd_str(c, "last_error");
    ctns_cmd_str(c, err);
    ctns_cmd_str(c, "updated_at");
    ctns_cmd_fmt(c, "%lld", (long long) ctns_now_ms());
}


static void
ctns_audit(ctns_job_t *job, ctns_batch_t *b, const char *rtype,
    const char *rid, const char *action, const char *result,
    const char *records, const char *detail)
{
    ctns_cmd_t  *c;

    c = ctns_batch_cmd(b);

    ctns_cmd_str(c, "XADD");
    ctns_cmd_fmt(c, CTNS_KEY_AUDIT, ctns_prefix(job), rtype, rid);
    ctns_cmd_str(c, "MAXLEN");
    ctns_cmd_str(c, "~");
    ctns_cmd_fmt(c, "%d", CTNS_AUDIT_MAXLEN);
    ctns_cmd_str(c, "*");
    ctns_cmd_str(c, "event");
    ctns_cmd_str(c, job->ev.id);
    ctns_cmd_str(c, "type");
    ctns_cmd_str(c, job->ev.type);
    ctns_cmd_str(c, "action");
    ctns_cmd_str(c, action);
    ctns_cmd_str(c, "result");
    ctns_cmd_str(c, result);
    ctns_cmd_str(c, "records");
    ctns_cmd_str(c, records);
    ctns_cmd_str(c, "http");
    ctns_cmd_fmt(c, "%d", job->err.http);
    ctns_cmd_str(c, "code");
    ctns_cmd_str(c, job->err.code);
    ctns_cmd_str(c, "detail");
    ctns_cmd_str(c, detail);
    ctns_cmd_str(c, "at");
    ctns_cmd_fmt(c, "%lld", (long long) ctns_now_ms());
}


/*
 * The status hash of rtype/rid through the apply script: records merged,
 * seq/rv raised when marks is set, then "state" etc.
 */

static ctns_cmd_t *
ctns_status(ctns_job_t *job, ctns_batch_t *b, const char *rtype,
    const char *rid, const char *records, int marks, const char *state,
    const char *err)
{
    ctns_cmd_t  *c;

    c = ctns_batch_cmd(b);

    ctns_cmd_str(c, "EVAL");
    ctns_cmd_str(c, ctns_lua_apply);
    ctns_cmd_str(c, "1");
    ctns_cmd_fmt(c, CTNS_KEY_STATUS, ctns_prefix(job), rtype, rid);
    ctns_cmd_str(c, records);

    if (marks) {
        ctns_cmd_fmt(c, "%lld", (long long) job->ev.seq);
        ctns_cmd_fmt(c, "%lld", (long long) job->ev.rv);

    } else {
        ctns_cmd_str(c, "");
        ctns_cmd_str(c, "");
    }

    ctns_cmd_str(c, "state");
    ctns_cmd_str(c, state);
    ctns_cmd_str(c, "last_event");
    ctns_cmd_str(c, job->ev.id);
    ctns_cmd_str(c, "last_error");
    ctns_cmd_str(c, err);
    ctns_cmd_str(c, "updated_at");
    ctns_cmd_fmt(c, "%lld", (long long) ctns_now_ms());

    return c;
}


/* Acknowledge the stream entry, or take the event off the schedule. */

static void
ctns_release(ctns_job_t *job, ctns_batch_t *b)
{
    ctns_cmd_t  *c;

    if (job->retry_member) {
        c = ctns_batch_cmd(b);
        ctns_cmd_str(c, "ZREM");
        ctns_cmd_str(c, job->eng->store.retry_key);
        ctns_cmd_str(c, job->retry_member);
    }

    if (job->wait_member[0]) {
        c = ctns_batch_cmd(b);
        ctns_cmd_str(c, "ZREM");
        ctns_cmd_str(c, job->wait_key);
        ctns_cmd_str(c, job->wait_member);
    }

    if (job->entry_id[0]) {
        c = ctns_batch_cmd(b);
        ctns_cmd_str(c, "XACK");
        ctns_cmd_str(c, job->eng->store.streams[job->shard]);
        ctns_cmd_str(c, CTNS_GROUP);
        ctns_cmd_str(c, job->entry_id);
    }
}


/*
 * The outcome (status, audit, schedule or dead letter) first; only once
 * Redis took all of it is the entry acknowledged or taken off the schedule.
 * Sent in one pipeline, an XACK would run even after an earlier write was
 * refused (OOM, a read-only replica), and the event would be lost; this
 * way a refused write leaves it pending, to be claimed and done again.
 */

static int
ctns_batch_send_release(ctns_job_t *job, ctns_batch_t *b)
{
    ctns_batch_t  release;

    if (ctns_batch_send(job, b) != 0) {
        return -1;
    }

    release.n = 0;
    ctns_release(job, &release);

    return release.n ? ctns_batch_send(job, &release) : 0;
}


int
ctns_result_pending(ctns_job_t *job)
{
    ctns_batch_t  b;
    ctns_cmd_t   *c;

    b.n = 0;

    c = ctns_status(job, &b, job->ev.rtype, job->ev.rid, "", 0, "pending",
                    "");
    ctns_cmd_str(c, "attempts");
    ctns_cmd_fmt(c, "%d", job->attempts);

    ctns_event_status(job, &b, "pending", "");

    return ctns_batch_send(job, &b);
}


/* The plan's index keys, before the status that points at them. */

static int
ctns_plan_sets(ctns_job_t *job)
{
    size_t         i;
    ctns_cmd_t    *c;
    ctns_batch_t   b;

    b.n = 0;

    for (i = 0; i < job->plan.nsets; i++) {
        c = ctns_batch_cmd(&b);
        ctns_cmd_str(c, "SET");
        ctns_cmd_fmt(c, CTNS_KEY_PREFIXED, ctns_prefix(job),
                     job->plan.sets[i].key);
        ctns_cmd_str(c, job->plan.sets[i].value ? job->plan.sets[i].value
                                                : "");

        if ((b.n == 32 || i + 1 == job->plan.nsets)
            && ctns_batch_send(job, &b) != 0)
        {
            return -1;
        }

        if (b.n == 32) {
            b.n = 0;
        }
    }

    return 0;
}


int
ctns_result_done(ctns_job_t *job, const char *action, const char *note)
{
    int            stale;
    char          *records;
    const char    *order, *number, *result;
    ctns_cmd_t    *c;
    ctns_batch_t   b;

    stale = strcmp(action, "stale") == 0;
    result = stale ? "skipped" : strcmp(action, "ignored") == 0 ? "ignored"
                                                                : "synced";

    records = ctns_records_json(job);
    if (records == NULL) {
        return -1;
    }

    if (job->have_plan && ctns_plan_sets(job) != 0) {
        free(records);
        return -1;
    }

    b.n = 0;

    order = ctns_result_other_order(job);
    number = ctns_number_index(job, &b);

    if (!stale) {
        c = ctns_status(job, &b, job->ev.rtype, job->ev.rid, records, 1,
                        "synced", "");
        ctns_cmd_str(c, "attempts");
        ctns_cmd_fmt(c, "%d", job->attempts);

        if (order) {
            c = ctns_status(job, &b, "order", order, records, 0, "synced",
                            "");
        }

        ctns_number_field(c, number);
    }

    ctns_audit(job, &b, job->ev.rtype, job->ev.rid, action, result, records,
               note);

    if (order) {
        ctns_audit(job, &b, "order", order, action, result, records, note);
    }

    ctns_event_status(job, &b, stale ? "stale" : result, "");

    free(records);

    return ctns_batch_send_release(job, &b);
}


static char *
ctns_retry_member(ctns_job_t *job)
{
    json_t  *o;
    char    *s;

    o = json_pack("{s:i,s:s,s:i,s:I,s:O}", "shard", job->shard,
                  "entry", job->entry_id, "attempts", job->attempts,
                  "first_fail", (json_int_t) job->first_fail_ms,
                  "fields", job->fields);

    s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);

    return s;
}


int
ctns_result_retry(ctns_job_t *job, int64_t due_ms)
{
    int            rc;
    char          *member, *err, note[128];
    const char    *order, *number;
    ctns_cmd_t    *c;
    ctns_batch_t   b;

    member = ctns_retry_member(job);
    err = ctns_result_error_json(job, ctns_now_ms());

    if (member == NULL || err == NULL) {
        free(member);
        free(err);
        return -1;
    }

    snprintf(note, sizeof(note), "attempt %d of %d failed, next at %lld",
             job->attempts, job->eng->conf->retry.max_attempts,
             (long long) due_ms);

    b.n = 0;

    /* the schedule first: once the entry is acknowledged it is the copy */
    c = ctns_batch_cmd(&b);
    ctns_cmd_str(c, "ZADD");
    ctns_cmd_str(c, job->eng->store.retry_key);
    ctns_cmd_fmt(c, "%lld", (long long) due_ms);
    ctns_cmd_str(c, member);

    number = ctns_number_index(job, &b);

    c = ctns_status(job, &b, job->ev.rtype, job->ev.rid, "", 0, "retrying",
                    err);
    ctns_cmd_str(c, "attempts");
    ctns_cmd_fmt(c, "%d", job->attempts);

    order = ctns_result_other_order(job);
    if (order) {
        c = ctns_status(job, &b, "order", order, "", 0, "retrying", err);
    }

    ctns_number_field(c, number);

    ctns_audit(job, &b, job->ev.rtype, job->ev.rid, "retry", "retrying",
               "[]", job->err.detail[0] ? job->err.detail : note);
    ctns_event_status(job, &b, "retrying", err);

    /* the old schedule entry, unless it is the very same member */
    if (job->retry_member && strcmp(job->retry_member, member) == 0) {
        free(job->retry_member);
        job->retry_member = NULL;
    }

    rc = ctns_batch_send_release(job, &b);

    free(member);
    free(err);

    return rc;
}


int
ctns_result_dead(ctns_job_t *job)
{
    int            rc;
    char          *err, *records;
    const char    *key, *order, *number;
    json_t        *v;
    int64_t        now;
    ctns_cmd_t    *c;
    ctns_batch_t   b;

    now = ctns_now_ms();
    err = ctns_result_error_json(job, now);
    records = ctns_records_json(job);

    if (err == NULL || records == NULL) {
        free(err);
        free(records);
        return -1;
    }

    b.n = 0;

    c = ctns_batch_cmd(&b);
    ctns_cmd_str(c, "XADD");
    ctns_cmd_str(c, job->eng->store.dlq_key);
    ctns_cmd_str(c, "*");

    json_object_foreach(job->fields, key, v) {
        ctns_cmd_str(c, key);
        ctns_cmd_str(c, json_string_value(v) ? json_string_value(v) : "");
    }

    ctns_cmd_str(c, "error");
    ctns_cmd_str(c, err);
    ctns_cmd_str(c, "http");
    ctns_cmd_fmt(c, "%d", job->err.http);
    ctns_cmd_str(c, "code");
    ctns_cmd_str(c, job->err.code);
    ctns_cmd_str(c, "detail");
    ctns_cmd_str(c, job->err.detail);
    ctns_cmd_str(c, "path");
    ctns_cmd_str(c, job->err.path);
    ctns_cmd_str(c, "request");
    ctns_cmd_str(c, job->err_where);
    ctns_cmd_str(c, "attempts");
    ctns_cmd_fmt(c, "%d", job->attempts);
    ctns_cmd_str(c, "first_failure");
    ctns_cmd_fmt(c, "%lld", (long long) (job->first_fail_ms
                                         ? job->first_fail_ms : now));
    ctns_cmd_str(c, "last_failure");
    ctns_cmd_fmt(c, "%lld", (long long) now);
    ctns_cmd_str(c, "body_sha256");
    ctns_cmd_str(c, job->digest);
    ctns_cmd_str(c, "records");
    ctns_cmd_str(c, records);
    ctns_cmd_str(c, "stream");
    ctns_cmd_str(c, job->eng->store.streams[job->shard]);
    ctns_cmd_str(c, "entry");
    ctns_cmd_str(c, job->entry_id);
    ctns_cmd_str(c, "consumer");
    ctns_cmd_str(c, job->eng->store.consumer);

    number = ctns_number_index(job, &b);

    c = ctns_status(job, &b, job->ev.rtype, job->ev.rid, records, 0, "dead",
                    err);
    ctns_cmd_str(c, "attempts");
    ctns_cmd_fmt(c, "%d", job->attempts);

    order = ctns_result_other_order(job);
    if (order) {
        c = ctns_status(job, &b, "order", order, records, 0, "dead", err);
        ctns_audit(job, &b, "order", order, "dead", "dead", records,
                   job->err.detail);
    }

    ctns_number_field(c, number);

    ctns_audit(job, &b, job->ev.rtype, job->ev.rid, "dead", "dead", records,
               job->err.detail);
    ctns_event_status(job, &b, "dead", err);

    rc = ctns_batch_send_release(job, &b);

    free(err);
    free(records);

    return rc;
}
