"""Webhook ingest through the real nginx and the real Redis."""

import concurrent.futures
import http.client
import json
import os
import re
import socket
import threading
import time
import uuid

import pytest

from harness.common import wait_until
from harness.webhook import (SECRET, SECRET2, deliver, load_message,
                             order_created, post, shard_of, sign,
                             stream_entries)


def webhook_conf(redis_server, extra_http="", location_extra="",
                 auth=None, stream=""):
    auth = auth or "ct_netsuite_auth hmac secret_file=keys/hmac.secret;"
    http = """
    ct_netsuite_redis {addr} timeout=1s;
    {stream}
    {extra}
""".format(addr=redis_server.address, stream=stream, extra=extra_http)
    server = """
        location = /ct {{
            ct_netsuite_webhook;
            {auth}
            {extra}
        }}
        location = /plain {{
            return 204;
        }}
""".format(auth=auth, extra=location_extra)
    return http, server


@pytest.fixture
def ingest(nginx_factory, redis_server, redis):
    """nginx with an hmac webhook at /ct; secret file holds both keys."""
    http, server = webhook_conf(redis_server)
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/hmac.secret",
            "# current and previous secret\n%s\n\n%s\n" % (SECRET, SECRET2),
            mode=0o600)
    n.start()
    # the worker process connects to Redis after start
    wait_until(lambda: deliver(n.port, {"x": 1})[0] == 400, timeout=10,
               what="redis ready")
    return n


def test_enqueued_then_duplicate(ingest, redis):
    msg = order_created()
    st, hd, body = deliver(ingest.port, msg)
    assert st == 202, body
    assert body == {"result": "enqueued", "id": msg["id"], "error": None}
    assert hd["content-type"] == "application/json"

    for _ in range(2):
        st, _, body = deliver(ingest.port, msg)
        assert st == 200
        assert body["result"] == "duplicate"

    entries = stream_entries(redis)
    assert len(entries) == 1
    e = entries[0]
    assert e["_stream"] == shard_of(msg["resource"]["id"])
    assert e["id"] == msg["id"]
    assert e["type"] == "OrderCreated"
    assert e["resource"] == "order/" + msg["resource"]["id"]
    assert e["rv"] == "1" and e["seq"] == "1"
    assert e["project"] == "example-shop"
    assert e["store"] == "us-web"
    assert e["src"] == "hmac"
    assert abs(int(e["rx"]) - time.time() * 1000) < 60000
    assert json.loads(e["payload"]) == msg

    seen = "ctns:{%d}:seen:%s" % (e["_stream"], msg["id"])
    assert redis.get(seen) == e["_id"]
    assert 0 < redis.ttl(seen) <= 7 * 86400


def test_rotated_secret_and_wrong_secret(ingest, redis):
    wrong = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    assert deliver(ingest.port, order_created(), secret=SECRET2)[0] == 202
    st, _, body = deliver(ingest.port, order_created(), secret=wrong)
    assert st == 401
    assert body["error"] == "signature verification failed"
    assert "no v1 signature matches" in ingest.log()
    assert len(stream_entries(redis)) == 1


def test_signature_failures_are_401(ingest, redis):
    msg = order_created()
    body = json.dumps(msg).encode()

    stale = sign(body, ts=int(time.time()) - 301)
    assert post(ingest.port, "/ct", body, stale)[0] == 401

    future = sign(body, ts=int(time.time()) + 301)
    assert post(ingest.port, "/ct", body, future)[0] == 401

    tampered = sign(body)
    assert post(ingest.port, "/ct", body.replace(b"12000", b"12001"),
                tampered)[0] == 401

    missing = sign(body)
    del missing["webhook-signature"]
    assert post(ingest.port, "/ct", body, missing)[0] == 401

    # a second signature header smuggled in beside a valid one
    h = sign(body)
    c = http.client.HTTPConnection("127.0.0.1",
                                                        ingest.port)
    c.putrequest("POST", "/ct")
    for k, v in h.items():
        c.putheader(k, v)
    c.putheader("webhook-signature", "v1,AAAA")
    c.putheader("content-length", str(len(body)))
    c.endheaders(body)
    assert c.getresponse().status == 401
    c.close()

    assert stream_entries(redis) == []
    log = ingest.log()
    assert "older than the tolerance" in log
    assert "newer than the tolerance" in log
    assert "sent twice" in log
    assert SECRET not in log and SECRET2 not in log


