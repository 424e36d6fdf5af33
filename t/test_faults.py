"""Fault injection end to end: nginx -> Redis -> ctns-worker -> NetSuite.

Every scenario sends signed deliveries of orders with known ids through the
real nginx, like a real sender: a delivery that is not acknowledged with a
2xx (503 while Redis is down, a connection reset during a reload) is sent
again.  Faults hit Redis (SIGKILL, restart from its AOF), the workers
(SIGKILL at random points), nginx (reload, binary upgrade) and NetSuite
(the simulator's 429 storms, 5xx, slow answers past the timeout,
commit-then-drop, an outage).  At the end the ledger must balance: every
acknowledged delivery is in NetSuite exactly once, or in the dead-letter
stream with its reason; nothing else is in either.

Redis persistence, the trade-off measured here: a SIGKILL of redis-server
loses nothing with `appendfsync everysec` nor with `always`, because Redis
write()s the AOF before it replies and the kernel keeps the page cache of
a killed process.  The two differ only when the machine itself dies:
everysec may then lose the last second of acknowledged events, `always`
loses none and pays an fsync per write (the test prints both ingest rates).
"""

import datetime
import json
import os
import random
import signal
import subprocess
import time

import pytest

from harness.common import wait_until
from harness.ledger import Traffic, balance, dead_letters, order_message
from harness.nginx import NGINX
from harness.redis_server import RedisServer
from harness.webhook import SECRET, sign
from harness.webhook import post as http_post
from harness.worker import GROUP, Workers, stream_key


def check_ledger(redis, netsuite, traffic, timeout=90, dead_ok=False):
    """The ledger balances (harness/ledger.py); returns its summary."""
    summary, found = balance(redis, netsuite, traffic, timeout)
    print("ledger:", json.dumps(summary), "answers:", dict(traffic.codes))
    assert not found["unacked"], \
        "never acknowledged: %d" % len(found["unacked"])
    assert not found["lost"], \
        "acknowledged but neither in NetSuite nor dead: %s" \
        % found["lost"][:5]
    for what in ("duplicates", "strangers", "doubled", "unknown_dead",
                 "reasonless"):
        assert not found[what], (what, found[what])
    if not dead_ok:
        assert not summary["dead"], list(dead_letters(redis).values())[:2]
    return summary


def orders(count):
    return [order_message(n) for n in range(count)]


def webhook_nginx(nginx_factory, redis_server, workers=1):
    http = "ct_netsuite_redis %s timeout=1s;" % redis_server.address
    server = """
        location = /ct {
            ct_netsuite_webhook;
            ct_netsuite_auth hmac secret_file=keys/hmac.secret;
        }
"""
    n = nginx_factory(http=http, server=server, workers=workers)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    body = b"{}"
    wait_until(lambda: http_post(n.port, "/ct", body, sign(body))[0] == 400,
               timeout=10, what="redis ready")
    return n


def fast_retry(ws, max_attempts=60, cap_ms=1000, **netsuite):
    conf = ws.config(retry={"base_ms": 50, "cap_ms": cap_ms,
                            "max_attempts": max_attempts})
    conf["netsuite"].update(netsuite)
    return conf


# --- NetSuite misbehaving ---------------------------------------------------


def test_netsuite_storms_5xx_slow_and_dropped(nginx_factory, redis_server,
                                              redis, netsuite, workers):
    """429 storm, 30% 5xx, answers past the timeout, commit-then-drop."""
    n = webhook_nginx(nginx_factory, redis_server)
    netsuite.add_faults([
        {"id": "storm", "phase": "on_receive",
         "match": {"path_regex": "^/services/rest/record/", "every": 3},
         "action": {"type": "status", "status": 429}, "times": 40},
        {"id": "flaky", "phase": "before_commit",
         "match": {"path_regex": "^/services/rest/record/",
                   "probability": 0.3},
         "action": {"type": "status", "status": 503, "body": "html"},
         "times": 0},
        {"id": "slow", "phase": "after_commit",
         "match": {"method": "PUT", "nth": [2, 9]},
         "action": {"type": "hang", "max_ms": 3000}, "times": 2},
        {"id": "drop", "phase": "after_commit",
         "match": {"method": "PUT", "every": 7},
         "action": {"type": "drop"}, "times": 4},
    ])
    workers.start(fast_retry(workers, timeout_ms=800))
    traffic = Traffic(n.port, orders(40), threads=4).start()
    summary = check_ledger(redis, netsuite, traffic, timeout=120)
    assert summary["synced"] == 40

    stats = netsuite.stats()
    by = stats["requests_by_status"]
    assert by.get("429", 0) > 0 and by.get("503", 0) > 0
    log = netsuite.requests()
    faulted = [e for e in log if (e.get("fault") or {}).get("id")
               in ("drop", "slow")]
    assert len(faulted) >= 4 and all(e["committed"] for e in faulted)


