"""Tests of the commercetools simulator, the delivery sender and the scenario
generator (t/sim/ct_sim.py, ct_send.py, scenario.py)."""

import base64
import csv
import filecmp
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from decimal import (ROUND_HALF_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal,
                     getcontext)
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from harness.common import TDIR, fixture_path
from harness.ctsim import CtSim

sys.path.insert(0, os.path.join(TDIR, "sim"))

import ct_send  # noqa: E402
import scenario  # noqa: E402
from ct_catalog import stable_id  # noqa: E402

SIG = fixture_path("signatures")
CT = fixture_path("commercetools")
ORDER1 = "9e1b7c4a-2d3f-4a5b-8c6d-0e1f2a3b4c01"
PAY3 = "825d7299-fcec-4282-9e70-a47504147cf0"
getcontext().prec = 60


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def jload(path):
    return json.loads(read(path).decode("utf-8"))


# --- API simulator -----------------------------------------------------------

def test_token_flow(ct_sim):
    status, _, body = ct_sim.token_request()
    assert status == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 172800
    assert "view_orders:example-shop" in body["scope"].split()
    status, _, body = ct_sim.token_request(
        scope="view_payments:example-shop")
    assert status == 200 and body["scope"] == "view_payments:example-shop"
    status, headers, body = ct_sim.token_request(client_secret="wrong")
    assert status == 401
    assert body["statusCode"] == 401 and body["error"] == "invalid_client"
    assert body["errors"][0]["code"] == "invalid_client"
    status, _, body = ct_sim.request("POST", "/oauth/token",
                                     b"grant_type=client_credentials")
    assert status == 401 and body["errors"][0]["code"] == "invalid_client"
    status, _, body = ct_sim.token_request(scope="manage_project:other-shop")
    assert status == 400 and body["errors"][0]["code"] == "invalid_scope"
    cred = base64.b64encode(b"ct-sim-client:ct-sim-secret").decode()
    status, _, body = ct_sim.request(
        "POST", "/oauth/token", b"grant_type=password",
        {"Authorization": "Basic " + cred})
    assert status == 400
    assert body["errors"][0]["code"] == "unsupported_grant_type"


def test_bearer_token_required(ct_sim):
    ct_sim.reset()
    status, _, body = ct_sim.request("GET", "/example-shop/orders/" + ORDER1)
    assert status == 401 and body["errors"][0]["code"] == "invalid_token"
    assert ct_sim.get("/orders/" + ORDER1, "not-a-token")[0] == 401
    token = ct_sim.token()
    assert ct_sim.get("/orders/" + ORDER1, token)[0] == 200
    ct_sim.expire_tokens()
    status, body = ct_sim.get("/orders/" + ORDER1, token)
    assert status == 401 and body["statusCode"] == 401
    pay_only = ct_sim.token(scope="view_payments:example-shop")
    status, body = ct_sim.get("/orders/" + ORDER1, pay_only)
    assert status == 403
    assert body["errors"][0]["code"] == "insufficient_scope"
    assert ct_sim.get("/payments/" + PAY3, pay_only)[0] == 200


def test_expired_token_by_lifetime():
    sim = CtSim(token_ttl=1).start()
    try:
        token = sim.token()
        assert sim.get("/orders/" + ORDER1, token)[0] == 200
        time.sleep(1.2)
        status, body = sim.get("/orders/" + ORDER1, token)
        assert status == 401 and "expired" in body["message"]
    finally:
        sim.stop()


def test_get_endpoints(ct_sim):
    ct_sim.reset()
    token = ct_sim.token()
    status, order = ct_sim.get("/orders/" + ORDER1, token)
    assert status == 200 and order["orderNumber"] == "ORD-10001"
    assert order == jload(os.path.join(CT, "order-simple-usd.json"))
    status, by_number = ct_sim.get("/orders/order-number=ORD-10001", token)
    assert status == 200 and by_number["id"] == ORDER1
    status, body = ct_sim.get("/orders/order-number=ORD-10001", token,
                              {"expand": "paymentInfo.payments[*]"})
    ref = body["paymentInfo"]["payments"][0]
    assert ref["obj"]["id"] == ref["id"]
    assert ref["obj"]["amountPlanned"]["centAmount"] == 12840
    status, pay = ct_sim.get("/payments/" + PAY3, token)
    assert status == 200 and pay["amountPlanned"]["centAmount"] == 24077
    status, pay = ct_sim.get("/payments/key=8815830153210001", token)
    assert status == 200 and pay["interfaceId"] == "8815830153210001"
    status, cust = ct_sim.get("/customers/cf5228f4-6d03-42a4-8504-"
                              "a3d0d9862662", token)
    assert status == 200 and cust["customerNumber"] == "C-100482"
    status, _ = ct_sim.get("/in-store/key=us-web/orders/" + ORDER1, token)
    assert status == 200
    status, body = ct_sim.get("/in-store/key=de-web/orders/" + ORDER1, token)
    assert status == 404
    status, body = ct_sim.get("/messages", token, {
        "where": 'resource(id="%s")' % ORDER1,
        "sort": "sequenceNumber asc"})
    assert status == 200
    assert [m["sequenceNumber"] for m in body["results"]] == [1, 2, 3]


@pytest.mark.parametrize("path", [
    "/orders/00000000-0000-4000-8000-000000000000",
    "/orders/order-number=ORD-404", "/payments/nope", "/customers/nope"])
def test_not_found_format(ct_sim, path):
    status, body = ct_sim.get(path, ct_sim.token())
    assert status == 404
    assert body["statusCode"] == 404
    assert body["errors"][0]["code"] == "ResourceNotFound"
    assert body["message"] == body["errors"][0]["message"]


