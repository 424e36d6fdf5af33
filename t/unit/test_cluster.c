/*
 * Copyright (C) ct-netsuite authors
 *
 * Key slots against Redis' own answers (CLUSTER KEYSLOT of redis-server
 * 7.0.15, and the CRC16 check value of src/crc16.c), hash tags, the key
 * argument of each command we send, redirections, seeds, the slot map.
 */


#include <stdarg.h>

#include "ctns_cluster.h"
#include "ctns_test.h"


static void
test_crc16(void)
{
    /* redis src/crc16.c: "123456789" -> 0x31C3 */
    CHECK_INT(ctns_crc16((const unsigned char *) "123456789", 9), 0x31C3);
    CHECK_INT(ctns_crc16((const unsigned char *) "", 0), 0);
}


static void
test_keyslot(void)
{
    static const struct {
        const char  *key;
        unsigned     slot;
    } v[] = {
        { "foo", 12182 },
        { "somekey", 11058 },
        { "{user1000}.following", 3443 },
        { "{user1000}.followers", 3443 },
        { "foo{}{bar}", 8363 },           /* empty tag: the whole key */
        { "foo{{bar}}zap", 4015 },        /* tag "{bar" */
        { "foo{bar}{zap}", 5061 },        /* first tag only */
        { "ctns:{0}:events", 13907 },
        { "ctns:{7}:seen:x", 1716 },
        { "{", 4092 },                    /* unclosed: the whole key */
        { "}{", 12793 },
        { "a{b", 13340 },
        { "", 0 },
    };

    size_t  i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        CHECK_INT(ctns_cluster_keyslot(v[i].key, strlen(v[i].key)),
                  v[i].slot);
    }

    /* a shard's stream, dedup keys and locks share its slot */
    CHECK_INT(ctns_cluster_keyslot("ctns:{3}:events", 15),
              ctns_cluster_keyslot("ctns:{3}:seen:abc", 17));
    CHECK_INT(ctns_cluster_keyslot("ctns:{3}:lock:order:1", 21),
              ctns_cluster_keyslot("3", 1));

    /* binary keys: the length counts, not a NUL */
    CHECK_INT(ctns_cluster_keyslot("a\0b", 3),
              ctns_crc16((const unsigned char *) "a\0b", 3) & 16383);
}


static int
key_index(int argc, const char **argv)
{
    int     i;
    size_t  lens[16];

    for (i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
    }

    return ctns_cluster_key_index(argc, argv, lens);
}


static void
test_key_index(void)
{
    const char  *xadd[] = { "XADD", "k", "*", "f", "v" };
    const char  *evalsha[] = { "EVALSHA", "abc", "2", "k1", "k2", "a" };
    const char  *eval0[] = { "eval", "return 1", "0" };
    const char  *xinfo[] = { "XINFO", "GROUPS", "s" };
    const char  *xgroup[] = { "XGROUP", "CREATE", "s", "g", "0" };
    const char  *xrg[] = { "XREADGROUP", "GROUP", "g", "c", "COUNT", "1",
                           "STREAMS", "s1", ">" };
    const char  *xrg_bad[] = { "XREADGROUP", "GROUP", "g", "c", "STREAMS" };
    const char  *ping[] = { "PING", "x" };
    const char  *slots[] = { "CLUSTER", "SLOTS" };
    const char  *one[] = { "XLEN" };

    CHECK_INT(key_index(5, xadd), 1);
    CHECK_INT(key_index(6, evalsha), 3);
    CHECK_INT(key_index(3, eval0), -1);
    CHECK_INT(key_index(3, xinfo), 2);
    CHECK_INT(key_index(5, xgroup), 2);
    CHECK_INT(key_index(9, xrg), 7);
    CHECK_INT(key_index(5, xrg_bad), -1);
    CHECK_INT(key_index(2, ping), -1);
    CHECK_INT(key_index(2, slots), -1);
    CHECK_INT(key_index(1, one), -1);
}


static int
kind(const char *err, unsigned *slot, ctns_cluster_addr_t *to)
{
    return ctns_cluster_reply_kind(err, strlen(err), slot, to);
}


