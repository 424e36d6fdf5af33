"""The status summary shows settlement exceptions and payouts waiting.

ctns-worker import-settlement keeps ctns:settle:summary; GET <status>/
reads it in the same Redis batch as the pipeline figures.
"""

from harness.common import fixture_path, wait_until
from harness.status import get, start_status
from test_settlements import run, seed_netsuite, settle_conf, stripe_index


def summary(n):
    st, _, body = get(n.port, "/ct/status/")
    assert st == 200, body
    return body["settlements"]


def test_summary_settlements(nginx_factory, redis_server, redis, netsuite,
                             workers):
    n = start_status(nginx_factory, redis_server)
    wait_until(lambda: get(n.port, "/ct/status/")[0] == 200, timeout=10,
               what="redis ready")
    assert summary(n) == {"exceptions": 0, "payouts_waiting": 0}

    # the EUR payout's refund has no NetSuite record: it waits
    seed_netsuite(netsuite)
    stripe_index(redis, refund=False)
    conf = settle_conf(workers)
    path = fixture_path("settlements", "stripe-payouts.json")
    r = run(workers, conf, "import-settlement", "--format", "stripe", path)
    assert r.returncode == 3, r.stdout + r.stderr
    assert summary(n) == {"exceptions": 1, "payouts_waiting": 1}

    # the refund gets its index entry: the payout posts, nothing is left
    stripe_index(redis)
    r = run(workers, conf, "import-settlement", "--format", "stripe", path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert summary(n) == {"exceptions": 0, "payouts_waiting": 0}


def test_summary_counters_as_written(nginx_factory, redis_server, redis):
    n = start_status(nginx_factory, redis_server)
    wait_until(lambda: get(n.port, "/ct/status/")[0] == 200, timeout=10,
               what="redis ready")
    redis.hset("ctns:settle:summary", mapping={
        "exceptions": "7", "payouts_waiting": "2", "payouts_reversed": "1"})
    assert summary(n) == {"exceptions": 7, "payouts_waiting": 2,
                          "payouts_reversed": 1}
