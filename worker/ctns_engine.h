/*
 * Copyright (C) ct-netsuite authors
 *
 * The posting engine of "ctns-worker run": one event loop driving the
 * consumer group reads, the retry schedule, claims of abandoned entries,
 * per-resource locks and every HTTP transfer.
 */

#ifndef _CTNS_ENGINE_H_INCLUDED_
#define _CTNS_ENGINE_H_INCLUDED_


#include <stdint.h>

#include "ctns_conf.h"
#include "ctns_ctclient.h"
#include "ctns_http.h"
#include "ctns_map.h"
#include "ctns_nsauth.h"
#include "ctns_nsstats.h"
#include "ctns_store.h"


typedef struct ctns_job_s  ctns_job_t;


typedef struct {
    uint64_t             synced;
    uint64_t             records;
    uint64_t             requests;
    uint64_t             retried;
    uint64_t             dead;
    uint64_t             skipped;
} ctns_engine_stats_t;


typedef struct {
    ctns_conf_t          *conf;
    ctns_map_conf_t      *map;
    ctns_store_t          store;
    ctns_http_t          *http;
    ctns_nsauth_t         nsauth;
    ctns_ctclient_t       ct;
    ctns_job_t           *jobs;           /* oldest first */
    ctns_job_t           *jobs_tail;
    int                   njobs;
    ctns_engine_stats_t   stats;
    ctns_nsstats_t        answers;        /* NetSuite's, per minute */
    char                  api[544];       /* <base_url>/services/rest */
} ctns_engine_t;


int ctns_engine_run(ctns_conf_t *conf, ctns_map_conf_t *map,
    const char *consumer);

/* The signal flags the loop polls. */
void ctns_engine_signals(void);

/* Called by a job when it has written its outcome (or gave up on Redis). */
void ctns_engine_job_done(ctns_engine_t *eng, ctns_job_t *job);


#endif /* _CTNS_ENGINE_H_INCLUDED_ */