def _orders(n, start="2026-07-01T00:00:00.000Z"):
    out = []
    for i in range(n):
        oid = "%08x-0000-4000-8000-%012x" % (0x10000000 + i * 7919 % 97, i)
        out.append({"id": oid, "version": 1, "orderNumber": "Q-%03d" % i,
                    "lineItems": [], "createdAt": start,
                    "lastModifiedAt": "2026-07-01T%02d:%02d:00.000Z"
                    % (i // 60, i % 60),
                    "totalPrice": {"type": "centPrecision",
                                   "currencyCode": "USD",
                                   "centAmount": 1000 + i,
                                   "fractionDigits": 2},
                    "paymentInfo": {"payments": [
                        {"typeId": "payment", "id": "pay-%d" % i}]}})
    return out


def test_queries_paging_and_where(ct_sim):
    ct_sim.reset(empty=True)
    orders = _orders(45)
    ct_sim.upsert(orders=orders, bump=False)
    token = ct_sim.token()
    status, page = ct_sim.get("/orders", token)
    assert status == 200
    assert (page["limit"], page["offset"], page["count"], page["total"]) == \
        (20, 0, 20, 45)
    status, page = ct_sim.get("/orders", token, {"limit": 10, "offset": 40,
                                                 "withTotal": "false"})
    assert page["count"] == 5 and "total" not in page
    # id cursor paging as the batch sync does it
    seen, last = [], None
    while True:
        where = ['lastModifiedAt >= "2026-07-01T00:10:00.000Z"',
                 'lastModifiedAt < "2026-07-01T00:40:00Z"']
        if last:
            where = [" and ".join(where + ['id > "%s"' % last])]
        status, page = ct_sim.get("/orders", token, {
            "where": where, "sort": "id asc", "limit": 7,
            "withTotal": "false"})
        assert status == 200
        seen += [r["id"] for r in page["results"]]
        if page["count"] < 7:
            break
        last = page["results"][-1]["id"]
    want = sorted(o["id"] for o in orders
                  if "00:10" <= o["lastModifiedAt"][11:16] < "00:40")
    assert seen == want and len(want) == 30
    status, page = ct_sim.get("/orders", token, {
        "sort": ["lastModifiedAt desc"], "limit": 3})
    assert [r["orderNumber"] for r in page["results"]] == \
        ["Q-044", "Q-043", "Q-042"]
    status, page = ct_sim.get("/orders", token, {
        "where": 'paymentInfo(payments(id="pay-17"))'})
    assert [r["orderNumber"] for r in page["results"]] == ["Q-017"]
    status, page = ct_sim.get("/orders", token, {
        "where": "totalPrice(centAmount >= 1043) or "
                 'orderNumber in ("Q-001")', "sort": "orderNumber asc"})
    assert [r["orderNumber"] for r in page["results"]] == \
        ["Q-001", "Q-043", "Q-044"]


@pytest.mark.parametrize("params", [
    {"limit": "501"}, {"offset": "10001"}, {"limit": "x"},
    {"where": 'lastModifiedAt >'}, {"where": 'id = "a" and'},
    {"sort": "id sideways"}, {"withTotal": "maybe"}])
def test_query_errors(ct_sim, params):
    status, body = ct_sim.get("/orders", ct_sim.token(), params)
    assert status == 400
    assert body["statusCode"] == 400
    assert body["errors"][0]["code"] == "InvalidInput"


def test_admin_upsert_bumps_version_and_time(ct_sim):
    ct_sim.reset()
    token = ct_sim.token()
    _, before = ct_sim.get("/orders/" + ORDER1, token)
    changed = dict(before, orderState="Complete")
    up = ct_sim.upsert(orders=[changed])
    assert up == [{"typeId": "order", "id": ORDER1,
                   "version": before["version"] + 1}]
    _, after = ct_sim.get("/orders/" + ORDER1, token)
    assert after["version"] == before["version"] + 1
    assert after["orderState"] == "Complete"
    assert after["lastModifiedAt"] > before["lastModifiedAt"]
    assert after["createdAt"] == before["createdAt"]
    _, page = ct_sim.get("/orders", token, {
        "where": 'lastModifiedAt >= "%s"' % after["lastModifiedAt"]})
    assert [r["id"] for r in page["results"]] == [ORDER1]
    ct_sim.admin("DELETE", "resources/order/" + ORDER1)
    assert ct_sim.get("/orders/" + ORDER1, token)[0] == 404
    ct_sim.reset()
    assert ct_sim.get("/orders/" + ORDER1, token)[1]["version"] == 1


def test_fault_injection(ct_sim):
    ct_sim.reset()
    token = ct_sim.token()
    ct_sim.faults({"status": 503, "count": 2, "retry_after": 2})
    for _ in range(2):
        status, headers, body = ct_sim.request(
            "GET", "/example-shop/orders/" + ORDER1,
            headers={"Authorization": "Bearer " + token})
        assert status == 503 and headers["Retry-After"] == "2"
        assert body["errors"][0]["code"] == "OverCapacity"
    assert ct_sim.get("/orders/" + ORDER1, token)[0] == 200
    ct_sim.faults({"status": 503, "code": "PendingOperation", "count": 1,
                   "path": "/payments"})
    assert ct_sim.get("/orders/" + ORDER1, token)[0] == 200
    status, body = ct_sim.get("/payments/" + PAY3, token)
    assert status == 503
    assert body["errors"][0]["code"] == "PendingOperation"
    ct_sim.faults({"status": 429, "rate": 0.5}, seed=3)
    codes = [ct_sim.get("/orders/" + ORDER1, token)[0] for _ in range(40)]
    assert 8 < codes.count(429) < 32 and codes.count(200) == 40 - \
        codes.count(429)
    assert ct_sim.token_request()[0] == 200   # token endpoint untouched
    ct_sim.faults({"status": 502, "body": "html", "count": 1})
    status, _, raw = ct_sim.request("GET", "/example-shop/orders/" + ORDER1,
                                    headers={"Authorization": "Bearer " +
                                             token})
    assert status == 502 and raw.startswith(b"<html>")
    ct_sim.faults({"status": 503, "count": 1, "target": "token"})
    assert ct_sim.token_request()[0] == 503
    ct_sim.faults({"drop": True, "count": 1})
    conn = http.client.HTTPConnection("127.0.0.1", ct_sim.port, timeout=5)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        conn.request("GET", "/example-shop/orders/" + ORDER1,
                     headers={"Authorization": "Bearer " + token})
        conn.getresponse()
    conn.close()
    ct_sim.faults({"delay_ms": 300, "count": 1})
    t0 = time.monotonic()
    assert ct_sim.get("/orders/" + ORDER1, token)[0] == 200
    assert time.monotonic() - t0 >= 0.3
    stats = ct_sim.stats()
    assert stats["faults_injected"] >= 2 + 1 + 1 + 1 + 1
    assert stats["by_status"]["503"] >= 4
    ct_sim.faults()
    assert ct_sim.get("/orders/" + ORDER1, token)[0] == 200


def test_query_lag_and_bad_admin_input(ct_sim):
    ct_sim.reset()
    token = ct_sim.token()
    ct_sim.configure(query_lag_ms=400)
    try:
        fresh = _orders(1)[0]
        ct_sim.upsert(orders=[fresh])
        where = {"where": 'id = "%s"' % fresh["id"]}
        assert ct_sim.get("/orders/" + fresh["id"], token)[0] == 200
        assert ct_sim.get("/orders", token, where)[1]["count"] == 0
        assert ct_sim.get("/orders/" + ORDER1, token)[0] == 200
        assert ct_sim.get("/orders", token, {"limit": 500})[1]["count"] == 3
        time.sleep(0.45)
        assert ct_sim.get("/orders", token, where)[1]["count"] == 1
    finally:
        ct_sim.configure(query_lag_ms=0)
    for bad in ({"faults": [{"status": 418}]}, {"faults": [{"path": "("}]},
                {"faults": [{"rate": "often"}]}, {"faults": [{"target": 1}]}):
        status, _, body = ct_sim.request("POST", "/__admin/faults", bad)
        assert status == 400 and body["errors"][0]["code"] == "InvalidInput"
    status, _, body = ct_sim.request("POST", "/__admin/resources",
                                     {"orders": [{"orderNumber": "x"}]})
    assert status == 400
    status, _, body = ct_sim.request("POST", "/__admin/resources", b"{x")
    assert status == 400 and body["errors"][0]["code"] == "InvalidJsonInput"


def test_concurrent_clients(ct_sim):
    ct_sim.reset()
    ct_sim.configure(latency_ms=50)
    token = ct_sim.token()
    results = []

    def worker():
        results.append(ct_sim.get("/orders/" + ORDER1, token)[0])
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ct_sim.configure(latency_ms=0)
    assert results == [200] * 8
    assert ct_sim.stats()["peak_concurrency"] >= 2


# --- sender: signatures byte for byte against the vectors --------------------

def test_standard_webhooks_vector():
    v = jload(os.path.join(SIG, "standard-webhooks-vector.json"))
    h = v["headers"]
    assert ct_send.sign_standard_webhooks(
        v["secret"], h["webhook-id"], h["webhook-timestamp"],
        v["body"].encode()) == v["expected_signature_header"]
    assert ct_send.standard_webhooks_key(v["secret"]).hex() == \
        v["secret_key_bytes_hex"]
    rot = v["rotation_case"]
    assert ct_send.sign_standard_webhooks(
        [rot["previous_secret"], v["secret"]], h["webhook-id"],
        h["webhook-timestamp"], v["body"]) == rot["webhook-signature"]
    tampered = v["negative_cases"][0]["body"]
    assert ct_send.sign_standard_webhooks(
        v["secret"], h["webhook-id"], h["webhook-timestamp"],
        tampered) != v["expected_signature_header"]


def _jwt_parts(token):
    def dec(seg):
        return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg)
                                                                % 4)))
    h, p, _ = token.split(".")
    return dec(h), dec(p)


