"""The cloud delivery channels end to end: real nginx with the module, real
Redis, ctns-keys against a local key server, deliveries built by the
commercetools sender (t/sim/ct_send.py).

The nginx locations are the ```nginx blocks of docs/channel-*.md, loaded as
written, so the documented configuration is the tested one.
"""

import base64
import json
import os
import re
import sys
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.common import ROOT, fixture_path, wait_until
from harness.keyserver import cert_file_name, run_keys
from harness.webhook import order_created, stream_entries

sys.path.insert(0, os.path.join(ROOT, "t", "sim"))
import ct_send  # noqa: E402

AUDIENCE = "https://hooks.example.com/ct/pubsub"
TOPIC = "arn:aws:sns:us-east-1:123456789012:ct-order-events"
CERT_URL = ct_send.DEFAULT_CERT_URL
CERT_PATH = CERT_URL[len("https://sns.us-east-1.amazonaws.com"):]
EG_SECRET = "eg-" + "4f1c9a7e2b6d8053a1c4e7f9b2d6a8c3"
EB_KEY = "eb-" + "9b8a7c6d5e4f30211a2b3c4d5e6f7081"
EB_BASIC = "Basic " + base64.b64encode(b"ct-netsuite:s3cr3t-pw").decode()


def doc_locations(name):
    """The ```nginx block of docs/channel-<name>.md."""
    with open(os.path.join(ROOT, "docs", "channel-%s.md" % name)) as f:
        blocks = re.findall(r"```nginx\n(.*?)```", f.read(), re.S)
    assert len(blocks) == 1, name
    return blocks[0]


def read_fixture(*parts):
    with open(fixture_path(*parts), "rb") as f:
        return f.read()


@pytest.fixture
def channels(nginx_factory, redis_server, redis):
    """nginx with every documented channel location; keys not yet there."""
    http = "ct_netsuite_redis %s timeout=1s;" % redis_server.address
    server = "\n".join(doc_locations(n) for n in
                       ("pubsub", "sns", "eventbridge", "eventgrid"))
    n = nginx_factory(http=http, server=server)
    n.write("conf/ct-netsuite/eventgrid.secret", EG_SECRET + "\n",
            mode=0o600)
    n.write("conf/ct-netsuite/eventbridge.secret", EB_KEY + "\n", mode=0o600)
    n.write("conf/ct-netsuite/eventbridge-basic.secret", EB_BASIC + "\n",
            mode=0o600)
    os.makedirs(n.path("conf", "ct-netsuite", "sns-certs"))
    # the JWKS and SNS certificate arrive through ctns-keys
    n.start()
    return n


def url(n, path):
    return "http://127.0.0.1:%d%s" % (n.port, path)


def send(n, path, channel, message, **opt):
    status, headers, body = ct_send.deliver(url(n, path), channel, message,
                                            **opt)
    try:
        body = json.loads(body)
    except ValueError:
        pass
    return status, body


def install_jwks(redis_server, key_server, n, jwks_bytes):
    key_server.route("/oauth2/v3/certs", jwks_bytes)
    rc, log = run_keys(redis_server, "--jwks-url",
                       key_server.base + "/oauth2/v3/certs", "--jwks-file",
                       n.path("conf", "ct-netsuite", "google.jwks"))
    assert rc == 0, log


def entries(redis, src=None):
    return [e for e in stream_entries(redis) if src in (None, e["src"])]


# --- Pub/Sub ----------------------------------------------------------------


