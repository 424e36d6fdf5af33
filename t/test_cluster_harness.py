"""The Redis Cluster harness itself (harness.redis_cluster): the cluster the
suites run on in CTNS_REDIS_MODE=cluster, its live resharding and its
failover, each checked against what the nodes themselves say."""

import os
import threading
import time

import pytest
import redis as redis_py

from harness.common import wait_until


@pytest.fixture
def cluster(redis_cluster):
    """The module's cluster, whole and flushed."""
    if not redis_cluster.running:
        redis_cluster.start()
    redis_cluster.client().flushall()
    return redis_cluster


def test_suites_redis_follows_the_mode(redis_server, redis):
    """CTNS_REDIS_MODE=cluster gives the suites a cluster and its client;
    otherwise one redis-server.  The configuration strings follow."""
    on_cluster = os.environ.get("CTNS_REDIS_MODE") == "cluster"
    assert redis_server.cluster is on_cluster
    if on_cluster:
        assert redis_server.address.startswith("cluster=127.0.0.1:")
        assert list(redis_server.worker_redis) == ["cluster"]
        assert isinstance(redis, redis_py.cluster.RedisCluster)
    else:
        assert redis_server.worker_redis == {"address":
                                             redis_server.address}
        assert isinstance(redis, redis_py.Redis)


def test_three_masters_three_replicas_agree(cluster):
    masters = cluster.masters()
    assert len(masters) == 3 and len(cluster.nodes) == 6
    for m in masters:
        assert len(cluster.replicas_of(m)) == 1
    assert cluster.seeds == [m.address for m in masters]
    assert cluster.address == "cluster=" + ",".join(cluster.seeds)
    assert cluster.worker_redis == {"cluster": cluster.seeds}
    views = {cluster.topology(n) for n in cluster.nodes}
    assert len(views) == 1
    owners = {port for _, _, port in cluster.slot_map()}
    assert owners == {m.port for m in masters}
    for n in cluster.nodes:
        info = n.cluster_info()
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_assigned"] == "16384"


def test_client_spans_slots(cluster):
    """The suites' idioms on keys of several masters: one client, reads
    over many shard streams, CONFIG SET on every node, FLUSHALL."""
    r = cluster.client()
    keys = ["ctns:{%d}:events" % s for s in range(8)]
    assert len({cluster.master_of(k).port for k in keys}) == 3
    for k in keys:
        r.xgroup_create(k, "g", id="0", mkstream=True)
        r.xadd(k, {"k": k})
    got = r.xreadgroup("g", "c", {k: ">" for k in keys}, count=10)
    assert sorted(s for s, _ in got) == keys
    for k in keys:
        assert cluster.master_of(k).client().xlen(k) == 1
    r.config_set("maxmemory", 1)
    try:
        assert all(n.client().config_get("maxmemory")["maxmemory"] == "1"
                   for n in cluster.masters())
    finally:
        r.config_set("maxmemory", 0)
    r.flushall()
    assert all(m.client().dbsize() == 0 for m in cluster.masters())


def test_move_slots_under_traffic(cluster):
    """Two shards' slots move to another master while a writer appends to
    them: every entry written is on the new owner, none lost."""
    keys = ["ctns:{1}:events", "ctns:{2}:events"]
    slots = [cluster.slot_of(k) for k in keys]
    src = {cluster.owner(s).port for s in slots}
    dst = next(m for m in cluster.masters() if m.port not in src)
    seed = cluster.client()
    for k in keys:
        for i in range(500):
            seed.set("%s:seen:%d" % (k.split(":events")[0], i), i)
    written, errors, stop = [], [], threading.Event()

    def writer():
        r = cluster.client()
        n = 0
        while not stop.is_set():
            k = keys[n % 2]
            try:
                written.append((k, r.xadd(k, {"n": str(n)})))
            except redis_py.exceptions.RedisError as e:
                errors.append(e)
            n += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(0.2)
        t0 = time.monotonic()
        cluster.move_slots(slots, dst)
        took = time.monotonic() - t0
        time.sleep(0.2)
    finally:
        stop.set()
        t.join()
    assert not errors, errors[:3]
    assert took < 10
    assert all(cluster.owner(s) is dst for s in slots)
    d = dst.client()
    for k in keys:
        ids = [i for i, _ in d.xrange(k)]
        assert ids == [i for kk, i in written if kk == k]
        assert d.exists("%s:seen:499" % k.split(":events")[0])
    assert len(written) > 50
    for n in cluster.nodes:
        if n.is_master() and n is not dst:
            assert all(n.client().execute_command("CLUSTER",
                                                  "COUNTKEYSINSLOT", s) == 0
                       for s in slots)


def test_fail_master_promotes_its_replica(cluster):
    key = "ctns:{5}:events"
    r = cluster.client()
    eid = r.xadd(key, {"a": "b"})
    old = cluster.master_of(key)
    [replica] = cluster.replicas_of(old)
    assert old.client().wait(1, 5000) == 1     # the replica has the entry
    t0 = time.monotonic()
    new = cluster.fail_master(old)
    took = time.monotonic() - t0
    assert new is replica and new.is_master()
    assert took < 10, took
    assert cluster.master_of(key) is new
    assert [i for i, _ in cluster.client().xrange(key)] == [eid]
    assert old.address not in cluster.seeds
    assert new.address in cluster.seeds

    cluster.start()                       # the old master rejoins
    assert not old.is_master()
    assert cluster.replicas_of(new) == [old]


def test_stop_start_pause_resume_act_on_every_node(cluster):
    cluster.pause()
    try:
        c = cluster.nodes[0].client(socket_timeout=0.3)
        with pytest.raises(redis_py.exceptions.TimeoutError):
            c.ping()
    finally:
        cluster.resume()
    wait_until(lambda: cluster._not_ready() is None, timeout=10,
               what="cluster ready after resume")

    cluster.stop()
    assert not cluster.running
    assert all(n.proc is None for n in cluster.nodes)
    cluster.start()
    r = cluster.client()
    r.set("k", "v")
    assert r.get("k") == "v"