def test_pubsub_jwt_vectors():
    index = jload(os.path.join(SIG, "pubsub-jwt-vectors.json"))
    checked = 0
    for v in index["vectors"]:
        token = read(os.path.join(SIG, v["file"]), "r").strip()
        header, claims = _jwt_parts(token)
        if header["alg"] != "RS256" or "tampered" in v["file"]:
            continue
        made = ct_send.pubsub_jwt(
            claims["aud"], email=claims["email"], iat=claims["iat"],
            exp=claims["exp"], iss=claims["iss"], sub=claims["sub"],
            azp=claims["azp"], email_verified=claims["email_verified"],
            kid=header["kid"])
        assert made == token, v["file"]
        checked += 1
    assert checked == 9
    # the default kid is the one jwks.json publishes
    header, claims = _jwt_parts(ct_send.pubsub_jwt("https://x/ct",
                                                   iat=1782900922))
    assert header == {"alg": "RS256", "kid": "test-key-1", "typ": "JWT"}
    assert claims["exp"] - claims["iat"] == 3600


def test_pubsub_envelope_vectors():
    want = read(os.path.join(SIG, "pubsub-push-body.json"))
    b = json.loads(want)
    data = base64.b64decode(b["message"]["data"])
    assert ct_send.pubsub_envelope(
        data, b["message"]["messageId"], b["message"]["publishTime"],
        attributes=b["message"]["attributes"]) == want
    env = jload(os.path.join(CT, "envelopes",
                             "pubsub-push-order-created.json"))
    raw = read(os.path.join(CT, "messages", "order-created.json"))
    assert base64.b64decode(env["message"]["data"]) == raw
    made = json.loads(ct_send.pubsub_envelope(
        raw, env["message"]["messageId"], env["message"]["publishTime"],
        subscription=env["subscription"]))
    assert made == env


