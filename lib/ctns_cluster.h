/*
 * Copyright (C) ct-netsuite authors
 *
 * Redis Cluster routing without a cluster-aware client (bookworm's hiredis
 * 0.14 has none): key slots (CRC16-XMODEM with hash tags, as in Redis'
 * src/cluster.c keyHashSlot), the key argument of the commands we send,
 * MOVED/ASK redirections, seed lists, and the slot -> node map built from
 * CLUSTER SLOTS.  Shared by the nginx module and the worker.
 */

#ifndef _CTNS_CLUSTER_H_INCLUDED_
#define _CTNS_CLUSTER_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>


#define CTNS_CLUSTER_SLOTS      16384
#define CTNS_CLUSTER_NODES_MAX  64
#define CTNS_CLUSTER_HOST_LEN   64       /* IPv6 text form fits */

/* followed per command before the caller gets an error (503 / retry) */
#define CTNS_CLUSTER_REDIRECTS  16


#define CTNS_CLUSTER_REPLY_OK         0
#define CTNS_CLUSTER_REPLY_MOVED      1
#define CTNS_CLUSTER_REPLY_ASK        2
#define CTNS_CLUSTER_REPLY_TRYAGAIN   3  /* TRYAGAIN, CLUSTERDOWN, LOADING,
                                            MASTERDOWN: back off, resend */


typedef struct {
    char        host[CTNS_CLUSTER_HOST_LEN];
    int         port;
} ctns_cluster_addr_t;


typedef struct {
    ctns_cluster_addr_t  nodes[CTNS_CLUSTER_NODES_MAX];
    unsigned             nnodes;
    uint8_t              slot[CTNS_CLUSTER_SLOTS];   /* node index + 1,
                                                        0: not served */
} ctns_cluster_map_t;


uint16_t ctns_crc16(const unsigned char *p, size_t len);

/* The slot of a key: the first non-empty {...} part, else the whole key. */
unsigned ctns_cluster_keyslot(const char *key, size_t len);

/*
 * The argument that routes a command: 1 for ordinary single-key commands,
 * the first key of EVAL/EVALSHA, the stream of XINFO/XGROUP, the first
 * stream of XREAD/XREADGROUP; -1 for keyless commands (any node will do).
 */
int ctns_cluster_key_index(int argc, const char **argv, const size_t *lens);

/*
 * Classifies an error reply; for MOVED and ASK fills slot and the target
 * (host, port).  An ERROR that is none of these is CTNS_CLUSTER_REPLY_OK:
 * an answer for the caller.
 */
int ctns_cluster_reply_kind(const char *err, size_t len, unsigned *slot,
    ctns_cluster_addr_t *to);

/*
 * "host:port" or "[v6]:port" with a numeric address (no resolver: the
 * module cannot block on DNS); 0 or -1.
 */
int ctns_cluster_addr_parse(const char *s, size_t len,
    ctns_cluster_addr_t *a);

/*
 * A seed list "a:p,b:p,..." into addrs (at most max); the count, or -1
 * with *bad pointing at the offending entry.
 */
int ctns_cluster_seeds_parse(const char *s, ctns_cluster_addr_t *addrs,
    int max, const char **bad);

/* The node index of an address in the map, added when new; -1 when full. */
int ctns_cluster_map_node(ctns_cluster_map_t *m, const ctns_cluster_addr_t *a);

/*
 * Rebuilds the map from a CLUSTER SLOTS reply (masters only; node indexes
 * of known addresses are kept stable).  0; -1 when the reply is not a slot
 * table; CTNS_CLUSTER_FULL when it names a master the node table has no
 * room for (nodes replaced by new addresses, failover after failover): the
 * caller forgets every node but the seeds and asks again.  The map is left
 * as it was on error.
 */
#define CTNS_CLUSTER_FULL  -2

int ctns_cluster_map_load(ctns_cluster_map_t *m, const redisReply *slots);

/* The node serving a key, or -1 when the map does not know its slot yet. */
int ctns_cluster_map_route(const ctns_cluster_map_t *m, const char *key,
    size_t len);


#endif /* _CTNS_CLUSTER_H_INCLUDED_ */
