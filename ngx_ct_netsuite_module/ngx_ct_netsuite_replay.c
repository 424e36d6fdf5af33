
/*
 * Copyright (C) ct-netsuite authors
 *
 * The one write of the status location:
 *
 *   POST <loc>/dlq/<entryId>/replay
 *
 * asks ctns-worker to replay one dead letter.  The module does not move
 * the entry itself: it appends a request to <prefix>:control
 *
 *   type replay  dlq_id <entryId>  requested_by <who>@<addr>  at <ms>
 *
 * which the worker's control consumer (group ctns-control) carries out
 * with the code of "ctns-worker replay", audit trail included.
 *
 * Two round trips: XRANGE <prefix>:dlq id id, then the XADD.  Not one Lua
 * script: the dead-letter and control streams hash to different Redis
 * Cluster slots.  An entry replayed by someone else in between makes the
 * worker find nothing and acknowledge the request; nothing is lost.
 *
 * Access: nginx's access phase (allow/deny, auth_basic, auth_request) and
 * ct_netsuite_status_token as for the views, then CSRF rules, because a
 * browser sends cached Basic credentials with a cross-site form post: the
 * request must carry "X-CTNS-Request: replay" (a custom header no HTML
 * form can send, and no other site's script may without a CORS preflight
 * that we never grant), and an Origin or Sec-Fetch-Site that says another
 * site is refused outright.
 */


#include <jansson.h>

#include "ngx_ct_netsuite_auth.h"
#include "ngx_ct_netsuite_replay.h"
#include "ngx_ct_netsuite_status.h"


#define NGX_CT_NETSUITE_CONTROL_MAXLEN  "100000"
#define NGX_CT_NETSUITE_ENTRY_PART_MAX  20        /* digits of a uint64 */


typedef struct {
    ngx_str_t                    id;         /* dead letter, NUL-ended */
    ngx_str_t                    by;         /* requested_by, NUL-ended */
} ngx_ct_netsuite_replay_t;


ngx_uint_t
ngx_ct_netsuite_replay_uri(ngx_str_t *path)
{
    return path->len > sizeof("dlq//replay") - 1
           && ngx_strncmp(path->data, "dlq/", 4) == 0
           && ngx_strncmp(path->data + path->len - 7, "/replay", 7) == 0;
}


/* A stream entry id: <ms>-<seq>, both decimal, nothing else. */

