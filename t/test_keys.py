"""ctns-keys against real Redis and a local key server.

JWKS download with validation and atomic replacement, SNS signing
certificates from <prefix>:keys:wanted (host rules of the module, test base
URL only redirecting the fetch), subscription confirmations from the
<prefix>:control stream with consumer group ctns-keys, exit codes, AUTH
with a Redis password from a file or the environment.
"""

import json
import os
import signal
import subprocess
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.common import build_path, fixture_path, wait_until
from harness.keyserver import cert_file_name, run_keys
from harness.redis_server import RedisServer

CERT_URL = ("https://sns.us-east-1.amazonaws.com/"
            "SimpleNotificationService-0123456789abcdef0123456789abcdef.pem")
CERT_PATH = CERT_URL[len("https://sns.us-east-1.amazonaws.com"):]
REDIS_PASSWORD = "test-only-keys-redis-password"


def read_fixture(*parts, mode="rb"):
    with open(fixture_path(*parts), mode) as f:
        return f.read()


def jwk_of(key, kid):
    """A public JWK (RS256) of a cryptography RSA key."""
    import base64

    def b64u(n):
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    pub = key.public_key().public_numbers()
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64u(pub.n), "e": b64u(pub.e)}


def confirmation(subscribe_url=None):
    msg = json.loads(read_fixture("signatures",
                                  "sns-subscription-confirmation.json"))
    if subscribe_url:
        msg["SubscribeURL"] = subscribe_url
    return msg


def subscribe_path(msg):
    return msg["SubscribeURL"][len("https://sns.us-east-1.amazonaws.com"):]


# --- JWKS -------------------------------------------------------------------


def test_jwks_downloaded_validated_and_replaced_atomically(
        redis_server, key_server, tmp_path):
    target = tmp_path / "google.jwks"
    jwks = read_fixture("signatures", "jwks.json")
    key_server.route("/oauth2/v3/certs", jwks)
    url = key_server.base + "/oauth2/v3/certs"

    rc, log = run_keys(redis_server, "--jwks-url", url,
                       "--jwks-file", str(target), "--once")
    assert rc == 0, log
    assert target.read_bytes() == jwks
    assert "1 keys from %s written to %s" % (url, target) in log

    # unchanged: not rewritten, so the module's mtime check stays quiet
    before = os.stat(target).st_mtime_ns
    time.sleep(0.02)
    rc, log = run_keys(redis_server, "--jwks-url", url,
                       "--jwks-file", str(target))
    assert rc == 0 and "unchanged" in log
    assert os.stat(target).st_mtime_ns == before

    # rotation: Google publishes a second key
    new = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rotated = json.dumps({"keys": [json.loads(jwks)["keys"][0],
                                   jwk_of(new, "test-key-2")]}).encode()
    key_server.route("/oauth2/v3/certs", rotated)
    rc, log = run_keys(redis_server, "--jwks-url", url,
                       "--jwks-file", str(target))
    assert rc == 0 and "2 keys" in log
    assert target.read_bytes() == rotated
    assert [p.name for p in tmp_path.iterdir()] == ["google.jwks"]


def test_jwks_bad_download_keeps_the_good_file(redis_server, key_server,
                                               tmp_path):
    target = tmp_path / "google.jwks"
    good = read_fixture("signatures", "jwks.json")
    target.write_bytes(good)
    url = key_server.base + "/certs"

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    bad_bodies = [
        (200, b"<html>captive portal</html>"),
        (200, json.dumps({"keys": [jwk_of(weak, "weak")]}).encode()),
        (200, b'{"keys":[]}'),
        (500, good),
        (200, b"x" * (70 * 1024)),
    ]
    for status, body in bad_bodies:
        key_server.route("/certs", body, status)
        rc, log = run_keys(redis_server, "--jwks-url", url,
                           "--jwks-file", str(target))
        assert rc == 1, log
        assert "jwks:" in log and "error" in log
        assert target.read_bytes() == good

    rc, log = run_keys(redis_server, "--jwks-url", "http://127.0.0.1:1/x",
                       "--jwks-file", str(target))
    assert rc == 1 and target.read_bytes() == good


# --- SNS certificates -------------------------------------------------------


def test_wanted_cert_fetched_into_cache(redis, redis_server, key_server,
                                        tmp_path):
    pem = read_fixture("signatures", "TEST-ONLY-self-signed-cert.pem")
    key_server.route(CERT_PATH, pem)
    forged = [
        "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
        "http://sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com@evil.example/x.pem",
        "https://user@sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com:8443/x.pem",
        "https://s3.amazonaws.com/bucket/x.pem",
    ]
    redis.sadd("ctns:keys:wanted", CERT_URL, *forged)

    rc, log = run_keys(redis_server, "--sns-cert-dir", str(tmp_path),
                       "--sns-cert-base-url", key_server.base)
    assert rc == 0, log

    cached = tmp_path / cert_file_name(CERT_URL)
    assert cached.read_bytes() == pem
    assert sorted(p.name for p in tmp_path.iterdir()) == [cached.name]
    assert redis.scard("ctns:keys:wanted") == 0
    assert log.count("sns cert: refused") == len(forged)
    # only the checked URL's path was fetched, nothing for the forged ones
    assert key_server.requests == [CERT_PATH]

    # asked again: already cached, no download
    redis.sadd("ctns:keys:wanted", CERT_URL)
    rc, log = run_keys(redis_server, "--sns-cert-dir", str(tmp_path),
                       "--sns-cert-base-url", key_server.base)
    assert rc == 0 and "already cached" in log
    assert key_server.requests == [CERT_PATH]


