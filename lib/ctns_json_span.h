/*
 * Copyright (C) ct-netsuite authors
 *
 * Raw byte spans of JSON values inside a document, so that a payload nested
 * in an envelope (Event Grid "data") is passed on exactly as it was sent:
 * re-serializing with jansson would turn 0.07 into 0.070000000000000007.
 * Meant for documents jansson has already accepted; still bounds-checked
 * and non-recursive, so any input is safe.
 */

#ifndef _CTNS_JSON_SPAN_H_INCLUDED_
#define _CTNS_JSON_SPAN_H_INCLUDED_


#include <stddef.h>


typedef struct {
    const char  *p;
    size_t       len;
} ctns_json_span_t;


typedef struct {
    ctns_json_span_t  key;          /* the name without quotes */
    ctns_json_span_t  value;
} ctns_json_member_t;


/*
 * The elements of the array that json (after whitespace) is: up to max of
 * them into items, their count into *n.  -1 when json is not an array or
 * holds more than max elements.
 */
int ctns_json_span_array(const char *json, size_t len, ctns_json_span_t *items,
    size_t max, size_t *n);

/*
 * The value of member key of the object span obj.  1 found, 0 absent, -1
 * malformed (including a member name written with escapes, which jansson
 * would have decoded: refusing it keeps both views the same).
 */
int ctns_json_span_member(const ctns_json_span_t *obj, const char *key,
    ctns_json_span_t *value);

/*
 * Every member of the object span obj, in order, in one pass (reading
 * several fields of a large object without rescanning it).  0, or -1 when
 * malformed or holding more than max members.
 */
int ctns_json_span_members(const ctns_json_span_t *obj, ctns_json_member_t *m,
    size_t max, size_t *n);


#endif /* _CTNS_JSON_SPAN_H_INCLUDED_ */
