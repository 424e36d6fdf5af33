/*
 * Copyright (C) ct-netsuite authors
 *
 * Appending to a growable array of fixed-size items: (items, n, cap).
 */

#ifndef _CTNS_GROW_H_INCLUDED_
#define _CTNS_GROW_H_INCLUDED_


#include <stddef.h>


/*
 * A new zeroed item at the end of *items, doubling the allocation when it
 * is full (first allocation: first items).  NULL when out of memory, the
 * array unchanged.
 */
void *ctns_grow(void **items, size_t *n, size_t *cap, size_t size,
    size_t first);


#endif /* _CTNS_GROW_H_INCLUDED_ */
