"""The NetSuite simulator against its contract (acceptance list A1..X1 of
the simulator spec, section 12) and the fixtures in t/fixtures/netsuite."""

import json
import socket
import threading
import time

import pytest

from harness.common import fixture_path, wait_until
from harness.netsuite import (RECORD, TOKEN_PATH, make_assertion,
                              tba_header)

VECTORS = json.load(open(fixture_path("netsuite", "oauth1-vector.json")))
CANON = "https://1234567-sb1.suitetalk.api.netsuite.com"
SUITEQL = "/services/rest/query/v1/suiteql"


def fx(name):
    with open(fixture_path("netsuite", "requests", name + ".json")) as fh:
        return json.load(fh)


def fx_response(name):
    with open(fixture_path("netsuite", "responses", name + ".json")) as fh:
        return json.load(fh)


def customer(ns):
    r = ns.create("customer", fx("customer.create"))
    assert r.status == 204, r
    return r.location_id


def sales_order(ns, body=None, eid="ct-order-1001"):
    body = dict(body or fx("salesOrder.create"), externalId=eid)
    r = ns.create("salesOrder", body)
    assert r.status == 204, r
    return r.location_id


def patch_tax(ns, so_id):
    body = fx("salesOrder.patch-tax-override")
    for row in body["taxDetails"]["items"]:
        ref = row["taxDetailsReference"]["id"]
        row["taxDetailsReference"]["id"] = ref.replace("5001", so_id)
    r = ns.request("PATCH", RECORD + "salesOrder/%s?replace=taxDetails"
                   % so_id, body)
    assert r.status == 204, r


def transform(ns, src_type, src_id, to, body=None):
    return ns.request("POST", RECORD + "%s/%s/!transform/%s"
                      % (src_type, src_id, to), body or {})


def vector(name):
    return next(v for v in VECTORS["vectors"] if v["name"] == name)


def vector_request(ns, v, body=None, header=None):
    """Sends a vector's exact request with its Authorization header."""
    path = v["inputs"]["url"][len(CANON):]
    hdrs = {"Authorization": header or v["expected"]["authorization_header"],
            "Host": "1234567-sb1.suitetalk.api.netsuite.com"}
    if SUITEQL in path:
        hdrs["Prefer"] = "transient"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    return ns.raw(v["inputs"]["method"], path, data, hdrs)


@pytest.fixture
def canonical(netsuite):
    netsuite.set_config({"base_url_mode": "canonical"})
    netsuite.insert("customer", dict(fx("customer.create"), id="1001"))
    return netsuite


def last_audit_reason(ns):
    return ns.audit()[-1]["reason"]


# --- A: authentication ---------------------------------------------------

def test_a1_a2_vector_a_accepted_then_replay_rejected(canonical):
    ns = canonical
    v = vector("create-salesorder")
    ns.clock(now=int(v["inputs"]["oauth_timestamp"]))
    r = vector_request(ns, v, fx("salesOrder.create"))
    assert r.status == 204, r
    assert r.header("Location") == CANON + RECORD + "salesOrder/5001"
    r = vector_request(ns, v, fx("salesOrder.create"))
    assert r.status == 401
    assert r.error_code() == "INVALID_LOGIN"
    assert r.json == fx_response("error-401-invalid-login")["body"]
    assert last_audit_reason(ns) == "UsedNonce"


VECTOR_BODIES = {"create-salesorder": fx("salesOrder.create"),
                 "list-invoice-by-externalid": None,
                 "upsert-customer-by-eid": {"email": "new@example.com"},
                 "suiteql-page": {"q": "SELECT id FROM transaction"}}


@pytest.mark.parametrize("name", sorted(VECTOR_BODIES))
def test_every_oauth1_vector_authenticates_once(canonical, name):
    ns = canonical
    v = vector(name)
    ns.clock(now=int(v["inputs"]["oauth_timestamp"]))
    r = vector_request(ns, v, VECTOR_BODIES[name])
    assert r.status in (200, 204), r
    a = ns.audit()[-1]
    assert (a["outcome"], a["nonce"]) == ("ok", v["inputs"]["oauth_nonce"])
    r = vector_request(ns, v, VECTOR_BODIES[name])
    assert r.status == 401 and last_audit_reason(ns) == "UsedNonce"


