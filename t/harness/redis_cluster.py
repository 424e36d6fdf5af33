"""A real Redis Cluster on loopback: masters * (1 + replicas) redis-server
processes on free ports in one temporary directory, joined by
`redis-cli --cluster create`.

    c = RedisCluster(masters=3, replicas=1).start()
    c.address          # "cluster=127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3"
    c.worker_redis     # {"cluster": ["127.0.0.1:p1", ...]}
    r = c.client()     # redis.cluster.RedisCluster, decode_responses=True
    c.move_slots([c.slot_of("ctns:{3}:events")], c.masters()[0])
    new = c.fail_master(c.master_of("ctns:{3}:events"))
    c.cleanup()

It has RedisServer's interface, so the suites run on it unchanged
(CTNS_REDIS_MODE=cluster, harness.redis_server): stop(), kill(), pause()
and resume() act on every node, so "Redis down" or "Redis hung" means the
whole cluster; start() starts the nodes that are not running (they rejoin
from their nodes.conf) and waits until the cluster is whole again.

Ready means: every running node says cluster_state:ok, knows every node,
flags none of the running ones as failing, every replica's link to its
master is up, and all running nodes give the same CLUSTER SLOTS answer.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import redis as redis_py
import redis.cluster
from redis.crc import key_slot

from harness.common import free_port, stop_process, wait_until
from harness.redis_server import RedisServer

NODE_TIMEOUT_MS = 2000
READY_TIMEOUT = 30.0
MIGRATE_BATCH = 100
MIGRATE_TIMEOUT_MS = 10000


class Node(RedisServer):
    """One cluster node: a RedisServer in its own subdirectory whose
    cluster configuration (nodes.conf) survives stop() and start()."""

    def __init__(self, dir, extra=()):
        os.mkdir(dir)
        super().__init__(dir=dir, extra=[
            "--cluster-enabled", "yes",
            # the default bus port, port + 10000, may be past 65535
            "--cluster-port", str(free_port()),
            "--cluster-config-file", os.path.join(dir, "nodes.conf"),
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            "--cluster-announce-ip", "127.0.0.1",
            # a replica syncs at once, not after the default 5 s wait
            "--repl-diskless-sync-delay", "0",
        ] + list(extra))
        self._id = None
        self._admin = None

    def admin(self):
        """A client kept for the harness's own queries (it reconnects
        after a restart)."""
        if self._admin is None:
            self._admin = self.client(socket_timeout=5)
        return self._admin

    @property
    def node_id(self):
        if self._id is None:
            self._id = self.cluster("MYID")
        return self._id

    def cluster_nodes(self):
        """This node's view: {node id: {"port", "flags", "master",
        "slots"}} from CLUSTER NODES."""
        view = {}
        for line in self.cluster("NODES").splitlines():
            f = line.split()
            addr = f[1].split("@")[0]
            view[f[0]] = {"port": int(addr.rsplit(":", 1)[1]),
                          "flags": set(f[2].split(",")),
                          "master": f[3], "slots": f[8:]}
        return view

    def cluster_info(self):
        return dict(line.split(":", 1) for line in
                    self.cluster("INFO").splitlines() if ":" in line)

    def cluster(self, *args, client=None):
        """CLUSTER args, the reply as Redis sent it (redis-py parses
        "CLUSTER NODES" and the like when given as one word)."""
        return (client or self.admin()).execute_command("CLUSTER", *args)

    def is_master(self):
        return self.admin().info("replication")["role"] == "master"

    def __repr__(self):
        return "<Node %s>" % self.address


def _merged(dicts):
    out = {}
    for d in dicts:
        for k, v in d.items():
            if k not in out:
                out[k] = dict(v) if isinstance(v, dict) else v
            elif isinstance(v, dict):
                out[k] = _merged([out[k], v])
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out[k] += v
    return out


class ClusterClient(redis.cluster.RedisCluster):
    """redis-py's cluster client, where the suites' single-node idioms have
    a cluster meaning: CONFIG SET goes to every node the client knows, the
    masters at least (Redis "out of memory" is the whole cluster; CLUSTER
    SLOTS lists a replica only once it replicated something), and XREAD/XREADGROUP over streams in
    several slots is one call per slot, the answers joined (COUNT is per
    stream anyway)."""

    def config_set(self, name, value, *args, **kw):
        kw.setdefault("target_nodes", self.ALL_NODES)
        return super().config_set(name, value, *args, **kw)

    def config_resetstat(self, **kw):
        kw.setdefault("target_nodes", self.ALL_NODES)
        return super().config_resetstat(**kw)

    def info(self, section=None, *args, **kw):
        """INFO of every master merged, as if the cluster were one server:
        numbers summed, other fields from the first master, sections of
        sections (commandstats) merged the same way."""
        if "target_nodes" in kw:
            return super().info(section, *args, **kw)
        per_node = super().info(section, *args,
                                target_nodes=self.PRIMARIES, **kw)
        return _merged(per_node.values())

    def xread(self, streams, count=None, block=None):
        return self._per_slot(super().xread, streams, block,
                              lambda part: dict(count=count, block=block,
                                                streams=part))

    def xreadgroup(self, groupname, consumername, streams, count=None,
                   block=None, noack=False):
        return self._per_slot(super().xreadgroup, streams, block,
                              lambda part: dict(groupname=groupname,
                                                consumername=consumername,
                                                streams=part, count=count,
                                                block=block, noack=noack))

    def _per_slot(self, read, streams, block, args):
        by_slot = {}
        for key, last_id in streams.items():
            by_slot.setdefault(self.keyslot(key), {})[key] = last_id
        if len(by_slot) > 1 and block is not None:
            raise redis_py.exceptions.RedisClusterException(
                "a blocking read cannot span slots %s" % sorted(by_slot))
        out = []
        for part in by_slot.values():
            out.extend(read(**args(part)) or [])
        return out


class RedisCluster:
    """masters masters with replicas replicas each; see the module doc."""

    cluster = True

    def __init__(self, masters=3, replicas=1, extra=()):
        if masters < 3:
            raise ValueError("Redis Cluster needs at least 3 masters")
        self.dir = tempfile.mkdtemp(prefix="ctns-cluster-")
        os.chmod(self.dir, 0o755)
        self.nmasters = masters
        self.replicas = replicas
        self.nodes = [Node(os.path.join(self.dir, "node%d" % i), extra)
                      for i in range(masters * (1 + replicas))]
        self.created = False
        self._masters = self.nodes[:masters]

    # -- what the suites configure ------------------------------------

    @property
    def seeds(self):
        """The masters' addresses (as of the last time the cluster was
        seen whole)."""
        return [n.address for n in self._masters]

    @property
    def address(self):
        return "cluster=" + ",".join(self.seeds)

    @property
    def worker_redis(self):
        return {"cluster": self.seeds}

    @property
    def running(self):
        return all(n.running for n in self.nodes)

    def client(self, **kw):
        kw.setdefault("decode_responses", True)
        kw.setdefault("socket_timeout", 10)
        live = [n for n in self.nodes if n.running]
        return ClusterClient(
            startup_nodes=[redis.cluster.ClusterNode("127.0.0.1", n.port)
                           for n in live], **kw)

    # -- lifecycle -------------------------------------------------------

    def start(self):
        """Starts every node not running; creates the cluster the first
        time; returns once the cluster is ready."""
        for n in self.nodes:
            if not n.running:
                n.start()
        if not self.created:
            self._create()
        self.wait_ready()
        return self

    def _create(self):
        cmd = ["redis-cli", "--cluster", "create"] + \
              [n.address for n in self.nodes] + \
              ["--cluster-replicas", str(self.replicas), "--cluster-yes"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("redis-cli --cluster create failed:\n"
                               + p.stdout + p.stderr)
        self.created = True

    def stop(self):
        """Every node down (SIGTERM to all first: a master stopping alone
        would wait for its replicas)."""
        self._signal_all(signal.SIGTERM)
        for n in self.nodes:
            n.stop()

    def kill(self):
        for n in self.nodes:
            n.kill()

    def pause(self):
        """SIGSTOP every node: the cluster hangs as a whole.  Resume within
        the node timeout (2 s), or nodes may vote each other failed."""
        self._signal_all(signal.SIGSTOP)

    def resume(self):
        self._signal_all(signal.SIGCONT)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self._signal_all(signal.SIGCONT)
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _signal_all(self, signo):
        for n in self.nodes:
            if n.proc is not None and n.proc.poll() is None:
                n.proc.send_signal(signo)

    # -- topology --------------------------------------------------------

    def masters(self):
        """The running masters, in node order."""
        return [n for n in self.nodes if n.running and n.is_master()]

    def replicas_of(self, master):
        mid = master.node_id
        view = self._any_live().cluster_nodes()
        ports = {v["port"] for v in view.values()
                 if v["master"] == mid and "fail" not in v["flags"]}
        return [n for n in self.nodes if n.port in ports]

    def slot_of(self, key):
        if isinstance(key, str):
            key = key.encode()
        return key_slot(key)

    def master_of(self, key):
        return self.owner(self.slot_of(key))

    def owner(self, slot):
        """The node serving slot, as the running nodes agree."""
        for start, end, port in self.slot_map():
            if start <= slot <= end:
                return self._node(port)
        raise LookupError("slot %d not served" % slot)

    def slot_map(self):
        """[(first slot, last slot, master port)] from CLUSTER SLOTS."""
        return sorted((r[0], r[1], r[2][1])
                      for r in self._any_live().cluster("SLOTS"))

    def _node(self, port):
        for n in self.nodes:
            if n.port == port:
                return n
        raise LookupError("no node on port %d" % port)

    def _any_live(self):
        for n in self.nodes:
            if n.running:
                return n
        raise RuntimeError("no cluster node is running")

    # -- readiness ------------------------------------------------------

    def wait_ready(self, timeout=READY_TIMEOUT):
        last = []

        def ready():
            try:
                problem = self._not_ready()
            except redis_py.exceptions.RedisError as e:
                problem = "%s" % e
            last[:] = [problem]
            return problem is None

        try:
            wait_until(ready, timeout=timeout, interval=0.1,
                       what="cluster ready")
        except TimeoutError:
            raise TimeoutError("cluster not ready after %.0f s: %s"
                               % (timeout, last[0]))
        self._masters = self.masters()

    def _not_ready(self):
        """None when ready, else what is missing (for the timeout)."""
        live = [n for n in self.nodes if n.running]
        live_ids = {n.node_id for n in live}
        views = set()
        for n in live:
            info = n.cluster_info()
            if info.get("cluster_state") != "ok":
                return "%r: cluster_state %s" % (n, info.get("cluster_state"))
            if int(info.get("cluster_known_nodes", 0)) != len(self.nodes):
                return "%r knows %s nodes" % (n, info["cluster_known_nodes"])
            view = n.cluster_nodes()
            for nid, v in view.items():
                if nid in live_ids and v["flags"] & {"fail", "fail?",
                                                     "handshake", "noaddr"}:
                    return "%r sees %s as %s" % (n, v["port"], v["flags"])
            repl = n.admin().info("replication")
            if repl["role"] == "slave" and \
                    repl.get("master_link_status") != "up":
                return "%r: link to its master down" % n
            views.add(self._topology(view))
        if len(views) != 1:
            return "nodes disagree on roles or slots"
        return None

    @staticmethod
    def _topology(view):
        """What every node must agree on: each node's role, master, slots
        and whether it failed."""
        return frozenset(
            (nid, "master" in v["flags"], v["master"], tuple(v["slots"]),
             "fail" in v["flags"]) for nid, v in view.items())

    def topology(self, node):
        """node's view of the cluster, in the form wait_ready compares."""
        return self._topology(node.cluster_nodes())

    # -- resharding ----------------------------------------------------

    def move_slots(self, slots, to_node, batch=MIGRATE_BATCH):
        """Moves slots (with their keys) to the master to_node, live, as
        `redis-cli --cluster reshard` does: the target IMPORTING, the
        source MIGRATING (clients get ASK for keys already moved), keys
        MIGRATEd in batches, then the slot assigned on the target, the
        source and every other master."""
        for slot in slots:
            src = self.owner(slot)
            if src is to_node:
                continue
            self._move_slot(slot, src, to_node, batch)
        self.wait_ready()

    def _move_slot(self, slot, src, dst, batch):
        s = src.client(decode_responses=False)     # keys as bytes
        dst.cluster("SETSLOT", slot, "IMPORTING", src.node_id)
        src.cluster("SETSLOT", slot, "MIGRATING", dst.node_id)
        while True:
            keys = src.cluster("GETKEYSINSLOT", slot, batch, client=s)
            if not keys:
                break
            s.execute_command("MIGRATE", "127.0.0.1", dst.port, "", 0,
                              MIGRATE_TIMEOUT_MS, "KEYS", *keys)
        others = [m for m in self.masters() if m is not src and m is not dst]
        for n in [dst, src] + others:
            n.cluster("SETSLOT", slot, "NODE", dst.node_id)

    # -- failover ------------------------------------------------------

    def fail_master(self, node, timeout=20.0):
        """SIGKILLs the master node; waits until one of its replicas is
        master and the cluster is ready again; returns that replica."""
        if not node.is_master():
            raise ValueError("%r is not a master" % node)
        replicas = self.replicas_of(node)
        if not replicas:
            raise ValueError("%r has no replica to promote" % node)
        node.kill()
        promoted = wait_until(
            lambda: next((r for r in replicas if self._is_master(r)), None),
            timeout=timeout, interval=0.1,
            what="a replica of %r promoted" % node)
        self.wait_ready(timeout)
        return promoted

    @staticmethod
    def _is_master(node):
        try:
            return node.is_master()
        except redis_py.exceptions.RedisError:
            return False


@pytest.fixture(scope="module")
def redis_cluster(redis_server):
    """A Redis Cluster for the module: the suites' own one when they run in
    cluster mode (CTNS_REDIS_MODE=cluster), else one started here."""
    if redis_server.cluster:
        yield redis_server
        return
    c = RedisCluster()
    try:
        yield c.start()
    finally:
        c.cleanup()
