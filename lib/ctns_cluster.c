/*
 * Copyright (C) ct-netsuite authors
 */


#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctns_cluster.h"


/* CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection */

uint16_t
ctns_crc16(const unsigned char *p, size_t len)
{
    int       i;
    uint16_t  crc;

    crc = 0;

    while (len--) {
        crc ^= (uint16_t) (*p++ << 8);

        for (i = 0; i < 8; i++) {
            crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021)
                                 : (uint16_t) (crc << 1);
        }
    }

    return crc;
}


unsigned
ctns_cluster_keyslot(const char *key, size_t len)
{
    size_t  s, e;

    for (s = 0; s < len && key[s] != '{'; s++) { /* void */ }

    if (s < len) {
        for (e = s + 1; e < len && key[e] != '}'; e++) { /* void */ }

        /* "{}" or an unclosed "{" hash the whole key, as Redis does */
        if (e < len && e != s + 1) {
            key += s + 1;
            len = e - s - 1;
        }
    }

    return ctns_crc16((const unsigned char *) key, len) & 16383;
}


static int
ctns_cluster_is(const char *arg, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(arg, name, len) == 0;
}


int
ctns_cluster_key_index(int argc, const char **argv, const size_t *lens)
{
    int  i;

    if (argc < 2) {
        return -1;
    }

    if (ctns_cluster_is(argv[0], lens[0], "EVAL")
        || ctns_cluster_is(argv[0], lens[0], "EVALSHA"))
    {
        /* EVAL script numkeys key...: a script without keys is keyless */
        if (argc < 4 || atoi(argv[2]) < 1) {
            return -1;
        }

        return 3;
    }

    if (ctns_cluster_is(argv[0], lens[0], "XREAD")
        || ctns_cluster_is(argv[0], lens[0], "XREADGROUP"))
    {
        for (i = 1; i + 1 < argc; i++) {
            if (ctns_cluster_is(argv[i], lens[i], "STREAMS")) {
                return i + 1;
            }
        }

        return -1;
    }

    if (ctns_cluster_is(argv[0], lens[0], "XINFO")
        || ctns_cluster_is(argv[0], lens[0], "XGROUP")
        || ctns_cluster_is(argv[0], lens[0], "OBJECT"))
    {
        return argc > 2 ? 2 : -1;
    }

    if (ctns_cluster_is(argv[0], lens[0], "PING")
        || ctns_cluster_is(argv[0], lens[0], "INFO")
        || ctns_cluster_is(argv[0], lens[0], "CLUSTER")
        || ctns_cluster_is(argv[0], lens[0], "SCRIPT")
        || ctns_cluster_is(argv[0], lens[0], "AUTH")
        || ctns_cluster_is(argv[0], lens[0], "SELECT")
        || ctns_cluster_is(argv[0], lens[0], "ASKING"))
    {
        return -1;
    }

    return 1;
}


int
ctns_cluster_addr_parse(const char *s, size_t len, ctns_cluster_addr_t *a)
{
    char            buf[CTNS_CLUSTER_HOST_LEN + 8], *colon, *end;
    long            port;
    unsigned char   bin[16];
    const char     *host;

    if (len == 0 || len >= sizeof(buf)) {
        return -1;
    }

    memcpy(buf, s, len);
    buf[len] = '\0';

    colon = strrchr(buf, ':');
    if (colon == NULL || colon == buf || colon[1] == '\0') {
        return -1;
    }

    *colon = '\0';
    port = strtol(colon + 1, &end, 10);

    if (*end != '\0' || port < 1 || port > 65535) {
        return -1;
    }

    host = buf;

    if (buf[0] == '[') {
        if (colon[-1] != ']') {
            return -1;
        }

        colon[-1] = '\0';
        host = buf + 1;
    }

    /* numeric only: a name would need a blocking resolver */
    if (inet_pton(AF_INET, host, bin) != 1
        && inet_pton(AF_INET6, host, bin) != 1)
    {
        return -1;
    }

    if (strlen(host) >= sizeof(a->host)) {
        return -1;
    }

    strcpy(a->host, host);
    a->port = (int) port;

    return 0;
}


int
ctns_cluster_seeds_parse(const char *s, ctns_cluster_addr_t *addrs, int max,
    const char **bad)
{
    int          n;
    const char  *e;

    n = 0;

    for ( ;; ) {
        e = strchr(s, ',');
        if (e == NULL) {
            e = s + strlen(s);
        }

        if (n == max || ctns_cluster_addr_parse(s, e - s, &addrs[n]) != 0) {
            *bad = s;
            return -1;
        }

        n++;

        if (*e == '\0') {
            return n;
        }

        s = e + 1;
    }
}


static int
ctns_cluster_prefix(const char *err, size_t len, const char *word)
{
    size_t  n;

    n = strlen(word);

    return len >= n && memcmp(err, word, n) == 0
           && (len == n || err[n] == ' ');
}