static ngx_int_t
ngx_ct_netsuite_replay_entry_id(ngx_str_t *id)
{
    u_char  *p, *last, *dash;

    last = id->data + id->len;
    dash = ngx_strlchr(id->data, last, '-');

    if (dash == NULL || dash == id->data || dash + 1 == last
        || dash - id->data > NGX_CT_NETSUITE_ENTRY_PART_MAX
        || last - dash - 1 > NGX_CT_NETSUITE_ENTRY_PART_MAX)
    {
        return NGX_DECLINED;
    }

    for (p = id->data; p < last; p++) {
        if (p != dash && (*p < '0' || *p > '9')) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* The Origin header, when sent, must name the host this request went to. */

static ngx_int_t
ngx_ct_netsuite_replay_same_site(ngx_http_request_t *r)
{
    ngx_str_t  origin, site, host;

    if (ngx_ct_netsuite_header(r, "Sec-Fetch-Site", &site) == NGX_OK
        && site.len == 10 && ngx_strncmp(site.data, "cross-site", 10) == 0)
    {
        return NGX_DECLINED;
    }

    if (ngx_ct_netsuite_header(r, "Origin", &origin) != NGX_OK) {
        /* not a browser, or a same-origin GET-style request */
        return NGX_OK;
    }

    if (r->headers_in.host == NULL) {
        return NGX_DECLINED;
    }

    host = r->headers_in.host->value;

    if (origin.len > 7 && ngx_strncmp(origin.data, "http://", 7) == 0) {
        origin.data += 7;
        origin.len -= 7;

    } else if (origin.len > 8 && ngx_strncmp(origin.data, "https://", 8) == 0)
    {
        origin.data += 8;
        origin.len -= 8;

    } else {
        /* "null" (sandboxed frames, file:) and anything else */
        return NGX_DECLINED;
    }

    if (origin.len != host.len
        || ngx_strncasecmp(origin.data, host.data, host.len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_replay_csrf(ngx_http_request_t *r)
{
    ngx_str_t  v;

    if (ngx_ct_netsuite_header(r, "X-CTNS-Request", &v) != NGX_OK
        || v.len != 6 || ngx_strncmp(v.data, "replay", 6) != 0)
    {
        return ngx_ct_netsuite_status_error(r, NGX_HTTP_FORBIDDEN,
                   "forbidden", NULL,
                   "the header X-CTNS-Request: replay is required");
    }

    if (ngx_ct_netsuite_replay_same_site(r) != NGX_OK) {
        return ngx_ct_netsuite_status_error(r, NGX_HTTP_FORBIDDEN,
                   "forbidden", NULL, "cross-site request refused");
    }

    return NGX_DECLINED;
}


/*
 * Who asked: the user name nginx's auth_basic checked, or "bearer" with
 * ct_netsuite_status_token (never the token), else "anonymous"; then the
 * client address.
 */

static ngx_int_t
ngx_ct_netsuite_replay_who(ngx_http_request_t *r, ngx_str_t *by)
{
    ngx_str_t                    who;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);

    if (r->headers_in.user.len) {
        who = r->headers_in.user;

    } else if (lcf->status_token) {
        ngx_str_set(&who, "bearer");

    } else {
        ngx_str_set(&who, "anonymous");
    }

    by->data = ngx_pnalloc(r->pool, who.len + 1
                                    + r->connection->addr_text.len + 1);
    if (by->data == NULL) {
        return NGX_ERROR;
    }

    by->len = ngx_sprintf(by->data, "%V@%V%Z", &who,
                          &r->connection->addr_text) - by->data - 1;

    return NGX_OK;
}


static ngx_int_t
ngx_ct_netsuite_replay_unavailable(ngx_http_request_t *r, ngx_str_t *id)
{
    return ngx_ct_netsuite_status_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "unavailable", id,
                                        "redis unavailable");
}


static ngx_int_t
ngx_ct_netsuite_replay_run(ngx_http_request_t *r, ngx_ct_netsuite_cmd_t *cmd,
    ngx_ct_netsuite_query_done_pt done, void *data)
{
    ngx_ct_netsuite_replay_t  *rp = data;

    ngx_int_t  rc;

    rc = ngx_ct_netsuite_query(r, cmd, 1, done, data);

    if (rc == NGX_DECLINED) {
        return ngx_ct_netsuite_replay_unavailable(r, &rp->id);
    }

    return rc == NGX_DONE ? NGX_DONE : NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static ngx_int_t
ngx_ct_netsuite_replay_queued(ngx_http_request_t *r, redisReply **replies,
    ngx_uint_t n, void *data)
{
    ngx_ct_netsuite_replay_t  *rp = data;

    json_t      *answer;
    ngx_str_t    json;
    redisReply  *added;

    added = replies[0];

    if (added == NULL) {
        return ngx_ct_netsuite_replay_unavailable(r, &rp->id);
    }

    if (added->type != REDIS_REPLY_STRING) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ct_netsuite: replay of %V not queued: %s", &rp->id,
                      added->str ? added->str : "unexpected reply");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "ct_netsuite: replay of dead letter %V queued as %s by %V",
                  &rp->id, added->str, &rp->by);

    answer = json_pack("{s:s,s:s,s:s,s:s}", "result", "queued",
                       "id", rp->id.data, "control", added->str,
                       "requested_by", rp->by.data);
    if (answer == NULL
        || ngx_ct_netsuite_status_dump(r, answer, &json) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_answer_raw(r, NGX_HTTP_ACCEPTED, &json);
}


static ngx_int_t
ngx_ct_netsuite_replay_found(ngx_http_request_t *r, redisReply **replies,
    ngx_uint_t n, void *data)
{
    ngx_ct_netsuite_replay_t  *rp = data;

    redisReply             *range;
    ngx_time_t             *tp;
    ngx_ct_netsuite_cmd_t  *cmd;

    range = replies[0];

    if (range == NULL) {
        return ngx_ct_netsuite_replay_unavailable(r, &rp->id);
    }

    if (range->type != REDIS_REPLY_ARRAY) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "ct_netsuite: XRANGE of the dead-letter stream: %s",
                      range->str ? range->str : "not an array");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (range->elements == 0) {
        return ngx_ct_netsuite_status_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", &rp->id,
                                            "no such dead letter");
    }

    cmd = ngx_pcalloc(r->pool, sizeof(ngx_ct_netsuite_cmd_t));

    if (cmd == NULL
        || ngx_ct_netsuite_status_key(r, cmd, "XADD", "control") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tp = ngx_timeofday();

    ngx_ct_netsuite_cmd_arg(cmd, "MAXLEN");
    ngx_ct_netsuite_cmd_arg(cmd, "~");
    ngx_ct_netsuite_cmd_arg(cmd, NGX_CT_NETSUITE_CONTROL_MAXLEN);
    ngx_ct_netsuite_cmd_arg(cmd, "*");
    ngx_ct_netsuite_cmd_arg(cmd, "type");
    ngx_ct_netsuite_cmd_arg(cmd, "replay");
    ngx_ct_netsuite_cmd_arg(cmd, "dlq_id");
    ngx_ct_netsuite_cmd_arg(cmd, (char *) rp->id.data);
    ngx_ct_netsuite_cmd_arg(cmd, "requested_by");
    ngx_ct_netsuite_cmd_arg(cmd, (char *) rp->by.data);
    ngx_ct_netsuite_cmd_arg(cmd, "at");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, cmd, "%T%03M", tp->sec, tp->msec)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_ct_netsuite_replay_run(r, cmd, ngx_ct_netsuite_replay_queued,
                                      rp);
}


ngx_int_t
ngx_ct_netsuite_replay(ngx_http_request_t *r, ngx_str_t *path)
{
    ngx_int_t                  rc;
    ngx_ct_netsuite_cmd_t     *cmd;
    ngx_ct_netsuite_replay_t  *rp;

    rc = ngx_ct_netsuite_status_auth(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_ct_netsuite_answer(r, NGX_HTTP_NOT_ALLOWED, "method", NULL,
                                      "POST only");
    }

    rc = ngx_ct_netsuite_replay_csrf(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rp = ngx_pcalloc(r->pool, sizeof(ngx_ct_netsuite_replay_t));
    if (rp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* dlq/<id>/replay */
    rp->id.data = path->data + 4;
    rp->id.len = path->len - 4 - 7;

    if (ngx_ct_netsuite_replay_entry_id(&rp->id) != NGX_OK) {
        return ngx_ct_netsuite_status_error(r, NGX_HTTP_BAD_REQUEST,
                                            "malformed", NULL,
                                            "invalid dead letter id");
    }

    /* NUL-terminated: the command arguments are C strings */
    rp->id.data = ngx_pnalloc(r->pool, rp->id.len + 1);
    if (rp->id.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_cpystrn(rp->id.data, path->data + 4, rp->id.len + 1);

    if (ngx_ct_netsuite_replay_who(r, &rp->by) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cmd = ngx_pcalloc(r->pool, sizeof(ngx_ct_netsuite_cmd_t));

    if (cmd == NULL
        || ngx_ct_netsuite_status_key(r, cmd, "XRANGE", "dlq") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_ct_netsuite_cmd_arg(cmd, (char *) rp->id.data);
    ngx_ct_netsuite_cmd_arg(cmd, (char *) rp->id.data);

    return ngx_ct_netsuite_replay_run(r, cmd, ngx_ct_netsuite_replay_found,
                                      rp);
}
