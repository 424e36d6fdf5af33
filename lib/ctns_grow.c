/*
 * Copyright (C) ct-netsuite authors
 */


#include <stdlib.h>
#include <string.h>

#include "ctns_grow.h"


void *
ctns_grow(void **items, size_t *n, size_t *cap, size_t size, size_t first)
{
    void    *p;
    size_t   ncap;

    if (*n == *cap) {
        ncap = *cap ? *cap * 2 : first;
        p = realloc(*items, ncap * size);
        if (p == NULL) {
            return NULL;
        }

        *items = p;
        *cap = ncap;
    }

    p = (char *) *items + (*n)++ * size;
    memset(p, 0, size);

    return p;
}
