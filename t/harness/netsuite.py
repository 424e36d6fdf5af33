"""The NetSuite simulator as a test fixture, plus a small signing client.

    def test_x(netsuite):                 # fresh state and no faults
        r = netsuite.request("POST", "/services/rest/record/v1/customer",
                             {"companyName": "ACME", "subsidiary": {"id": "1"}})
        assert r.status == 204

NetSuiteSim starts t/sim/netsuite_sim.py on a free loopback port in a
temporary directory.  The TBA signer and JWT assertion builder here are
written independently of the simulator's verifier, so tests check one
against the other.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pytest

from harness.common import (FIXTURES, TDIR, free_port, stop_process,
                            wait_port)

SIM = os.path.join(TDIR, "sim", "netsuite_sim.py")
SEED = os.path.join(TDIR, "sim", "netsuite_seed.json")
NSFX = os.path.join(FIXTURES, "netsuite")
RECORD = "/services/rest/record/v1/"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"

EC_PRIVATE_KEY = os.path.join(NSFX, "TEST-ONLY-m2m-ec-p256-private-key.pem")
RSA_PRIVATE_KEY = os.path.join(NSFX, "TEST-ONLY-m2m-rsa3072-private-key.pem")
EC_KID = "Zm9vLWNlcnQtaWQtMDAx"
RSA_KID = "Zm9vLWNlcnQtaWQtMDAy"


def default_credentials():
    """TBA token and OAuth 2.0 client of the default seed."""
    with open(SEED) as fh:
        seed = json.load(fh)
    tok = seed["credentials"]["tba"]["tokens"][0]
    client = seed["credentials"]["oauth2"]["clients"][0]
    return {"account_id": "1234567_SB1",
            "consumer_key": tok["consumer_key"],
            "consumer_secret": tok["consumer_secret"],
            "token_id": tok["token_id"],
            "token_secret": tok["token_secret"],
            "client_id": client["client_id"],
            "ec_kid": EC_KID, "ec_private_key": EC_PRIVATE_KEY,
            "rsa_kid": RSA_KID, "rsa_private_key": RSA_PRIVATE_KEY}


# --- OAuth 1.0a (TBA) client side -------------------------------------------

def pct(s):
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-._~"):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def tba_header(method, url, creds, nonce=None, timestamp=None, realm=None,
               signature_method="HMAC-SHA256", sign_url=None):
    """Authorization header value for url (signed as sign_url if given)."""
    nonce = nonce or secrets.token_hex(10)
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    oauth = {"oauth_consumer_key": creds["consumer_key"],
             "oauth_token": creds["token_id"], "oauth_nonce": nonce,
             "oauth_timestamp": timestamp,
             "oauth_signature_method": signature_method,
             "oauth_version": "1.0"}
    u = urllib.parse.urlsplit(sign_url or url)
    params = list(oauth.items()) + urllib.parse.parse_qsl(
        u.query, keep_blank_values=True)
    norm = "&".join("%s=%s" % p for p in
                    sorted((pct(k), pct(v)) for k, v in params))
    base_uri = "%s://%s%s" % (u.scheme.lower(), u.netloc.lower(), u.path)
    text = "&".join((method.upper(), pct(base_uri), pct(norm)))
    key = pct(creds["consumer_secret"]) + "&" + pct(creds["token_secret"])
    sig = base64.b64encode(hmac.new(key.encode(), text.encode(),
                                    hashlib.sha256).digest()).decode()
    parts = [("realm", realm or creds["account_id"])]
    parts += [(k, oauth[k]) for k in ("oauth_consumer_key", "oauth_token",
                                      "oauth_nonce", "oauth_timestamp",
                                      "oauth_signature_method",
                                      "oauth_version")]
    parts.append(("oauth_signature", sig))
    return "OAuth " + ", ".join('%s="%s"' % (k, pct(v)) for k, v in parts)


# --- OAuth 2.0 client assertion ---------------------------------------------

def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_assertion(alg="ES256", kid=EC_KID, key_path=None, iss=None,
                   aud=None, iat=None, exp=None, scope=None, typ="JWT"):
    """A signed JWT client assertion (ES*/PS*/RS*) for the token endpoint."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import \
        decode_dss_signature
    creds = default_credentials()
    if key_path is None:
        key_path = EC_PRIVATE_KEY if alg.startswith("ES") else \
            RSA_PRIVATE_KEY
    iat = int(time.time()) if iat is None else iat
    header = {"alg": alg, "typ": typ, "kid": kid}
    claims = {"iss": iss or creds["client_id"],
              "scope": scope if scope is not None else
              ["restlets", "rest_webservices"],
              "aud": aud or "https://1234567-sb1.suitetalk.api.netsuite.com"
                            + TOKEN_PATH,
              "iat": iat, "exp": iat + 1800 if exp is None else exp}
    signing_input = (b64url(json.dumps(header, separators=(",", ":"))) +
                     "." + b64url(json.dumps(claims, separators=(",", ":"))))
    with open(key_path, "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), None)
    h = {"256": hashes.SHA256, "384": hashes.SHA384,
         "512": hashes.SHA512}[alg[2:]]()
    data = signing_input.encode()
    if alg.startswith("ES"):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(h)))
        size = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    elif alg.startswith("PS"):
        sig = key.sign(data, padding.PSS(mgf=padding.MGF1(h),
                                         salt_length=h.digest_size), h)
    else:
        sig = key.sign(data, padding.PKCS1v15(), h)
    return signing_input + "." + b64url(sig)


# --- HTTP ------------------------------------------------------------------