def test_pubsub_end_to_end_and_duplicates(channels, redis, redis_server,
                                          key_server):
    msg = order_created()
    raw = json.dumps(msg, indent=1).encode()

    # no JWKS yet: 503, Pub/Sub retries
    st, body = send(channels, "/ct/pubsub", "pubsub", raw, audience=AUDIENCE)
    assert st == 503, body
    channels.wait_log("JWKS not loaded yet")

    install_jwks(redis_server, key_server, channels,
                 read_fixture("signatures", "jwks.json"))
    wait_until(lambda: send(channels, "/ct/pubsub", "pubsub", raw,
                            audience=AUDIENCE)[0] == 202,
               timeout=5, what="JWKS picked up")

    es = entries(redis, "pubsub")
    assert len(es) == 1
    assert es[0]["id"] == msg["id"] and es[0]["type"] == "OrderCreated"
    # message.data decoded byte for byte
    assert es[0]["payload"].encode() == raw

    # Pub/Sub redelivery (same messageId) and a commercetools retry (new
    # messageId, same payload id): both duplicates
    st, body = send(channels, "/ct/pubsub", "pubsub", raw, audience=AUDIENCE)
    assert st == 200 and body["result"] == "duplicate"
    st, body = send(channels, "/ct/pubsub", "pubsub", raw, audience=AUDIENCE,
                    salt="retry")
    assert st == 200 and body["result"] == "duplicate"
    assert len(entries(redis, "pubsub")) == 1


def test_pubsub_rejections(channels, redis, redis_server, key_server):
    install_jwks(redis_server, key_server, channels,
                 read_fixture("signatures", "jwks.json"))
    msg = order_created()
    now = int(time.time())

    def status(**opt):
        opt.setdefault("audience", AUDIENCE)
        return send(channels, "/ct/pubsub", "pubsub", msg, **opt)[0]

    wait_until(lambda: status() == 202, timeout=5, what="JWKS loaded")

    m2 = order_created()
    assert send(channels, "/ct/pubsub", "pubsub", m2,
                audience="https://attacker.example/ct")[0] == 401
    assert send(channels, "/ct/pubsub", "pubsub", m2, audience=AUDIENCE,
                email="someone@evil.iam.gserviceaccount.com")[0] == 401
    assert send(channels, "/ct/pubsub", "pubsub", m2, audience=AUDIENCE,
                iat=now - 7200)[0] == 401
    assert send(channels, "/ct/pubsub", "pubsub", m2, audience=AUDIENCE,
                no_token=True)[0] == 401
    for name in ("pubsub-jwt-alg-none.txt",
                 "pubsub-jwt-hs256-key-confusion.txt"):
        token = read_fixture("signatures", name).decode().strip()
        assert send(channels, "/ct/pubsub", "pubsub", m2,
                    token=token)[0] == 401
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert send(channels, "/ct/pubsub", "pubsub", m2, audience=AUDIENCE,
                key=other)[0] == 401

    log = channels.log()
    for reason in ("aud \"https://attacker.example/ct\" is not configured",
                   "is not the configured service account", "expired",
                   "Authorization header missing",
                   "alg \"none\" is not RS256", "alg \"HS256\" is not RS256",
                   "signature mismatch"):
        assert reason in log, reason
    assert len(entries(redis, "pubsub")) == 1


