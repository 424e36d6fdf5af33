"""Building and sending deliveries to the module's webhook location."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import time
import uuid

import pytest

from harness.common import fixture_path

# TEST ONLY secret, the one of signatures/standard-webhooks-vector.json
SECRET = "whsec_9RviwY1kVZYlCBi95rNsPjpd4DQrcFtatEMCOOv8STs="
SECRET2 = "whsec_siRPOC2Y55aq85WmHBlorDpG6lOo3J5wtNz1Pi2qPq0="


def load_message(name):
    with open(fixture_path("commercetools", "messages", name)) as f:
        return json.load(f)


def order_created(order_id=None, msg_id=None, seq=1, pad=0):
    """A realistic OrderCreated (~3 KB) with fresh ids."""
    m = load_message("order-created.json")
    oid = order_id or str(uuid.uuid4())
    m["id"] = msg_id or str(uuid.uuid4())
    m["resource"]["id"] = oid
    m["order"]["id"] = oid
    m["sequenceNumber"] = seq
    if pad:
        m["order"]["custom"] = {"fields": {"note": "x" * pad}}
    return m


def sign(body, secret=SECRET, msg_id=None, ts=None):
    """Standard Webhooks headers for body (bytes)."""
    key = base64.b64decode(secret[len("whsec_"):])
    msg_id = msg_id or "msg_" + uuid.uuid4().hex
    ts = str(int(time.time()) if ts is None else ts)
    mac = hmac.new(key, b"%s.%s.%s" % (msg_id.encode(), ts.encode(), body),
                   hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": ts,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
            "content-type": "application/json"}


def post(port, path, body, headers=None, method="POST", timeout=15):
    """One request on a fresh connection: (status, headers dict, json|text)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()
    try:
        data = json.loads(data)
    except ValueError:
        data = data.decode(errors="replace")
    return r.status, hdrs, data


def deliver(port, message, path="/ct", secret=SECRET, **kw):
    body = json.dumps(message).encode()
    return post(port, path, body, sign(body, secret=secret), **kw)


def stream_entries(redis, prefix="ctns", shards=8):
    """Every entry of every shard stream: list of field dicts."""
    out = []
    for n in range(shards):
        for _id, fields in redis.xrange("%s:{%d}:events" % (prefix, n)):
            out.append(dict(fields, _stream=n, _id=_id))
    return out


def fnv1a32(s):
    h = 2166136261
    for b in s.encode():
        h ^= b
        h = (h * 16777619) & 0xffffffff
    return h


def shard_of(resource_id, shards=8):
    return fnv1a32(resource_id) % shards