def test_malformed_payload_names_the_field(ingest, redis):
    msg = order_created()
    del msg["resource"]
    st, _, body = deliver(ingest.port, msg)
    assert st == 400
    assert body["result"] == "malformed"
    assert body["error"] == 'missing field "resource"'

    st, _, body = deliver(ingest.port, {"notificationType": "Message"})
    assert st == 400 and "projectKey" in body["error"]

    body = b'{"notificationType": "Message", '
    st, _, resp = post(ingest.port, "/ct", body, sign(body))
    assert st == 400 and resp["error"].startswith("invalid JSON")
    assert stream_entries(redis) == []


def test_method_size_and_media_type(ingest, redis):
    st, hd, body = post(ingest.port, "/ct", None, method="GET")
    assert st == 405 and hd["allow"] == "POST"
    assert body["result"] == "method"

    big = order_created(pad=1100 * 1024)
    st, _, body = deliver(ingest.port, big)
    assert st == 413 and body["result"] == "too_large"

    form = b"a=1&b=2"
    h = sign(form)
    h["content-type"] = "application/x-www-form-urlencoded"
    assert post(ingest.port, "/ct", form, h)[0] == 415

    text = b"hello"
    assert post(ingest.port, "/ct", text, sign(text))[0] == 415

    # SNS and Event Grid media types with JSON bodies are fine
    msg = order_created()
    body = json.dumps(msg).encode()
    h = sign(body)
    h["content-type"] = "text/plain; charset=UTF-8"
    assert post(ingest.port, "/ct", body, h)[0] == 202


def test_body_in_temp_file(ingest, redis):
    msg = order_created(pad=200 * 1024)     # > client_body_buffer_size
    st, _, body = deliver(ingest.port, msg)
    assert st == 202, body
    [e] = stream_entries(redis)
    assert json.loads(e["payload"]) == msg


def test_chunked_body(ingest, redis):
    msg = order_created(pad=40 * 1024)
    body = json.dumps(msg).encode()
    h = sign(body)
    h["transfer-encoding"] = "chunked"
    c = http.client.HTTPConnection("127.0.0.1",
                                                        ingest.port)
    chunks = [body[i:i + 5000] for i in range(0, len(body), 5000)]
    c.request("POST", "/ct", body=iter(chunks), headers=h,
              encode_chunked=True)
    assert c.getresponse().status == 202
    c.close()
    assert json.loads(stream_entries(redis)[0]["payload"]) == msg


def test_payload_kinds(ingest, redis):
    for name in ("order-created.json", "resource-updated-order.json",
                 "event-checkout-payment-refunded.json",
                 "cloudevents-order-created.json",
                 "payment-transaction-state-changed.json"):
        st, _, body = deliver(ingest.port, load_message(name))
        assert st in (200, 202), (name, body)

    test = load_message("subscription-test-resource-created.json")
    st, _, body = deliver(ingest.port, test)
    assert st == 200 and body["result"] == "test"

    ids = sorted(e["id"] for e in stream_entries(redis))
    assert "chg:order:2a9e9c03-1c1c-4894-9b67-4f07772a1706:6:" \
           "ResourceUpdated" in ids
    # the CloudEvents copy of OrderCreated is the same message: deduplicated
    assert len(ids) == 4


def test_500_concurrent_distinct(ingest, redis):
    msgs = [order_created() for _ in range(500)]

    def send(m):
        return deliver(ingest.port, m)[0]

    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        codes = list(ex.map(send, msgs))

    assert codes.count(202) == 500
    entries = stream_entries(redis)
    assert len(entries) == 500
    assert {e["id"] for e in entries} == {m["id"] for m in msgs}


