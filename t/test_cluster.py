"""Redis Cluster end to end: nginx -> a 3 + 3 cluster -> ctns-worker ->
NetSuite, while the cluster changes under the traffic.

Each test starts its own cluster (3 masters, one replica each), the real
nginx with the module in cluster mode and the real worker.  Signed
deliveries of orders with known ids flow like from a real sender: one not
acknowledged with a 2xx is sent again (harness/ledger.py).  At the end the
ledger must balance: every acknowledged delivery is in a shard stream
exactly once and in NetSuite exactly once (one sales order per external
id), nothing else is in either.

* live resharding of the slots of two shards (TRYAGAIN and ASK while
  their keys sit on both masters, MOVED after) loses nothing and stores
  nothing twice;
* a coordinated failover (CLUSTER FAILOVER on the replica) loses nothing;
* a killed master: Redis replicates asynchronously, so writes its replica
  had not received when it died are gone (docs/scaling.md); the test
  asserts what the programs promise: 503 with Retry-After for the dead
  master's shards during the window, 2xx again after the promotion
  without a restart, the worker posting on, no duplicate record, and a
  loss, if any, only on the dead master's shards;
* the status location and the metrics read each key on the master owning
  its slot.
"""

import collections
import json
import re
import threading
import time

import pytest

from harness.common import wait_until
from harness.ledger import Traffic, balance, order_message
from harness.redis_cluster import RedisCluster
from harness.status import get
from harness.webhook import SECRET, post, shard_of, sign
from harness.worker import Workers, stream_key

SHARDS = 8

SERVER = """
        location = /ct {
            ct_netsuite_webhook;
            ct_netsuite_auth hmac secret_file=keys/hmac.secret;
        }
        location /ct/status/ {
            ct_netsuite_status;
        }
        location = /metrics {
            ct_netsuite_metrics;
        }
"""


@pytest.fixture
def cluster():
    c = RedisCluster(masters=3, replicas=1).start()
    yield c
    c.cleanup()


@pytest.fixture
def cluster_workers(cluster, netsuite):
    ws = Workers(cluster, netsuite)
    yield ws
    ws.cleanup()


def start_nginx(nginx_factory, cluster):
    """nginx (2 worker processes) in cluster mode: webhook, status and
    metrics.  Returns it once a first delivery went through to Redis,
    with the sender of that delivery (for the ledger)."""
    http = ("ct_netsuite_redis %s timeout=1s;\n"
            "    ct_netsuite_stream ctns shards=%d maxlen=0;"
            % (cluster.address, SHARDS))
    n = nginx_factory(http=http, server=SERVER, workers=2)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    first = Probe(n.port, [order_message(0, "FIRST")]).start().join()
    assert first.acked, "no delivery accepted: %s" % dict(first.codes)
    return n, first


def start_worker(ws, cluster, count=1):
    conf = ws.config(retry={"base_ms": 50, "cap_ms": 1000,
                            "max_attempts": 60})
    conf["redis"] = dict(cluster.worker_redis, timeout_ms=2000)
    return [ws.start(conf) for _ in range(count)]


def orders(count, prefix="CLU"):
    return [order_message(n, prefix) for n in range(count)]


def orders_on(shards, count, prefix):
    """count fresh orders whose resource ids hash to one of shards."""
    out = []
    while len(out) < count:
        m = order_message(len(out), prefix)
        if shard_of(m["resource"]["id"], SHARDS) in shards:
            out.append(m)
    return out


class Senders:
    """Several senders seen by balance() as one (their deliveries and
    acknowledgements joined)."""

    def __init__(self, *senders):
        self.senders = senders
        self.sent, self.acked = {}, {}
        self.codes = collections.Counter()

    def join(self):
        for s in self.senders:
            s.join()
            self.sent.update(s.sent)
            self.acked.update(s.acked)
            self.codes.update(s.codes)
        return self


