/*
 * Copyright (C) ct-netsuite authors
 *
 * The commands of ctns-worker besides "run": replay of dead letters and
 * the status of one order, both straight against Redis.
 */

#ifndef _CTNS_CMD_H_INCLUDED_
#define _CTNS_CMD_H_INCLUDED_


#include "ctns_conf.h"
#include "ctns_store.h"


/* ids NULL with all set: every dead letter.  Returns the exit status. */
int ctns_cmd_replay(const ctns_conf_t *conf, int all, char **ids, int nids);

int ctns_cmd_status(const ctns_conf_t *conf, const char *order);

/*
 * Replays the dead letters from..to (XRANGE bounds, at most 100): *found
 * gets how many there were, last the id of the last one.  0, or -1 when
 * one could not be replayed.  Also used by the control consumer.
 */
int ctns_replay_range(ctns_store_t *st, const char *from, const char *to,
    int *found, char *last, size_t lastlen);


#endif /* _CTNS_CMD_H_INCLUDED_ */
