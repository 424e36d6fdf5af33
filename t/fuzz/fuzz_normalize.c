/*
 * Copyright (C) ct-netsuite authors
 *
 * libFuzzer: a delivery body through the edge's strict JSON check and
 * ctns_normalize(), differentially against jansson, the parser the worker
 * reads the same payload back with.  Whatever the edge acknowledges the
 * worker must be able to parse, and the reverse keeps the check honest.
 * Documented differences, and only these, are tolerated:
 *
 *   - nesting deeper than CTNS_JSON_MAX_DEPTH: the edge refuses it;
 *   - numbers outside jansson's json_int_t or double range: jansson
 *     refuses them, the edge passes the bytes on (it reads only small
 *     integers, and the worker's mapping refuses what it cannot hold);
 *   - a NUL byte outside strings: jansson takes it for the end of input
 *     and accepts what came before, the edge refuses it (stricter).
 *
 * jansson gets JSON_ALLOW_NUL, as worker/ctns_job.c passes for a payload
 * ("\u0000" is valid JSON, t/test_abuse.py), and JSON_DECODE_ANY, since
 * the check judges any JSON value.
 *
 * On success the event fields must be NUL-terminated within their arrays
 * and the payload span must lie inside the input and be valid JSON itself.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctns_json_check.h"
#include "ctns_normalize.h"


#define CHECK(cond)                                                          \
    if (!(cond)) {                                                           \
        fprintf(stderr, "fuzz_normalize: %s (line %d)\n", #cond, __LINE__);  \
        abort();                                                             \
    }


static int
fuzz_number_limit(const json_error_t *jerr)
{
    return strstr(jerr->text, "too big integer") != NULL
           || strstr(jerr->text, "real number overflow") != NULL
           || strstr(jerr->text, "too big negative integer") != NULL;
}


static void
fuzz_differential(const char *buf, size_t len)
{
    int           ours;
    size_t        off;
    json_t       *root;
    const char   *why;
    json_error_t  jerr;

    why = NULL;
    ours = ctns_json_check(buf, len, &off, &why);
    root = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    if (ours == 0 && root == NULL) {
        if (fuzz_number_limit(&jerr)) {
            return;
        }

        fprintf(stderr, "fuzz_normalize: edge accepts, jansson refuses: "
                "%s at %d\n", jerr.text, jerr.position);
        abort();
    }

    if (ours != 0) {
        CHECK(why != NULL && off <= len);
    }

    if (ours != 0 && root != NULL) {
        json_decref(root);

        if (strcmp(why, "nested too deep") == 0
            || memchr(buf, '\0', off + 1 < len ? off + 1 : len) != NULL)
        {
            return;
        }

        fprintf(stderr, "fuzz_normalize: jansson accepts, edge refuses: "
                "%s at %zu\n", why, off);
        abort();
    }

    json_decref(root);
}


static void
fuzz_terminated(const char *s, size_t size)
{
    CHECK(memchr(s, '\0', size) != NULL);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int            rc;
    char          *owned, err[256];
    size_t         off;
    const char    *buf, *why;
    ctns_event_t   ev;

    buf = (const char *) data;

    fuzz_differential(buf, size);

    memset(&ev, 0, sizeof(ev));
    err[0] = '\0';

    rc = ctns_normalize(buf, size, &ev, &owned, err, sizeof(err));

    CHECK(owned == NULL);

    if (rc == CTNS_NORM_ERROR) {
        CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
        return 0;
    }

    if (rc == CTNS_NORM_TEST) {
        return 0;
    }

    CHECK(rc == CTNS_NORM_OK);

    fuzz_terminated(ev.id, sizeof(ev.id));
    fuzz_terminated(ev.type, sizeof(ev.type));
    fuzz_terminated(ev.rtype, sizeof(ev.rtype));
    fuzz_terminated(ev.rid, sizeof(ev.rid));
    fuzz_terminated(ev.project, sizeof(ev.project));
    fuzz_terminated(ev.store, sizeof(ev.store));
    fuzz_terminated(ev.at, sizeof(ev.at));
    CHECK(ev.id[0] != '\0' && ev.rid[0] != '\0');

    CHECK(ev.payload >= buf && ev.payload_len <= size
          && ev.payload + ev.payload_len <= buf + size);
    CHECK(ctns_json_check(ev.payload, ev.payload_len, &off, &why) == 0);

    return 0;
}