def epoch(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


@pytest.mark.slow
def test_netsuite_outage_compressed(nginx_factory, redis_server, redis,
                                    netsuite, workers):
    """A 10-minute outage in 12 s: backoff, nothing dead, all posted."""
    n = webhook_nginx(nginx_factory, redis_server)
    outage = 12.0
    netsuite.add_faults([{
        "id": "outage", "phase": "on_receive",
        "match": {"path_regex": "^/services/rest/"},
        "action": {"type": "status", "status": 503, "body": "html"},
        "times": 0}])
    workers.start(fast_retry(workers, max_attempts=40, cap_ms=2000))
    t0 = time.monotonic()
    traffic = Traffic(n.port, orders(30), threads=3).start()
    traffic.join()
    time.sleep(max(0.0, outage - (time.monotonic() - t0)))
    during = netsuite.requests()
    netsuite.clear_faults()
    summary = check_ledger(redis, netsuite, traffic, timeout=60)
    assert summary["synced"] == 30

    # exponential backoff: the NetSuite request rate falls while the
    # outage lasts (a worker retrying at its poll interval would send
    # 12 s / 20 ms = 600 requests per order)
    times = sorted(epoch(e["time"]) for e in during if e["status"] == 503)
    assert times and len(times) <= 30 * 25, len(times)
    first = [t for t in times if t < times[0] + 3]
    last = [t for t in times if t > times[-1] - 3]
    assert len(last) < len(first) / 2, (len(first), len(last))


# --- the worker killed -------------------------------------------------------


@pytest.mark.slow
def test_worker_sigkill_at_random_points(nginx_factory, redis_server, redis,
                                         netsuite, workers):
    n = webhook_nginx(nginx_factory, redis_server)
    netsuite.set_config({"latency": {"default_ms": 25, "jitter_ms": 25}})
    conf = fast_retry(workers)
    conf["worker"].update({"claim_idle_ms": 1500, "lock_ttl_ms": 2000})
    live = [workers.start(conf), workers.start(conf)]
    traffic = Traffic(n.port, orders(120), threads=4, rate=15).start()
    rng = random.Random(10)
    kills = 0
    while traffic.running() or kills < 6:
        time.sleep(rng.uniform(0.3, 1.5))
        victim = live.pop(rng.randrange(len(live)))
        victim.kill()
        kills += 1
        live.append(workers.start(conf))
    summary = check_ledger(redis, netsuite, traffic, timeout=120)
    assert summary["synced"] == 120
    # nothing pending is left behind by the dead consumers
    wait_until(lambda: sum(redis.xpending(stream_key(s), GROUP)["pending"]
                           for s in range(8)
                           if redis.exists(stream_key(s))) == 0,
               timeout=30, what="no pending entries")


# --- Redis killed --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("fsync", ["everysec", "always"])
def test_redis_sigkill_and_restart(nginx_factory, netsuite, fsync):
    srv = RedisServer(appendonly=True, fsync=fsync).start()
    ws = Workers(srv, netsuite)
    try:
        n = webhook_nginx(nginx_factory, srv)
        master, nworkers = n.master_pid(), n.worker_pids()
        ws.start(fast_retry(ws))
        traffic = Traffic(n.port, orders(500), threads=6, rate=100).start()
        time.sleep(1.5)
        before = dict(traffic.codes)
        srv.kill()
        time.sleep(2.0)
        down = traffic.codes[503] - before.get(503, 0)
        srv.start()
        r = srv.client()
        summary = check_ledger(r, netsuite, traffic, timeout=120)
        assert summary["synced"] == 500
        assert down > 0, "no 503 while Redis was down"
        # recovered without a restart of nginx
        assert n.master_pid() == master and n.worker_pids() == nworkers
        # what the fsync policy costs: an unthrottled burst after recovery
        burst = Traffic(n.port, orders(300), threads=8).start().join()
        print("appendfsync %s: %d 503s while down; burst of 300 at %.0f/s"
              % (fsync, down, 300 / burst.elapsed))
    finally:
        ws.cleanup()
        srv.cleanup()


# --- nginx reloaded and upgraded --------------------------------------------


def test_nginx_reload_under_load(nginx_factory, redis_server, redis,
                                 netsuite, workers):
    n = webhook_nginx(nginx_factory, redis_server, workers=2)
    workers.start(fast_retry(workers))
    traffic = Traffic(n.port, orders(150), threads=6).start()
    for _ in range(3):
        time.sleep(0.4)
        n.reload()
    summary = check_ledger(redis, netsuite, traffic, timeout=90)
    assert summary["synced"] == 150


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.slow
def test_nginx_binary_upgrade_under_load(nginx_factory, redis_server, redis,
                                         netsuite, workers):
    """USR2 (new master, same binary), WINCH, QUIT the old: no loss.

    nginx refuses USR2 in a master whose parent started it (daemon off
    under the harness), so this nginx runs daemonized, as in production.
    """
    n = nginx_factory(http="ct_netsuite_redis %s timeout=1s;"
                      % redis_server.address,
                      server="""
        location = /ct {
            ct_netsuite_webhook;
            ct_netsuite_auth hmac secret_file=keys/hmac.secret;
        }
""", workers=2)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.write_conf()
    conf = n.path("conf", "nginx.conf")
    with open(conf) as f:
        text = f.read().replace("daemon off;", "daemon on;")
    with open(conf, "w") as f:
        f.write(text)
    pidfile = n.path("logs", "nginx.pid")
    subprocess.run([NGINX, "-p", n.prefix + "/", "-c", conf, "-e",
                    n.error_log], check=True, env=n._env())
    old = wait_until(lambda: read_pid(pidfile), what="nginx pid")
    masters = [old]
    try:
        body = b"{}"
        wait_until(lambda: http_post(n.port, "/ct", body,
                                     sign(body))[0] == 400,
                   timeout=10, what="redis ready")
        workers.start(fast_retry(workers))
        traffic = Traffic(n.port, orders(200), threads=6, rate=60).start()
        time.sleep(0.5)
        os.kill(old, signal.SIGUSR2)
        new = wait_until(lambda: os.path.exists(pidfile + ".oldbin")
                         and read_pid(pidfile) not in (None, old)
                         and read_pid(pidfile), timeout=15,
                         what="new master")
        masters.append(new)
        time.sleep(0.5)
        os.kill(old, signal.SIGWINCH)          # old workers finish, exit
        time.sleep(0.5)
        os.kill(old, signal.SIGQUIT)           # the old master leaves
        wait_until(lambda: not alive(old), timeout=30, what="old master")
        summary = check_ledger(redis, netsuite, traffic, timeout=90)
        assert summary["synced"] == 200
        # the new master serves on
        body = json.dumps(order_message(999999)).encode()
        assert http_post(n.port, "/ct", body, sign(body))[0] == 202
    finally:
        for pid in masters:
            if alive(pid):
                os.kill(pid, signal.SIGQUIT)
        wait_until(lambda: not any(alive(p) for p in masters), timeout=30,
                   what="masters exit")


def test_commit_then_drop_on_reused_connections(nginx_factory, redis_server,
                                                redis, netsuite, workers):
    n = webhook_nginx(nginx_factory, redis_server)
    netsuite.add_faults([{
        "id": "drop", "phase": "after_commit",
        "match": {"method": "PUT", "every": 2},
        "action": {"type": "drop"}, "times": 0}])
    workers.start(fast_retry(workers))
    traffic = Traffic(n.port, orders(30), threads=4).start()
    summary = check_ledger(redis, netsuite, traffic, timeout=60)
    assert summary["synced"] == 30
