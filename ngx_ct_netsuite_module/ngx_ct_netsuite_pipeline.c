
/*
 * Copyright (C) ct-netsuite authors
 *
 * The pipeline figures shown by the status summary and the metrics
 * location, read in one batch: per shard XLEN, XPENDING (summary form) and
 * XINFO GROUPS of <prefix>:{N}:events, then XLEN of <prefix>:dlq.  A
 * stream or group that does not exist yet answers with an error, which
 * here means "empty", not "failed".
 */


#include "ngx_ct_netsuite_pipeline.h"


ngx_ct_netsuite_cmd_t *
ngx_ct_netsuite_pipeline_cmds(ngx_http_request_t *r, ngx_uint_t *n)
{
    ngx_str_t                   *prefix;
    ngx_uint_t                   i, shards;
    ngx_ct_netsuite_cmd_t       *cmds, *c;
    ngx_ct_netsuite_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_ct_netsuite_module);
    prefix = &lcf->stream->prefix;
    shards = lcf->stream->shards;

    /* per shard XLEN, XPENDING, XINFO GROUPS; then XLEN of the DLQ */
    *n = 3 * shards + 1;

    cmds = ngx_pcalloc(r->pool, *n * sizeof(ngx_ct_netsuite_cmd_t));
    if (cmds == NULL) {
        return NULL;
    }

    for (i = 0; i < shards; i++) {
        c = &cmds[3 * i];

        ngx_ct_netsuite_cmd_arg(&c[0], "XLEN");
        ngx_ct_netsuite_cmd_arg(&c[1], "XPENDING");
        ngx_ct_netsuite_cmd_arg(&c[2], "XINFO");
        ngx_ct_netsuite_cmd_arg(&c[2], "GROUPS");

        if (ngx_ct_netsuite_cmd_fmt(r->pool, &c[0], "%V:{%ui}:events",
                                    prefix, i)
            != NGX_OK)
        {
            return NULL;
        }

        /* the key was formatted once: the same bytes serve all three */
        c[1].argv[1] = c[0].argv[1];
        c[1].lens[1] = c[0].lens[1];
        c[1].argc = 2;
        c[2].argv[2] = c[0].argv[1];
        c[2].lens[2] = c[0].lens[1];
        c[2].argc = 3;

        ngx_ct_netsuite_cmd_arg(&c[1], NGX_CT_NETSUITE_GROUP);
    }

    c = &cmds[*n - 1];
    ngx_ct_netsuite_cmd_arg(c, "XLEN");

    if (ngx_ct_netsuite_cmd_fmt(r->pool, c, "%V:dlq", prefix) != NGX_OK) {
        return NULL;
    }

    return cmds;
}


static void
ngx_ct_netsuite_pipeline_group(ngx_ct_netsuite_shard_t *sh,
    redisReply *groups)
{
    size_t       i;
    redisReply  *g, *name;

    if (groups->type != REDIS_REPLY_ARRAY) {
        /* no stream yet */
        return;
    }

    for (i = 0; i < groups->elements; i++) {
        g = groups->element[i];
        name = ngx_ct_netsuite_reply_field(g, "name");

        if (name == NULL || name->type != REDIS_REPLY_STRING
            || ngx_strcmp(name->str, NGX_CT_NETSUITE_GROUP) != 0)
        {
            continue;
        }

        sh->consumers = ngx_ct_netsuite_reply_int(
                            ngx_ct_netsuite_reply_field(g, "consumers"));
        sh->entries_read = ngx_ct_netsuite_reply_int(
                               ngx_ct_netsuite_reply_field(g, "entries-read"));
        sh->lag = ngx_ct_netsuite_reply_int(
                      ngx_ct_netsuite_reply_field(g, "lag"));

        /* Redis 7 leaves lag nil after deletions; entries-read remains */
        if (sh->lag < 0 && sh->entries_read >= 0 && sh->length >= 0) {
            sh->lag = ngx_max(sh->length - sh->entries_read, 0);
        }

        return;
    }
}


static void
ngx_ct_netsuite_pipeline_pending(ngx_ct_netsuite_shard_t *sh,
    redisReply *pending)
{
    redisReply  *oldest;

    /* NOGROUP, or no stream: nothing is pending */
    sh->pending = 0;

    if (pending->type != REDIS_REPLY_ARRAY || pending->elements < 2
        || pending->element[0]->type != REDIS_REPLY_INTEGER)
    {
        return;
    }

    sh->pending = pending->element[0]->integer;
    oldest = pending->element[1];

    if (oldest->type == REDIS_REPLY_STRING) {
        sh->oldest.data = (u_char *) oldest->str;
        sh->oldest.len = oldest->len;
        /* an entry id is "<ms>-<seq>" */
        sh->oldest_ms = strtoll(oldest->str, NULL, 10);
    }
}


ngx_int_t
ngx_ct_netsuite_pipeline_parse(ngx_http_request_t *r, redisReply **replies,
    ngx_uint_t n, ngx_ct_netsuite_pipeline_t *pl)
{
    ngx_uint_t                i;
    redisReply              **rp;
    ngx_ct_netsuite_shard_t  *sh;

    for (i = 0; i < n; i++) {
        if (replies[i] == NULL) {
            return NGX_DECLINED;
        }
    }

    pl->nshards = (n - 1) / 3;
    pl->shards = ngx_palloc(r->pool,
                            pl->nshards * sizeof(ngx_ct_netsuite_shard_t));
    if (pl->shards == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < pl->nshards; i++) {
        sh = &pl->shards[i];
        rp = &replies[3 * i];

        sh->lag = -1;
        sh->entries_read = -1;
        sh->consumers = -1;
        sh->oldest_ms = -1;
        ngx_str_null(&sh->oldest);

        sh->length = rp[0]->type == REDIS_REPLY_INTEGER ? rp[0]->integer : 0;

        ngx_ct_netsuite_pipeline_pending(sh, rp[1]);
        ngx_ct_netsuite_pipeline_group(sh, rp[2]);
    }

    pl->dlq = replies[n - 1]->type == REDIS_REPLY_INTEGER
              ? replies[n - 1]->integer : 0;

    return NGX_OK;
}