int
ctns_cluster_reply_kind(const char *err, size_t len, unsigned *slot,
    ctns_cluster_addr_t *to)
{
    int          kind;
    char        *end;
    long         n;
    const char  *p, *last;

    if (ctns_cluster_prefix(err, len, "TRYAGAIN")
        || ctns_cluster_prefix(err, len, "CLUSTERDOWN")
        || ctns_cluster_prefix(err, len, "LOADING")
        || ctns_cluster_prefix(err, len, "MASTERDOWN"))
    {
        return CTNS_CLUSTER_REPLY_TRYAGAIN;
    }

    if (ctns_cluster_prefix(err, len, "MOVED")) {
        kind = CTNS_CLUSTER_REPLY_MOVED;
        p = err + 6;

    } else if (ctns_cluster_prefix(err, len, "ASK")) {
        kind = CTNS_CLUSTER_REPLY_ASK;
        p = err + 4;

    } else {
        return CTNS_CLUSTER_REPLY_OK;
    }

    /* "MOVED <slot> <host>:<port>"; the reply string is NUL-terminated */
    last = err + len;

    if (p >= last || *p < '0' || *p > '9') {
        return CTNS_CLUSTER_REPLY_OK;
    }

    n = strtol(p, &end, 10);

    if (end >= last || *end != ' ' || n < 0 || n >= CTNS_CLUSTER_SLOTS) {
        return CTNS_CLUSTER_REPLY_OK;
    }

    p = end + 1;

    if (ctns_cluster_addr_parse(p, last - p, to) != 0) {
        return CTNS_CLUSTER_REPLY_OK;
    }

    *slot = (unsigned) n;

    return kind;
}


int
ctns_cluster_map_node(ctns_cluster_map_t *m, const ctns_cluster_addr_t *a)
{
    unsigned  i;

    for (i = 0; i < m->nnodes; i++) {
        if (m->nodes[i].port == a->port
            && strcmp(m->nodes[i].host, a->host) == 0)
        {
            return (int) i;
        }
    }

    if (m->nnodes == CTNS_CLUSTER_NODES_MAX) {
        return -1;
    }

    m->nodes[m->nnodes] = *a;

    return (int) m->nnodes++;
}


/* [start, end, [ip, port, id...], replicas...] of CLUSTER SLOTS */

static int
ctns_cluster_range(const redisReply *r, long long *lo, long long *hi,
    ctns_cluster_addr_t *a)
{
    const redisReply  *m;

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3
        || r->element[0]->type != REDIS_REPLY_INTEGER
        || r->element[1]->type != REDIS_REPLY_INTEGER
        || r->element[2]->type != REDIS_REPLY_ARRAY)
    {
        return -1;
    }

    *lo = r->element[0]->integer;
    *hi = r->element[1]->integer;
    m = r->element[2];

    if (*lo < 0 || *hi < *lo || *hi >= CTNS_CLUSTER_SLOTS
        || m->elements < 2
        || m->element[0]->type != REDIS_REPLY_STRING
        || m->element[1]->type != REDIS_REPLY_INTEGER
        || m->element[1]->integer < 1 || m->element[1]->integer > 65535
        || m->element[0]->len >= sizeof(a->host))
    {
        return -1;
    }

    memcpy(a->host, m->element[0]->str, m->element[0]->len);
    a->host[m->element[0]->len] = '\0';
    a->port = (int) m->element[1]->integer;

    return 0;
}


int
ctns_cluster_map_load(ctns_cluster_map_t *m, const redisReply *slots)
{
    int                   node;
    size_t                i;
    long long             lo, hi, s;
    ctns_cluster_addr_t   a;
    uint8_t               next[CTNS_CLUSTER_SLOTS];

    if (slots == NULL || slots->type != REDIS_REPLY_ARRAY
        || slots->elements == 0)
    {
        return -1;
    }

    memset(next, 0, sizeof(next));

    for (i = 0; i < slots->elements; i++) {
        if (ctns_cluster_range(slots->element[i], &lo, &hi, &a) != 0) {
            return -1;
        }

        /* an empty host ("?" in 7.0 when unknown) means: where we asked */
        if (a.host[0] == '\0' || a.host[0] == '?') {
            return -1;
        }

        node = ctns_cluster_map_node(m, &a);
        if (node < 0) {
            return CTNS_CLUSTER_FULL;
        }

        for (s = lo; s <= hi; s++) {
            next[s] = (uint8_t) (node + 1);
        }
    }

    memcpy(m->slot, next, sizeof(next));

    return 0;
}


int
ctns_cluster_map_route(const ctns_cluster_map_t *m, const char *key,
    size_t len)
{
    return (int) m->slot[ctns_cluster_keyslot(key, len)] - 1;
}
