/*
 * Copyright (C) ct-netsuite authors
 *
 * Redis key names (architecture: "Redis key schema").  Formats take the
 * configured prefix first.  The stream of shard N carries the hash tag
 * {N}, so a Redis Cluster keeps a shard's keys in one slot; every other
 * key is written on its own, ordered so that a crash in between is safe.
 */

#ifndef _CTNS_KEYS_SCHEMA_H_INCLUDED_
#define _CTNS_KEYS_SCHEMA_H_INCLUDED_


#define CTNS_GROUP               "ctns-workers"

#define CTNS_KEY_EVENTS          "%s:{%u}:events"         /* prefix, shard */
#define CTNS_KEY_DLQ             "%s:dlq"
#define CTNS_KEY_RETRY           "%s:retry"
#define CTNS_KEY_STATUS          "%s:status:%s:%s"        /* rtype, rid */
#define CTNS_KEY_STATUS_EVENT    "%s:status:event:%s"     /* message id */
#define CTNS_KEY_AUDIT           "%s:audit:%s:%s"         /* rtype, rid */
#define CTNS_KEY_LOCK            "%s:{%u}:lock:%s:%s"     /* shard, rtype,
                                                             rid */
#define CTNS_KEY_WAIT            "%s:{%u}:wait:%s:%s"     /* shard, rtype,
                                                             rid */
#define CTNS_KEY_ORDER_NUMBER    "%s:idx:order-number:%s" /* number */
#define CTNS_KEY_PREFIXED        "%s:%s"                  /* plan sets */
#define CTNS_KEY_STATS_NETSUITE  "%s:stats:netsuite:%lld" /* minute since
                                                             the epoch */

#define CTNS_AUDIT_MAXLEN        200


#endif /* _CTNS_KEYS_SCHEMA_H_INCLUDED_ */