def test_cert_failures_retry_or_drop(redis, redis_server, key_server,
                                     tmp_path):
    args = ["--sns-cert-dir", str(tmp_path),
            "--sns-cert-base-url", key_server.base]

    # server trouble: kept in the set for the next run, exit 1
    key_server.route(CERT_PATH, b"busy", 503)
    redis.sadd("ctns:keys:wanted", CERT_URL)
    rc, log = run_keys(redis_server, *args)
    assert rc == 1 and "will retry" in log
    assert redis.smembers("ctns:keys:wanted") == {CERT_URL}

    # not a certificate, or gone: dropped, nothing cached
    for status, body in [(200, b"not a pem"), (404, b"")]:
        key_server.route(CERT_PATH, body, status)
        redis.sadd("ctns:keys:wanted", CERT_URL)
        rc, log = run_keys(redis_server, *args)
        assert rc == 0, log
        assert redis.scard("ctns:keys:wanted") == 0
        assert list(tmp_path.iterdir()) == []

    # a well-formed certificate with a weak key is refused too
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID
    import datetime
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(weak.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(weak, hashes.SHA256()))
    key_server.route(CERT_PATH, cert.public_bytes(serialization.Encoding.PEM))
    redis.sadd("ctns:keys:wanted", CERT_URL)
    rc, log = run_keys(redis_server, *args)
    assert rc == 0 and "RSA >= 2048" in log
    assert list(tmp_path.iterdir()) == []


# --- confirmations ----------------------------------------------------------


def pending(redis):
    return redis.xpending("ctns:control", "ctns-keys")["pending"]


def test_subscription_confirmation_performed_and_acked(redis, redis_server,
                                                       key_server):
    msg = confirmation()
    path = subscribe_path(msg)
    key_server.route(path, b"<ConfirmSubscriptionResponse/>")
    redis.xadd("ctns:control", {"type": "SubscriptionConfirmation",
                                "payload": json.dumps(msg)})
    redis.xadd("ctns:control", {"type": "replay", "payload": "{}"})

    rc, log = run_keys(redis_server, "--sns-confirm-base-url",
                       key_server.base)
    assert rc == 0, log
    assert key_server.hits(path) == 1
    assert "subscription to %s confirmed" % msg["TopicArn"] in log
    # the token in the URL is not logged
    assert msg["Token"] not in log
    assert pending(redis) == 0
    group = redis.xinfo_groups("ctns:control")[0]
    assert group["name"] == "ctns-keys" and group["pending"] == 0

    # nothing new: nothing fetched again
    rc, log = run_keys(redis_server, "--sns-confirm-base-url",
                       key_server.base)
    assert rc == 0 and key_server.hits(path) == 1


def test_confirmation_retried_after_server_error(redis, redis_server,
                                                 key_server):
    msg = confirmation()
    path = subscribe_path(msg)
    key_server.route(path, b"", 503)
    redis.xadd("ctns:control", {"type": "SubscriptionConfirmation",
                                "payload": json.dumps(msg)})

    rc, log = run_keys(redis_server, "--sns-confirm-base-url",
                       key_server.base)
    assert rc == 1 and "will retry" in log
    assert pending(redis) == 1

    key_server.route(path, b"ok")
    rc, log = run_keys(redis_server, "--sns-confirm-base-url",
                       key_server.base)
    assert rc == 0, log
    assert key_server.hits(path) == 2
    assert pending(redis) == 0


def test_forged_subscribe_urls_are_refused(redis, redis_server, key_server):
    forged = [
        "https://sns.us-east-1.amazonaws.com.evil.example/?Action="
        "ConfirmSubscription&Token=x",
        "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&T=x",
        "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&x=1",
        "https://evil.example/?Action=ConfirmSubscription&x=1",
    ]
    for url in forged:
        redis.xadd("ctns:control", {"type": "SubscriptionConfirmation",
                                    "payload": json.dumps(confirmation(url))})
    redis.xadd("ctns:control", {"type": "SubscriptionConfirmation",
                                "payload": "{not json"})
    msg = confirmation()
    msg["Type"] = "UnsubscribeConfirmation"
    redis.xadd("ctns:control", {"type": "UnsubscribeConfirmation",
                                "payload": json.dumps(msg)})

    rc, log = run_keys(redis_server, "--sns-confirm-base-url",
                       key_server.base)
    assert rc == 0, log
    assert key_server.requests == []
    assert log.count("SubscribeURL refused") == len(forged)
    assert "payload refused" in log
    assert "deliveries of that topic have stopped" in log
    assert pending(redis) == 0


