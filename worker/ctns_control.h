/*
 * Copyright (C) ct-netsuite authors
 *
 * The worker's consumer of <prefix>:control (consumer group ctns-control):
 * replays of dead letters asked for over HTTP (the status location's
 * POST .../dlq/<id>/replay).  Entries of other types belong to ctns-keys
 * and are acknowledged here untouched.
 */

#ifndef _CTNS_CONTROL_H_INCLUDED_
#define _CTNS_CONTROL_H_INCLUDED_


#include <stdint.h>

#include "ctns_store.h"


#define CTNS_CONTROL_GROUP     "ctns-control"


/*
 * Called on every turn of the run loop; reads at most every
 * CTNS_CONTROL_EVERY_MS, never blocks.  Requests are acknowledged only
 * once carried out (or found to need nothing), so a crash in between
 * replays again, which finds the dead letter gone and does nothing.
 */
void ctns_control_poll(ctns_store_t *st, int64_t now);


#endif /* _CTNS_CONTROL_H_INCLUDED_ */
