"""Slow and abusive clients against the webhook location.

Real nginx with the module, real Redis.  Every abuse gets a clear 4xx (or
the connection is closed within nginx's own timeouts), the worker process
keeps its pid (no crash), its memory stays bounded, and a well-behaved
client is served meanwhile and afterwards.
"""

import json
import socket
import threading
import time
import uuid

import pytest

from harness.common import wait_until
from harness.webhook import (SECRET, deliver, order_created, post, sign,
                             stream_entries)

TIMEOUT = 2          # client_header_timeout and client_body_timeout, s


@pytest.fixture
def hook(nginx_factory, redis_server, redis):
    """nginx with an hmac webhook at /ct, short client timeouts."""
    http = """
    ct_netsuite_redis %s timeout=1s;
    client_header_timeout %ds;
    client_body_timeout %ds;
""" % (redis_server.address, TIMEOUT, TIMEOUT)
    server = """
        location = /ct {
            ct_netsuite_webhook;
            ct_netsuite_auth hmac secret_file=keys/hmac.secret;
        }
"""
    n = nginx_factory(http=http, server=server)
    n.write("conf/keys/hmac.secret", SECRET + "\n", mode=0o600)
    n.start()
    wait_until(lambda: deliver(n.port, {"x": 1})[0] == 400, timeout=10,
               what="redis ready")
    return n


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def served(n, pids):
    """A good delivery is enqueued quickly by the same worker process."""
    t0 = time.monotonic()
    st, _, body = deliver(n.port, order_created(), timeout=5)
    elapsed = time.monotonic() - t0
    assert st == 202, body
    assert elapsed < 1.5, elapsed
    assert n.worker_pids() == pids


def raw_request(body, headers, path="/ct", extra=""):
    head = "POST %s HTTP/1.1\r\nHost: x\r\n" % path
    head += "".join("%s: %s\r\n" % kv for kv in headers.items())
    return (head + extra + "\r\n").encode() + body


def signed_raw(body, keepalive=True, **kw):
    h = sign(body, **kw)
    h["content-length"] = str(len(body))
    if not keepalive:
        h["connection"] = "close"
    return raw_request(body, h)


def closed_within(sock, seconds):
    """Seconds until the peer closed sock (reading whatever it says)."""
    t0 = time.monotonic()
    sock.settimeout(seconds)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        raise AssertionError("connection still open after %ss" % seconds)
    except ConnectionResetError:
        pass
    return time.monotonic() - t0, data


def read_responses(sock, count, timeout=10):
    """count HTTP/1.1 responses read off one connection, in order."""
    f = sock.makefile("rb")
    sock.settimeout(timeout)
    out = []
    for _ in range(count):
        status = f.readline().split()
        assert status and status[0].startswith(b"HTTP/1."), status
        headers = {}
        while True:
            line = f.readline().rstrip(b"\r\n")
            if not line:
                break
            k, v = line.split(b":", 1)
            headers[k.decode().lower()] = v.strip().decode()
        body = f.read(int(headers.get("content-length", "0")))
        out.append((int(status[1]), headers, body))
    return out


# --- slowloris ------------------------------------------------------------


