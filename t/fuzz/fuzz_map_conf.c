/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: the mapping sections of a worker configuration through
 * ctns_map_conf_load().  A configuration that loads is then used to map
 * the fixture messages (cwd t/fixtures): a loader that accepts what the
 * mapping cannot use shows up here as a crash, not as a dead letter in
 * production.  Resources the mapping asks for are answered with a 404
 * (JSON null), the engine's answer when commercetools has none.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctns_map.h"


#define CHECK(cond)                                                          \
    if (!(cond)) {                                                           \
        fprintf(stderr, "fuzz_map_conf: %s (line %d)\n", #cond, __LINE__);   \
        abort();                                                             \
    }


static const char  *names[] = {
    "commercetools/messages/order-created.json",
    "commercetools/messages/payment-transaction-state-changed.json",
    "commercetools/messages/return-info-added.json",
    "commercetools/messages/delivery-added.json",
};

#define NMSG  (sizeof(names) / sizeof(names[0]))

static json_t  *msgs[NMSG];


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t        i;
    json_error_t  jerr;

    for (i = 0; i < NMSG; i++) {
        msgs[i] = json_load_file(names[i], 0, &jerr);

        if (msgs[i] == NULL) {
            fprintf(stderr, "fuzz_map_conf: %s: %s (run from t/fixtures)\n",
                    names[i], jerr.text);
            abort();
        }
    }

    return 0;
}


static void
fuzz_event(ctns_event_t *ev, const json_t *m)
{
    const json_t  *res;

    memset(ev, 0, sizeof(ctns_event_t));
    res = json_object_get(m, "resource");

    snprintf(ev->id, sizeof(ev->id), "%s",
             json_string_value(json_object_get(m, "id")));
    snprintf(ev->type, sizeof(ev->type), "%s",
             json_string_value(json_object_get(m, "type")));
    snprintf(ev->rtype, sizeof(ev->rtype), "%s",
             json_string_value(json_object_get(res, "typeId")));
    snprintf(ev->rid, sizeof(ev->rid), "%s",
             json_string_value(json_object_get(res, "id")));
    ev->seq = json_integer_value(json_object_get(m, "sequenceNumber"));
    ev->rv = json_integer_value(json_object_get(m, "resourceVersion"));
}


static void
fuzz_map(const ctns_map_conf_t *conf, json_t *m)
{
    int                rc, rounds;
    char               err[512], *body;
    size_t             i;
    ctns_plan_t        plan;
    ctns_event_t       ev;
    ctns_map_input_t   in;

    fuzz_event(&ev, m);
    memset(&in, 0, sizeof(in));
    in.event = &ev;
    in.payload = m;
    in.fetched = json_object();

    for (rounds = 0; rounds < 6; rounds++) {
        memset(&plan, 0, sizeof(plan));
        err[0] = '\0';

        rc = ctns_map_event(conf, &in, &plan, err, sizeof(err));

        if (rc != CTNS_MAP_NEED) {
            break;
        }

        CHECK(in.need[0] != '\0');
        CHECK(json_object_get(in.fetched, in.need) == NULL);
        json_object_set_new(in.fetched, in.need, json_null());
        ctns_plan_free(&plan);
    }

    if (rc == CTNS_MAP_OK) {
        for (i = 0; i < plan.nops; i++) {
            CHECK(plan.ops[i].eid[0] != '\0');
            CHECK(strspn(plan.ops[i].eid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "abcdefghijklmnopqrstuvwxyz0123456789_-")
                  == strlen(plan.ops[i].eid));

            if (plan.ops[i].body != NULL) {
                body = ctns_map_body_dumps(plan.ops[i].body);
                CHECK(body != NULL);
                free(body);
            }
        }

    } else if (rc == CTNS_MAP_ERROR) {
        CHECK(err[0] != '\0');
    }

    ctns_plan_free(&plan);
    json_decref(in.fetched);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    size_t               i;
    json_t              *root;
    ctns_map_conf_t     *conf;
    ctns_conf_errors_t   errs;

    root = json_loadb((const char *) data, size, 0, NULL);
    if (root == NULL) {
        return 0;
    }

    memset(&errs, 0, sizeof(errs));
    conf = ctns_map_conf_load(root, &errs);

    CHECK((conf == NULL) == (errs.n > 0));

    for (i = 0; i < errs.n; i++) {
        CHECK(memchr(errs.items[i].path, '\0', sizeof(errs.items[i].path)));
        CHECK(errs.items[i].msg[0] != '\0');
    }

    ctns_conf_errors_free(&errs);

    if (conf != NULL) {
        for (i = 0; i < NMSG; i++) {
            fuzz_map(conf, msgs[i]);
        }

        ctns_map_conf_free(conf);
    }

    json_decref(root);

    return 0;
}