# --- command line and loop ----------------------------------------------------


def test_usage_errors(redis_server):
    keys = build_path("ctns-keys")
    for args in ([], ["--redis"], ["--redis", "x:1", "--once",
                                   "--interval", "5"],
                 ["--redis", "x:1", "--interval", "0"],
                 ["--redis", "x:1", "extra"], ["--bogus"]):
        p = subprocess.run([keys] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=10)
        assert p.returncode == 2, args
        assert b"usage: ctns-keys" in p.stderr


def test_redis_unreachable_exits_1(tmp_path):
    keys = build_path("ctns-keys")
    p = subprocess.run([keys, "--redis", "127.0.0.1:1", "--sns-cert-dir",
                        str(tmp_path)], stderr=subprocess.PIPE, timeout=10)
    assert p.returncode == 1
    assert b"redis 127.0.0.1:1" in p.stderr


def test_interval_loop_picks_up_new_work_and_stops_on_sigterm(
        redis, redis_server, key_server, tmp_path):
    pem = read_fixture("signatures", "TEST-ONLY-self-signed-cert.pem")
    key_server.route(CERT_PATH, pem)
    p = subprocess.Popen([build_path("ctns-keys"), "--redis",
                          redis_server.address, "--interval", "1",
                          "--sns-cert-dir", str(tmp_path),
                          "--sns-cert-base-url", key_server.base],
                         stderr=subprocess.PIPE)
    try:
        time.sleep(0.3)
        redis.sadd("ctns:keys:wanted", CERT_URL)
        cached = tmp_path / cert_file_name(CERT_URL)
        wait_until(cached.exists, timeout=10, what="cert cached by the loop")
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# --- Redis with a password ----------------------------------------------------


class PasswordRedis(RedisServer):
    """redis-server with requirepass, its client authenticated."""

    def __init__(self):
        super().__init__(extra=["--requirepass", REDIS_PASSWORD])

    def client(self, **kw):
        return super().client(password=REDIS_PASSWORD, **kw)


@pytest.fixture
def redis_auth():
    srv = PasswordRedis().start()
    yield srv
    srv.cleanup()


def test_redis_password_from_file_or_environment(redis_auth, key_server,
                                                 tmp_path):
    pem = read_fixture("signatures", "TEST-ONLY-self-signed-cert.pem")
    key_server.route(CERT_PATH, pem)
    certs = tmp_path / "certs"
    certs.mkdir()
    args = ["--sns-cert-dir", str(certs), "--sns-cert-base-url",
            key_server.base]
    r = redis_auth.client()
    secret = tmp_path / "redis.password"
    secret.write_text(REDIS_PASSWORD + "\n")     # as echo writes it
    none = {"CTNS_REDIS_PASSWORD": ""}

    # no password: Redis refuses the work, which is left for the next run
    r.sadd("ctns:keys:wanted", CERT_URL)
    rc, log = run_keys(redis_auth, *args, env=none)
    assert rc == 1, log
    assert r.scard("ctns:keys:wanted") == 1

    # a wrong one: refused at connect, said so without the password
    rc, log = run_keys(redis_auth, *args,
                       env={"CTNS_REDIS_PASSWORD": "wrong-password"})
    assert rc == 1, log
    assert "AUTH failed" in log and "wrong-password" not in log

    # the file, first line only; the environment is not consulted
    rc, log = run_keys(redis_auth, "--redis-password-file", str(secret),
                       *args, env={"CTNS_REDIS_PASSWORD": "wrong-password"})
    assert rc == 0, log
    assert (certs / cert_file_name(CERT_URL)).read_bytes() == pem
    assert r.scard("ctns:keys:wanted") == 0
    assert "with AUTH" in log and REDIS_PASSWORD not in log

    # the environment, as the unit's EnvironmentFile= gives it
    r.sadd("ctns:keys:wanted", CERT_URL)
    rc, log = run_keys(redis_auth, *args,
                       env={"CTNS_REDIS_PASSWORD": REDIS_PASSWORD})
    assert rc == 0 and "already cached" in log, log
    assert r.scard("ctns:keys:wanted") == 0


def test_redis_password_file_errors(tmp_path):
    keys = build_path("ctns-keys")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    long = tmp_path / "long"
    long.write_text("x" * 513)
    for path, why in ((tmp_path / "missing", "No such file"),
                      (empty, "want one line"), (long, "want one line")):
        p = subprocess.run([keys, "--redis", "127.0.0.1:1",
                            "--redis-password-file", str(path)],
                           stderr=subprocess.PIPE, timeout=10)
        assert p.returncode == 2
        assert why.encode() in p.stderr, p.stderr
