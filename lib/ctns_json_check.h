/*
 * Copyright (C) ct-netsuite authors
 *
 * A strict RFC 8259 check of a whole JSON document in one pass, without
 * building a tree: the edge reads a handful of fields of a large order
 * message, and jansson's allocation of every node was most of its cost.
 * Strings must be valid UTF-8 (no overlongs, no surrogates), nesting is
 * bounded.  Together with lib/ctns_json_span.h it gives raw value spans,
 * decoded here into C strings and integers.
 */

#ifndef _CTNS_JSON_CHECK_H_INCLUDED_
#define _CTNS_JSON_CHECK_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "ctns_json_span.h"


#define CTNS_JSON_MAX_DEPTH  64


/* 0 when valid; -1 with *off at the first offending byte and *why. */
int ctns_json_check(const char *p, size_t len, size_t *off,
    const char **why);

/*
 * A string value span into dst (NUL-terminated, escapes decoded).
 * 0, or -1 when not a string, too long, or holding a NUL.
 */
int ctns_json_str(const ctns_json_span_t *v, char *dst, size_t size);

/* An integer value span; -1 when not an integer or out of range. */
int ctns_json_int64(const ctns_json_span_t *v, int64_t *out);


#endif /* _CTNS_JSON_CHECK_H_INCLUDED_ */