class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def location_id(self):
        loc = self.header("Location")
        return loc.rsplit("/", 1)[1] if loc else None

    def error_code(self):
        return self.json["o:errorDetails"][0]["o:errorCode"]

    def detail(self):
        return self.json["o:errorDetails"][0]["detail"]

    def __repr__(self):
        return "<Reply %s %r>" % (self.status, self.body[:300])


class NetSuiteSim:
    """A simulator process plus helpers for its admin API."""

    def __init__(self, config=None):
        self.config = dict(config or {})
        self.dir = None
        self.port = None
        self.proc = None
        self.creds = default_credentials()
        self.bearer = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, config=None):
        if config:
            self.config.update(config)
        self.dir = tempfile.mkdtemp(prefix="ctns-nssim-")
        self.port = free_port()
        cfg = dict(self.config, listen="127.0.0.1:%d" % self.port)
        path = os.path.join(self.dir, "netsuite-sim.json")
        with open(path, "w") as fh:
            json.dump(cfg, fh)
        self.log = open(os.path.join(self.dir, "sim.log"), "wb")
        self.proc = subprocess.Popen([sys.executable, SIM, "--config", path],
                                     stdout=self.log, stderr=self.log)
        wait_port(self.port, proc=self.proc)
        return self

    def stop(self):
        stop_process(self.proc)
        self.proc = None
        if self.dir:
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # --- raw HTTP ----------------------------------------------------------

    def raw(self, method, path, body=None, headers=None, timeout=30):
        """One request on a fresh connection; returns Reply."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Reply(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def request(self, method, path, body=None, headers=None, auth="tba",
                timeout=30, query=None):
        """A signed NetSuite REST request; body is JSON-encoded."""
        if query:
            path += "?" + urllib.parse.urlencode(query,
                                                 quote_via=urllib.parse.quote)
        hdrs = {"Host": "127.0.0.1:%d" % self.port}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else \
                json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if auth == "tba":
            hdrs["Authorization"] = tba_header(method, self.url + path,
                                               self.creds)
        elif auth == "bearer":
            hdrs["Authorization"] = "Bearer " + self.bearer
        hdrs.update(headers or {})
        return self.raw(method, path, data, hdrs, timeout)

    def record_path(self, rtype, key=""):
        return RECORD + rtype + ("/" + str(key) if key != "" else "")

    def create(self, rtype, body, **kw):
        return self.request("POST", self.record_path(rtype), body, **kw)

    def get(self, rtype, key, expand=False, **kw):
        path = self.record_path(rtype, key)
        if expand:
            path += "?expandSubResources=true"
        return self.request("GET", path, **kw)

    def upsert(self, rtype, eid, body, replace=None, **kw):
        path = self.record_path(rtype, "eid:" + eid)
        if replace:
            path += "?replace=" + replace
        return self.request("PUT", path, body, **kw)

    def token(self, assertion):
        form = urllib.parse.urlencode({
            "grant_type": "client_credentials",
            "client_assertion_type":
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion})
        return self.raw("POST", TOKEN_PATH, form.encode(),
                        {"Content-Type": "application/x-www-form-urlencoded"})

    # --- admin ---------------------------------------------------------------

    def admin(self, method, path, json_body=None, **kw):
        body = kw.pop("json", json_body)
        data = json.dumps(body).encode() if body is not None else None
        r = self.raw(method, "/__admin/" + path.lstrip("/"), data,
                     {"Content-Type": "application/json"})
        if r.status >= 400:
            raise RuntimeError("admin %s %s: %s %s" % (method, path,
                                                     r.status, r.body))
        return r.json

    def records(self, type=None, externalId=None, id=None):
        q = {k: v for k, v in (("type", type), ("externalId", externalId),
                               ("id", id)) if v is not None}
        path = "records" + ("?" + urllib.parse.urlencode(q) if q else "")
        return self.admin("GET", path)["items"]

    def insert(self, rtype, body):
        return self.admin("POST", "records/" + rtype, body)["ids"]

    def stats(self):
        return self.admin("GET", "stats")

    def requests(self, since=0):
        return self.admin("GET", "requests?since=%d" % since)["items"]

    def audit(self):
        return self.admin("GET", "audit")["items"]

    def add_faults(self, rules):
        return self.admin("POST", "faults", rules)["ids"]

    def clear_faults(self):
        self.admin("DELETE", "faults")

    def reset(self, seed="default", restore_config=False):
        """Wipes state; restore_config also undoes set_config() changes."""
        self.admin("POST", "reset", {"seed": seed,
                                     "restore_config": restore_config})

    def set_config(self, patch):
        return self.admin("PUT", "config", patch)

    def clock(self, **body):
        return self.admin("POST", "clock", body)

    def hold(self, match):
        return self.admin("POST", "hold", {"match": match})["id"]

    def release(self):
        self.admin("POST", "release", {})


DEFAULT_TEST_CONFIG = {"latency": {"default_ms": 0, "jitter_ms": 0,
                                   "routes": []}}


@pytest.fixture(scope="module")
def netsuite_sim():
    sim = NetSuiteSim(DEFAULT_TEST_CONFIG).start()
    yield sim
    sim.stop()


@pytest.fixture
def netsuite(netsuite_sim):
    """The module's simulator with fresh state and its start configuration."""
    if netsuite_sim.proc is None or netsuite_sim.proc.poll() is not None:
        netsuite_sim.start()
    netsuite_sim.reset(restore_config=True)
    netsuite_sim.bearer = None
    return netsuite_sim
