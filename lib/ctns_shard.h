/*
 * Copyright (C) ct-netsuite authors
 *
 * Stream sharding.  All events of one resource must land in one stream so
 * that the worker sees them in arrival order: the shard is a stable hash of
 * the resource id alone (FNV-1a, 32 bit) modulo the shard count.  Changing
 * the shard count re-homes resources; drain the streams first (docs).
 */

#ifndef _CTNS_SHARD_H_INCLUDED_
#define _CTNS_SHARD_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define CTNS_SHARDS_DEFAULT  8
#define CTNS_SHARDS_MAX      1024


uint32_t ctns_fnv1a32(const unsigned char *p, size_t len);
unsigned ctns_shard(const unsigned char *rid, size_t len, unsigned shards);


#endif /* _CTNS_SHARD_H_INCLUDED_ */