@pytest.mark.parametrize("name", ["sns-notification-v1",
                                  "sns-notification-v2",
                                  "sns-subscription-confirmation"])
def test_sns_vectors(name):
    body = read(os.path.join(SIG, name + ".json"))
    msg = json.loads(body)
    assert ct_send.sns_string_to_sign(msg) == \
        read(os.path.join(SIG, name + ".string-to-sign.txt"))
    assert ct_send.sns_sign(msg, int(msg["SignatureVersion"])) == \
        msg["Signature"]
    v = int(msg["SignatureVersion"])
    if msg["Type"] == "Notification":
        made = ct_send.sns_notification(
            msg["Message"], msg["MessageId"], msg["Timestamp"],
            topic_arn=msg["TopicArn"], subject=msg.get("Subject"),
            version=v, signing_cert_url=msg["SigningCertURL"],
            unsubscribe_url=msg["UnsubscribeURL"])
    else:
        made = ct_send.sns_confirmation(
            msg["MessageId"], msg["Token"], msg["Timestamp"],
            topic_arn=msg["TopicArn"], message=msg["Message"],
            subscribe_url=msg["SubscribeURL"], version=v,
            signing_cert_url=msg["SigningCertURL"])
    assert ct_send.sns_body(made) == body


def test_sns_commercetools_envelopes():
    body = read(os.path.join(CT, "envelopes",
                             "sns-notification-order-created.json"))
    msg = json.loads(body)
    assert msg["Message"].encode() == read(os.path.join(
        CT, "messages", "order-created.json"))
    made = ct_send.sns_notification(msg["Message"], msg["MessageId"],
                                    msg["Timestamp"])
    assert ct_send.sns_body(made) == body
    hdrs = jload(os.path.join(CT, "envelopes",
                              "sns-notification-order-created.headers.json"))
    assert ct_send.sns_headers(made) == {k: v for k, v in
                                         hdrs["headers"].items()}
    conf = read(os.path.join(CT, "envelopes",
                             "sns-subscription-confirmation.json"))
    c = json.loads(conf)
    made = ct_send.sns_confirmation(c["MessageId"], c["Token"],
                                    c["Timestamp"], message=c["Message"])
    assert ct_send.sns_body(made) == conf


def _cert_key():
    cert = x509.load_pem_x509_certificate(
        read(os.path.join(SIG, "TEST-ONLY-self-signed-cert.pem")))
    return cert.public_key()


def _jwks_key():
    k = jload(os.path.join(SIG, "jwks.json"))["keys"][0]

    def num(s):
        return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s)
                                                                  % 4)),
                              "big")
    return rsa.RSAPublicNumbers(num(k["e"]), num(k["n"])).public_key()


# --- sender: what arrives at an HTTP endpoint --------------------------------

class Capture:
    """A loopback HTTP endpoint recording requests; answers from a script."""

    def __init__(self, script=None):
        self.requests = []
        self.script = list(script or [])
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                self.request.setsockopt(socket.IPPROTO_TCP,
                                        socket.TCP_NODELAY, 1)

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.requests.append((self.path, dict(self.headers),
                                           body, time.monotonic()))
                    status, hdrs = outer.script.pop(0) if outer.script \
                        else (202, {})
                self.send_response(status)
                for k, v in hdrs.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/ct" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def capture():
    c = Capture()
    yield c
    c.close()


MSG = read(os.path.join(CT, "messages", "order-created.json"))


def test_deliver_hmac(capture):
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    status, _, _ = ct_send.deliver(capture.url, "hmac", MSG, secret=secret)
    assert status == 202
    path, h, body, _ = capture.requests[0]
    assert body == MSG
    assert h["webhook-id"] == json.loads(MSG)["id"]
    mac = hmac.new(b"k" * 32, ("%s.%s." % (h["webhook-id"],
                                          h["webhook-timestamp"])).encode()
                   + body, hashlib.sha256).digest()
    assert h["webhook-signature"] == "v1," + base64.b64encode(mac).decode()
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 5


def test_deliver_pubsub(capture):
    ct_send.deliver(capture.url, "pubsub", MSG,
                    audience="https://hooks.example.com/ct")
    _, h, body, _ = capture.requests[0]
    env = json.loads(body)
    assert base64.b64decode(env["message"]["data"]) == MSG
    assert env["message"]["messageId"] == env["message"]["message_id"]
    token = h["Authorization"].split(" ", 1)[1]
    head, payload, sig = token.split(".")
    _jwks_key().verify(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)),
                       (head + "." + payload).encode(), padding.PKCS1v15(),
                       hashes.SHA256())
    claims = _jwt_parts(token)[1]
    assert claims["aud"] == "https://hooks.example.com/ct"
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["email_verified"] is True
    # without an audience the push endpoint URL is the audience
    ct_send.deliver(capture.url, "pubsub", MSG)
    token = capture.requests[1][1]["Authorization"].split(" ", 1)[1]
    assert _jwt_parts(token)[1]["aud"] == capture.url


@pytest.mark.parametrize("version,digest", [(1, hashes.SHA1()),
                                            (2, hashes.SHA256())])