class Probe:
    """One sender delivering messages one after another, each until it is
    acknowledged, keeping every answer (time, status, Retry-After) and
    when each delivery was acknowledged; stop() ends it after the
    delivery under way."""

    def __init__(self, port, messages):
        self.port = port
        self.messages = list(messages)
        self.sent, self.acked, self.acked_at = {}, {}, {}
        self.codes = collections.Counter()
        self.answers = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()
        return self

    def join(self):
        self.thread.join()
        return self

    def _run(self):
        for m in self.messages:
            if self.stopped.is_set():
                return
            self._deliver(m)
            time.sleep(0.03)

    def _deliver(self, m):
        body = json.dumps(m).encode()
        self.sent[m["id"]] = m["resource"]["id"]
        for _ in range(300):
            try:
                st, hd, _ = post(self.port, "/ct", body, sign(body),
                                 timeout=10)
            except OSError:
                st, hd = None, {}
            now = time.monotonic()
            self.codes[st] += 1
            self.answers.append((now, st, hd.get("retry-after")))
            if st in (200, 202):
                self.acked[m["id"]] = m["resource"]["id"]
                self.acked_at[m["id"]] = now
                return
            time.sleep(0.1)


def stream_counts(client):
    """message id -> how many times it is in any shard stream."""
    ids = collections.Counter()
    for s in range(SHARDS):
        for _, fields in client.xrange(stream_key(s)):
            ids[fields["id"]] += 1
    return ids


def check_ledger(client, netsuite, senders, timeout=120, lost_ok=()):
    """The ledger balances; every acknowledged delivery is in a stream
    exactly once.  lost_ok: message ids that may be missing from both
    (acknowledged by a master that died before its replica had them)."""
    summary, found = balance(client, netsuite, senders, timeout)
    print("ledger:", json.dumps(summary), "answers:", dict(senders.codes))
    assert not found["unacked"], \
        "never acknowledged: %d" % len(found["unacked"])
    for what in ("duplicates", "strangers", "doubled", "unknown_dead",
                 "reasonless"):
        assert not found[what], (what, found[what])
    assert not summary["dead"], summary
    lost = set(found["lost"])
    assert lost <= set(lost_ok), \
        "acknowledged, neither in NetSuite nor dead: %s" \
        % sorted(lost - set(lost_ok))[:5]

    counts = stream_counts(client)
    twice = {m: c for m, c in counts.items() if c > 1}
    assert not twice, "stored more than once: %s" % twice
    missing = [m for m in senders.acked if m not in counts
               and m not in lost_ok]
    assert not missing, "acknowledged, in no stream: %s" % missing[:5]
    return summary, lost


def coordinated_failover(cluster, master):
    """CLUSTER FAILOVER on master's replica: the replica catches up with
    the master's writes, then takes over; returns the new master."""
    replica = cluster.replicas_of(master)[0]
    replica.cluster("FAILOVER")
    wait_until(lambda: replica.is_master() and not master.is_master(),
               timeout=20, interval=0.1, what="coordinated failover")
    cluster.wait_ready()
    return replica


def metric(port, name):
    """{labels text: value} of one metric in the exposition."""
    st, _, text = get(port, "/metrics")
    assert st == 200, text
    rx = re.compile(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), re.M)
    return {m.group(1) or "": float(m.group(2)) for m in rx.finditer(text)}


# --- resharding ----------------------------------------------------------


def stalled_move(cluster, key, dst, hold=0.7):
    """Moves key's slot to dst the way an interrupted `redis-cli --cluster
    reshard` would leave it for a while: migration opened and held (every
    key still on the source), then the stream alone migrated and held (its
    duplicate guards and locks still on the source: ASK for the stream),
    then cluster.move_slots() finishes the move."""
    slot = cluster.slot_of(key)
    src = cluster.owner(slot)
    dst.cluster("SETSLOT", slot, "IMPORTING", src.node_id)
    src.cluster("SETSLOT", slot, "MIGRATING", dst.node_id)
    time.sleep(hold)
    src.admin().execute_command("MIGRATE", "127.0.0.1", dst.port, key, 0,
                                10000)
    time.sleep(hold)
    cluster.move_slots([slot], dst)


