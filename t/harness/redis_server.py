"""A real redis-server on a free loopback port, in a temporary directory."""

import os
import shutil
import signal
import subprocess
import tempfile

import pytest
import redis as redis_py

from harness.common import free_port, stop_process, wait_port, wait_until


class RedisServer:
    def __init__(self, port=None, appendonly=False, fsync="everysec",
                 extra=()):
        self.dir = tempfile.mkdtemp(prefix="ctns-redis-")
        os.chmod(self.dir, 0o755)
        self.port = port or free_port()
        self.appendonly = appendonly
        self.fsync = fsync
        self.extra = list(extra)
        self.proc = None

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

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
        return redis_py.Redis(host="127.0.0.1", port=self.port,
                              decode_responses=True, socket_timeout=10, **kw)

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


@pytest.fixture(scope="module")
def redis_server():
    srv = RedisServer().start()
    yield srv
    srv.cleanup()


@pytest.fixture
def redis(redis_server):
    """A client of the module's redis-server, flushed before each test."""
    if redis_server.proc is None:
        redis_server.start()
    c = redis_server.client()
    c.flushall()
    return c