def test_deliver_sns(capture, version, digest):
    ct_send.deliver(capture.url, "sns", MSG, version=version,
                    subject="commercetools OrderCreated")
    _, h, body, _ = capture.requests[0]
    msg = json.loads(body)
    assert msg["Message"].encode() == MSG
    assert h["x-amz-sns-message-type"] == "Notification"
    assert h["x-amz-sns-message-id"] == msg["MessageId"]
    assert h["Content-Type"] == "text/plain; charset=UTF-8"
    assert msg["SignatureVersion"] == str(version)
    _cert_key().verify(base64.b64decode(msg["Signature"]),
                       ct_send.sns_string_to_sign(msg), padding.PKCS1v15(),
                       digest)


def test_deliver_eventbridge_and_eventgrid(capture):
    payload = json.loads(MSG)
    ct_send.deliver(capture.url, "eventbridge", MSG,
                    api_key_header="x-ct-relay-key", api_key="s3cret")
    _, h, body, _ = capture.requests[0]
    ev = json.loads(body)
    assert h["x-ct-relay-key"] == "s3cret"
    assert ev["detail-type"] == "OrderCreated" and ev["detail"] == payload
    assert set(ev) == set(jload(os.path.join(
        CT, "envelopes", "eventbridge-api-destination-order-created.json")))
    ct_send.deliver(capture.url, "eventgrid", MSG, secret="eg-secret")
    path, h, body, _ = capture.requests[1]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(path).query) == \
        {"code": ["eg-secret"]}
    arr = json.loads(body)
    assert isinstance(arr, list) and arr[0]["data"] == payload
    assert h["aeg-event-type"] == "Notification"
    ct_send.deliver(capture.url, "cloudevents", MSG, secret="eg-secret",
                    secret_header="x-eg-key")
    path, h, body, _ = capture.requests[2]
    assert h["x-eg-key"] == "eg-secret" and "?" not in path
    assert h["Content-Type"].startswith("application/cloudevents+json")
    want = jload(os.path.join(CT, "messages",
                              "cloudevents-order-created.json"))
    assert json.loads(body) == want


def test_sender_retries_honour_retry_after():
    cap = Capture([(503, {"Retry-After": "1"}), (500, {}), (202, {})])
    try:
        sender = ct_send.Sender(cap.url, "sns", retries=3, backoff=0.05)
        summary = sender.run(sender.plan([("m", MSG)]))
        assert summary["results"][0]["statuses"] == [503, 500, 202]
        times = [r[3] for r in cap.requests]
        assert times[1] - times[0] >= 0.95
        assert summary["failed"] == 0 and summary["retried"] == 1
        bodies = {r[2] for r in cap.requests}
        assert len(bodies) == 1     # SNS retries carry the same envelope
    finally:
        cap.close()
    cap = Capture([(400, {})])
    try:
        sender = ct_send.Sender(cap.url, "none", retries=3)
        summary = sender.run(sender.plan([("m", MSG)]))
        assert summary["results"][0]["statuses"] == [400]
        assert summary["failed"] == 1
    finally:
        cap.close()


def test_sender_duplicates_and_order(capture):
    items = [("m%d" % i, json.dumps({"id": "msg-%d" % i, "n": i}).encode())
             for i in range(20)]
    a = ct_send.Sender(capture.url, "none", seed=5).plan(items, 3,
                                                         shuffle=True)
    b = ct_send.Sender(capture.url, "none", seed=5).plan(items, 3,
                                                         shuffle=True)
    assert [x["name"] for x in a] == [x["name"] for x in b]
    assert len(a) == 60 and [x["name"] for x in a] != \
        [name for name, _ in items for _ in range(3)]
    r = ct_send.Sender(capture.url, "none", seed=5).plan(items, reorder=3)
    assert sorted(x["index"] for x in r) == list(range(20))
    assert all(abs(pos - x["index"]) <= 3 for pos, x in enumerate(r))
    sender = ct_send.Sender(capture.url, "sns", concurrency=4)
    summary = sender.run(sender.plan(items[:5], duplicates=2))
    assert summary["deliveries"] == 10 and summary["by_status"] == {"202": 10}
    ids = [json.loads(r[2])["MessageId"] for r in capture.requests]
    assert len(set(ids)) == 5       # a redelivery keeps the SNS MessageId
    fresh = ct_send.Sender(capture.url, "sns")
    fresh.run(fresh.plan(items[:2], duplicates=2, fresh_ids=True))
    ids = [json.loads(r[2])["MessageId"] for r in capture.requests[10:]]
    assert len(set(ids)) == 4       # a commercetools re-publish does not


def test_sender_drops_oversized_payloads():
    want = jload(os.path.join(CT, "messages",
                              "order-created-payload-not-included.json"))
    small = json.dumps({"notificationType": "Message", "id": "m2"}).encode()
    plan = ct_send.Sender("http://127.0.0.1:9/", "none").plan(
        [("big", MSG), ("small", small)], max_payload=1000)
    dropped = json.loads(plan[0]["body"])
    assert list(dropped) == list(want)
    assert dropped["payloadNotIncluded"] == {
        "reason": "Payload too large.", "payloadType": "OrderCreated"}
    assert dropped["id"] == json.loads(MSG)["id"]
    assert plan[1]["body"] == small


def test_sender_rate(capture):
    sender = ct_send.Sender(capture.url, "none", rate=20, concurrency=4)
    items = [("m%d" % i, b'{"id":"%d"}' % i) for i in range(11)]
    summary = sender.run(sender.plan(items))
    assert summary["elapsed_s"] >= 0.45
    assert summary["by_status"] == {"202": 11}


# --- scenario generator ------------------------------------------------------

MODES = {"HalfEven": ROUND_HALF_EVEN, "HalfUp": ROUND_HALF_UP,
         "HalfDown": ROUND_HALF_DOWN}
