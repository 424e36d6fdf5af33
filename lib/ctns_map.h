/*
 * Copyright (C) ct-netsuite authors
 *
 * The contract between the worker engine (worker/) and the finance mapping
 * (lib/ctns_map*.c).  The mapping is pure: it never does I/O.  It turns one
 * normalized event into a plan of NetSuite writes; the engine executes the
 * plan in order, idempotently, and records the outcome.
 *
 * Conversation, per event:
 *
 *   rc = ctns_map_event(conf, &in, &plan, &err);
 *
 *   CTNS_MAP_OK     plan holds 0..n ops (0 ops and plan.ignored = 1: the
 *                   flows do not use this event; acknowledge it, audit
 *                   "ignored" with plan.reason).
 *   CTNS_MAP_NEED   the mapping needs a commercetools resource it was not
 *                   given: in.need holds an API path relative to the project
 *                   ("orders/<id>", "payments/<id>", "customers/<id>", or a
 *                   query "orders?where=..." whose first result is meant).
 *                   The engine fetches it (without blocking other orders),
 *                   stores the JSON in in.fetched under that exact path and
 *                   calls ctns_map_event() again.  A 404 is stored as JSON
 *                   null.  Fetch errors are retried like NetSuite errors.
 *   CTNS_MAP_ERROR  permanent problem with this event (unknown SKU without
 *                   fallback, no routing rule matches, malformed payload):
 *                   err says what, and the engine dead-letters the event.
 *
 * Every op is idempotent by external id, so re-running a whole plan after a
 * crash or a retry yields no second record.
 */

#ifndef _CTNS_MAP_H_INCLUDED_
#define _CTNS_MAP_H_INCLUDED_


#include <jansson.h>

#include "ctns_event.h"
#include "ctns_conf_err.h"


#define CTNS_MAP_OK     0
#define CTNS_MAP_NEED   1
#define CTNS_MAP_ERROR  -1


typedef enum {
    /*
     * PUT /record/v1/<type>/eid:<eid>[?replace=<replace>] with body.
     */
    CTNS_OP_UPSERT = 0,

    /*
     * If GET /record/v1/<type>/eid:<eid> finds the record, nothing more.
     * Otherwise find the internal id of <from_type>/eid:<from_eid> and
     * POST /record/v1/<from_type>/<id>/!transform/<type> with body (which
     * carries "externalId": eid).  After a timeout the engine looks the
     * record up by eid before trying again.
     */
    CTNS_OP_TRANSFORM,

    /*
     * PATCH /record/v1/<type>/eid:<eid>[?replace=<replace>] with body.
     */
    CTNS_OP_PATCH,

    /*
     * Create once: if GET /record/v1/<type>/eid:<eid> finds the record,
     * nothing more (like CTNS_OP_TRANSFORM); otherwise as CTNS_OP_UPSERT.
     * For transactions that must not be rewritten once other records
     * depend on them (a credit memo a refund applied, a billed sales
     * order).  An engine that does not know this kind sends the PUT of
     * CTNS_OP_UPSERT, which is what plans did before it existed.
     */
    CTNS_OP_CREATE
} ctns_op_kind_e;


/*
 * Optional first step of any op: GET /record/v1/<read_type>/eid:<read_eid>
 * ?expandSubResources=true, then body = derive(read record, op->body).  The
 * derived body replaces op->body for the main action.  This is how the tax
 * override (read back the tax detail lines NetSuite generated, patch them
 * with commercetools' amounts) and closing unbilled lines on cancellation
 * are expressed without the engine knowing about either.  derive returns a
 * new reference, or NULL with a message in err (permanent error), or the
 * JSON null value when nothing needs writing (the op is then skipped).
 */
typedef json_t *(*ctns_op_derive_pt)(const json_t *read, const json_t *arg,
    char *err, size_t errlen);


typedef struct {
    ctns_op_kind_e      kind;
    char                type[32];        /* NetSuite record type */
    char                eid[128];        /* external id, [A-Za-z0-9_-] */
    char                from_type[32];   /* CTNS_OP_TRANSFORM */
    char                from_eid[128];   /* CTNS_OP_TRANSFORM */
    char                replace[96];     /* "item,taxDetails", or "" */
    char                read_type[32];   /* "" = no read step */
    char                read_eid[128];
    ctns_op_derive_pt   derive;
    json_t             *body;            /* owned by the plan */
} ctns_op_t;


/*
 * Redis writes the engine makes after all ops succeeded, relative to the
 * key prefix: "idx:order-number:ORD-10001" -> "<orderId>",
 * "idx:psp:<reference>" -> JSON describing the NetSuite payment record.
 */
typedef struct {
    char                key[192];
    char               *value;           /* owned, NUL-terminated */
} ctns_map_set_t;


typedef struct {
    ctns_op_t          *ops;
    size_t              nops;
    ctns_map_set_t     *sets;
    size_t              nsets;
    int                 ignored;
    char                reason[256];     /* why ignored / note for audit */
    char                order_id[80];    /* order the postings belong to,
                                            when known: its status hash and
                                            audit trail get them too */
} ctns_plan_t;


typedef struct {
    const ctns_event_t *event;
    json_t             *payload;         /* parsed event->payload */
    json_t             *fetched;         /* object: path -> resource */
    char                need[512];       /* out, with CTNS_MAP_NEED */
} ctns_map_input_t;


typedef struct ctns_map_conf_s  ctns_map_conf_t;


/*
 * Reads the mapping sections of the worker configuration (routing, items,
 * tax, discounts, shipping, gift cards, accounts, flows, custom fields).
 * Every problem is appended to errs with its JSON path; returns NULL when
 * there was any.
 */
ctns_map_conf_t *ctns_map_conf_load(const json_t *root,
    ctns_conf_errors_t *errs);
void ctns_map_conf_free(ctns_map_conf_t *conf);

int ctns_map_event(const ctns_map_conf_t *conf, ctns_map_input_t *in,
    ctns_plan_t *plan, char *err, size_t errlen);

void ctns_plan_free(ctns_plan_t *plan);

/*
 * Serializes an op body (or a derived body) for the HTTP request.  Amounts
 * are held in bodies as marked strings, because a jansson real cannot say
 * "64.85" exactly; this writes them as JSON numbers with exactly the
 * currency's fraction digits.  The engine must send bodies through this,
 * never json_dumps().  free() the result.
 */
char *ctns_map_body_dumps(const json_t *body);


#endif /* _CTNS_MAP_H_INCLUDED_ */
