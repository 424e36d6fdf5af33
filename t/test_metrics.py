"""The metrics location: Prometheus text from shared memory and Redis.

parse() is a strict reader of the text exposition format 0.0.4: every
line must be a HELP, a TYPE or a sample of the family announced before it,
names and labels must be well formed, series unique, histograms complete
and cumulative.  The counters are then compared with the traffic sent
through the webhook location of the same nginx.
"""

import json
import math
import re
import time

import pytest

from harness.common import wait_until
from harness.webhook import SECRET, deliver, order_created, post, sign

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
PAIR = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(?:\{(%s(?:,%s)*)?\})? (\S+)(?: -?\d+)?$"
                    % (NAME, PAIR, PAIR))
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def parse_value(text):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.match(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$", text):
        raise AssertionError("bad sample value %r" % text)
    return float(text)


def family_of(name, types):
    """The family a sample name belongs to (histogram suffixes folded)."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return name


def parse(text):
    """{family: {"type", "help", "samples": {(name, labels): value}}}."""
    assert text.endswith("\n"), "exposition must end with a newline"
    families, types, current, done = {}, {}, None, set()
    for no, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d: %r" % (no, line)
        assert line, "empty line at " + where
        if line.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) (%s) (.+)$" % NAME, line)
            assert m, "bad comment " + where
            kind, name, rest = m.groups()
            fam = families.setdefault(name, {"type": None, "help": None,
                                             "samples": {}})
            assert not fam["samples"], "%s after samples %s" % (kind, where)
            if kind == "TYPE":
                assert fam["type"] is None, "second TYPE " + where
                assert rest in TYPES, "unknown type " + where
                fam["type"] = types[name] = rest
            else:
                assert fam["help"] is None, "second HELP " + where
                fam["help"] = rest
            if current != name:
                assert name not in done, "family split " + where
                if current:
                    done.add(current)
                current = name
            continue
        m = SAMPLE.match(line)
        assert m, "bad sample " + where
        name, labeltext, value = m.group(1), m.group(2) or "", m.group(3)
        value = parse_value(value)
        labels = tuple(sorted(re.findall(LABEL, labeltext)))
        assert len({k for k, _ in labels}) == len(labels), \
            "duplicate label " + where
        fam_name = family_of(name, types)
        assert fam_name == current, "sample outside its family " + where
        fam = families[fam_name]
        assert fam["type"], "sample before TYPE " + where
        key = (name, labels)
        assert key not in fam["samples"], "duplicate series " + where
        fam["samples"][key] = value
        if fam["type"] == "counter":
            assert name.endswith("_total"), "counter without _total " + where
            assert value >= 0, "negative counter " + where
    for name, fam in families.items():
        assert fam["type"] and fam["help"], "%s lacks TYPE or HELP" % name
        if fam["type"] == "histogram":
            check_histogram(name, fam["samples"])
    return families


def check_histogram(name, samples):
    buckets = sorted((float(dict(l)["le"].replace("+Inf", "inf")), v)
                     for (n, l), v in samples.items()
                     if n == name + "_bucket")
    assert buckets and math.isinf(buckets[-1][0]), "+Inf bucket missing"
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "buckets not cumulative"
    assert samples[(name + "_count", ())] == counts[-1]
    assert samples[(name + "_sum", ())] >= 0


def value(families, name, **labels):
    """One sample's value; KeyError when the series is absent."""
    types = {k: f["type"] for k, f in families.items()}
    fam = families[family_of(name, types)]
    return fam["samples"][(name, tuple(sorted(labels.items())))]


def conf(redis_server, auth="hmac secret_file=keys/hmac.secret"):
    http = "ct_netsuite_redis %s timeout=1s;" % redis_server.address
    server = """
        location = /ct {
            ct_netsuite_webhook;
            ct_netsuite_auth %s;
        }
        location /ct/status/ {
            ct_netsuite_status;
        }
        location = /metrics {
            ct_netsuite_metrics;
        }
""" % auth
    return http, server


def scrape(port):
    st, hd, body = post(port, "/metrics", None, method="GET")
    assert st == 200
    assert hd["content-type"] == "text/plain; version=0.0.4"
    return parse(body)


def start(nginx_factory, redis_server, workers=1):
    http, server = conf(redis_server)
    n = nginx_factory(http=http, server=server, workers=workers)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    wait_until(lambda: post(n.port, "/ct/status/", None,
                            method="GET")[0] == 200,
               timeout=10, what="redis ready")
    return n


def send_traffic(port):
    """Deliveries of every kind; returns the expected counter values."""
    bytes_read = 0
    msgs = [order_created() for _ in range(7)]
    for m in msgs:
        st, _, _ = deliver(port, m)
        assert st == 202
        bytes_read += len(json.dumps(m).encode())
    for m in msgs[:3]:
        assert deliver(port, m)[0] == 200
        bytes_read += len(json.dumps(m).encode())

    body = json.dumps(order_created()).encode()
    stale = sign(body, ts=int(time.time()) - 3600)
    assert post(port, "/ct", body, stale)[0] == 401
    wrong = sign(body)
    wrong["webhook-signature"] = "v1," + "A" * 43 + "="
    assert post(port, "/ct", body, wrong)[0] == 401
    assert post(port, "/ct", body, wrong)[0] == 401
    assert post(port, "/ct", body, {"content-type": "application/json"})[0] \
        == 401
    bytes_read += 4 * len(body)

    bad = json.dumps({"notificationType": "Message"}).encode()
    assert post(port, "/ct", bad, sign(bad))[0] == 400
    bytes_read += len(bad)
    assert post(port, "/ct", None, method="GET")[0] == 405

    return {"enqueued": 7, "duplicate": 3, "unauthorized": 4,
            "malformed": 1, "method": 1, "bytes": bytes_read,
            "stale": 1, "mismatch": 2, "missing": 1}


def check_counters(fams, want):
    for result in ("enqueued", "duplicate", "unauthorized", "malformed",
                   "method"):
        assert value(fams, "ctns_deliveries_total", channel="hmac",
                     result=result) == want[result], result
    assert value(fams, "ctns_deliveries_total", channel="hmac",
                 result="too_large") == 0
    for reason in ("stale", "mismatch", "missing"):
        assert value(fams, "ctns_signature_failures_total",
                     reason=reason) == want[reason], reason
    assert value(fams, "ctns_received_bytes_total") == want["bytes"]


def test_counters_match_traffic(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    before = scrape(n.port)
    assert value(before, "ctns_deliveries_total", channel="hmac",
                 result="enqueued") == 0
    want = send_traffic(n.port)
    fams = scrape(n.port)
    check_counters(fams, want)

    assert fams["ctns_deliveries_total"]["type"] == "counter"
    assert fams["ctns_redis_duration_seconds"]["type"] == "histogram"
    assert fams["ctns_stream_length"]["type"] == "gauge"
    # 10 script calls, plus the status and metrics reads
    count = value(fams, "ctns_redis_duration_seconds_count")
    assert count >= 10 + 25
    # each reply waited at most the 1 s timeout (a cluster's own CLUSTER
    # SLOTS included): the sum cannot exceed the count
    assert value(fams, "ctns_redis_duration_seconds_sum") <= count
    assert value(fams, "ctns_redis_errors_total") == 0

    # gauges agree with Redis
    total = 0
    for shard in range(8):
        n_len = redis.xlen("ctns:{%d}:events" % shard)
        total += n_len
        assert value(fams, "ctns_stream_length", shard=str(shard)) == n_len
        assert value(fams, "ctns_stream_pending", shard=str(shard)) == 0
    assert total == 7
    assert value(fams, "ctns_dlq_length") == 0


def test_pending_lag_and_dlq_gauges(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    redis.xadd("ctns:{3}:events", {"id": "a"})
    redis.xadd("ctns:{3}:events", {"id": "b"})
    redis.xadd("ctns:{3}:events", {"id": "c"})
    redis.xgroup_create("ctns:{3}:events", "ctns-workers", id="0")
    redis.xreadgroup("ctns-workers", "w", {"ctns:{3}:events": ">"}, count=2)
    redis.xadd("ctns:dlq", {"id": "d"})
    fams = scrape(n.port)
    assert value(fams, "ctns_stream_length", shard="3") == 3
    assert value(fams, "ctns_stream_pending", shard="3") == 2
    assert value(fams, "ctns_stream_lag", shard="3") == 1
    # no group, no lag series
    assert ("ctns_stream_lag", (("shard", "2"),)) not in \
        fams["ctns_stream_lag"]["samples"]
    assert value(fams, "ctns_dlq_length") == 1


def test_counters_across_workers_survive_reload(nginx_factory, redis_server,
                                                 redis):
    n = start(nginx_factory, redis_server, workers=2)
    want = send_traffic(n.port)
    check_counters(scrape(n.port), want)

    n.reload()
    wait_until(lambda: post(n.port, "/ct/status/", None,
                            method="GET")[0] == 200,
               timeout=10, what="redis ready after reload")
    check_counters(scrape(n.port), want)

    more = send_traffic(n.port)
    both = {k: want[k] + more[k] for k in want}
    check_counters(scrape(n.port), both)


def test_redis_down_counters_still_served(nginx_factory, redis_server,
                                          redis):
    n = start(nginx_factory, redis_server)
    want = send_traffic(n.port)
    redis_server.stop()
    try:
        st, _, _ = deliver(n.port, order_created())
        assert st == 503
        wait_until(lambda: "ctns_stream_length" not in
                   post(n.port, "/metrics", None, method="GET")[2],
                   timeout=10, what="gauges gone")
        fams = scrape(n.port)
        assert "ctns_stream_length" not in fams
        assert "ctns_dlq_length" not in fams
        assert value(fams, "ctns_deliveries_total", channel="hmac",
                     result="unavailable") == 1
        assert value(fams, "ctns_redis_errors_total") >= 1
        assert value(fams, "ctns_deliveries_total", channel="hmac",
                     result="enqueued") == want["enqueued"]
    finally:
        redis_server.start()


def test_redis_hung_counters_in_time(nginx_factory, redis_server, redis):
    n = start(nginx_factory, redis_server)
    redis_server.pause()
    try:
        t0 = time.monotonic()
        fams = scrape(n.port)
        elapsed = time.monotonic() - t0
    finally:
        redis_server.resume()
    assert elapsed < 3.5
    assert "ctns_stream_length" not in fams
    assert "ctns_deliveries_total" in fams


def test_metrics_token_and_methods(nginx_factory, redis_server, redis):
    http, server = conf(redis_server)
    server = server.replace("ct_netsuite_metrics;",
                            "ct_netsuite_metrics; "
                            "ct_netsuite_status_token prom-token;")
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    assert post(n.port, "/metrics", None, method="GET")[0] == 401
    st, _, body = post(n.port, "/metrics", None,
                       {"Authorization": "Bearer prom-token"}, method="GET")
    assert st == 200 and parse(body)
    st, hd, _ = post(n.port, "/metrics", b"x",
                     {"Authorization": "Bearer prom-token"})
    assert st == 405 and hd["allow"] == "GET, HEAD"
    st, hd, body = post(n.port, "/metrics", None,
                        {"Authorization": "Bearer prom-token"},
                        method="HEAD")
    assert st == 200 and body == "" and int(hd["content-length"]) > 1000


@pytest.mark.parametrize("text,error", [
    ("x 1", "sample outside its family"),
    ("# TYPE x gauge\nx 1\n", "lacks TYPE or HELP"),
    ("# TYPE x gauge\n# HELP x h\nx{a=\"b\\q\"} 1\n", "bad sample"),
    ("# TYPE x gauge\n# HELP x h\nx 1e\n", "bad sample value"),
    ("# TYPE x gauge\n# HELP x h\n# TYPE x gauge\n", "second TYPE"),
    ("# TYPE x counter\n# HELP x h\nx 1\n", "counter without _total"),
    ("# TYPE x_total counter\n# HELP x_total h\nx_total -1\n",
     "negative counter"),
    ("# TYPE x gauge\n# HELP x h\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",
     "duplicate series"),
    ("# TYPE x gauge\n# HELP x h\nx{a=1} 1\n", "bad sample"),
    ("# TYPE x gauge\n# HELP x h\ny 1\n", "outside its family"),
    ("# TYPE h histogram\n# HELP h h\nh_bucket{le=\"1\"} 2\n"
     "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not cumulative"),
    ("# TYPE h histogram\n# HELP h h\nh_bucket{le=\"1\"} 1\n"
     "h_sum 1\nh_count 1\n", "+Inf bucket missing"),
    ("# TYPE x gauge\n# HELP x h\nx 1", "newline"),
])
def test_parser_is_strict(text, error):
    if not text.endswith("\n") and error != "newline":
        text += "\n"
    with pytest.raises(AssertionError, match=re.escape(error)):
        parse(text)


def test_channel_labels_with_several_schemes(nginx_factory, redis_server,
                                             redis):
    """Which scheme accepted is the label; a refusal by all is unknown."""
    http, server = conf(redis_server,
                        auth="hmac secret_file=keys/hmac.secret; "
                                     "ct_netsuite_auth token header=x-key "
                                     "secret=k3y")
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    wait_until(lambda: post(n.port, "/ct/status/", None,
                            method="GET")[0] == 200,
               timeout=10, what="redis ready")

    assert deliver(n.port, order_created())[0] == 202
    body = json.dumps(order_created()).encode()
    assert post(n.port, "/ct", body, {"x-key": "k3y",
                                      "content-type": "application/json"}
                )[0] == 202
    assert post(n.port, "/ct", body, {"x-key": "nope",
                                      "content-type": "application/json"}
                )[0] == 401

    fams = scrape(n.port)
    assert value(fams, "ctns_deliveries_total", channel="hmac",
                 result="enqueued") == 1
    assert value(fams, "ctns_deliveries_total", channel="token",
                 result="enqueued") == 1
    assert value(fams, "ctns_deliveries_total", channel="unknown",
                 result="unauthorized") == 1
    assert value(fams, "ctns_signature_failures_total",
                 reason="mismatch") == 1