DISCOUNT_RATES = {stable_id("cart-discount:SUMMER10"): Decimal("0.10"),
                  stable_id("cart-discount:LOYAL5"): Decimal("0.05")}
DIGITS = {"USD": 2, "EUR": 2, "JPY": 0, "BHD": 3}


def rnd(x, mode):
    return int(Decimal(x).quantize(Decimal(1), rounding=MODES[mode]))


def check_taxed(tp, amount, rate, mode):
    """Independent re-computation of one item's taxed price."""
    r = Decimal(str(rate["amount"]))
    portions = [(p["rate"], p["name"], p["amount"]["centAmount"])
                for p in tp["taxPortions"]]
    net, gross = tp["totalNet"]["centAmount"], tp["totalGross"]["centAmount"]
    if rate["includedInPrice"]:
        assert gross == amount
        assert net == rnd(Decimal(gross) / (1 + r), mode)
    else:
        assert net == amount
        subs = rate["subRates"] or [{"name": rate["name"],
                                     "amount": rate["amount"]}]
        assert portions == [(s["amount"], s["name"],
                             rnd(Decimal(net) * Decimal(str(s["amount"])),
                                 mode)) for s in subs]
    assert sum(a for _, _, a in portions) == gross - net
    assert tp["totalTax"]["centAmount"] == gross - net
    return net, gross, portions


def largest_remainder(total, weights):
    s = sum(weights)
    exact = [Decimal(total) * w / s for w in weights]
    base = [int(e) for e in exact]
    rest = sorted(range(len(weights)), key=lambda i: (base[i] - exact[i], i))
    for i in rest[:total - sum(base)]:
        base[i] += 1
    return base


