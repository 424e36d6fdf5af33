"""A real redis-server on a free loopback port, in a temporary directory.

With CTNS_REDIS_MODE=cluster the redis_server fixture is a Redis Cluster
instead (harness.redis_cluster.RedisCluster, same interface), so the
suites run unchanged on either (make test-cluster).
"""

import os
import shutil
import signal
import subprocess
import tempfile

import pytest
import redis as redis_py

from harness.common import free_port, stop_process, wait_port, wait_until


class RedisServer:
    """One redis-server; dir is made (a temp dir) unless given."""

    cluster = False

    def __init__(self, port=None, appendonly=False, fsync="everysec",
                 extra=(), dir=None):
        self.dir = dir or tempfile.mkdtemp(prefix="ctns-redis-")
        os.chmod(self.dir, 0o755)
        self.port = port or free_port()
        self.appendonly = appendonly
        self.fsync = fsync
        self.extra = list(extra)
        self.proc = None

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    @property
    def worker_redis(self):
        """The worker configuration's "redis" section (timeouts apart)."""
        return {"address": self.address}

    @property
    def running(self):
        return self.proc is not None

    def start(self):
        args = ["redis-server", "--port", str(self.port),
                "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--daemonize", "no",
                "--logfile", os.path.join(self.dir, "redis.log"),
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", self.fsync] + self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, proc=self.proc)
        wait_until(self._ping, what="redis PING")
        return self

    def _ping(self):
        try:
            return self.client().ping()
        except redis_py.exceptions.RedisError:
            return False

    def client(self, **kw):
        kw.setdefault("decode_responses", True)
        kw.setdefault("socket_timeout", 10)
        return redis_py.Redis(host="127.0.0.1", port=self.port, **kw)

    def stop(self):
        stop_process(self.proc)
        self.proc = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def cluster_mode():
    """CTNS_REDIS_MODE=cluster runs the suites on a Redis Cluster."""
    mode = os.environ.get("CTNS_REDIS_MODE", "standalone")
    if mode not in ("standalone", "cluster"):
        raise pytest.UsageError("CTNS_REDIS_MODE must be standalone or "
                                "cluster, not %r" % mode)
    return mode == "cluster"


@pytest.fixture(scope="module")
def redis_server():
    """The module's Redis: one redis-server, or with CTNS_REDIS_MODE=cluster
    a 3-master, 3-replica Redis Cluster (harness.redis_cluster) with the
    same interface (address, worker_redis, client(), stop/start/pause)."""
    if cluster_mode():
        from harness.redis_cluster import RedisCluster
        srv = RedisCluster()
    else:
        srv = RedisServer()
    try:
        srv.start()
        yield srv
    finally:
        srv.cleanup()


@pytest.fixture
def redis(redis_server):
    """A client of the module's Redis, flushed (every master) before each
    test; a server or node a test stopped or killed is started again."""
    if not redis_server.running:
        redis_server.start()
    c = redis_server.client()
    c.flushall()
    return c