def test_live_resharding_of_two_shards(nginx_factory, cluster,
                                       cluster_workers, netsuite):
    """Shards {0} and {1} move to another master while deliveries flow
    into them and two workers consume them."""
    n, first = start_nginx(nginx_factory, cluster)
    start_worker(cluster_workers, cluster, count=2)
    moved = [stream_key(0), stream_key(1)]
    before = {cluster.master_of(k) for k in moved}
    # a master that owns neither shard: both slots move there
    target = next(m for m in cluster.masters() if m not in before)

    traffic = Traffic(n.port, orders(480), threads=6, rate=60).start()
    probe = Probe(n.port, orders_on({0, 1}, 300, "PRB")).start()
    time.sleep(2.0)
    client = cluster.client()
    assert all(client.xlen(k) > 0 for k in moved), "no traffic in shards"
    t0 = time.monotonic()
    for k in moved:
        stalled_move(cluster, k, target)
    t1 = time.monotonic()
    assert traffic.running(), "the move did not happen under traffic"
    time.sleep(1.5)
    probe.stop().join()
    assert all(cluster.master_of(k) is target for k in moved)

    # deliveries into a migrating shard: 503 with Retry-After (the script
    # meets TRYAGAIN until the slot's last key moved), never anything else;
    # accepted again once the slot is home
    during = collections.Counter(a[1] for a in probe.answers
                                 if t0 <= a[0] <= t1)
    print("moved 2 slots in %.1f s; answers meanwhile: %s"
          % (t1 - t0, dict(during)))
    assert set(probe.codes) <= {200, 202, 503}, probe.codes
    assert all(a[2] for a in probe.answers if a[1] == 503)
    assert any(t > t1 for t in probe.acked_at.values())

    summary, _ = check_ledger(client, netsuite,
                              Senders(traffic, probe, first))
    assert summary["synced"] == 481 + len(probe.sent)

    # both shards took deliveries before and after their move, now on
    # the target (stream entry ids are arrival times in ms)
    t0_ms = int((time.time() - (time.monotonic() - t0)) * 1000)
    t1_ms = int((time.time() - (time.monotonic() - t1)) * 1000)
    for k in moved:
        ids = [int(i.split("-")[0]) for i, _ in target.client().xrange(k)]
        assert any(i < t0_ms for i in ids) and any(i > t1_ms for i in ids), k


# --- failover ------------------------------------------------------------


def test_coordinated_failover_loses_nothing(nginx_factory, cluster,
                                            cluster_workers, netsuite):
    n, first = start_nginx(nginx_factory, cluster)
    start_worker(cluster_workers, cluster)
    # shard 1's master holds most shards of the default split
    old = cluster.master_of(stream_key(1))
    traffic = Traffic(n.port, orders(240), threads=6, rate=60).start()
    time.sleep(1.5)
    new = coordinated_failover(cluster, old)
    assert traffic.running(), "the failover did not happen under traffic"
    assert cluster.master_of(stream_key(1)) is new

    summary, _ = check_ledger(cluster.client(), netsuite,
                              Senders(traffic, first))
    assert summary["synced"] == 241


