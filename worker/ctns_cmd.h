/*
 * Copyright (C) ct-netsuite authors
 *
 * The commands of ctns-worker besides "run": replay of dead letters and
 * the status of one order, both straight against Redis.
 */

#ifndef _CTNS_CMD_H_INCLUDED_
#define _CTNS_CMD_H_INCLUDED_


#include "ctns_conf.h"


/* ids NULL with all set: every dead letter.  Returns the exit status. */
int ctns_cmd_replay(const ctns_conf_t *conf, int all, char **ids, int nids);

int ctns_cmd_status(const ctns_conf_t *conf, const char *order);


#endif /* _CTNS_CMD_H_INCLUDED_ */