static void
test_redirects(void)
{
    unsigned             slot;
    ctns_cluster_addr_t  to;

    slot = 0;

    CHECK_INT(kind("MOVED 3999 127.0.0.1:6381", &slot, &to),
              CTNS_CLUSTER_REPLY_MOVED);
    CHECK_INT(slot, 3999);
    CHECK_STR(to.host, "127.0.0.1");
    CHECK_INT(to.port, 6381);

    CHECK_INT(kind("ASK 16383 [::1]:7001", &slot, &to),
              CTNS_CLUSTER_REPLY_ASK);
    CHECK_INT(slot, 16383);
    CHECK_STR(to.host, "::1");
    CHECK_INT(to.port, 7001);

    CHECK_INT(kind("TRYAGAIN Multiple keys request during rehashing of slot",
                   &slot, &to), CTNS_CLUSTER_REPLY_TRYAGAIN);
    CHECK_INT(kind("CLUSTERDOWN The cluster is down", &slot, &to),
              CTNS_CLUSTER_REPLY_TRYAGAIN);
    CHECK_INT(kind("LOADING Redis is loading the dataset in memory", &slot,
                   &to), CTNS_CLUSTER_REPLY_TRYAGAIN);
    CHECK_INT(kind("MASTERDOWN Link with MASTER is down", &slot, &to),
              CTNS_CLUSTER_REPLY_TRYAGAIN);

    /* answers for the caller, not redirections */
    CHECK_INT(kind("NOSCRIPT No matching script", &slot, &to),
              CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("MOVEDX 1 127.0.0.1:1", &slot, &to),
              CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("ASKING", &slot, &to), CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("MOVED 16384 127.0.0.1:1", &slot, &to),
              CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("MOVED -1 127.0.0.1:1", &slot, &to),
              CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("MOVED 1", &slot, &to), CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("MOVED 1 127.0.0.1", &slot, &to), CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("MOVED 1 127.0.0.1:0", &slot, &to), CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("MOVED 1 redis-a:6379", &slot, &to),
              CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("MOVED 1x 127.0.0.1:1", &slot, &to),
              CTNS_CLUSTER_REPLY_OK);
    CHECK_INT(kind("", &slot, &to), CTNS_CLUSTER_REPLY_OK);
}


static void
test_seeds(void)
{
    int                  n;
    const char          *bad, *s;
    ctns_cluster_addr_t  a[3];

    s = "127.0.0.1:7000,[::1]:7001,10.0.0.3:65535";
    CHECK_INT(ctns_cluster_seeds_parse(s, a, 3, &bad), 3);
    CHECK_STR(a[1].host, "::1");
    CHECK_INT(a[2].port, 65535);

    s = "127.0.0.1:7000,localhost:7001";
    bad = NULL;
    CHECK_INT(ctns_cluster_seeds_parse(s, a, 3, &bad), -1);
    CHECK(bad == s + 15);

    n = ctns_cluster_seeds_parse("127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,"
                                 "127.0.0.1:4", a, 3, &bad);
    CHECK_INT(n, -1);

    CHECK_INT(ctns_cluster_seeds_parse("", a, 3, &bad), -1);
    CHECK_INT(ctns_cluster_seeds_parse("127.0.0.1:1,", a, 3, &bad), -1);
    CHECK_INT(ctns_cluster_seeds_parse("::1:7000", a, 3, &bad), 1);
    CHECK_STR(a[0].host, "::1");
    CHECK_INT(ctns_cluster_seeds_parse("[::1:7000", a, 3, &bad), -1);
    CHECK_INT(ctns_cluster_seeds_parse("127.0.0.1:70000", a, 3, &bad), -1);
    CHECK_INT(ctns_cluster_seeds_parse("127.0.0.1:", a, 3, &bad), -1);
}


/* --- CLUSTER SLOTS replies built by hand --------------------------------- */

static redisReply  pool[64];
static redisReply *ptrs[64];
static int         used;


static redisReply *
r_int(long long v)
{
    redisReply  *r = &pool[used++];

    memset(r, 0, sizeof(*r));
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;

    return r;
}


static redisReply *
r_str(const char *s)
{
    redisReply  *r = &pool[used++];

    memset(r, 0, sizeof(*r));
    r->type = REDIS_REPLY_STRING;
    r->str = (char *) s;
    r->len = strlen(s);

    return r;
}


static redisReply *
r_arr(int n, ...)
{
    int          i;
    va_list      ap;
    redisReply  *r = &pool[used++];

    memset(r, 0, sizeof(*r));
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = &ptrs[used];

    va_start(ap, n);
    for (i = 0; i < n; i++) {
        ptrs[used++] = va_arg(ap, redisReply *);
    }
    va_end(ap);

    return r;
}


static redisReply *
node(const char *host, int port)
{
    return r_arr(3, r_str(host), r_int(port), r_str("0123abcd"));
}


