"""ctns-worker processes for tests, with a generated configuration.

    def test_x(redis, netsuite, workers):
        w = workers.start()                    # run -c <generated config>
        enqueue(redis, event_from_file("customer-created.json"))
        wait_until(lambda: status(redis, "customer", cid)["state"] == "synced")

The configuration points at the module's redis_server and the NetSuite
simulator, takes the mapping sections from t/fixtures/config/mapping.json
and keeps every secret in a file referenced as "file:/path", as operators
are told to.  Events are XADDed exactly as the nginx module writes them
(lib/ctns_event.h), into the shard stream the module would choose
(FNV-1a 32 of the resource id, lib/ctns_shard.c).
"""

import copy
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from harness.common import build_path, fixture_path, wait_until
from harness.netsuite import default_credentials

PREFIX = "ctns"
SHARDS = 8
GROUP = "ctns-workers"
MESSAGES = ("commercetools", "messages")


def fnv1a32(data):
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def shard_of(rid, shards=SHARDS):
    return fnv1a32(rid.encode()) % shards


def stream_key(shard, prefix=PREFIX):
    return "%s:{%d}:events" % (prefix, shard)


def load_message(name):
    with open(fixture_path(*MESSAGES, name)) as fh:
        return json.load(fh)


def event_fields(msg, src="hmac"):
    """The stream entry the module writes for a commercetools message."""
    res = msg["resource"]
    body = msg.get(res["typeId"]) or {}
    store = (body.get("store") or {}).get("key", "")
    return {"id": msg["id"], "type": msg["type"],
            "resource": "%s/%s" % (res["typeId"], res["id"]),
            "rv": str(msg.get("resourceVersion", 0)),
            "seq": str(msg.get("sequenceNumber", 0)),
            "project": msg.get("projectKey", ""), "store": store,
            "at": msg.get("createdAt", ""), "src": src,
            "rx": str(int(time.time() * 1000)),
            "payload": json.dumps(msg, separators=(",", ":"))}


def event_from_file(name, **changes):
    """Fields of a fixture message; changes patch the message first."""
    msg = load_message(name)
    msg.update(changes)
    return event_fields(msg)


def enqueue(redis, fields, prefix=PREFIX, shards=SHARDS):
    rid = fields["resource"].split("/", 1)[1]
    return redis.xadd(stream_key(shard_of(rid, shards), prefix), fields)


def status(redis, rtype, rid, prefix=PREFIX):
    return redis.hgetall("%s:status:%s:%s" % (prefix, rtype, rid))


def audit(redis, rtype, rid, prefix=PREFIX):
    return [f for _, f in redis.xrange("%s:audit:%s:%s" % (prefix, rtype,
                                                          rid))]


def dlq(redis, prefix=PREFIX):
    return redis.xrange(prefix + ":dlq")


def pending(redis, prefix=PREFIX, shards=SHARDS):
    n = 0
    for s in range(shards):
        try:
            n += redis.xpending(stream_key(s, prefix), GROUP)["pending"]
        except Exception:            # no stream or group yet
            pass
    return n


def unread(redis, prefix=PREFIX, shards=SHARDS):
    """Shards whose group has not read every entry yet (a worker that
    polls, as on a cluster, may not have seen an entry enqueued just now)."""
    n = 0
    for s in range(shards):
        key = stream_key(s, prefix)
        if not redis.exists(key):
            continue
        last = redis.xinfo_stream(key)["last-generated-id"]
        groups = redis.xinfo_groups(key)
        n += not groups or groups[0]["last-delivered-id"] != last
    return n


def drained(redis, prefix=PREFIX, shards=SHARDS):
    """Every entry read, acknowledged, and no retry scheduled."""
    return unread(redis, prefix, shards) == 0 \
        and pending(redis, prefix, shards) == 0 \
        and redis.zcard("%s:retry" % prefix) == 0