def test_pubsub_jwks_rotation_without_restart(channels, redis, redis_server,
                                              key_server):
    jwks = json.loads(read_fixture("signatures", "jwks.json"))
    install_jwks(redis_server, key_server, channels,
                 json.dumps(jwks).encode())
    pid = channels.worker_pids()

    new = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nums = new.public_key().public_numbers()

    def b64u(i):
        raw = i.to_bytes((i.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    msg = order_created()
    opt = dict(audience=AUDIENCE, key=new, kid="rotated-key")
    # the worker sees the first file within a second, then knows no such kid
    wait_until(lambda: send(channels, "/ct/pubsub", "pubsub", msg,
                            **opt)[0] == 401, timeout=5, what="JWKS loaded")
    assert "kid \"rotated-key\" is not in the JWKS" in channels.log()

    jwks["keys"].append({"kty": "RSA", "use": "sig", "alg": "RS256",
                         "kid": "rotated-key", "n": b64u(nums.n),
                         "e": b64u(nums.e)})
    install_jwks(redis_server, key_server, channels,
                 json.dumps(jwks).encode())

    wait_until(lambda: send(channels, "/ct/pubsub", "pubsub", msg,
                            **opt)[0] == 202, timeout=5,
               what="rotated JWKS picked up")
    assert channels.worker_pids() == pid
    channels.wait_log(r"JWKS \".*google.jwks\" loaded, 2 keys")

    # a broken file never replaces good keys
    with open(channels.path("conf", "ct-netsuite", "google.jwks"), "w") as f:
        f.write("{\"keys\": []}")
    time.sleep(1.1)
    st, _ = send(channels, "/ct/pubsub", "pubsub", order_created(), **opt)
    assert st == 202
    channels.wait_log("refused, keeping the keys read before")


# --- SNS --------------------------------------------------------------------


def sns_send(n, message, **opt):
    return send(n, "/ct/sns", "sns", message, **opt)


def test_sns_unknown_cert_then_fetched(channels, redis, redis_server,
                                       key_server):
    msg = order_created()
    opt = dict(message_id=str(uuid.uuid4()), version=2)

    # 503 at once; the URL lands in the set once the worker's Redis is up
    wait_until(lambda: sns_send(channels, msg, **opt)[0] == 503
               and redis.smembers("ctns:keys:wanted") == {CERT_URL},
               timeout=10, what="503 and ctns:keys:wanted")
    assert entries(redis) == []
    channels.wait_log("not cached yet")

    key_server.route(CERT_PATH,
                     read_fixture("signatures",
                                  "TEST-ONLY-self-signed-cert.pem"))
    certs = channels.path("conf", "ct-netsuite", "sns-certs")
    rc, log = run_keys(redis_server, "--sns-cert-dir", certs,
                       "--sns-cert-base-url", key_server.base)
    assert rc == 0, log
    assert os.path.exists(os.path.join(certs, cert_file_name(CERT_URL)))

    # SNS retries the same message: now accepted
    wait_until(lambda: sns_send(channels, msg, **opt)[0] == 202, timeout=5,
               what="certificate picked up")
    es = entries(redis, "sns")
    assert len(es) == 1 and es[0]["id"] == msg["id"]
    assert json.loads(es[0]["payload"]) == msg

    # SNS retry and a SignatureVersion 1 copy: duplicates
    st, body = sns_send(channels, msg, **opt)
    assert st == 200 and body["result"] == "duplicate"
    st, body = sns_send(channels, msg, message_id=str(uuid.uuid4()),
                        version=1)
    assert st == 200 and body["result"] == "duplicate"
    assert len(entries(redis, "sns")) == 1


def test_sns_rejections(channels, redis):
    certs = channels.path("conf", "ct-netsuite", "sns-certs")
    with open(os.path.join(certs, cert_file_name(CERT_URL)), "wb") as f:
        f.write(read_fixture("signatures", "TEST-ONLY-self-signed-cert.pem"))

    wait_until(lambda: sns_send(channels, order_created())[0] == 202,
               timeout=5, what="SNS ready")

    forged = ["https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
              "http://sns.us-east-1.amazonaws.com/x.pem",
              "https://sns.us-east-1.amazonaws.com@evil.example/x.pem",
              "https://sns.eu-west-1.amazonaws.com/x.pem"]
    for u in forged:
        assert sns_send(channels, order_created(),
                        signing_cert_url=u)[0] == 401, u
    assert sns_send(channels, order_created(),
                    topic_arn="arn:aws:sns:us-east-1:999999999999:x")[0] \
        == 401
    stale = ct_send.iso_from_unix(time.time() - 2 * 3600)
    assert sns_send(channels, order_created(),
                    timestamp_iso=stale)[0] == 401

    # tampered Message: the amount changed after signing
    h, b, _ = ct_send.build_request("sns", order_created())
    assert b"12000" in b
    assert ct_send.post(url(channels, "/ct/sns"), h,
                        b.replace(b"12000", b"12001", 1))[0] == 401

    # raw message delivery has no signature
    st, _, _ = ct_send.post(url(channels, "/ct/sns"),
                            {"x-amz-sns-rawdelivery": "true",
                             "Content-Type": "text/plain"},
                            json.dumps(order_created()).encode())
    assert st == 401

    # unsigned routing header disagreeing with the signed body
    h, b, _ = ct_send.build_request("sns", order_created())
    h["x-amz-sns-message-type"] = "SubscriptionConfirmation"
    assert ct_send.post(url(channels, "/ct/sns"), h, b)[0] == 401

    assert redis.scard("ctns:keys:wanted") == 0
    assert len(entries(redis, "sns")) == 1
    log = channels.log()
    for reason in ("is not sns.<region>.amazonaws.com", "is not https",
                   "region differs", "is not allowed", "replay window",
                   "signature mismatch", "raw message delivery",
                   "x-amz-sns-message-type differs"):
        assert reason in log, reason


def test_sns_subscription_confirmation(channels, redis, redis_server,
                                       key_server):
    certs = channels.path("conf", "ct-netsuite", "sns-certs")
    with open(os.path.join(certs, cert_file_name(CERT_URL)), "wb") as f:
        f.write(read_fixture("signatures", "TEST-ONLY-self-signed-cert.pem"))

    conf = ct_send.sns_confirmation(str(uuid.uuid4()), "a1b2" * 16,
                                    ct_send.iso_from_unix(time.time()))
    body = ct_send.sns_body(conf)
    # SNS retries a 503 (Redis not connected yet right after start)
    wait_until(lambda: ct_send.post(url(channels, "/ct/sns"),
                                    ct_send.sns_headers(conf), body)[0]
               == 202, timeout=10, what="confirmation queued")

    control = redis.xrange("ctns:control")
    assert len(control) == 1
    fields = control[0][1]
    assert fields["type"] == "SubscriptionConfirmation"
    assert fields["id"] == conf["MessageId"] and fields["src"] == "sns"
    assert json.loads(fields["payload"]) == conf
    assert entries(redis) == []

    path = conf["SubscribeURL"][len("https://sns.us-east-1.amazonaws.com"):]
    key_server.route(path, b"<ConfirmSubscriptionResponse/>")
    rc, log = run_keys(redis_server, "--sns-confirm-base-url",
                       key_server.base)
    assert rc == 0, log
    assert key_server.hits(path) == 1
    assert redis.xpending("ctns:control", "ctns-keys")["pending"] == 0

    # a forged confirmation (bad signature) never reaches the stream
    conf["Token"] = "f" * 64
    st, _, _ = ct_send.post(url(channels, "/ct/sns"),
                            ct_send.sns_headers(conf), ct_send.sns_body(conf))
    assert st == 401
    assert len(redis.xrange("ctns:control")) == 1


# --- EventBridge ------------------------------------------------------------


def test_eventbridge_api_key_and_basic(channels, redis):
    msg = order_created()
    wait_until(lambda: send(channels, "/ct/eventbridge", "eventbridge", msg,
                            api_key=EB_KEY)[0] == 202,
               timeout=10, what="redis ready")
    es = entries(redis, "eventbridge")
    assert len(es) == 1 and es[0]["id"] == msg["id"]
    assert json.loads(es[0]["payload"]) == msg

    st, body = send(channels, "/ct/eventbridge", "eventbridge", msg,
                    api_key=EB_KEY, salt="retry")
    assert st == 200 and body["result"] == "duplicate"

    m2 = order_created()
    assert send(channels, "/ct/eventbridge", "eventbridge", m2,
                api_key=EB_KEY[:-1] + "0")[0] == 401
    assert send(channels, "/ct/eventbridge", "eventbridge", m2)[0] == 401
    assert send(channels, "/ct/eventbridge-basic", "eventbridge", m2,
                basic="ct-netsuite:wrong")[0] == 401
    assert send(channels, "/ct/eventbridge-basic", "eventbridge", m2,
                basic="ct-netsuite:s3cr3t-pw")[0] == 202
    assert len(entries(redis, "eventbridge")) == 2


# --- Event Grid -------------------------------------------------------------


def test_eventgrid_handshakes(channels, redis):
    u = url(channels, "/ct/eventgrid")

    st, h = ct_send.eventgrid_options_handshake(u, rate=100)
    h = {k.lower(): v for k, v in h.items()}
    assert st == 200
    assert h["webhook-allowed-origin"] == "eventgrid.azure.net"
    assert h["allow"] == "POST" and h["webhook-allowed-rate"] == "*"

    st, _ = ct_send.eventgrid_options_handshake(u, origin="evil.example")
    assert st == 405

    st, body = ct_send.eventgrid_validation(u, "b1e9c2c7-1458-4c40-9623-"
                                            "62bae3a2f399", secret=EG_SECRET)
    assert st == 200
    assert json.loads(body) == {"validationResponse":
                                "b1e9c2c7-1458-4c40-9623-62bae3a2f399"}

    st, _ = ct_send.eventgrid_validation(u, "x", secret="wrong")
    assert st == 401
    st, _ = ct_send.eventgrid_validation(u, "x")
    assert st == 401
    assert entries(redis) == [] and redis.xlen("ctns:control") == 0


def test_eventgrid_batches(channels, redis):
    u = url(channels, "/ct/eventgrid")
    msgs = [order_created() for _ in range(3)]
    # a payload with floats: passed on byte for byte, not re-serialized
    msgs[0]["order"]["taxRate"] = {"amount": 0.07}
    body = ("[" + ",".join(
        json.dumps(ct_send.eventgrid_event(m, str(uuid.uuid4()),
                                           "2026-07-01T10:15:22Z"),
                   separators=(",", ":")) for m in msgs) + "]").encode()

    def post(b, query=None, **h):
        h.setdefault("Content-Type", "application/json")
        return ct_send.post(u, h, b, query if query is not None
                            else {"code": EG_SECRET})

    wait_until(lambda: post(body)[0] == 202, timeout=10, what="redis ready")
    es = entries(redis, "eventgrid")
    assert sorted(e["id"] for e in es) == sorted(m["id"] for m in msgs)
    first = [e for e in es if e["id"] == msgs[0]["id"]][0]
    assert '"amount":0.07}' in first["payload"]

    # the same batch again: all duplicates
    st, _, resp = post(body)
    assert st == 200 and json.loads(resp)["result"] == "duplicate"

    # one CloudEvent (the commercetools path), secret from the query
    m = order_created()
    st, _ = send(channels, "/ct/eventgrid", "cloudevents", m,
                 secret=EG_SECRET)
    assert st == 202
    assert len(entries(redis, "eventgrid")) == 4

    # all or nothing: one bad event refuses the whole batch
    good = ct_send.eventgrid_event(order_created(), "e1", "2026-07-01T10:00Z")
    bad = dict(good, id="e2", data="not an object")
    st, _, resp = post(json.dumps([good, bad]).encode())
    assert st == 400
    assert json.loads(resp) == {"result": "malformed", "id": None,
                                "error": "event 1 has no \"data\" object"}
    big = json.dumps([good] * 101).encode()
    assert post(big)[0] == 400
    assert post(body, query={})[0] == 401
    assert post(body, query={"code": "nope"})[0] == 401
    assert len(entries(redis, "eventgrid")) == 4
    assert "batch of 101 events, at most 100" in channels.log()


# --- configuration ----------------------------------------------------------


@pytest.mark.parametrize("auth,files,error", [
    ("pubsub audience=x", {}, "needs jwks_file= and audience="),
    ("pubsub jwks_file=k/g.jwks", {}, "needs jwks_file= and audience="),
    ("pubsub jwks_file=k/g.jwks audience=x", {"k/g.jwks": '{"keys":[]}'},
     "invalid JWKS"),
    ("pubsub jwks_file=k/g.jwks audience=x skew=soon", {}, "invalid skew"),
    ("pubsub jwks_file=k/g.jwks audience=x alg=HS256", {},
     "invalid ct_netsuite_auth pubsub parameter"),
    ("sns cert_dir=k", {}, "needs cert_dir= and topic="),
    ("sns cert_dir=k topic=arn:aws:sns:us-east-1:1:t min_version=3", {},
     "min_version must be 1 or 2"),
    ("eventgrid query=code", {}, "needs at least one secret_file="),
    ("eventgrid secret=s max_events=0", {}, "max_events must be 1..5000"),
])
def test_config_errors(nginx_factory, redis_server, auth, files, error):
    n = nginx_factory(http="ct_netsuite_redis %s;" % redis_server.address,
                      server="location /ct { ct_netsuite_webhook; "
                             "ct_netsuite_auth %s; }" % auth)
    for path, content in files.items():
        n.write("conf/" + path, content)
    n.allow.append(re.compile(r"\[emerg\]"))
    rc, out = n.test_config()
    assert rc != 0
    assert error in out, out
