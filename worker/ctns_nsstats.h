/*
 * Copyright (C) ct-netsuite authors
 *
 * NetSuite's answers per minute, for the dashboard: counted in memory by
 * status class and written to the hash <prefix>:stats:netsuite:<minute>
 * (minutes since the epoch, fields 2xx 3xx 4xx 429 5xx error, 2 h TTL)
 * with HINCRBY at most once a second, so that any number of worker
 * processes add up in one hash.
 */

#ifndef _CTNS_NSSTATS_H_INCLUDED_
#define _CTNS_NSSTATS_H_INCLUDED_


#include <stdint.h>

#include "ctns_store.h"


#define CTNS_NSSTATS_FIELDS  6


typedef struct {
    int64_t              minute;
    int64_t              counts[CTNS_NSSTATS_FIELDS];
    int64_t              next_flush_ms;
} ctns_nsstats_t;


/* One answer: its HTTP status, or 0 for a transport error. */
void ctns_nsstats_count(ctns_nsstats_t *s, ctns_store_t *st, long status,
    int64_t now_ms);

/* Writes the counts when a second has passed since the last write. */
void ctns_nsstats_flush(ctns_nsstats_t *s, ctns_store_t *st, int64_t now_ms,
    int force);


#endif /* _CTNS_NSSTATS_H_INCLUDED_ */