def test_redis_down_then_back(ingest, redis_server, redis):
    redis_server.stop()
    st, hd, body = deliver(ingest.port, order_created())
    assert st == 503
    assert hd["retry-after"] == "5"
    assert body["result"] == "unavailable"

    redis_server.start()
    msg = order_created()
    wait_until(lambda: deliver(ingest.port, msg)[0] in (200, 202),
               timeout=15, what="module reconnected")
    assert [e["id"] for e in stream_entries(redis_server.client())] == \
        [msg["id"]]


def test_redis_hung_gives_503_in_time(ingest, redis_server, redis):
    redis_server.pause()
    try:
        t0 = time.monotonic()
        st, hd, _ = deliver(ingest.port, order_created(), timeout=10)
        elapsed = time.monotonic() - t0
    finally:
        redis_server.resume()
    assert st == 503 and hd["retry-after"] == "5"
    assert elapsed < 3.5
    msg = order_created()
    wait_until(lambda: deliver(ingest.port, msg)[0] in (200, 202),
               timeout=15, what="module recovered")


def test_first_deliveries_wait_for_the_handshake(nginx_factory, redis_server,
                                                 redis):
    """A fresh worker's first deliveries wait for its Redis handshake (or
    slot map) instead of answering 503 while the connection comes up."""
    http, server = webhook_conf(redis_server)
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    msg = order_created()
    redis_server.pause()
    try:
        n.start()
        wait_until(lambda: deliver(n.port, {"x": 1})[0] == 400, timeout=10,
                   what="nginx serving")
        threading.Timer(0.3, redis_server.resume).start()
        t0 = time.monotonic()
        st, _, body = deliver(n.port, msg, timeout=10)
        elapsed = time.monotonic() - t0
    finally:
        time.sleep(0.4)
        redis_server.resume()
    assert st == 202, body
    assert 0.2 < elapsed < 1.5
    assert [e["id"] for e in stream_entries(redis)] == [msg["id"]]


def test_client_aborts(ingest, redis_server, redis):
    msg = order_created()
    body = json.dumps(msg).encode()
    h = sign(body)
    raw = "POST /ct HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n" % (
        len(body), "".join("%s: %s\r\n" % kv for kv in h.items()))

    # mid-body
    s = socket.create_connection(("127.0.0.1", ingest.port))
    s.sendall(raw.encode() + body[:100])
    s.close()

    # whole body sent, gone before Redis answers
    redis_server.pause()
    try:
        s = socket.create_connection(("127.0.0.1", ingest.port))
        s.sendall(raw.encode() + body)
        time.sleep(0.2)
        s.close()
        time.sleep(0.2)
    finally:
        redis_server.resume()

    st, _, _ = deliver(ingest.port, order_created())
    wait_until(lambda: deliver(ingest.port, order_created())[0] == 202,
               timeout=15, what="module serving again")
    assert ingest.proc.poll() is None