static void
test_map(void)
{
    int                  a, b;
    redisReply          *slots;
    ctns_cluster_map_t   m;
    ctns_cluster_addr_t  x = { "127.0.0.1", 7002 };

    memset(&m, 0, sizeof(m));

    CHECK_INT(ctns_cluster_map_route(&m, "ctns:{0}:events", 15), -1);

    used = 0;
    slots = r_arr(2,
                  r_arr(4, r_int(0), r_int(8191), node("127.0.0.1", 7000),
                        node("127.0.0.1", 7003)),
                  r_arr(3, r_int(8192), r_int(16383),
                        node("127.0.0.1", 7001)));

    CHECK_INT(ctns_cluster_map_load(&m, slots), 0);
    CHECK_INT(m.nnodes, 2);

    a = ctns_cluster_map_route(&m, "ctns:{7}:seen:x", 15);    /* 1716 */
    b = ctns_cluster_map_route(&m, "ctns:{0}:events", 15);    /* 13907 */
    CHECK_INT(m.nodes[a].port, 7000);
    CHECK_INT(m.nodes[b].port, 7001);

    /* a failover: the same slots from a new master; indexes stay stable */
    CHECK_INT(ctns_cluster_map_node(&m, &x), 2);
    CHECK_INT(ctns_cluster_map_node(&m, &x), 2);

    used = 0;
    slots = r_arr(2,
                  r_arr(3, r_int(0), r_int(8191), node("127.0.0.1", 7002)),
                  r_arr(3, r_int(8192), r_int(16383),
                        node("127.0.0.1", 7001)));

    CHECK_INT(ctns_cluster_map_load(&m, slots), 0);
    CHECK_INT(m.nodes[ctns_cluster_map_route(&m, "ctns:{7}:x", 10)].port,
              7002);
    CHECK_INT(ctns_cluster_map_route(&m, "ctns:{0}:events", 15), b);

    /* not a slot table: the map stays as it was */
    used = 0;
    CHECK_INT(ctns_cluster_map_load(&m, r_arr(1, r_arr(2, r_int(0),
                                                       r_int(5)))), -1);
    used = 0;
    CHECK_INT(ctns_cluster_map_load(&m, r_arr(1, r_arr(3, r_int(9),
                                                       r_int(5),
                                                       node("127.0.0.1",
                                                            1)))), -1);
    used = 0;
    CHECK_INT(ctns_cluster_map_load(&m, r_arr(1, r_arr(3, r_int(0),
                                                       r_int(16384),
                                                       node("127.0.0.1",
                                                            1)))), -1);
    used = 0;
    CHECK_INT(ctns_cluster_map_load(&m, r_arr(1, r_arr(3, r_int(0), r_int(1),
                                                       node("?", 1)))), -1);
    CHECK_INT(ctns_cluster_map_load(&m, NULL), -1);
    CHECK_INT(m.nodes[ctns_cluster_map_route(&m, "ctns:{7}:x", 10)].port,
              7002);

    /* a full node table: the map stays, the caller starts over */
    {
        ctns_cluster_map_t   f;
        ctns_cluster_addr_t  y = { "10.0.0.1", 1 };

        memset(&f, 0, sizeof(f));

        for (y.port = 1; y.port <= CTNS_CLUSTER_NODES_MAX; y.port++) {
            CHECK_INT(ctns_cluster_map_node(&f, &y), y.port - 1);
        }

        CHECK_INT(ctns_cluster_map_node(&f, &y), -1);

        used = 0;
        slots = r_arr(1, r_arr(3, r_int(0), r_int(16383),
                               node("10.0.0.1", 7)));
        CHECK_INT(ctns_cluster_map_load(&f, slots), 0);
        CHECK_INT(f.nodes[ctns_cluster_map_route(&f, "k", 1)].port, 7);

        used = 0;
        slots = r_arr(1, r_arr(3, r_int(0), r_int(16383),
                               node("10.0.0.2", 7)));
        CHECK_INT(ctns_cluster_map_load(&f, slots), CTNS_CLUSTER_FULL);
        CHECK_INT(f.nodes[ctns_cluster_map_route(&f, "k", 1)].port, 7);
    }

    /* slots no master serves (a range missing from the reply) route -1 */
    used = 0;
    slots = r_arr(1, r_arr(3, r_int(0), r_int(100), node("127.0.0.1", 7000)));
    CHECK_INT(ctns_cluster_map_load(&m, slots), 0);
    CHECK_INT(ctns_cluster_map_route(&m, "ctns:{0}:events", 15), -1);
}


int
main(void)
{
    test_crc16();
    test_keyslot();
    test_key_index();
    test_redirects();
    test_seeds();
    test_map();

    TEST_DONE();
}