def test_slowloris_headers_and_bodies(hook, redis):
    pids = hook.worker_pids()
    msg = order_created()
    body = json.dumps(msg).encode()
    slow = []
    # 40 clients stuck in their headers, 40 stuck half way through a body
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", hook.port))
        s.sendall(b"POST /ct HTTP/1.1\r\nHost: x\r\nwebhook-id: ")
        slow.append(s)
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", hook.port))
        s.sendall(signed_raw(body)[:-len(body) // 2])
        slow.append(s)

    # others are served meanwhile, at once
    for _ in range(5):
        served(hook, pids)

    # nothing from the slow clients for TIMEOUT: nginx closes every one;
    # the stuck bodies get 408 or a plain close, never an enqueue
    for s in slow:
        elapsed, data = closed_within(s, TIMEOUT + 3)
        assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:80]
        s.close()

    # a body trickled one byte at a time, each within the timeout, is
    # still bounded by max_body and served correctly when complete
    s = socket.create_connection(("127.0.0.1", hook.port))
    raw = signed_raw(body, keepalive=False)
    head, tail = raw[:-40], raw[-40:]
    s.sendall(head)
    for i in range(0, 40, 8):
        time.sleep(0.3)
        s.sendall(tail[i:i + 8])
    [(st, _, resp)] = read_responses(s, 1)
    s.close()
    assert st == 202, resp
    assert json.loads(resp)["id"] == msg["id"]

    served(hook, pids)
    ids = {e["id"] for e in stream_entries(redis)}
    assert msg["id"] in ids and len(ids) == 7


# --- size ---------------------------------------------------------------


def test_100mb_declared_is_413_at_once(hook, redis):
    pids = hook.worker_pids()
    before = rss_kb(pids[0])
    body = b"x" * 100
    h = sign(body)
    h["content-length"] = str(100 * 1024 * 1024)
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", hook.port))
        t0 = time.monotonic()
        s.sendall(raw_request(body, h))
        [(st, _, resp)] = read_responses(s, 1)
        assert time.monotonic() - t0 < 1.0
        assert st == 413, resp
        s.close()
    assert rss_kb(pids[0]) - before < 4096
    served(hook, pids)
    assert len(stream_entries(redis)) == 1


def send_chunked(port, total, chunk=64 * 1024):
    """Streams total bytes as a chunked JSON-ish body; the answer."""
    s = socket.create_connection(("127.0.0.1", port))
    h = sign(b"")
    h["transfer-encoding"] = "chunked"
    s.sendall(raw_request(b"", h))
    piece = b"%x\r\n%s\r\n" % (chunk, b"[" * chunk)
    sent = 0
    try:
        while sent < total:
            s.sendall(piece)
            sent += chunk
        s.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        [(st, _, resp)] = read_responses(s, 1)
    except (ConnectionResetError, AssertionError):
        st, resp = None, b""
    s.close()
    return st, resp, sent


def test_100mb_streamed_bounded_memory(hook, redis):
    pids = hook.worker_pids()
    before = rss_kb(pids[0])
    t0 = time.monotonic()
    st, resp, sent = send_chunked(hook.port, 100 * 1024 * 1024)
    # nginx's client_max_body_size (2m) stops the stream long before 100 MB
    assert st in (413, None), resp
    assert sent < 100 * 1024 * 1024 or st == 413
    assert time.monotonic() - t0 < 10
    # between max_body (1m) and client_max_body_size: the module's 413
    st, resp, _ = send_chunked(hook.port, 1536 * 1024)
    assert st == 413, resp
    assert json.loads(resp)["result"] == "too_large"
    grown = rss_kb(pids[0]) - before
    assert grown < 8 * 1024, "nginx worker grew by %d KiB" % grown
    served(hook, pids)


def test_chunked_bodies(hook, redis):
    pids = hook.worker_pids()
    msg = order_created()
    body = json.dumps(msg).encode()
    h = sign(body)
    h["transfer-encoding"] = "chunked"

    # one byte per chunk, with chunk extensions
    chunks = b"".join(b"1;ext=v\r\n%s\r\n" % body[i:i + 1]
                      for i in range(len(body)))
    s = socket.create_connection(("127.0.0.1", hook.port))
    s.sendall(raw_request(chunks + b"0\r\n\r\n", h))
    [(st, _, resp)] = read_responses(s, 1)
    assert st == 202, resp

    # a bad chunk size on the same kind of request: 400 from nginx
    s2 = socket.create_connection(("127.0.0.1", hook.port))
    s2.sendall(raw_request(b"zz\r\n{}\r\n0\r\n\r\n", sign(b"{}"),
                           extra="transfer-encoding: chunked\r\n"))
    [(st, _, _)] = read_responses(s2, 1)
    assert st == 400
    s.close()
    s2.close()

    # Content-Length and chunked together: request smuggling, refused
    h2 = sign(body)
    h2["content-length"] = "5"
    h2["transfer-encoding"] = "chunked"
    s3 = socket.create_connection(("127.0.0.1", hook.port))
    s3.sendall(raw_request(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body), h2))
    [(st, _, _)] = read_responses(s3, 1)
    s3.close()
    assert st == 400
    served(hook, pids)
    assert [e["id"] for e in stream_entries(redis)
            if e["id"] == msg["id"]] == [msg["id"]]


