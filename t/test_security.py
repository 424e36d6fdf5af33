"""Attacks on the edge: forged, replayed and smuggled deliveries on every
channel, JWT algorithm confusion and kid traversal, SNS certificate URL
SSRF, Event Grid handshake abuse, the status location's token and ids, and
secrets in logs.  Deliveries are built by the commercetools sender
(t/sim/ct_send.py), then tampered with.

Every rejection must be 401 with the generic body, store nothing, fetch
nothing (ctns:keys:wanted stays empty), and be counted in the metrics.
"""

import base64
import glob
import json
import os
import re
import sys
import time
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, hmac as chmac
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.common import ROOT, fixture_path, wait_until
from harness.keyserver import cert_file_name, run_keys
from harness.webhook import (SECRET, SECRET2, order_created, post, sign,
                             stream_entries)
from harness.worker import Workers

sys.path.insert(0, os.path.join(ROOT, "t", "sim"))
import ct_send  # noqa: E402

AUDIENCE = "https://hooks.example.com/ct/pubsub"
TOPIC = "arn:aws:sns:us-east-1:123456789012:ct-order-events"
EG_SECRET = "eg-" + "7d2f9c41b8e6a0357c1d9e4f2a6b8c03"
EB_KEY = "eb-" + "c0ffee11d2e3f4a5b6c7d8e9fa0b1c2d"
STATUS_TOKEN = "st-" + "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
REDIS_PASSWORD = "rp-" + "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
UNAUTHORIZED = {"result": "unauthorized", "id": None,
                "error": "signature verification failed"}


def locations():
    return """
        location = /ct/hmac {
            ct_netsuite_webhook;
            ct_netsuite_auth hmac secret_file=keys/hmac.secret;
        }
        location = /ct/pubsub {
            ct_netsuite_webhook;
            ct_netsuite_auth pubsub jwks_file=keys/google.jwks
                             audience=%s
                             email=%s;
        }
        location = /ct/sns {
            ct_netsuite_webhook;
            ct_netsuite_auth sns cert_dir=keys/sns topic=%s;
        }
        location = /ct/eventbridge {
            ct_netsuite_webhook;
            ct_netsuite_auth token header=x-api-key
                             secret_file=keys/eventbridge.secret
                             channel=eventbridge;
        }
        location = /ct/eventgrid {
            ct_netsuite_webhook;
            ct_netsuite_auth eventgrid secret_file=keys/eventgrid.secret
                             query=code;
        }
        location /ct/status/ {
            ct_netsuite_status;
            ct_netsuite_status_token file=keys/status.token;
        }
        location = /ct/metrics {
            ct_netsuite_metrics;
        }
""" % (AUDIENCE, ct_send.DEFAULT_EMAIL, TOPIC)


def make_edge(nginx_factory, redis_server, password=None):
    """nginx with every channel, status and metrics; keys in place."""
    http = "ct_netsuite_redis %s%s timeout=1s;" % (
        redis_server.address, " password=" + password if password else "")
    n = nginx_factory(http=http, server=locations())
    n.write("conf/keys/hmac.secret", "%s\n%s\n" % (SECRET, SECRET2),
            mode=0o600)
    n.write("conf/keys/eventbridge.secret", EB_KEY + "\n", mode=0o600)
    n.write("conf/keys/eventgrid.secret", EG_SECRET + "\n", mode=0o600)
    n.write("conf/keys/status.token", STATUS_TOKEN + "\n", mode=0o600)
    with open(fixture_path("signatures", "jwks.json"), "rb") as f:
        n.write("conf/keys/google.jwks", f.read())
    with open(fixture_path("signatures",
                           "TEST-ONLY-self-signed-cert.pem"), "rb") as f:
        n.write("conf/keys/sns/" + cert_file_name(ct_send.DEFAULT_CERT_URL),
                f.read())
    n.start()
    wait_until(lambda: hmac_send(n, order_created())[0] == 202, timeout=10,
               what="redis ready")
    return n