def test_reload_under_traffic_loses_nothing(nginx_factory, redis_server,
                                            redis):
    http, server = webhook_conf(redis_server)
    n = nginx_factory(http=http, server=server, workers=2)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    wait_until(lambda: deliver(n.port, {"x": 1})[0] == 400, timeout=10,
               what="redis ready")

    acked, stop = [], threading.Event()

    def traffic():
        while not stop.is_set():
            m = order_created()
            try:
                if deliver(n.port, m)[0] == 202:
                    acked.append(m["id"])
            except OSError:
                pass

    threads = [threading.Thread(target=traffic) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        for _ in range(3):
            time.sleep(0.5)
            n.reload()
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()

    assert len(acked) > 100
    stored = {e["id"] for e in stream_entries(redis)}
    assert set(acked) <= stored


def test_token_scheme_and_variable_secret(nginx_factory, redis_server,
                                          redis):
    http, server = webhook_conf(
        redis_server,
        extra_http='map $http_host $ct_secret { default "s3cret-var"; }',
        auth="ct_netsuite_auth token header=x-ct-relay-key "
             "secret_file=keys/token secret=$ct_secret channel=eventbridge;")
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/token", "file-token\n", mode=0o600)
    n.start()

    env = os.path.join(os.path.dirname(__file__), "fixtures", "commercetools",
                       "envelopes",
                       "eventbridge-api-destination-order-created.json")
    with open(env, "rb") as f:
        body = f.read()

    def send(key):
        h = {"content-type": "application/json"}
        if key is not None:
            h["x-ct-relay-key"] = key
        return post(n.port, "/ct", body, h)

    wait_until(lambda: send("file-token")[0] == 202, timeout=10,
               what="redis ready")
    assert send("s3cret-var")[0] == 200
    assert send("wrong")[0] == 401
    assert send("file-toke")[0] == 401
    assert send(None)[0] == 401
    [e] = stream_entries(redis)
    assert e["src"] == "eventbridge"
    assert json.loads(e["payload"])["notificationType"] == "Message"


def test_access_log_variables(ingest, redis):
    msg = order_created()
    deliver(ingest.port, msg)
    deliver(ingest.port, msg)

    def logged():
        with open(ingest.path("logs", "access.log")) as f:
            return f.read()

    wait_until(lambda: logged().count("type=OrderCreated") >= 2)
    text = logged()
    assert "id=%s type=OrderCreated result=enqueued" % msg["id"] in text
    assert "id=%s type=OrderCreated result=duplicate" % msg["id"] in text


@pytest.mark.parametrize("location,error", [
    ("ct_netsuite_webhook;", "needs \"ct_netsuite_auth\""),
    ("ct_netsuite_webhook; ct_netsuite_auth bogus;",
     "unknown ct_netsuite_auth scheme \"bogus\""),
    ("ct_netsuite_webhook; ct_netsuite_auth hmac;",
     "needs at least one secret_file= or secret="),
    ("ct_netsuite_webhook; ct_netsuite_auth hmac secret_file=keys/nope;",
     "keys/nope"),
    ("ct_netsuite_webhook; ct_netsuite_auth hmac secret_file=keys/bad;",
     "secret #1 is not a \"whsec_<base64>\" key"),
    ("ct_netsuite_webhook; ct_netsuite_auth token secret=x;",
     "needs header=NAME"),
    ("ct_netsuite_webhook; ct_netsuite_auth none; ct_netsuite_auth none;",
     "is duplicate"),
    ("ct_netsuite_webhook max_body=x; ct_netsuite_auth none;",
     "invalid max_body"),
    ("ct_netsuite_stream ctns shards=0;", "invalid ct_netsuite_stream"),
    ('ct_netsuite_stream "ct{ns}";', "invalid ct_netsuite_stream prefix"),
])
def test_config_errors(nginx_factory, redis_server, location, error):
    http, _ = webhook_conf(redis_server)
    n = nginx_factory(http=http,
                      server="location /ct { %s }" % location)
    n.write("conf/keys/bad", "not-a-secret\n")
    # nginx -t writes [emerg] to the log by design; this instance never ran
    n.allow.append(re.compile(r"\[emerg\]"))
    rc, out = n.test_config()
    assert rc != 0
    assert error in out, out
    assert "not-a-secret" not in out


def test_config_needs_redis_and_none_warns(nginx_factory):
    n = nginx_factory(server="location /ct { ct_netsuite_webhook; "
                             "ct_netsuite_auth none; }")
    n.allow.append(re.compile(r"\[emerg\]"))
    rc, out = n.test_config()
    assert rc != 0 and "need \"ct_netsuite_redis\"" in out
    assert "ct_netsuite_auth none" in out and "[warn]" in out


SEEDS17 = ",".join("127.0.0.1:%d" % (7000 + i) for i in range(17))


@pytest.mark.parametrize("directive,error", [
    ("cluster=redis-a:6379", 'cluster seed "redis-a:6379"'),
    ("cluster=127.0.0.1:7000,localhost:7001", 'cluster seed "localhost:7001"'),
    ("cluster=127.0.0.1:7000,", 'cluster seed ""'),
    ("cluster=", 'cluster seed ""'),
    ("cluster=127.0.0.1:70000", 'cluster seed "127.0.0.1:70000"'),
    ("cluster=[::1:7000", 'cluster seed "[::1:7000"'),
    ("cluster=" + SEEDS17, "127.0.0.1:7016"),
    ("cluster=127.0.0.1:7000 db=2", "db= is not supported by Redis Cluster"),
    ("cluster=127.0.0.1:7000 timeout=soon", "invalid ct_netsuite_redis parameter"),
])
def test_cluster_config_errors(nginx_factory, directive, error):
    n = nginx_factory(http="ct_netsuite_redis %s;" % directive,
                      server="location /ct { ct_netsuite_webhook; "
                             "ct_netsuite_auth none; }")
    n.allow.append(re.compile(r"\[emerg\]"))
    rc, out = n.test_config()
    assert rc != 0
    assert error in out, out


def test_cluster_config_accepted(nginx_factory):
    n = nginx_factory(http="ct_netsuite_redis cluster=127.0.0.1:7000,"
                           "[::1]:7001,10.0.0.3:6379 password=s3cret "
                           "timeout=2s;",
                      server="location /ct { ct_netsuite_webhook; "
                             "ct_netsuite_auth none; }")
    rc, out = n.test_config()
    assert rc == 0, out
    assert "s3cret" not in out


def test_stream_prefix_and_shards(nginx_factory, redis_server, redis):
    http, server = webhook_conf(redis_server,
                                stream="ct_netsuite_stream shop1 shards=3 "
                                       "maxlen=0 dedup_ttl=1h;",
                                auth="ct_netsuite_auth none;")
    n = nginx_factory(http=http, server=server)
    n.start()
    msgs = [order_created() for _ in range(30)]
    wait_until(lambda: deliver(n.port, msgs[0])[0] == 202, timeout=10)
    for m in msgs[1:]:
        assert deliver(n.port, m)[0] == 202
    entries = stream_entries(redis, prefix="shop1", shards=3)
    assert len(entries) == 30
    for e in entries:
        assert e["_stream"] == shard_of(e["resource"][6:], 3)
        assert e["src"] == "none"
    key = "shop1:{%d}:seen:%s" % (shard_of(msgs[0]["resource"]["id"], 3),
                                  msgs[0]["id"])
    assert 3500 < redis.ttl(key) <= 3600
    assert "ct_netsuite_auth none" in n.log()


def test_script_cache_flushed(ingest, redis):
    """NOSCRIPT (SCRIPT FLUSH, failover to a replica without the script):
    the call goes again once with EVAL, and the delivery is acknowledged."""
    redis.script_flush()
    msg = order_created()
    st, _, body = deliver(ingest.port, msg)
    assert st == 202, body
    assert deliver(ingest.port, msg)[0] == 200
    assert [e["id"] for e in stream_entries(redis)] == [msg["id"]]


def test_hmac_secret_from_variable_beside_file(nginx_factory, redis_server,
                                               redis):
    """File secrets are decoded once at configuration, variable ones per
    request: both verify, and a wrong one still fails."""
    http, server = webhook_conf(
        redis_server,
        extra_http='map $http_host $hook_secret { default "%s"; }' % SECRET2,
        auth="ct_netsuite_auth hmac secret_file=keys/hmac.secret "
             "secret=$hook_secret;")
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    wait_until(lambda: deliver(n.port, order_created())[0] == 202,
               timeout=10, what="redis ready")
    assert deliver(n.port, order_created(), secret=SECRET2)[0] == 202
    wrong = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    assert deliver(n.port, order_created(), secret=wrong)[0] == 401
    assert len(stream_entries(redis)) == 2