def test_a3_stale_timestamp(canonical):
    ns = canonical
    v = vector("create-salesorder")
    ns.clock(now=int(v["inputs"]["oauth_timestamp"]) + 301)
    r = vector_request(ns, v, fx("salesOrder.create"))
    assert r.status == 401
    assert last_audit_reason(ns) == "InvalidTimestamp"
    ns.clock(now=int(v["inputs"]["oauth_timestamp"]) - 300)
    assert vector_request(ns, v, fx("salesOrder.create")).status == 204


def test_a4_lowercase_realm(canonical):
    ns = canonical
    v = vector("create-salesorder")
    ns.clock(now=int(v["inputs"]["oauth_timestamp"]))
    h = v["expected"]["authorization_header"].replace(
        'realm="1234567_SB1"', 'realm="1234567_sb1"')
    r = vector_request(ns, v, fx("salesOrder.create"), h)
    assert r.status == 401
    assert last_audit_reason(ns) == "RealmMismatch"


def test_a5_query_not_signed(canonical):
    ns = canonical
    v = vector("list-invoice-by-externalid")
    ns.clock(now=int(v["inputs"]["oauth_timestamp"]))
    url = v["inputs"]["url"]
    h = tba_header("GET", url, ns.creds, nonce="n0nceUnsignedQuery01",
                   timestamp=v["inputs"]["oauth_timestamp"],
                   sign_url=url.split("?")[0])
    r = vector_request(ns, v, None, h)
    assert r.status == 401
    assert last_audit_reason(ns) == "InvalidSignature"
    r = vector_request(ns, v)
    assert r.status == 200 and r.json["totalResults"] == 0


def test_a6_sha1_rejected(canonical):
    ns = canonical
    v = vector("create-salesorder")
    ns.clock(now=int(v["inputs"]["oauth_timestamp"]))
    h = v["expected"]["authorization_header"].replace(
        "HMAC-SHA256", "HMAC-SHA1")
    r = vector_request(ns, v, fx("salesOrder.create"), h)
    assert r.status == 401
    assert last_audit_reason(ns) == "UnsupportedSignatureMethod"


@pytest.mark.parametrize("change,reason", [
    (lambda h: h.replace("8DAYaPnFu6Sp", "9DAYaPnFu6Sp"), "InvalidSignature"),
    (lambda h: h.replace("132cb2a0", "032cb2a0"), "UnknownConsumer"),
    (lambda h: h.replace("416727d7", "516727d7"), "UnknownToken"),
    (lambda h: h.replace(', oauth_nonce="Xq3Lm9Tz7Rb2Wk5Yp8Hd"', ""),
     "MissingParameter:oauth_nonce"),
    (lambda h: h.replace('oauth_nonce="Xq3Lm9Tz7Rb2Wk5Yp8Hd"',
                         'oauth_nonce="abc"'), "InvalidNonce"),
    (lambda h: h.replace('oauth_version="1.0"', 'oauth_version="2.0"'),
     "UnsupportedVersion"),
    (lambda h: h + ', oauth_token="x"', "DuplicateParameter"),
    (lambda h: h.replace('realm="1234567_SB1", ', ""),
     "MissingParameter:realm"),
    (lambda h: h.replace('oauth_timestamp="1767225600"',
                         'oauth_timestamp="abc"'), "InvalidTimestamp"),
    (lambda h: h.replace('oauth_nonce="', 'oauth_nonce='), "MalformedHeader"),
])
def test_altered_vector_rejected(canonical, change, reason):
    ns = canonical
    v = vector("create-salesorder")
    ns.clock(now=int(v["inputs"]["oauth_timestamp"]))
    h = change(v["expected"]["authorization_header"])
    r = vector_request(ns, v, fx("salesOrder.create"), h)
    assert r.status == 401
    assert last_audit_reason(ns) == reason
    assert ns.records(type="salesOrder") == []


def test_request_base_url_mode_and_eid_encodings(netsuite):
    ns = netsuite
    customer(ns)
    path = RECORD + "customer/eid%3Act-cust-42"
    h = tba_header("GET", ns.url + path, ns.creds)
    r = ns.raw("GET", path, None, {"Authorization": h})
    assert r.status == 200 and r.json["id"] == "1001"
    # signed with the decoded colon but sent encoded: the raw path is signed
    h = tba_header("GET", ns.url + RECORD + "customer/eid:ct-cust-42",
                   ns.creds)
    r = ns.raw("GET", path, None, {"Authorization": h})
    assert r.status == 401 and last_audit_reason(ns) == "InvalidSignature"
    assert ns.request("GET", RECORD + "customer/1001", auth=None).status == 401
    assert last_audit_reason(ns) == "MissingAuthorization"


