/*
 * Copyright (C) ct-netsuite authors
 */


#include "ctns_shard.h"


uint32_t
ctns_fnv1a32(const unsigned char *p, size_t len)
{
    uint32_t  h;

    h = 2166136261u;

    while (len--) {
        h ^= *p++;
        h *= 16777619u;
    }

    return h;
}


unsigned
ctns_shard(const unsigned char *rid, size_t len, unsigned shards)
{
    if (shards <= 1) {
        return 0;
    }

    return ctns_fnv1a32(rid, len) % shards;
}