def money_objects(obj):
    if isinstance(obj, dict):
        if "centAmount" in obj:
            yield obj
        for v in obj.values():
            yield from money_objects(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from money_objects(v)


def check_order(o):
    """Every commercetools sum of one order, recomputed with Decimal."""
    cur = o["totalPrice"]["currencyCode"]
    for m in money_objects(o):
        assert m["currencyCode"] == cur
        assert m["fractionDigits"] == DIGITS[cur]
        assert isinstance(m["centAmount"], int)
    mode = o["taxRoundingMode"]
    parts = []       # (rate, amount, discountable, taxed portions)
    lines_total = 0
    for li in o["lineItems"]:
        unit = li["price"]["value"]["centAmount"]
        if "discounted" in li["price"]:
            d = li["price"]["discounted"]["value"]["centAmount"]
            if li["price"]["discounted"]["discount"]["id"] == \
                    stable_id("product-discount:SALE20"):
                assert d == rnd(Decimal(unit) * Decimal("0.8"), "HalfDown")
            unit = d
        total = 0
        if li["discountedPricePerQuantity"]:
            assert sum(e["quantity"] for e in li[
                "discountedPricePerQuantity"]) == li["quantity"]
            for e in li["discountedPricePerQuantity"]:
                value = unit
                for inc in e["discountedPrice"]["includedDiscounts"]:
                    off = inc["discountedAmount"]["centAmount"]
                    rate = DISCOUNT_RATES.get(inc["discount"]["id"])
                    if rate is not None:
                        assert off == rnd(Decimal(value) * rate,
                                          o["priceRoundingMode"])
                    value -= off
                assert e["discountedPrice"]["value"]["centAmount"] == value
                total += value * e["quantity"]
        else:
            total = unit * li["quantity"]
        assert li["totalPrice"]["centAmount"] == total
        lines_total += total
        if o["shippingMode"] == "Single":
            parts.append((li["taxRate"], total, True, li["taxedPrice"]))
            continue
        per = {p["shippingMethodKey"]: p["taxRate"]
               for p in li["perMethodTaxRate"]}
        tq = {t["shippingMethodKey"]: t["quantity"]
              for t in li["shippingDetails"]["targets"]}
        assert sum(tq.values()) == li["quantity"]
        for p in li["taxedPricePortions"]:
            k = p["shippingMethodKey"]
            parts.append((per[k], total // li["quantity"] * tq[k], True,
                          p["taxedPrice"]))
    customs = 0
    for c in o["customLineItems"]:
        assert c["totalPrice"]["centAmount"] == \
            c["money"]["centAmount"] * c["quantity"]
        customs += c["totalPrice"]["centAmount"]
        parts.append((c["taxRate"], c["totalPrice"]["centAmount"],
                      c["priceMode"] != "External", c["taxedPrice"]))
    infos = [o["shippingInfo"]] if o["shippingMode"] == "Single" else \
        [s["shippingInfo"] for s in o["shipping"]]
    ship = 0
    ship_parts = []
    for info in infos:
        eff = info["price"]["centAmount"]
        if "discountedPrice" in info:
            eff = info["discountedPrice"]["value"]["centAmount"]
            assert eff + sum(i["discountedAmount"]["centAmount"] for i in
                             info["discountedPrice"]["includedDiscounts"]) \
                == info["price"]["centAmount"]
        ship += eff
        parts.append((info["taxRate"], eff, False, info["taxedPrice"]))
        ship_parts.append(check_taxed(info["taxedPrice"], eff,
                                      info["taxRate"], mode))
    for rate, amount, _, tp in parts:
        check_taxed(tp, amount, rate, mode)
    disc = o.get("discountOnTotalPrice")
    d = disc["discountedAmount"]["centAmount"] if disc else 0
    tp = o["taxedPrice"]
    net, gross = tp["totalNet"]["centAmount"], tp["totalGross"]["centAmount"]
    total = o["totalPrice"]["centAmount"]
    assert total == lines_total + customs + ship - d
    gross_mode = parts[0][0]["includedInPrice"]
    assert total == (gross if gross_mode else net)
    cuts = largest_remainder(d, [a if ok else 0 for _, a, ok, _ in parts]) \
        if d else [0] * len(parts)
    want_net = want_gross = 0
    want_portions = {}
    for (rate, amount, _, _), cut in zip(parts, cuts):
        r = Decimal(str(rate["amount"]))
        amount -= cut
        if rate["includedInPrice"]:
            n = rnd(Decimal(amount) / (1 + r), mode)
            g = amount
            ps = [(rate["amount"], rate["name"], g - n)]
        else:
            n = amount
            subs = rate["subRates"] or [{"name": rate["name"],
                                         "amount": rate["amount"]}]
            ps = [(s["amount"], s["name"],
                   rnd(Decimal(n) * Decimal(str(s["amount"])), mode))
                  for s in subs]
            g = n + sum(p[2] for p in ps)
        want_net += n
        want_gross += g
        for rr, nn, a in ps:
            want_portions[(rr, nn)] = want_portions.get((rr, nn), 0) + a
    assert (net, gross) == (want_net, want_gross)
    assert {(p["rate"], p["name"]): p["amount"]["centAmount"]
            for p in tp["taxPortions"]} == want_portions
    assert tp["totalTax"]["centAmount"] == gross - net == \
        sum(want_portions.values())
    if disc:
        before = sum(p[3]["totalGross"]["centAmount"] for p in parts)
        assert disc["discountedGrossAmount"]["centAmount"] == before - gross
    ts = o["taxedShippingPrice"]
    assert ts["totalNet"]["centAmount"] == sum(p[0] for p in ship_parts)
    assert ts["totalGross"]["centAmount"] == sum(p[1] for p in ship_parts)
    return gross


@pytest.mark.parametrize("name", ["order-simple-usd.json",
                                  "order-eu-gross-discount-giftcard.json",
                                  "order-jpy-multishipping.json"])
def test_checker_agrees_with_fixture_orders(name):
    """The arithmetic checker reproduces the hand-checked fixtures."""
    check_order(jload(os.path.join(CT, name)))


@pytest.mark.parametrize("mutate", [
    lambda o: o["taxedPrice"]["totalNet"].update(
        centAmount=o["taxedPrice"]["totalNet"]["centAmount"] + 1),
    lambda o: o["lineItems"][0]["totalPrice"].update(
        centAmount=o["lineItems"][0]["totalPrice"]["centAmount"] - 1),
    lambda o: o["lineItems"][0]["taxedPrice"]["taxPortions"][0][
        "amount"].update(centAmount=475),
    lambda o: o["totalPrice"].update(fractionDigits=3)])
def test_checker_rejects_wrong_sums(mutate):
    o = jload(os.path.join(CT, "order-simple-usd.json"))
    mutate(o)
    with pytest.raises(AssertionError):
        check_order(o)


@pytest.fixture(scope="module")
def big_scenario():
    return scenario.Scenario(400, 11, stores=[
        "us-web", "de-web", "jp-web", "bh-web"]).generate()


def test_scenario_arithmetic(big_scenario):
    sc = big_scenario
    currencies, features = set(), set()
    payments = {p.id: p.doc for p in sc.payments}
    for res in sc.orders:
        o = res.doc
        gross = check_order(o)
        currencies.add(o["totalPrice"]["currencyCode"])
        planned = sum(payments[r["id"]]["amountPlanned"]["centAmount"]
                      for r in o["paymentInfo"]["payments"])
        assert planned == gross
        exp = sc.expected[o["orderNumber"]]
        assert (exp["totalGross"], exp["totalNet"]) == (
            gross, o["taxedPrice"]["totalNet"]["centAmount"])
        assert exp["net"] == exp["captured"] - exp["refunded"]
        if exp["cancelled"]:
            assert exp["captured"] == 0
        else:
            assert exp["captured"] == gross
        features.update({
            "discount-code": bool(o["discountCodes"]),
            "total-discount": "discountOnTotalPrice" in o,
            "multi": o["shippingMode"] == "Multiple",
            "gift-card-sold": bool(o["customLineItems"]),
            "gift-card-redeemed": exp["giftCardRedeemed"] > 0,
            "split": exp["deliveries"] > 1, "refund": exp["refunded"] > 0,
            "cancel": bool(exp["cancelled"]),
            "product-discount": any("discounted" in li["price"]
                                    for li in o["lineItems"]),
            "free-shipping": "discountedPrice" in o.get("shippingInfo", {}),
        }.items())
    assert currencies == {"USD", "EUR", "JPY", "BHD"}
    missing = {k for k, v in features if v} ^ {k for k, _ in features}
    assert not missing, "features never generated: %s" % missing


def test_scenario_messages(big_scenario):
    sc = big_scenario
    by_res = {}
    for _, _, p in sc.events:
        by_res.setdefault((p["resource"]["typeId"], p["resource"]["id"]),
                          []).append(p)
    finals = {(r.kind, r.id): r.doc for r in sc.orders + sc.payments +
              sc.customers}
    for key, msgs in by_res.items():
        assert [m["sequenceNumber"] for m in msgs] == \
            list(range(1, len(msgs) + 1)), key
        rvs = [m["resourceVersion"] for m in msgs]
        assert rvs == sorted(rvs) and rvs[0] == 1
        assert finals[key]["version"] >= rvs[-1]
        assert msgs[0]["type"].endswith("Created")
        embedded = msgs[0][key[0]]
        assert embedded["version"] == 1 and embedded["id"] == key[1]
        if key[0] == "order":
            assert finals[key]["lastMessageSequenceNumber"] == len(msgs)
            assert embedded["lineItems"] == finals[key]["lineItems"]
    created = {p["resource"]["id"]: p["createdAt"] for _, _, p in sc.events
               if p["type"] in ("CustomerCreated", "PaymentCreated")}
    for res in sc.orders:
        o = res.doc
        for ref in o["paymentInfo"]["payments"] + (
                [{"id": o["customerId"]}] if "customerId" in o else []):
            assert created.get(ref["id"], "") < o["createdAt"]
    ids = [p["id"] for _, _, p in sc.events]
    assert len(ids) == len(set(ids))
    times = [p["createdAt"] for _, _, p in sc.events]
    assert times == sorted(times)
    for res in sc.payments:
        for tx in res.doc["transactions"]:
            assert tx["state"] == "Success"


def test_scenario_settlements(big_scenario):
    sc = big_scenario
    s = sc.settlements()
    charges = {(p.doc["interfaceId"], tx["interactionId"]):
               tx["amount"]["centAmount"]
               for p in sc.payments if p.psp == "adyen"
               for tx in p.doc["transactions"] if tx["type"] == "Charge"}
    settled = {}
    for account, rep in s["adyen"].items():
        rows = rep["rows"]
        assert rows[-1]["Type"] == "MerchantPayout"
        assert sum(r["_net"] for r in rows) == 0
        for r in rows:
            if r["Type"] == "Settled":
                settled[(r["Psp Reference"], r["Modification Reference"])] = \
                    r["Gross Credit (GC)"]
    assert set(settled) == set(charges)
    for k, v in settled.items():
        digits = DIGITS[[p for p in sc.payments if p.doc["interfaceId"] ==
                         k[0]][0].doc["amountPlanned"]["currencyCode"]]
        assert int(Decimal(v) * 10 ** digits) == charges[k]
    for po in s["stripe"]["payouts"]:
        txns = po["balance_transactions"]["data"]
        assert sum(t["net"] for t in txns) == 0
        assert sum(t["net"] for t in txns if t["type"] != "payout") == \
            po["payout"]["amount"]
        for t in txns:
            assert t["amount"] - t["fee"] == t["net"]
            assert sum(f["amount"] for f in t["fee_details"]) == t["fee"]


def test_scenario_change_payloads():
    sc = scenario.Scenario(30, 2, changes=True).generate()
    versions = {}
    for _, _, p in sc.events:
        if p["notificationType"] == "Message":
            continue
        key = p["resource"]["id"]
        if p["notificationType"] == "ResourceCreated":
            assert p["version"] == 1 and key not in versions
        else:
            assert p["notificationType"] == "ResourceUpdated"
            assert p["oldVersion"] == versions[key] == p["version"] - 1
        versions[key] = p["version"]
    finals = {r.id: r.doc["version"] for r in sc.orders + sc.payments}
    assert {k: v for k, v in versions.items() if k in finals} == finals


def _gen(tmp, seed, n=40):
    out = os.path.join(str(tmp), "s%d" % seed)
    subprocess.run([sys.executable, os.path.join(TDIR, "sim", "scenario.py"),
                    "--orders", str(n), "--seed", str(seed), "--out", out],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def _same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or \
            cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files,
                                           shallow=False)
    if mismatch or errors:
        return False
    return all(_same_tree(os.path.join(a, d), os.path.join(b, d))
               for d in cmp.common_dirs)


def test_scenario_cli_deterministic_and_served(tmp_path):
    a, b = _gen(tmp_path / "a", 5), _gen(tmp_path / "b", 5)
    assert _same_tree(a, b)
    c = _gen(tmp_path / "c", 6)
    assert not _same_tree(a, c)
    with open(os.path.join(a, "settlements", os.listdir(
            os.path.join(a, "settlements"))[0])) as f:
        header = next(csv.reader(f))
    assert len(header) == 30 and header[2] == "Psp Reference"
    exp = jload(os.path.join(a, "expected.json"))
    sim = CtSim(data=[a]).start()
    try:
        token = sim.token()
        status, page = sim.get("/orders", token, {"limit": 500})
        assert page["total"] == 40
        some = next(iter(exp["orders"].values()))
        pay = some["payments"][0]["id"]
        status, page = sim.get("/orders", token, {
            "where": 'paymentInfo(payments(id="%s"))' % pay})
        assert [r["orderNumber"] for r in page["results"]] == \
            [some["orderNumber"]]
        status, p = sim.get("/payments/" + pay, token)
        assert status == 200 and p["id"] == pay
        n_msgs = len(os.listdir(os.path.join(a, "messages")))
        assert sim.stats()["resources"]["messages"] == n_msgs
    finally:
        sim.stop()


def test_cli_replays_scenario(tmp_path, capture):
    out = _gen(tmp_path, 9, n=12)
    summary = tmp_path / "summary.json"
    r = subprocess.run(
        [sys.executable, os.path.join(TDIR, "sim", "ct_send.py"),
         "--url", capture.url, "--channel", "hmac", "--secret",
         "whsec_" + base64.b64encode(b"x" * 24).decode(), "--scenario", out,
         "--duplicates", "2", "--shuffle", "--seed", "3", "--concurrency",
         "4", "--summary", str(summary)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    s = jload(str(summary))
    n = len(os.listdir(os.path.join(out, "messages")))
    assert s["messages"] == n and s["deliveries"] == 2 * n
    assert s["by_status"] == {"202": 2 * n} and s["failed"] == 0
    assert len(capture.requests) == 2 * n
    assert len({r[1]["webhook-id"] for r in capture.requests}) == n
    r = subprocess.run(
        [sys.executable, os.path.join(TDIR, "sim", "ct_send.py"),
         "--url", capture.url, "--channel", "eventbridge", out],
        capture_output=True, text=True)
    assert r.returncode == 2 and "--api-key" in r.stderr