def test_revoked_tba_token(netsuite):
    ns = netsuite
    ns.admin("POST", "tokens/revoke", {"token_id": ns.creds["token_id"]})
    r = ns.request("GET", RECORD + "customer/1001")
    assert r.status == 401 and last_audit_reason(ns) == "TokenRevoked"


def test_a7_m2m_es256_token_and_expiry(netsuite):
    ns = netsuite
    r = ns.token(make_assertion("ES256"))
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    body = r.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == "3600"
    ns.bearer = body["access_token"]
    customer(ns)
    assert ns.get("customer", 1001, auth="bearer").status == 200
    ns.clock(advance_s=3601)
    r = ns.get("customer", 1001, auth="bearer")
    assert r.status == 401
    assert 'error="invalid_token"' in r.header("WWW-Authenticate")
    assert r.header("WWW-Authenticate").startswith(
        'Bearer realm="1234567_SB1"')
    assert last_audit_reason(ns) == "AccessTokenExpired"


def test_m2m_ps256_and_bearer_failures(netsuite):
    ns = netsuite
    r = ns.token(make_assertion("PS256", kid="Zm9vLWNlcnQtaWQtMDAy"))
    assert r.status == 200, r
    ns.bearer = "not-a-token"
    assert ns.get("customer", 1001, auth="bearer").status == 401
    assert last_audit_reason(ns) == "UnknownAccessToken"
    ns.bearer = r.json["access_token"]
    ns.admin("POST", "tokens/revoke", {"access_token": ns.bearer})
    assert ns.get("customer", 1001, auth="bearer").status == 401
    assert last_audit_reason(ns) == "AccessTokenRevoked"


@pytest.mark.parametrize("kw,status,error", [
    (dict(alg="ES256", exp_minus_iat=3601), 400, "invalid_grant"),
    (dict(alg="ES256", exp_minus_iat=3600), 400, "invalid_grant"),
    (dict(alg="RS256", kid="Zm9vLWNlcnQtaWQtMDAy"), 400, "invalid_grant"),
    (dict(alg="ES256", kid="unknown-kid"), 401, "invalid_client"),
    (dict(alg="ES256", iss="someone-else"), 401, "invalid_client"),
    (dict(alg="ES256", aud="https://example.com/token"), 400,
     "invalid_grant"),
    (dict(alg="ES256", scope=["restlets"]), 400, "invalid_scope"),
    (dict(alg="ES256", typ="JWS"), 400, "invalid_grant"),
    (dict(alg="PS256", kid="Zm9vLWNlcnQtaWQtMDAx"), 400, "invalid_grant"),
    (dict(alg="ES256", iat_offset=120), 400, "invalid_grant"),
    (dict(alg="ES256", iat_offset=-3000), 400, "invalid_grant"),
])
def test_a8_bad_assertions(netsuite, kw, status, error):
    now = int(time.time())
    iat = now + kw.pop("iat_offset", 0)
    d = kw.pop("exp_minus_iat", None)
    if d is not None:
        kw["exp"] = iat + d
    if kw.get("alg") == "PS256":
        kw["key_path"] = make_assertion.__globals__["RSA_PRIVATE_KEY"]
    r = netsuite.token(make_assertion(iat=iat, **kw))
    assert r.status == status, r
    assert r.json == {"error": error}


def test_m2m_tampered_signature_and_rs256_switch(netsuite):
    ns = netsuite
    a = make_assertion("ES256")
    head, payload, sig = a.split(".")
    bad = head + "." + payload + "." + ("A" if sig[0] != "A" else "B") + \
        sig[1:]
    r = ns.token(bad)
    assert r.status == 400 and r.json == {"error": "invalid_grant"}
    ns.set_config({"oauth2": {"accept_rs256": True}})
    r = ns.token(make_assertion("RS256", kid="Zm9vLWNlcnQtaWQtMDAy"))
    assert r.status == 200, r


@pytest.mark.parametrize("form,status,error", [
    ("grant_type=password", 400, "unsupported_grant_type"),
    ("grant_type=client_credentials", 400, "invalid_request"),
    ("grant_type=client_credentials&client_assertion_type=urn%3Aietf%3A"
     "params%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
     "&client_assertion=a.b", 400, "invalid_request"),
])
def test_token_endpoint_request_errors(netsuite, form, status, error):
    r = netsuite.raw("POST", TOKEN_PATH, form.encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == status and r.json == {"error": error}