def base_config(redis_server, netsuite, secrets_dir, auth="tba", **over):
    """A complete worker configuration as a dict."""
    creds = default_credentials()

    def secret(name, value):
        path = os.path.join(secrets_dir, name)
        with open(path, "w") as fh:
            fh.write(value + "\n")
        os.chmod(path, 0o600)
        return "file:" + path

    if auth == "tba":
        auth_conf = {"type": "tba",
                     "consumer_key": secret("ck", creds["consumer_key"]),
                     "consumer_secret": secret("cs",
                                               creds["consumer_secret"]),
                     "token_id": secret("ti", creds["token_id"]),
                     "token_secret": secret("ts", creds["token_secret"])}
    else:
        alg = "ES256" if auth == "oauth2-es256" else "PS256"
        key = creds["ec_private_key"] if alg == "ES256" else \
            creds["rsa_private_key"]
        kid = creds["ec_kid"] if alg == "ES256" else creds["rsa_kid"]
        with open(key) as fh:
            pem = fh.read()
        auth_conf = {"type": "oauth2", "client_id": creds["client_id"],
                     "certificate_id": kid, "algorithm": alg,
                     "private_key": secret("m2m.pem", pem)}

    with open(fixture_path("config", "mapping.json")) as fh:
        conf = json.load(fh)

    conf.update({
        "redis": dict(redis_server.worker_redis, timeout_ms=5000),
        "stream": {"prefix": PREFIX, "shards": SHARDS},
        "netsuite": {"account_id": creds["account_id"],
                     "base_url": netsuite.url, "auth": auth_conf,
                     "concurrency": 5, "timeout_ms": 5000,
                     "connect_timeout_ms": 1000},
        "retry": {"base_ms": 50, "cap_ms": 400, "max_attempts": 8},
        "worker": {"claim_idle_ms": 2000, "lock_ttl_ms": 3000,
                   "poll_ms": 20, "drain_timeout_ms": 10000},
        "log": {"level": "info"},
    })
    for section, values in over.items():
        if values is None:
            conf.pop(section, None)
        elif isinstance(values, dict) and isinstance(conf.get(section),
                                                     dict):
            conf[section].update(values)
        else:
            conf[section] = values
    return conf


class Worker:
    """One ctns-worker process."""

    def __init__(self, conf_path, log_path, args=(), command="run"):
        self.conf_path = conf_path
        self.log_path = log_path
        self.args = list(args)
        self.command = command
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [build_path("ctns-worker"), self.command, "-c", self.conf_path]
            + self.args, stdout=self.log, stderr=self.log)
        return self

    def signal(self, signo):
        self.proc.send_signal(signo)

    def stop(self, timeout=20):
        """SIGTERM, then wait for the drain; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def logs(self):
        """The JSON log lines written so far, parsed."""
        out = []
        with open(self.log_path, "rb") as fh:
            for line in fh:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"raw": line.decode(errors="replace")})
        return out

    def text(self):
        with open(self.log_path, "rb") as fh:
            return fh.read().decode(errors="replace")


class Workers:
    """Writes configurations and runs ctns-worker commands in a temp dir."""

    def __init__(self, redis_server, netsuite):
        self.redis_server = redis_server
        self.netsuite = netsuite
        self.dir = tempfile.mkdtemp(prefix="ctns-worker-")
        self.secrets = os.path.join(self.dir, "secrets")
        os.mkdir(self.secrets, 0o700)
        self.procs = []
        self.n = 0

    def config(self, auth="tba", **over):
        return base_config(self.redis_server, self.netsuite, self.secrets,
                           auth, **over)

    def write(self, conf):
        self.n += 1
        path = os.path.join(self.dir, "ctns-%d.json" % self.n)
        with open(path, "w") as fh:
            json.dump(conf, fh, indent=2)
        return path

    def start(self, conf=None, args=(), wait_ready=True):
        conf = copy.deepcopy(conf) if conf is not None else self.config()
        self.n += 1
        w = Worker(self.write(conf),
                   os.path.join(self.dir, "worker-%d.log" % self.n), args)
        w.start()
        self.procs.append(w)
        if wait_ready:
            wait_until(lambda: "worker started" in w.text() or not w.alive(),
                       timeout=10, what="worker start")
            assert w.alive(), w.text()
        return w

    def command(self, command, *args, conf=None, timeout=30):
        """Runs a one-shot command; returns CompletedProcess (text)."""
        path = self.write(conf if conf is not None else self.config())
        return subprocess.run([build_path("ctns-worker"), command, "-c",
                               path] + list(args), capture_output=True,
                              text=True, timeout=timeout)

    def sanitizer_reports(self):
        """ASan/UBSan reports any worker process wrote."""
        out = []
        for w in self.procs:
            text = w.text()
            if "runtime error:" in text or "Sanitizer" in text:
                out.append(text[-4000:])
        return out

    def cleanup(self):
        for w in self.procs:
            if w.alive():
                w.kill()
        reports = self.sanitizer_reports()
        shutil.rmtree(self.dir, ignore_errors=True)
        if reports:
            pytest.fail("sanitizer report from ctns-worker:\n" + reports[0])


@pytest.fixture
def workers(redis_server, netsuite):
    """Starts ctns-worker processes against redis_server and netsuite."""
    ws = Workers(redis_server, netsuite)
    yield ws
    ws.cleanup()