@pytest.fixture
def edge(nginx_factory, redis_server, redis):
    return make_edge(nginx_factory, redis_server)


@pytest.fixture
def redis_pw(redis_server, redis):
    """The module's redis-server with a password, for one test."""
    redis.config_set("requirepass", REDIS_PASSWORD)
    authed = redis_server.client(password=REDIS_PASSWORD)
    yield authed
    authed.config_set("requirepass", "")


def url(n, path):
    return "http://127.0.0.1:%d%s" % (n.port, path)


def answer(resp):
    st, _, body = resp
    try:
        body = json.loads(body)
    except (ValueError, TypeError):
        pass
    return st, body


def hmac_send(n, msg, **kw):
    body = json.dumps(msg).encode()
    return post(n.port, "/ct/hmac", body, sign(body, **kw))


def raw(n, path, headers, body, query=""):
    """A request with headers given as a list: repeats are kept."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", n.port, timeout=10)
    try:
        c.putrequest("POST", path + query)
        for k, v in headers:
            c.putheader(k, v)
        c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def scrape(n):
    st, _, text = post(n.port, "/ct/metrics", None, method="GET")
    assert st == 200
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(ctns_signature_failures_total)\{reason="(\w+)"\} '
                     r'(\d+)', line)
        if m:
            out[m.group(2)] = int(m.group(3))
        m = re.match(r'^ctns_deliveries_total\{(.*)\} (\d+)', line)
        if m and 'result="unauthorized"' in m.group(1):
            out["unauthorized"] = out.get("unauthorized", 0) + \
                int(m.group(2))
    return out


def assert_rejected(resp, what):
    st, body = answer(resp)
    assert st == 401, (what, st, body)
    assert body == UNAUTHORIZED, (what, body)


# --- Standard Webhooks (hmac) -----------------------------------------------


def test_hmac_replay_reuse_and_smuggling(edge, redis):
    before = scrape(edge)
    msg = order_created()
    body = json.dumps(msg).encode()
    h = sign(body)
    assert post(edge.port, "/ct/hmac", body, h)[0] == 202

    # the captured delivery replayed within the tolerance: a duplicate,
    # nothing stored twice; the same webhook-id on another body: forged
    st, resp = answer(post(edge.port, "/ct/hmac", body, h))
    assert st == 200 and resp["result"] == "duplicate"
    other = json.dumps(order_created()).encode()
    rejected = 0
    assert_rejected(post(edge.port, "/ct/hmac", other, h), "reused id")
    rejected += 1

    # replay outside the tolerance, either side, and broken timestamps
    now = int(time.time())
    for ts in (now - 301, now + 301, now - 86400 * 365, 0):
        assert_rejected(post(edge.port, "/ct/hmac", other,
                             sign(other, ts=ts)), ts)
        rejected += 1
    for ts in ("99999999999999999999999", "-1", "1e10", "%d.5" % now, ""):
        hh = sign(other)
        hh["webhook-timestamp"] = ts
        assert_rejected(post(edge.port, "/ct/hmac", other, hh), ts)
        rejected += 1

    # header smuggling: a second signature, timestamp or id beside the
    # valid ones; whitespace around the body
    good = sign(other)
    for name, value in (("webhook-signature", "v1,AAAA"),
                        ("webhook-timestamp", str(now)),
                        ("webhook-id", "msg_other")):
        hs = list(good.items()) + [(name, value)]
        st, resp = raw(edge, "/ct/hmac", hs, other)
        assert st == 401, (name, resp)
        rejected += 1
    assert_rejected(post(edge.port, "/ct/hmac", other + b" ", good),
                    "trailing space")
    rejected += 1
    # the signature computed over the id and body without the timestamp,
    # or with the secret's base64 text instead of its bytes
    key = base64.b64decode(SECRET[len("whsec_"):])
    for text, k in ((b"%s.%s" % (good["webhook-id"].encode(), other), key),
                    (b"%s.%s.%s" % (good["webhook-id"].encode(),
                                    good["webhook-timestamp"].encode(),
                                    other), SECRET.encode())):
        mac = chmac.HMAC(k, hashes.SHA256())
        mac.update(text)
        bad = dict(good, **{"webhook-signature": "v1," + base64.b64encode(
            mac.finalize()).decode()})
        assert_rejected(post(edge.port, "/ct/hmac", other, bad), "mac")
        rejected += 1

    ids = [e["id"] for e in stream_entries(redis)]
    assert msg["id"] in ids and len(ids) == 2      # and the fixture's
    after = scrape(edge)
    assert after["unauthorized"] - before.get("unauthorized", 0) == rejected
    for reason in ("stale", "duplicate", "mismatch"):
        assert after.get(reason, 0) > before.get(reason, 0), reason


# --- Pub/Sub (OIDC JWT) -------------------------------------------------------


def b64u(data):
    if isinstance(data, dict):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(header, claims=None, key=None, sig=None):
    """A JWT with any header; RS256-signed with key unless sig given."""
    now = int(time.time())
    claims = claims or {"aud": AUDIENCE, "azp": ct_send.DEFAULT_SA_ID,
                        "email": ct_send.DEFAULT_EMAIL,
                        "email_verified": True, "exp": now + 3600,
                        "iat": now, "iss": "https://accounts.google.com",
                        "sub": ct_send.DEFAULT_SA_ID}
    signing_input = b64u(header) + "." + b64u(claims)
    if sig is None:
        sig = ct_send._rsa_sign(signing_input.encode(), "sha256", key)
    return signing_input + "." + b64u(sig)


def test_pubsub_alg_confusion_and_kid_traversal(edge, redis):
    before = scrape(edge)
    kid = ct_send.default_kid()
    msg = order_created()

    def send(token=None, headers=None):
        h, b, _ = ct_send.build_request("pubsub", msg, url=url(edge,
                                        "/ct/pubsub"), audience=AUDIENCE,
                                        token=token)
        hs = list(h.items()) + list(headers or [])
        return raw(edge, "/ct/pubsub", hs, b)

    with open(fixture_path("signatures",
                           "TEST-ONLY-rsa2048-public-key.pem"), "rb") as f:
        pub = f.read()
    attacker = rsa.generate_private_key(public_exponent=65537,
                                        key_size=2048)

    def hs256(header):
        signing_input = b64u(header) + "." + jwt({"alg": "none"}).split(
            ".")[1]
        mac = chmac.HMAC(pub, hashes.SHA256())
        mac.update(signing_input.encode())
        return signing_input + "." + b64u(mac.finalize())

    forged = {
        "alg none": jwt({"alg": "none", "kid": kid, "typ": "JWT"}, sig=b""),
        "alg None": jwt({"alg": "None", "kid": kid}, sig=b""),
        "alg HS256 with the public key": hs256({"alg": "HS256", "kid": kid}),
        "alg rs256": jwt({"alg": "rs256", "kid": kid}),
        "alg RS256 padded": jwt({"alg": "RS256 ", "kid": kid}),
        "alg PS256": jwt({"alg": "PS256", "kid": kid}),
        "alg array": jwt({"alg": ["RS256"], "kid": kid}),
        "kid traversal": jwt({"alg": "RS256",
                              "kid": "../../../../../../etc/passwd"},
                             key=attacker),
        "kid traversal to the jwks": jwt({"alg": "RS256",
                                          "kid": "../keys/google.jwks"},
                                         key=attacker),
        "kid NUL": jwt({"alg": "RS256", "kid": kid + "\u0000x"},
                       key=attacker),
        "kid long": jwt({"alg": "RS256", "kid": "k" * 3000}),
        "kid missing": jwt({"alg": "RS256"}),
        "jku to the attacker": jwt({"alg": "RS256", "kid": kid,
                                    "jku": "https://evil.example/jwks"},
                                   key=attacker),
        "embedded jwk": jwt({"alg": "RS256", "kid": kid,
                             "jwk": {"kty": "RSA", "n": "AQAB",
                                     "e": "AQAB"}}, key=attacker),
        "signed by another key": jwt({"alg": "RS256", "kid": kid},
                                     key=attacker),
        "two dots only": "a.b.",
        "four parts": jwt({"alg": "RS256", "kid": kid}) + ".x",
    }
    rejected = 0
    for what, token in forged.items():
        st, resp = send(token)
        assert st == 401, (what, resp)
        rejected += 1

    # a valid token beside a smuggled second Authorization header: nginx
    # itself refuses the request (400) before the module sees it
    st, resp = send(headers=[("Authorization", "Bearer x.y.z")])
    assert st in (400, 401), resp
    rejected += st == 401
    # replay of a captured token outside its lifetime and skew
    now = int(time.time())
    st, _ = send(ct_send.pubsub_jwt(AUDIENCE, iat=now - 7200))
    assert st == 401
    rejected += 1
    st, _ = send(ct_send.pubsub_jwt(AUDIENCE, iat=now + 600))
    assert st == 401
    rejected += 1

    assert not [e for e in stream_entries(redis) if e["src"] == "pubsub"]
    assert send()[0] == 202                       # the genuine one
    after = scrape(edge)
    assert after["unauthorized"] - before.get("unauthorized", 0) == rejected
    assert not glob.glob("/etc/passwd.pem")       # nothing was created
    log = edge.log()
    assert "alg \"none\" is not RS256" in log
    assert "alg \"HS256\" is not RS256" in log


# --- SNS ------------------------------------------------------------------------


SSRF_URLS = [
    "https://169.254.169.254/latest/meta-data/x.pem",
    "https://127.0.0.1/SimpleNotificationService-x.pem",
    "https://localhost/SimpleNotificationService-x.pem",
    "https://sns.us-east-1.amazonaws.com:8443/x.pem",
    "https://sns.us-east-1.amazonaws.com/x.pem?redirect=https://evil",
    "https://sns.us-east-1.amazonaws.com/x.pem#frag",
    "https://SNS.us-east-1.amazonaws.com/x.pem",
    "https://sns.us-east-1.amazonaws.com%2f@evil.example/x.pem",
    "https://sns.us-east-1.amazonaws.com\\@evil.example/x.pem",
    "https://user:pw@sns.us-east-1.amazonaws.com/x.pem",
    "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
    "https://sns.us-east-1.amazonaws.com./x.pem",
    "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
    "https://sns.us-east-1.amazonaws.com.cn.evil.example/x.pem",
    "https://sns.us-east-1.amazonaws.\u0441om/x.pem",
    "https://sns.us-east-1.amazonaws.com/x.pem\r\nHost: evil.example",
    "https:/sns.us-east-1.amazonaws.com/x.pem",
    "//sns.us-east-1.amazonaws.com/x.pem",
    "file:///etc/ssl/private/key.pem",
    "gopher://sns.us-east-1.amazonaws.com/x.pem",
    "http://sns.us-east-1.amazonaws.com/x.pem",
    "https://sns.us-east-2.amazonaws.com/x.pem",
    "https://[::1]/x.pem",
    "https://0x7f000001/x.pem",
    "",
]


def test_sns_cert_url_ssrf_never_fetched(edge, redis, redis_server,
                                         key_server):
    before = scrape(edge)
    for u in SSRF_URLS:
        st, body = answer(ct_send.deliver(url(edge, "/ct/sns"), "sns",
                                          order_created(),
                                          signing_cert_url=u))
        assert st == 401, (u, st, body)

    # a SubscriptionConfirmation is queued for ctns-keys (its signature
    # covers SubscribeURL); ctns-keys checks the URL with the same rules
    # and never fetches these
    evil = ("https://evil.example/?Action=ConfirmSubscription",
            "https://169.254.169.254/latest/meta-data/",
            "https://sns.us-east-1.amazonaws.com.evil.example/?Action=x",
            "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription")
    queued = 0
    for u in evil:
        conf = ct_send.sns_confirmation(str(uuid.uuid4()), "ab" * 32,
                                        ct_send.iso_from_unix(time.time()),
                                        subscribe_url=u)
        st, _, _ = ct_send.post(url(edge, "/ct/sns"),
                                ct_send.sns_headers(conf),
                                ct_send.sns_body(conf))
        assert st in (202, 401), (u, st)
        queued += st == 202
    rc, log = run_keys(redis_server, "--sns-confirm-base-url",
                       key_server.base)
    assert key_server.requests == [], key_server.requests
    assert log.count("SubscribeURL refused") == queued, log

    # a replay 2 h late, and a forged signature
    h, b, _ = ct_send.build_request("sns", order_created())
    st, _ = raw(edge, "/ct/sns", list(h.items()),
                b.replace(b'"Signature": "', b'"Signature": "A', 1))
    assert st == 401
    stale = ct_send.iso_from_unix(time.time() - 2 * 3600)
    assert ct_send.deliver(url(edge, "/ct/sns"), "sns", order_created(),
                           timestamp_iso=stale)[0] == 401

    assert redis.scard("ctns:keys:wanted") == 0
    assert not [e for e in stream_entries(redis) if e["src"] == "sns"]
    after = scrape(edge)
    assert after["unauthorized"] - before.get("unauthorized", 0) == \
        len(SSRF_URLS) + len(evil) - queued + 2
    # and the genuine delivery still passes
    assert ct_send.deliver(url(edge, "/ct/sns"), "sns",
                           order_created())[0] == 202


def test_sns_message_type_sent_twice_is_refused(edge, redis):
    h, b, _ = ct_send.build_request("sns", order_created())
    st, _ = raw(edge, "/ct/sns", list(h.items()) +
                [("x-amz-sns-message-type", "SubscriptionConfirmation")], b)
    assert st == 401


# --- EventBridge token and Event Grid ------------------------------------------


def test_token_smuggling(edge, redis):
    msg = order_created()
    h, b, _ = ct_send.build_request("eventbridge", msg, api_key=EB_KEY)
    for extra in ([("x-api-key", EB_KEY)], [("x-api-key", "wrong")],
                  [("X-API-KEY", "")]):
        st, _ = raw(edge, "/ct/eventbridge", list(h.items()) + extra, b)
        assert st == 401, extra
    # (whitespace around a header value is no part of it in HTTP)
    for key in (EB_KEY[:-1], EB_KEY.upper(), EB_KEY + EB_KEY, EB_KEY[3:],
                "Basic " + EB_KEY):
        st, _, _ = ct_send.deliver(url(edge, "/ct/eventbridge"),
                                   "eventbridge", msg, api_key=key)
        assert st == 401, repr(key)
    assert not [e for e in stream_entries(redis)
                if e["src"] == "eventbridge"]
    assert ct_send.deliver(url(edge, "/ct/eventbridge"), "eventbridge",
                           msg, api_key=EB_KEY)[0] == 202


def test_eventgrid_handshake_abuse(edge, redis):
    u = url(edge, "/ct/eventgrid")
    # validation without or with a wrong secret, or the secret twice
    assert ct_send.eventgrid_validation(u, "code-1")[0] == 401
    assert ct_send.eventgrid_validation(u, "code-1", secret="x")[0] == 401
    ev = [{"id": "v1", "topic": ct_send.DEFAULT_EG_TOPIC, "subject": "",
           "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
           "eventTime": "2026-07-01T10:00:00Z", "dataVersion": "2",
           "metadataVersion": "1", "data": {"validationCode": "c0de"}}]
    body = json.dumps(ev).encode()
    hdr = [("Content-Type", "application/json"),
           ("aeg-event-type", "SubscriptionValidation")]
    for q in ("?code=%s&code=%s" % ("wrong", EG_SECRET),
              "?code=%s%%00" % EG_SECRET, "?code=x%s" % EG_SECRET,
              "?code=%s%%20" % EG_SECRET, "?code=" + EG_SECRET[:-1]):
        st, _ = raw(edge, "/ct/eventgrid", hdr, body, query=q)
        assert st == 401, q

    # with the secret: the code is echoed as JSON, never as raw text
    evil = '"},"x":"<script>\r\n' + "A" * 5000
    ev[0]["data"]["validationCode"] = evil
    st, resp = raw(edge, "/ct/eventgrid", hdr, json.dumps(ev).encode(),
                   query="?code=" + EG_SECRET)
    if st == 200:
        assert json.loads(resp) == {"validationResponse": evil}
    else:
        assert st == 400, resp
    # a validation event smuggled into a batch of notifications, and a
    # notification claiming to be a validation: nothing stored either way
    note = ct_send.eventgrid_event(order_created(), "n1",
                                   "2026-07-01T10:00:00Z")
    for batch, kind in (([note, ev[0]], "Notification"),
                        ([ev[0], note], "SubscriptionValidation"),
                        ([ev[0], ev[0]], "SubscriptionValidation")):
        st, resp = raw(edge, "/ct/eventgrid",
                       [("Content-Type", "application/json"),
                        ("aeg-event-type", kind)],
                       json.dumps(batch).encode(),
                       query="?code=" + EG_SECRET)
        assert st == 400, (kind, st, resp)
    # the OPTIONS preflight answers only the configured origin
    for origin in ("evil.example", "eventgrid.azure.net.evil.example",
                   "eventgrid.azure.net, evil.example", ""):
        st, h = ct_send.eventgrid_options_handshake(u, origin=origin)
        assert st != 200, origin
        assert "evil" not in json.dumps(h)
    assert not [e for e in stream_entries(redis)
                if e["src"] == "eventgrid"]
    assert redis.exists("ctns:control") == 0


def test_eventgrid_secret_sent_twice_is_refused(edge, redis):
    ev = [{"id": "v1", "topic": ct_send.DEFAULT_EG_TOPIC, "subject": "",
           "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
           "eventTime": "2026-07-01T10:00:00Z", "dataVersion": "2",
           "metadataVersion": "1", "data": {"validationCode": "c0de"}}]
    st, _ = raw(edge, "/ct/eventgrid",
                [("Content-Type", "application/json"),
                 ("aeg-event-type", "SubscriptionValidation")],
                json.dumps(ev).encode(),
                query="?code=%s&code=%s" % (EG_SECRET, "wrong"))
    assert st == 401


# --- status location -----------------------------------------------------------


def status_get(n, path, token=STATUS_TOKEN):
    h = {"Authorization": "Bearer " + token} if token is not None else {}
    return answer(post(n.port, path, None, h, method="GET"))


def test_status_token_ids_and_no_leak(edge, redis):
    msg = order_created()
    msg["order"]["customerEmail"] = "private.person@example.org"
    body = json.dumps(msg).encode()
    assert post(edge.port, "/ct/hmac", body, sign(body))[0] == 202
    oid = msg["resource"]["id"]

    for token in (None, "", "wrong", STATUS_TOKEN[:-1], STATUS_TOKEN + "x",
                  STATUS_TOKEN.upper()):
        st, _ = status_get(edge, "/ct/status/", token)
        assert st == 401, token
    # the token only as a Bearer header, never from the query string
    st, _ = answer(post(edge.port, "/ct/status/?token=" + STATUS_TOKEN,
                        None, method="GET"))
    assert st == 401

    # ids that would be Redis glob patterns, traversal or injection
    for bad in ("*", "ord*", "a?b", "[a-z]", "..%2f..%2fdlq", "a%00b",
                "a%0d%0aSET%20x", "%2A", "x" * 600, "a%20b", "{1}"):
        st, resp = status_get(edge, "/ct/status/orders/" + bad)
        assert st in (400, 404), (bad, st, resp)
        assert st == 400 or "*" not in bad

    everything = []
    for path in ("/ct/status/", "/ct/status/orders/" + oid,
                 "/ct/status/events/" + msg["id"]):
        st, resp = status_get(edge, path)
        assert st in (200, 404), (path, st)
        everything.append(json.dumps(resp))
    text = "\n".join(everything)
    for secret in configured_secrets():
        assert secret not in text
    assert "private.person@example.org" not in text


# --- secrets in logs -----------------------------------------------------------


def configured_secrets():
    """Every secret configured in this module, and its key material."""
    out = [SECRET, SECRET2, SECRET[len("whsec_"):], SECRET2[len("whsec_"):],
           EG_SECRET, EB_KEY, STATUS_TOKEN, REDIS_PASSWORD]
    return out


def worker_secrets(ws):
    creds = ws.config()["netsuite"]["auth"]
    out = []
    for ref in creds.values():
        if isinstance(ref, str) and ref.startswith("file:"):
            with open(ref[5:]) as f:
                out.append(f.read().strip())
    return [s for s in out if len(s) >= 8]


def test_secrets_never_in_any_log(nginx_factory, redis_pw, redis_server,
                                  netsuite):
    """Good and bad deliveries on every channel, then grep every log."""
    edge = make_edge(nginx_factory, redis_server, REDIS_PASSWORD)
    ws = Workers(redis_server, netsuite)
    try:
        conf = ws.config()
        conf["redis"]["password"] = "file:" + ws.secrets + "/redis"
        with open(ws.secrets + "/redis", "w") as f:
            f.write(REDIS_PASSWORD + "\n")
        w = ws.start(conf)
        secrets = configured_secrets() + worker_secrets(ws)

        msg = order_created()
        assert hmac_send(edge, msg)[0] == 202
        hmac_send(edge, order_created(), secret=SECRET2)
        hmac_send(edge, order_created(),
                  secret="whsec_" + base64.b64encode(b"k" * 32).decode())
        for key in (EB_KEY, "eb-wrong"):
            ct_send.deliver(url(edge, "/ct/eventbridge"), "eventbridge",
                            order_created(), api_key=key)
        for secret in (EG_SECRET, "eg-wrong"):
            ct_send.deliver(url(edge, "/ct/eventgrid"), "cloudevents",
                            order_created(), secret=secret)
        ct_send.eventgrid_validation(url(edge, "/ct/eventgrid"), "c",
                                     secret=EG_SECRET)
        ct_send.deliver(url(edge, "/ct/pubsub"), "pubsub", order_created(),
                        audience=AUDIENCE)
        ct_send.deliver(url(edge, "/ct/sns"), "sns", order_created())
        status_get(edge, "/ct/status/")
        status_get(edge, "/ct/status/", "st-wrong")
        wait_until(lambda: redis_pw.exists("ctns:status:order:" +
                                           msg["resource"]["id"]),
                   timeout=30, what="worker posted")
        w.stop()
        edge.stop()

        logs = glob.glob(edge.path("logs", "*")) + \
            glob.glob(os.path.join(ws.dir, "*.log")) + \
            glob.glob(os.path.join(redis_server.dir, "**", "redis.log"),
                      recursive=True)     # one server, or each cluster node
        assert len(logs) >= 4, logs
        assert any(p.endswith("redis.log") for p in logs), logs
        found = []
        for path in logs:
            with open(path, "rb") as f:
                text = f.read().decode(errors="replace")
            for s in secrets:
                found += [(os.path.basename(path), line.replace(s, "<" + s[:3]
                                                            + "...>"))
                          for line in text.splitlines() if s in line]
        assert not found, found
    finally:
        ws.cleanup()


def test_query_secret_not_logged_when_the_body_is_refused(edge, redis):
    """Event Grid carries its secret in the URL: a delivery refused after
    the secret matched (400, 413, 415) must not write the request line,
    query included, to error.log."""
    u = "/ct/eventgrid?code=" + EG_SECRET
    for body, ctype in ((b"[{]", "application/json"),
                        (b"a=1", "application/x-www-form-urlencoded"),
                        (b"[" + b" " * (1100 * 1024) + b"]",
                         "application/json")):
        st, _, _ = post(edge.port, u, body, {"Content-Type": ctype})
        assert st in (400, 413, 415), st
    edge.stop()
    leaked = [line for line in edge.log().splitlines() if EG_SECRET in line]
    assert not leaked, leaked[0].replace(EG_SECRET, "<secret>")