def test_killed_master_503_then_recovery(nginx_factory, cluster,
                                         cluster_workers, netsuite):
    n, first = start_nginx(nginx_factory, cluster)
    workers = start_worker(cluster_workers, cluster)
    victim = cluster.master_of(stream_key(0))
    victim_shards = {s for s in range(SHARDS)
                     if cluster.master_of(stream_key(s)) is victim}

    traffic = Traffic(n.port, orders(200), threads=4, rate=40).start()
    probe = Probe(n.port, orders_on(victim_shards, 400, "PRB")).start()
    time.sleep(1.5)
    t_kill = time.monotonic()
    promoted = cluster.fail_master(victim)
    t_ok = time.monotonic()
    with traffic.lock:
        acked_before = dict(traffic.acked)
    print("master on %d killed, replica on %d promoted after %.1f s"
          % (victim.port, promoted.port, t_ok - t_kill))

    # after the promotion everything gets through and nothing is lost
    after = Traffic(n.port, orders(80, "AFT"), threads=4).start()
    time.sleep(3.0)
    probe.stop().join()

    window = [a for a in probe.answers if t_kill <= a[0] <= t_ok]
    refused = [a for a in window if a[1] == 503]
    assert refused, "no 503 for the dead master's shards: %s" \
        % collections.Counter(a[1] for a in window)
    assert all(a[2] for a in refused), "503 without Retry-After"
    assert all(a[1] in (200, 202, 503) for a in probe.answers), \
        collections.Counter(a[1] for a in probe.answers)
    late = [a for a in probe.answers if a[0] > t_ok + 1.0]
    assert late and all(a[1] in (200, 202) for a in late), \
        collections.Counter(a[1] for a in late)
    # nginx followed the new master without a restart
    assert len(n.worker_pids()) == 2

    # what asynchronous replication may have dropped: deliveries to the
    # dead master's shards acknowledged before the promotion
    may_lose = {m for m, oid in acked_before.items()
                if shard_of(oid, SHARDS) in victim_shards}
    may_lose |= {m for m, t in probe.acked_at.items() if t <= t_ok}
    summary, lost = check_ledger(cluster.client(), netsuite,
                                 Senders(traffic, probe, after, first),
                                 timeout=60, lost_ok=may_lose)
    print("lost to asynchronous replication: %d of %d acknowledged"
          % (len(lost), summary["acknowledged"]))
    assert all(w.alive() for w in workers)


# --- status and metrics ----------------------------------------------------


def spread_orders(cluster, per_master, prefix):
    """Orders whose status hashes are on every master, per_master each."""
    out, count = [], collections.Counter()
    while len(out) < per_master * 3:
        m = order_message(len(out), prefix)
        owner = cluster.master_of("ctns:status:order:"
                                  + m["resource"]["id"]).port
        if count[owner] < per_master:
            count[owner] += 1
            out.append(m)
    return out


def test_status_and_metrics_route_by_slot(nginx_factory, cluster,
                                          cluster_workers, netsuite):
    n, first = start_nginx(nginx_factory, cluster)
    start_worker(cluster_workers, cluster)
    msgs = spread_orders(cluster, 8, "STA")
    traffic = Traffic(n.port, msgs, threads=4).start()
    check_ledger(cluster.client(), netsuite, Senders(traffic, first),
                 timeout=60)

    for m in msgs:
        oid = m["resource"]["id"]
        st, _, body = get(n.port, "/ct/status/orders/" + oid)
        assert st == 200 and body["state"] == "synced", body
        assert body["audit"][0]["event"] == m["id"]
        number = m["order"]["orderNumber"]
        st, _, body = get(n.port, "/ct/status/orders/by-number/" + number)
        assert st == 200 and body["id"] == oid, body
        st, _, ev = get(n.port, "/ct/status/events/" + m["id"])
        assert st == 200 and ev["state"] == "synced", ev
        assert ev["stream"]["shard"] == shard_of(oid, SHARDS)

    stored = list(first.sent.values()) + [m["resource"]["id"] for m in msgs]
    by_shard = collections.Counter(shard_of(oid, SHARDS) for oid in stored)

    def summary_and_metrics():
        st, _, summary = get(n.port, "/ct/status/")
        assert st == 200, summary
        assert [s["length"] for s in summary["shards"]] == \
            [by_shard[s] for s in range(SHARDS)]
        assert summary["total"]["pending"] == 0
        assert summary["dlq"]["length"] == 0
        length = metric(n.port, "ctns_stream_length")
        assert length == {'{shard="%d"}' % s: by_shard[s]
                          for s in range(SHARDS)}
        assert sum(metric(n.port, "ctns_stream_pending").values()) == 0

    summary_and_metrics()
    # the same once shard 0's slot moved: the reads follow MOVED
    k = stream_key(0)
    cluster.move_slots([cluster.slot_of(k)],
                       next(m for m in cluster.masters()
                            if m is not cluster.master_of(k)))
    summary_and_metrics()