def test_pipelined_requests(hook, redis):
    pids = hook.worker_pids()
    a, b = order_created(), order_created()
    ba, bb = json.dumps(a).encode(), json.dumps(b).encode()
    bad = json.dumps({"notificationType": "Message"}).encode()
    reqs = [signed_raw(ba), signed_raw(ba), signed_raw(bad),
            b"GET /ct HTTP/1.1\r\nHost: x\r\n\r\n",
            signed_raw(bb, keepalive=False)]
    s = socket.create_connection(("127.0.0.1", hook.port))
    s.sendall(b"".join(reqs))
    out = read_responses(s, 5)
    s.close()
    assert [r[0] for r in out] == [202, 200, 400, 405, 202]
    assert [json.loads(r[2])["result"] for r in out] == \
        ["enqueued", "duplicate", "malformed", "method", "enqueued"]
    assert json.loads(out[0][2])["id"] == a["id"]
    assert json.loads(out[4][2])["id"] == b["id"]
    served(hook, pids)


# --- hostile JSON ---------------------------------------------------------


def raw_delivery(n, body):
    return post(n.port, "/ct", body, sign(body))


def msg_bytes(**patch):
    m = order_created()
    m.update(patch)
    return json.dumps(m).encode()


BAD_JSON = [
    ("overlong", b'{"id":"\xc0\xaf"}', "invalid UTF-8"),
    ("raw surrogate", b'{"id":"\xed\xa0\x80"}', "invalid UTF-8"),
    ("truncated", b'{"id":"\xe2\x82"}', "UTF-8"),
    ("latin-1", b'{"id":"caf\xe9"}', "invalid UTF-8"),
    ("lone low surrogate", b'{"note":"\\udc00","id":"x"}',
     "lone surrogate"),
    ("lone high surrogate", b'{"note":"\\ud83d x","id":"x"}',
     "lone surrogate"),
    ("raw NUL", b'{"id":"a\x00b"}', "control character"),
    ("NUL after the document", b'{"id":"a"}\x00', "after the document"),
    ("deep arrays", b"[" * 100000 + b"]" * 100000, "nested too deep"),
    ("deep objects", b'{"a":' * 5000 + b"1" + b"}" * 5000,
     "nested too deep"),
]


@pytest.mark.parametrize("name,body,error", BAD_JSON,
                         ids=[c[0] for c in BAD_JSON])
def test_invalid_json_is_400(hook, redis, name, body, error):
    pids = hook.worker_pids()
    t0 = time.monotonic()
    st, _, resp = raw_delivery(hook, body)
    assert time.monotonic() - t0 < 1.0
    assert st == 400, (name, resp)
    assert resp["result"] == "malformed"
    assert resp["error"].startswith("invalid JSON") and error in \
        resp["error"], resp
    assert stream_entries(redis) == []
    served(hook, pids)


def test_hostile_but_valid_json(hook, redis):
    pids = hook.worker_pids()

    # 10,000-element arrays inside a message: valid, passed byte for byte
    m = order_created()
    m["order"]["custom"] = {"fields": {"tags": list(range(10000)),
                                       "notes": ["n"] * 10000}}
    body = json.dumps(m).encode()
    st, _, resp = raw_delivery(hook, body)
    assert st == 202, resp
    [e] = [e for e in stream_entries(redis) if e["id"] == m["id"]]
    assert e["payload"].encode() == body

    # a 10,000-element top-level array is no notification
    arr = json.dumps([order_created() for _ in range(10)] * 1000).encode()
    st, _, resp = raw_delivery(hook, arr)
    assert st in (400, 413), resp
    if st == 400:
        assert resp["error"] and resp["result"] == "malformed"

    # nesting right below the bound elsewhere in the payload is fine
    m = order_created()
    body = json.dumps(m).encode()[:-1] + b',"deep":' + b"[" * 60 + \
        b"]" * 60 + b"}"
    assert raw_delivery(hook, body)[0] == 202

    # huge numbers in the fields the edge reads: 400 naming the field
    for field in ("sequenceNumber", "resourceVersion"):
        for v in ("1e400", "99999999999999999999999", "-1", "1.5"):
            b = msg_bytes()
            b = b.replace(b'"%s": ' % field.encode(), b'"%s": %s, "x": '
                          % (field.encode(), v.encode()), 1)
            st, _, resp = raw_delivery(hook, b)
            assert st == 400, (field, v, resp)
            assert field in resp["error"], resp

    # huge numbers where the edge does not look: passed on as sent
    m = order_created()
    body = json.dumps(m).encode()[:-1] + b',"big":1e400,' \
        b'"long":123456789012345678901234567890}'
    assert raw_delivery(hook, body)[0] == 202

    # duplicate keys in what the edge reads: which one is meant?  400
    for dup in (b'"id": "%s", "id": "other"' % m["id"].encode(),
                b'"resource": {"typeId": "order", "id": "x"}, '
                b'"resource": {"typeId": "order", "id": "y"}'):
        b = msg_bytes(id=str(uuid.uuid4()))
        b = b"{" + dup + b", " + b[1:]
        st, _, resp = raw_delivery(hook, b)
        assert st == 400, (dup, resp)
        assert "duplicate" in resp["error"], resp

    # an escaped NUL in a field the edge reads
    b = msg_bytes(id="abc\u0000def")
    st, _, resp = raw_delivery(hook, b)
    assert st == 400 and "id" in resp["error"], resp

    served(hook, pids)
    assert len(stream_entries(redis)) == 4


def test_many_abusers_at_once_other_clients_unaffected(hook, redis):
    """Slow, huge and garbage clients in parallel with a good sender."""
    pids = hook.worker_pids()
    stop = threading.Event()
    errors = []

    def abuse(kind):
        while not stop.is_set():
            try:
                if kind == "garbage":
                    raw_delivery(hook, b"[" * 5000)
                elif kind == "huge":
                    send_chunked(hook.port, 4 * 1024 * 1024)
                else:
                    s = socket.create_connection(("127.0.0.1", hook.port))
                    s.sendall(b"POST /ct HTTP/1.1\r\nHost: x\r\n")
                    time.sleep(0.5)
                    s.close()
            except OSError:
                pass
            except Exception as e:          # noqa: BLE001 (reported below)
                errors.append(repr(e))

    threads = [threading.Thread(target=abuse, args=(k,))
               for k in ("garbage", "huge", "slow", "slow", "garbage")]
    for t in threads:
        t.start()
    good = []
    try:
        t_end = time.monotonic() + 3
        while time.monotonic() < t_end:
            m = order_created()
            t0 = time.monotonic()
            st, _, _ = deliver(hook.port, m, timeout=5)
            good.append((st, time.monotonic() - t0))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert good and all(st == 202 for st, _ in good), good[:5]
    lat = sorted(d for _, d in good)
    assert lat[int(len(lat) * 0.99) - 1] < 1.0, lat[-5:]
    assert hook.worker_pids() == pids
    assert len(stream_entries(redis)) == len(good)


def test_escaped_nul_in_free_text_is_posted(hook, redis, netsuite, workers):
    workers.start()
    m = order_created()
    m["order"]["custom"] = {"fields": {"note": "gift\u0000wrap"}}
    body = json.dumps(m).encode()
    assert b"\\u0000" in body
    st, _, resp = raw_delivery(hook, body)
    assert st == 202, resp
    oid = m["resource"]["id"]
    wait_until(lambda: redis.hget("ctns:status:order:" + oid, "state")
               in ("synced", "dead"), timeout=30, what="order settled")
    assert redis.hget("ctns:status:order:" + oid, "state") == "synced"
