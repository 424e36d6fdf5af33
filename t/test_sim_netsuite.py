"""The NetSuite simulator against its contract (acceptance list A1..X1 of
the simulator spec, section 12) and the fixtures in t/fixtures/netsuite."""

import http.client
import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from harness.common import fixture_path, wait_until
from harness.netsuite import (RECORD, RSA_PRIVATE_KEY, SIM, TOKEN_PATH,
                              make_assertion, tba_header)

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


@pytest.mark.parametrize("change,reason", [
    # A4: realm is not signed, but must match the account byte for byte
    (lambda h: h.replace('realm="1234567_SB1"', 'realm="1234567_sb1"'),
     "RealmMismatch"),
    # A6: HMAC-SHA1 ended in 2023.1
    (lambda h: h.replace("HMAC-SHA256", "HMAC-SHA1"),
     "UnsupportedSignatureMethod"),
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
        kw["key_path"] = RSA_PRIVATE_KEY    # RSA key under the EC kid
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


# --- C: records ------------------------------------------------------------

def test_c1_create_and_duplicate(netsuite):
    ns = netsuite
    r = ns.create("customer", fx("customer.create"))
    assert r.status == 204 and r.body == b""
    assert r.header("Location") == ns.url + RECORD + "customer/1001"
    r = ns.create("customer", fx("customer.create"))
    assert r.status == 400
    assert r.json == fx_response("error-400-duplicate-externalid")["body"]
    assert len(ns.records(type="customer")) == 1


def test_c2_upsert_existing_customer(netsuite):
    ns = netsuite
    customer(ns)
    r = ns.upsert("customer", "ct-cust-42", {"email": "new@example.com"})
    assert r.status == 204
    assert r.header("Location") == ns.url + RECORD + "customer/1001"
    got = ns.get("customer", "eid:ct-cust-42").json
    assert got["email"] == "new@example.com" and got["id"] == "1001"
    assert got["entityId"] == "Jane Doe"
    assert len(ns.records(type="customer")) == 1


def test_upsert_rules(netsuite):
    ns = netsuite
    r = ns.request("PUT", RECORD + "customer/1001", {"email": "a@b.c"})
    assert r.status == 400 and "eid:" in r.detail()
    r = ns.upsert("customer", "ct-cust-9", {"id": "1001"})
    assert r.detail() == ("Internal ID must not be passed to the upsert "
                          "operation.")
    r = ns.upsert("customer", "ct-cust-9", {"externalId": "other"})
    assert r.detail() == "External ID in the body does not match the URL."
    r = ns.upsert("customer", "ct-cust-9", {"companyName": "ACME Inc",
                                            "subsidiary": {"id": "3"}})
    assert r.status == 204 and r.location_id == "1001"
    got = ns.get("customer", 1001).json
    assert got["externalId"] == "ct-cust-9"
    assert got["currency"]["refName"] == "EUR"


def test_c3_unknown_item(netsuite):
    ns = netsuite
    customer(ns)
    body = fx("salesOrder.create")
    body["item"]["items"][0]["item"] = {"id": "999"}
    r = ns.create("salesOrder", body)
    assert r.status == 400
    assert r.json == fx_response("error-400-invalid-reference")["body"]
    assert ns.records(type="salesOrder") == []


def test_c4_missing_subsidiary_and_labels(netsuite):
    ns = netsuite
    customer(ns)
    body = fx("salesOrder.create")
    del body["subsidiary"]
    r = ns.create("salesOrder", body)
    assert r.status == 400
    assert r.json == fx_response("error-400-missing-field")["body"]
    r = ns.create("salesOrder", {"externalId": "x"})
    assert r.detail() == ("Please enter value(s) for: Customer, Subsidiary, "
                          "Item.")
    r = ns.create("customer", {"isPerson": True, "subsidiary": {"id": "1"}})
    assert r.detail() == "Please enter value(s) for: First Name, Last Name."
    r = ns.create("customerPayment", {"customer": {"id": "1001"},
                                      "subsidiary": {"id": "1"}})
    assert r.detail() == "Please enter value(s) for: Payment Amount."


def test_c5_missing_and_wrong_type(netsuite):
    ns = netsuite
    customer(ns)
    so = sales_order(ns)
    r = ns.get("invoice", 999999)
    assert r.status == 404
    assert r.json == fx_response("error-404-nonexistent-id")["body"]
    r = ns.get("invoice", so)
    assert r.status == 400
    assert r.detail() == ("Error while accessing a resource. Transaction "
                          "type specified is incorrect.")
    assert ns.get("invoice", "eid:nope").status == 404
    r = ns.get("fileCabinet", 1)
    assert r.status == 404 and r.error_code() == "SIM_UNKNOWN_RECORD_TYPE"
    r = ns.request("POST", RECORD + "subsidiary", {"name": "x"})
    assert r.status == 405


def test_reference_validation(netsuite):
    ns = netsuite
    customer(ns)
    cases = [
        ({"currency": {"id": "4"}}, "currency", "4"),      # EUR not allowed
        ({"subsidiary": {"id": "3"}}, "subsidiary", "3"),  # not customer's
        ({"entity": {"externalId": "ct-cust-404"}}, "entity", "ct-cust-404"),
        ({"location": {"id": "3"}}, "location", "3"),      # Tokyo: not sub 1
        ({"shipMethod": {"id": "101"}}, "shipMethod", "101"),
    ]
    for change, path, value in cases:
        body = dict(fx("salesOrder.create"), **change)
        r = ns.create("salesOrder", body)
        assert r.status == 400, (change, r)
        d = r.json["o:errorDetails"][0]
        assert d["o:errorPath"] == path
        assert d["detail"].endswith("Invalid Field Value %s for the "
                                    "following field: %s"
                                    % (value, path.lower()))
    assert ns.records(type="salesOrder") == []


def test_totals_tax_and_currency_precision(netsuite):
    ns = netsuite
    customer(ns)
    so = sales_order(ns)
    got = ns.get("salesOrder", so, expand=True).json
    assert (got["subtotal"], got["discountTotal"], got["taxTotal"],
            got["total"]) == (62.0, -6.2, 0.0, 60.8)
    assert [ln["taxDetailsReference"] for ln in got["item"]["items"]] == \
        ["TDR1-%s" % so, "TDR2-%s" % so, "TDR3-%s" % so]
    patch_tax(ns, so)
    got = ns.get("salesOrder", so, expand=True).json
    assert (got["taxTotal"], got["total"]) == (4.05, 64.85)
    assert got["taxDetailsOverride"] is True
    assert got["taxDetails"]["items"][0]["taxCode"]["refName"] == "CA 7.25%"
    # JPY: zero decimals, half-up; tax computed from the line tax codes
    r = ns.create("customer", {"companyName": "Tanaka KK",
                               "subsidiary": {"id": "5"},
                               "externalId": "ct-cust-jp"})
    jp = r.location_id
    r = ns.create("salesOrder", {
        "entity": {"id": jp}, "subsidiary": {"id": "5"},
        "shippingCost": 1500, "shipMethod": {"id": "304"},
        "shippingTaxCode": {"id": "532"},
        "item": {"items": [
            {"item": {"externalId": "ct-sku-TEA-SEN-GIFT-02"},
             "quantity": 2, "rate": 2999.5, "taxCode": {"id": "531"}},
            {"item": {"id": "108"}, "quantity": 1, "rate": 2500,
             "taxCode": {"id": "532"}}]}})
    assert r.status == 204, r
    got = ns.get("salesOrder", r.location_id, expand=True).json
    assert got["currency"]["refName"] == "JPY"
    assert got["item"]["items"][0]["amount"] == 5999.0
    # 8 % of 5999 = 479.92 -> 480; 10 % of 2500 = 250; 10 % of 1500 = 150
    assert got["taxTotal"] == 880.0
    assert got["total"] == 5999 + 2500 + 1500 + 880
    assert [t["taxDetailsReference"]["id"] for t in
            got["taxDetails"]["items"]][-1] == "SHIPPING"


def test_kwd_three_decimals(netsuite):
    ns = netsuite
    r = ns.create("customer", {"companyName": "Kuwait Co",
                               "subsidiary": {"id": "4"}})
    kw = r.location_id
    r = ns.create("invoice", {
        "entity": {"id": kw}, "subsidiary": {"id": "4"},
        "item": {"items": [{"item": {"id": "109"}, "quantity": 3,
                            "rate": 1.2345}]}})
    assert r.status == 204, r
    got = ns.get("invoice", r.location_id).json
    assert got["total"] == 3.704 and got["currency"]["refName"] == "KWD"


def test_tax_override_strict_on_create(netsuite):
    ns = netsuite
    customer(ns)
    body = dict(fx("salesOrder.create"), taxDetailsOverride=True,
                taxDetails={"items": [{"taxDetailsReference":
                                       {"id": "TDR1-5001"},
                                       "taxCode": {"id": "501"},
                                       "taxAmount": 3.63}]})
    r = ns.create("salesOrder", body)
    assert r.status == 400
    assert r.detail() == "Invalid tax details reference TDR1-5001."
    assert r.json["o:errorDetails"][0]["o:errorPath"] == \
        "taxDetails.items[0].taxDetailsReference"
    ns.set_config({"tax": {"allow_client_refs_on_create": True}})
    r = ns.create("salesOrder", body)
    assert r.status == 204, r
    assert ns.get("salesOrder", r.location_id).json["taxTotal"] == 3.63
    r = ns.request("PATCH", RECORD + "salesOrder/%s" % r.location_id,
                   {"taxDetails": {"items": [
                       {"taxDetailsReference": {"id": "TDR9-5001"},
                        "taxCode": {"id": "501"}, "taxAmount": 1}]}})
    assert r.status == 400 and "TDR9-5001" in r.detail()


def test_line_amount_rules(netsuite):
    ns = netsuite
    customer(ns)
    body = fx("salesOrder.create")
    body["item"]["items"][2]["amount"] = 6.2
    r = ns.create("salesOrder", body)
    assert r.detail() == "Invalid amount on line 3."
    body = fx("salesOrder.create")
    del body["item"]["items"][0]["amount"]
    body["item"]["items"][0]["rate"] = 0.333
    body["item"]["items"][0]["quantity"] = 3
    r = ns.create("salesOrder", body)
    got = ns.get("salesOrder", r.location_id, expand=True).json
    assert got["item"]["items"][0]["amount"] == 1.0
    body = fx("salesOrder.create")
    body["externalId"] = "ct-order-r"
    body["item"]["items"].append({"item": {"id": "405"}, "amount": -0.01})
    r = ns.create("salesOrder", body)          # ROUNDING may be negative
    assert r.status == 204, r
    assert ns.get("salesOrder", r.location_id).json["subtotal"] == 61.99
    ns.set_config({"limits": {"max_lines": 2}})
    r = ns.create("salesOrder", dict(fx("salesOrder.create"),
                                     externalId="ct-order-x"))
    assert r.detail() == "Too many lines in sublist item."
    ns.set_config({"limits": {"max_lines": 1000}})


def test_c6_transform_so_to_invoice(netsuite):
    ns = netsuite
    customer(ns)
    so = sales_order(ns)
    patch_tax(ns, so)
    r = transform(ns, "salesOrder", so, "invoice",
                  fx("invoice.transform-from-salesOrder"))
    assert r.status == 204, r
    inv = r.location_id
    assert r.header("Location") == ns.url + RECORD + "invoice/" + inv
    got = ns.get("invoice", inv, expand=True).json
    assert got["createdFrom"]["id"] == so
    assert got["total"] == 64.85 and got["taxTotal"] == 4.05
    assert got["externalId"] == "ct-inv-1001"
    assert got["amountRemaining"] == 64.85
    assert got["status"] == {"id": "A", "refName": "Open"}
    assert got["taxDetails"]["items"][0]["taxDetailsReference"]["id"] == \
        "TDR1-%s" % inv
    sog = ns.get("salesOrder", so, expand=True).json
    assert sog["status"]["id"] == "G"
    assert [ln["quantityBilled"] for ln in sog["item"]["items"]] == \
        [2, 1, 1]
    r = transform(ns, "salesOrder", so, "invoice",
                  fx("invoice.transform-from-salesOrder"))
    assert r.status == 400
    r = transform(ns, "salesOrder", so, "invoice", {"externalId": "x2"})
    assert r.detail() == ("You can not initialize invoice: invalid "
                          "reference %s." % so)
    r = transform(ns, "salesOrder", so, "creditMemo")
    assert r.detail() == ("Transformation from salesOrder to creditMemo is "
                          "not supported.")
    assert transform(ns, "salesOrder", 999, "invoice").status == 404


def test_partial_billing_and_fulfillment(netsuite):
    ns = netsuite
    customer(ns)
    so = sales_order(ns)
    r = transform(ns, "salesOrder", so, "itemFulfillment",
                  {"externalId": "ct-if-1"})
    assert r.status == 204, r
    assert ns.get("salesOrder", so).json["status"]["id"] == "F"
    r = transform(ns, "salesOrder", so, "invoice", {
        "externalId": "ct-inv-1001-d1",
        "item": {"items": [{"orderLine": 1, "quantity": 1}]}})
    assert r.status == 204, r
    assert ns.get("invoice", r.location_id).json["total"] == 30.0
    r = transform(ns, "salesOrder", so, "invoice",
                  {"externalId": "ct-inv-1001-d2"})
    got = ns.get("invoice", r.location_id, expand=True).json
    assert [ln["quantity"] for ln in got["item"]["items"]] == [1, 1, 1]
    assert got["total"] == 25 + 12 - 6.2
    assert ns.get("salesOrder", so).json["status"]["id"] == "G"
    assert ns.request("POST", RECORD + "itemFulfillment", {}).status == 400


def test_c7_invoice_to_payment(netsuite):
    ns = netsuite
    customer(ns)
    r = ns.create("invoice", fx("invoice.create"))
    inv = r.location_id
    r = transform(ns, "invoice", inv, "customerPayment",
                  {"externalId": "ct-pay-1"})
    assert r.status == 204, r
    got = ns.get("invoice", inv).json
    assert got["amountRemaining"] == 0 and got["status"]["id"] == "B"
    pay = ns.get("customerPayment", r.location_id, expand=True).json
    assert pay["payment"] == 200.0 and pay["undepFunds"]["id"] == "T"
    assert pay["apply"]["items"][0]["doc"]["id"] == inv
    r = transform(ns, "invoice", inv, "customerPayment")
    assert r.status == 400


def fixture_flow(ns):
    """Steps 1-12 of t/fixtures/netsuite/README.md."""
    customer(ns)
    assert ns.upsert("customer", "ct-cust-42",
                     fx("customer.upsert")).status == 204
    so = sales_order(ns)
    patch_tax(ns, so)
    assert ns.create("customerDeposit", fx("customerDeposit.create")) \
        .status == 204
    r = transform(ns, "salesOrder", so, "invoice",
                  fx("invoice.transform-from-salesOrder"))
    assert r.location_id == "5003"
    for name in ("creditMemo", "customerRefund", "invoice",
                 "customerPayment"):
        r = ns.create(name, fx(name + ".create"))
        assert r.status == 204, (name, r)
    return ns.create("deposit", fx("deposit.create"))


def test_fixture_flow_and_c8_deposit_twice(netsuite):
    ns = netsuite
    r = fixture_flow(ns)
    assert r.status == 204, r
    assert r.location_id == "5009"
    got = ns.get("deposit", "eid:ct-payout-stripe-po_1QxYz", expand=True).json
    assert got["total"] == 244.92
    assert [p["paymentAmount"] for p in got["payment"]["items"]] == \
        [64.85, 200.0, -12.0]
    inv = ns.get("invoice", 5003).json
    assert (inv["amountRemaining"], inv["status"]["id"]) == (0, "B")
    da = ns.records(type="depositApplication")
    assert len(da) == 1 and da[0]["id"] == "5004"
    dep = ns.get("customerDeposit", 5002).json
    assert dep["status"]["id"] == "C"
    cm = ns.get("creditMemo", 5005).json
    assert (cm["unapplied"], cm["status"]["id"]) == (0, "B")
    recs = {r["id"]: r for r in ns.records()}
    assert recs["5008"]["_sim"]["deposited"] is True
    again = fx("deposit.create")
    again["externalId"] = "ct-payout-stripe-po_2"
    again["payment"]["items"] = [{"id": 5008, "deposit": True}]
    r = ns.create("deposit", again)
    assert r.status == 400
    assert r.detail() == "PYMT00001 cannot be deposited."
    assert r.json["o:errorDetails"][0]["o:errorPath"] == "payment.items[0]"
    assert ns.request("DELETE", RECORD + "customerPayment/5008").detail() \
        == "This record cannot be deleted because it has dependent records."


def test_apply_and_deposit_rules(netsuite):
    ns = netsuite
    customer(ns)
    inv = ns.create("invoice", fx("invoice.create")).location_id
    pay = fx("customerPayment.create")
    pay["apply"]["items"][0]["doc"]["id"] = inv
    pay["apply"]["items"][0]["amount"] = 250
    pay["payment"] = 300
    r = ns.create("customerPayment", pay)
    assert r.detail() == ("The amount applied exceeds the amount remaining "
                          "on INV00001.")
    pay["apply"]["items"][0]["amount"] = 200
    pay["payment"] = 150
    r = ns.create("customerPayment", pay)
    assert r.detail() == "The total amount applied exceeds the payment amount."
    pay["payment"] = 200
    pay["account"] = {"id": "1"}
    del pay["undepFunds"]
    r = ns.create("customerPayment", pay)
    assert r.status == 204, r
    dep = fx("deposit.create")
    dep["payment"]["items"] = [{"id": int(r.location_id), "deposit": True}]
    r = ns.create("deposit", dep)
    assert r.detail() == "PYMT00001 cannot be deposited."
    dep["payment"]["items"] = []
    dep["other"]["items"] = []
    r = ns.create("deposit", dep)
    assert r.detail() == "The deposit total must be greater than zero."
    dep["account"] = {"id": "3"}       # EUR bank of another subsidiary
    assert ns.create("deposit", dep).json["o:errorDetails"][0][
        "o:errorPath"] == "account"


def test_c9_unbalanced_journal(netsuite):
    ns = netsuite
    customer(ns)
    body = fx("journalEntry.create")
    assert ns.create("journalEntry", body).status == 204
    body["externalId"] = "ct-je-2"
    body["line"]["items"][1]["credit"] = 14.99
    r = ns.create("journalEntry", body)
    assert r.status == 400
    assert r.detail() == "The journal entry is out of balance."


def test_refund_flows(netsuite):
    ns = netsuite
    customer(ns)
    r = ns.create("cashSale", fx("cashSale.create"))
    assert r.status == 204, r
    cs = r.location_id
    assert ns.get("cashSale", cs).json["total"] == 28.0
    r = transform(ns, "cashSale", cs, "cashRefund", {"externalId": "ct-r1"})
    assert r.status == 204, r
    assert ns.request("POST", RECORD + "cashRefund", {}).status == 400
    dep = fx("customerDeposit.create")
    del dep["salesOrder"]
    r = ns.create("customerDeposit", dep)
    r = transform(ns, "customerDeposit", r.location_id, "customerRefund",
                  {"externalId": "ct-ref-d", "account": {"id": "122"}})
    assert r.status == 204, r
    got = ns.get("customerRefund", r.location_id, expand=True).json
    assert got["total"] == 64.85
    dep_body = fx("deposit.create")
    dep_body["payment"]["items"] = [{"id": int(cs), "deposit": True},
                                    {"id": int(r.location_id),
                                     "deposit": True}]
    dep_body["other"]["items"] = []
    dep_body["cashback"]["items"] = []
    r = ns.create("deposit", dep_body)
    assert r.detail() == "The deposit total must be greater than zero."


# --- Q: queries -------------------------------------------------------------

def test_q1_collection_filter(netsuite):
    ns = netsuite
    customer(ns)
    so = sales_order(ns)
    transform(ns, "salesOrder", so, "invoice",
              fx("invoice.transform-from-salesOrder"))
    r = ns.request("GET", RECORD + "invoice",
                   query={"q": 'externalId IS "ct-inv-1001"', "limit": 10})
    assert r.status == 200
    body = r.json
    assert body["totalResults"] == 1 and body["count"] == 1
    assert set(body["items"][0]) == {"links", "id"}
    r = ns.request("GET", RECORD + "salesOrder",
                   query={"q": 'tranDate ON_OR_AFTER "2026-01-01" AND '
                               '(entity ANY_OF 1001, 1002 OR '
                               'otherRefNum START_WITH "CT-")'})
    assert r.json["totalResults"] == 1
    r = ns.request("GET", RECORD + "salesOrder", query={"q": "foo IS 1"})
    assert r.status == 400 and r.detail().startswith("Invalid query:")


def test_q2_suiteql_by_external_id(netsuite):
    ns = netsuite
    customer(ns)
    so = sales_order(ns)
    patch_tax(ns, so)
    assert ns.create("customerDeposit", fx("customerDeposit.create")) \
        .status == 204
    transform(ns, "salesOrder", so, "invoice",
              fx("invoice.transform-from-salesOrder"))
    q = fx("suiteql.transactions-by-externalid")
    r = ns.request("POST", SUITEQL + "?limit=10&offset=0", q,
                   headers={"Prefer": "transient"})
    assert r.status == 200, r
    want = fx_response("suiteql-page")["body"]
    assert r.json["items"] == want["items"]
    assert r.json["totalResults"] == 2 and r.json["hasMore"] is False
    r = ns.request("POST", SUITEQL + "?limit=10&offset=0", q)
    assert r.status == 400
    assert r.error_code() == "SIM_PREFER_TRANSIENT_REQUIRED"
    r = ns.request("POST", SUITEQL, {"q": "SELECT foo FROM transaction"},
                   headers={"Prefer": "transient"})
    assert r.json == fx_response("error-400-suiteql")["body"]


def test_suiteql_subset(netsuite):
    ns = netsuite
    customer(ns)
    for i in range(3):
        body = fx("salesOrder.create")
        body["tranDate"] = "2026-01-0%d" % (i + 1)
        sales_order(ns, body, "ct-order-%d" % i)

    def ql(q):
        r = ns.request("POST", SUITEQL, {"q": q},
                       headers={"Prefer": "transient"})
        assert r.status == 200, r
        return r.json["items"]
    rows = ql("SELECT t.id, t.tranid, BUILTIN.DF(t.entity) AS cust, "
              "t.trandate, BUILTIN.DF(t.currency) cur, t.total "
              "FROM transaction t WHERE t.externalid LIKE 'ct-order-%' "
              "AND t.type = 'SalesOrd' AND t.trandate >= "
              "TO_DATE('2026-01-02', 'YYYY-MM-DD') ORDER BY t.id DESC")
    assert [r["tranid"] for r in rows] == ["SO00003", "SO00002"]
    assert rows[0]["cust"] == "Jane Doe" and rows[0]["cur"] == "USD"
    assert rows[1]["trandate"] == "1/2/2026" and rows[0]["total"] == 60.8
    rows = ql("SELECT COUNT(*) AS n FROM transaction WHERE externalid "
              "NOT IN ('ct-order-0')")
    assert rows == [{"links": [], "n": 2}]
    rows = ql("SELECT id, entityid, isperson FROM customer "
              "WHERE externalid = 'ct-cust-42'")
    assert rows == [{"links": [], "id": "1001", "entityid": "Jane Doe",
                     "isperson": "T"}]
    rows = ql("SELECT id, memo FROM transaction WHERE memo IS NULL")
    assert rows == []
    rows = ql("SELECT tranid FROM transaction WHERE trandate BETWEEN "
              "TO_DATE('2026-01-01', 'YYYY-MM-DD') AND "
              "TO_DATE('2026-01-02', 'YYYY-MM-DD') ORDER BY tranid")
    assert [r["tranid"] for r in rows] == ["SO00001", "SO00002"]
    r = ns.request("POST", SUITEQL, {"q": "DELETE FROM transaction"},
                   headers={"Prefer": "transient"})
    assert r.status == 400 and r.json["title"] == "Invalid search query."


def test_q3_suiteql_paging(netsuite):
    ns = netsuite
    customer(ns)
    for i in range(5):
        sales_order(ns, None, "ct-order-p%d" % i)
    q = {"q": "SELECT id FROM transaction ORDER BY id"}
    r = ns.request("POST", SUITEQL + "?limit=2&offset=0", q,
                   headers={"Prefer": "transient"})
    body = r.json
    assert (body["count"], body["hasMore"], body["totalResults"]) == \
        (2, True, 5)
    nxt = [ln["href"] for ln in body["links"] if ln["rel"] == "next"]
    assert nxt and "offset=2" in nxt[0] and "limit=2" in nxt[0]
    r = ns.request("POST", SUITEQL + "?limit=2&offset=4", q,
                   headers={"Prefer": "transient"})
    assert r.json["count"] == 1 and r.json["hasMore"] is False
    r = ns.request("POST", SUITEQL + "?limit=2&offset=1", q,
                   headers={"Prefer": "transient"})
    assert r.status == 400 and r.error_code() == "SIM_INVALID_PAGING"


# --- L, F, T: governance, faults, latency -------------------------------

def _in_thread(fn, out, key):
    t = threading.Thread(target=lambda: out.__setitem__(key, fn()))
    t.start()
    return t


def test_l1_concurrency_limit_with_holds(netsuite):
    ns = netsuite
    ns.set_config({"concurrency": {"limit": 2}})
    customer(ns)
    ns.hold({"method": "GET"})
    out = {}
    threads = [_in_thread(lambda: ns.get("customer", 1001), out, i)
               for i in range(2)]
    wait_until(lambda: ns.stats()["held"] == 2, what="two held requests")
    r = ns.create("customer", dict(fx("customer.create"), externalId="c2"))
    assert r.status == 429
    assert r.json == fx_response("error-429-concurrency")["body"]
    assert r.header("Retry-After") is None
    rejected = [e for e in ns.requests() if e["status"] == 429]
    assert len(rejected) == 1 and rejected[0]["committed"] is False
    assert rejected[0]["admitted"] is False
    ns.release()
    for t in threads:
        t.join(10)
    assert [out[i].status for i in range(2)] == [200, 200]
    assert ns.create("customer", dict(fx("customer.create"),
                                      externalId="c2")).status == 204
    st = ns.stats()
    assert (st["max_in_flight"], st["rejected_429"], st["in_flight"]) == \
        (2, 1, 0)
    assert len(ns.records(type="customer")) == 2


def test_concurrency_under_parallel_clients(netsuite):
    ns = netsuite
    ns.set_config({"concurrency": {"limit": 3},
                   "latency": {"default_ms": 80}})
    customer(ns)
    out = {}
    threads = [_in_thread(lambda: ns.get("customer", 1001), out, i)
               for i in range(12)]
    for t in threads:
        t.join(20)
    codes = sorted(r.status for r in out.values())
    ok = codes.count(200)
    assert set(codes) == {200, 429} and 3 <= ok < 12
    st = ns.stats()
    assert st["max_in_flight"] == 3
    assert st["rejected_429"] == codes.count(429)


def test_f1_commit_then_drop(netsuite):
    ns = netsuite
    customer(ns)
    ns.add_faults([{"id": "drop-after-commit-invoice",
                    "match": {"method": "POST",
                              "path_regex": "^/services/rest/record/v1/"
                                            "invoice$", "nth": [1]},
                    "phase": "after_commit", "action": {"type": "drop"},
                    "times": 1}])
    body = dict(fx("invoice.create"), externalId="ct-inv-1001")
    with pytest.raises(ConnectionError):      # EOF before any byte
        ns.create("invoice", body)
    log = ns.requests()[-1]
    assert log["committed"] is True and log["fault"] == {
        "id": "drop-after-commit-invoice", "phase": "after_commit",
        "action": "drop"}
    r = ns.create("invoice", body)
    assert r.status == 400
    assert r.detail() == "Error while accessing a resource. This entity " \
                         "already exists."
    assert ns.get("invoice", "eid:ct-inv-1001").status == 200
    assert len(ns.records(type="invoice")) == 1


def test_f2_before_commit_503(netsuite):
    ns = netsuite
    customer(ns)
    ns.add_faults([{"match": {"record_type": "invoice"},
                    "phase": "before_commit",
                    "action": {"type": "status", "status": 503}}])
    r = ns.create("invoice", fx("invoice.create"))
    assert r.status == 503 and r.error_code() == "SIM_INJECTED_FAULT"
    assert ns.records(type="invoice") == []
    assert ns.requests()[-1]["committed"] is False
    ns.clear_faults()
    ns.add_faults([{"match": {"external_id": "ct-inv-2001"},
                    "action": {"type": "status", "status": 502,
                               "body": "html"}}])
    r = ns.upsert("invoice", "ct-inv-2001", {})
    assert r.status == 502 and r.header("Content-Type") == "text/html"


def test_f3_hang_past_client_timeout(netsuite):
    ns = netsuite
    customer(ns)
    ns.add_faults([{"match": {"method": "POST"}, "phase": "after_commit",
                    "action": {"type": "hang", "max_ms": 5000}}])
    t0 = time.monotonic()
    with pytest.raises(socket.timeout):
        ns.create("invoice", fx("invoice.create"), timeout=1)
    assert time.monotonic() - t0 < 3
    wait_until(lambda: ns.stats()["in_flight"] == 0, what="hang ended")
    assert len(ns.records(type="invoice")) == 1


def test_fault_rates_nth_every(netsuite):
    ns = netsuite
    customer(ns)
    ns.add_faults([{"match": {"method": "GET", "every": 3},
                    "action": {"type": "status", "status": 500,
                               "body": "empty"}, "times": 2}])
    codes = [ns.get("customer", 1001).status for _ in range(9)]
    assert codes == [200, 200, 500, 200, 200, 500, 200, 200, 200]
    ns.add_faults([{"match": {"method": "GET", "probability": 0.2},
                    "action": {"type": "status", "status": 503}}])
    codes = [ns.get("customer", 1001).status for _ in range(100)]
    assert 5 <= codes.count(503) <= 40
    ns.clear_faults()
    ns.add_faults([{"phase": "on_receive", "action": {"type": "reset"}}])
    with pytest.raises(OSError):
        ns.get("customer", 1001)
    assert ns.admin("GET", "faults")["items"][0]["applied"] == 1


def test_t1_latency(netsuite):
    ns = netsuite
    ns.set_config({"latency": {"default_ms": 200}})
    customer(ns)
    ns.get("customer", 1001)
    ns.request("GET", RECORD + "customer/1001", auth=None)
    rows = ns.requests()
    assert rows and all(r["duration_ms"] >= 200 for r in rows
                        if r["status"] != 401)


# --- S: async and idempotency ---------------------------------------------------

def test_s1_async_with_idempotency_key(netsuite):
    ns = netsuite
    ns.set_config({"async": {"complete_after_ms": -1}})
    customer(ns)
    key = "6f1c2b9e-3d4a-4c8e-9b71-2a5e0f4d7c33"
    h = {"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": key}
    r = ns.create("invoice", fx("invoice.create"), headers=h)
    assert r.status == 202
    assert r.header("Location") == "/services/rest/async/v1/job/1"
    assert r.header("Preference-Applied") == "respond-async"
    r2 = ns.create("invoice", fx("invoice.create"), headers=h)
    assert r2.status == 400 and r2.error_code() == "IDEMPOTENCY_ERROR"
    assert r2.header("Location") == r.header("Location")
    assert r2.json == fx_response("error-400-idempotency")["body"]
    job = ns.request("GET", r.header("Location")).json
    assert (job["progress"], job["completed"]) == ("pending", False)
    ns.admin("POST", "jobs/run")
    job = ns.request("GET", r.header("Location")).json
    assert (job["progress"], job["completed"]) == ("succeeded", True)
    task = ns.request("GET", r.header("Location") + "/task/1").json
    assert task["progress"] == "succeeded"
    res = ns.request("GET", r.header("Location") + "/task/1/result")
    assert res.status == 204
    assert res.header("Location").endswith("/invoice/5001")
    bad = dict(h, **{"X-NetSuite-Idempotency-Key": "nope"})
    r = ns.create("invoice", fx("invoice.create"), headers=bad)
    assert r.error_code() == "SIM_INVALID_IDEMPOTENCY_KEY"


def test_s2_sync_ignores_idempotency_key(netsuite):
    ns = netsuite
    customer(ns)
    h = {"X-NetSuite-Idempotency-Key": "6f1c2b9e-3d4a-4c8e-9b71-2a5e0f4d7c33"}
    for eid in ("ct-inv-a", "ct-inv-b"):
        r = ns.create("invoice", dict(fx("invoice.create"), externalId=eid),
                      headers=h)
        assert r.status == 204
    assert len(ns.records(type="invoice")) == 2


# --- U, X: upsert trap and property names ------------------------------------

def test_u1_upsert_without_replace_duplicates_lines(netsuite):
    ns = netsuite
    customer(ns)
    body = fx("salesOrder.create")
    body.pop("externalId")
    body["item"]["items"] = body["item"]["items"][:2]
    r = ns.upsert("salesOrder", "ct-order-1001", body)
    assert r.status == 204
    so = r.location_id
    r = ns.upsert("salesOrder", "ct-order-1001", body)
    assert r.status == 204 and r.location_id == so
    got = ns.get("salesOrder", so, expand=True).json
    assert got["item"]["count"] == 4 and got["total"] == 129.0
    r = ns.upsert("salesOrder", "ct-order-1001", body, replace="item")
    got = ns.get("salesOrder", so, expand=True).json
    assert got["item"]["count"] == 2 and got["total"] == 67.0
    assert len(ns.records(type="salesOrder")) == 1


def test_patch_keyed_lines_and_delete(netsuite):
    ns = netsuite
    customer(ns)
    so = sales_order(ns)
    r = ns.request("PATCH", RECORD + "salesOrder/" + so,
                   {"memo": "changed", "item": {"items": [
                       {"line": 2, "quantity": 3, "amount": 36}]}})
    assert r.status == 204 and r.header("Location") is None
    got = ns.get("salesOrder", so, expand=True).json
    assert got["memo"] == "changed" and got["item"]["count"] == 3
    assert got["item"]["items"][1]["amount"] == 36.0
    assert got["total"] == 50 + 36 - 6.2 + 5
    r = ns.request("PATCH", RECORD + "salesOrder/" + so,
                   {"item": {"items": [{"line": 2, "amount": -1}]}})
    assert r.status == 400
    assert ns.get("salesOrder", so).json["total"] == 84.8
    assert ns.request("DELETE", RECORD + "salesOrder/" + so).status == 204
    assert ns.get("salesOrder", so).status == 404
    assert ns.create("salesOrder", fx("salesOrder.create")).status == 204


def test_x1_property_names(netsuite):
    ns = netsuite
    customer(ns)
    body = fx("salesOrder.create")
    body["ENTITY"] = body.pop("entity")
    body["foo"] = 1
    r = ns.create("salesOrder", body)
    assert r.status == 204, r
    assert ns.requests()[-1]["warnings"] == ["Unrecognized property: foo."]
    got = ns.get("salesOrder", r.location_id).json
    assert got["entity"]["id"] == "1001" and "foo" not in got
    body["externalId"] = "ct-order-2"
    r = ns.create("salesOrder", body,
                  headers={"X-NetSuite-PropertyNameValidation": "Error"})
    assert r.status == 400 and r.error_code() == "INVALID_CONTENT"
    assert r.json["o:errorDetails"][0]["o:errorPath"] == "foo"
    del body["foo"]
    body["shippingCost"] = "5.00"
    r = ns.create("salesOrder", body)
    assert r.status == 400 and r.error_code() == "INVALID_CONTENT"
    assert r.json["o:errorDetails"][0]["o:errorPath"] == "shippingCost"
    r = ns.create("salesOrder", body,
                  headers={"X-NetSuite-PropertyValueValidation": "Warning"})
    assert r.status == 204, r
    assert ns.requests()[-1]["warnings"] == [
        "dropped shippingCost: expected a number"]
    assert "shippingCost" not in ns.get("salesOrder", r.location_id).json
    body["externalId"] = "ct-order-3"
    body["tranDate"] = "01/02/2026"
    body["shippingCost"] = 5
    r = ns.create("salesOrder", body)
    assert r.json["o:errorDetails"][0]["o:errorPath"] == "tranDate"


def test_body_checks(netsuite):
    ns = netsuite
    r = ns.request("POST", RECORD + "customer", b"{not json")
    assert r.json == fx_response("error-400-invalid-content")["body"]
    r = ns.request("POST", RECORD + "customer", b"[1]")
    assert r.error_code() == "INVALID_CONTENT"
    r = ns.request("POST", RECORD + "customer", b"a=b",
                   headers={"Content-Type": "text/plain"})
    assert r.error_code() == "INVALID_CONTENT"
    ns.set_config({"limits": {"max_body_bytes": 100}})
    r = ns.request("POST", RECORD + "customer", {"x": "y" * 200})
    assert r.status == 413 and r.error_code() == "SIM_REQUEST_TOO_LARGE"
    ns.set_config({"limits": {"max_body_bytes": 109051904}})


def test_admin_and_keep_alive(netsuite):
    ns = netsuite
    customer(ns)
    conn = http.client.HTTPConnection("127.0.0.1", ns.port, timeout=10)
    for _ in range(3):
        path = RECORD + "customer/1001"
        conn.request("GET", path, headers={
            "Authorization": tba_header("GET", ns.url + path, ns.creds)})
        r = conn.getresponse()
        r.read()
        assert r.status == 200
    conn.close()
    assert ns.admin("GET", "health")["ok"] is True
    st = ns.stats()
    assert st["requests_by_status"]["200"] == 3
    assert st["records_by_type"] == {"customer": 1}
    items = ns.records(type="nonInventorySaleItem",
                       externalId="ct-sku-MUG-WHITE")
    assert items[0]["id"] == "102"
    r = ns.get("nonInventorySaleItem", 102)
    assert r.status == 200 and r.json["refName"] == "MUG-WHITE"
    assert ns.request("GET", "/services/rest/system/v1/governanceLimits") \
        .json["accountConcurrencyLimit"] == 5
    meta = ns.request("GET", RECORD + "metadata-catalog/salesOrder").json
    assert meta["properties"]["entity"]["mandatory"] is True


def test_read_options_and_sublists(netsuite):
    ns = netsuite
    customer(ns)
    so = sales_order(ns)
    path = RECORD + "salesOrder/" + so
    got = ns.request("GET", path + "?fields=total,memo,item").json
    assert set(got) == {"links", "id", "total", "memo", "item"}
    got = ns.request("GET", path + "?simpleEnumFormat=true").json
    assert got["status"] == "B" and got["orderStatus"] == "B"
    sub = ns.request("GET", path + "/item").json
    assert sub["count"] == 3 and sub["items"][2]["item"]["id"] == "201"
    line = ns.request("GET", path + "/item/2").json
    assert line["taxDetailsReference"] == "TDR2-" + so
    assert ns.request("GET", path + "/item/9").status == 404
    r = ns.request("PATCH", path + "?replace=memo,otherRefNum"
                   "&replaceSelectedFields=true", {"otherRefNum": "X"})
    assert r.status == 204
    got = ns.get("salesOrder", so).json
    assert "memo" not in got and got["otherRefNum"] == "X"


def test_partial_and_delay_faults(netsuite):
    ns = netsuite
    customer(ns)
    ns.add_faults([{"match": {"method": "GET", "nth": [1]},
                    "action": {"type": "delay", "delay_ms": 300}},
                   {"match": {"method": "GET", "nth": [2]},
                    "phase": "after_commit", "action": {"type": "partial"}}])
    t0 = time.monotonic()
    assert ns.get("customer", 1001).status == 200
    assert time.monotonic() - t0 >= 0.3
    with pytest.raises(http.client.IncompleteRead):
        ns.get("customer", 1001)
    assert ns.get("customer", 1001).status == 200
    assert ns.requests()[-2]["fault"]["action"] == "partial"


def test_batch_requests(netsuite):
    ns = netsuite
    customer(ns)
    ct = {"Content-Type": "application/vnd.oracle.resource+json; "
                          "type=collection"}
    items = {"items": [dict(fx("invoice.create"), externalId="ct-inv-b%d" % i)
                       for i in range(3)]}
    r = ns.request("POST", RECORD + "invoice", items, headers=ct)
    assert r.status == 400 and "respond-async" in r.detail()
    r = ns.request("POST", RECORD + "invoice", items,
                   headers=dict(ct, Prefer="respond-async"))
    assert r.status == 202
    job = r.header("Location")
    wait_until(lambda: ns.request("GET", job).json["completed"],
               what="batch job")
    tasks = ns.request("GET", job + "/task").json
    assert tasks["count"] == 3
    res = ns.request("GET", job + "/task/3/result")
    assert res.status == 204 and res.header("Location").endswith("/5003")
    r = ns.request("PATCH", RECORD + "invoice",
                   {"items": [{"externalId": "ct-inv-b0", "memo": "m0"},
                              {"id": "5002", "memo": "m1"},
                              {"id": "9999", "memo": "x"}]},
                   headers=dict(ct, Prefer="respond-async"))
    job = r.header("Location")
    wait_until(lambda: ns.request("GET", job).json["completed"],
               what="patch job")
    assert ns.request("GET", job).json["progress"] == "failed"
    assert ns.request("GET", job + "/task/3/result").status == 404
    assert ns.get("invoice", 5001).json["memo"] == "m0"
    assert ns.get("invoice", 5002).json["memo"] == "m1"
    r = ns.request("DELETE", RECORD + "invoice?ids=5001,eid:ct-inv-b1",
                   headers={"Prefer": "respond-async"})
    wait_until(lambda: ns.request("GET", r.header("Location")).json[
        "completed"], what="delete job")
    assert [x["id"] for x in ns.records(type="invoice")] == ["5003"]


def test_payment_upsert_is_idempotent_and_totals_guarded(netsuite):
    ns = netsuite
    customer(ns)
    inv = ns.create("invoice", fx("invoice.create")).location_id
    body = fx("customerPayment.create")
    body.pop("externalId")
    body["apply"]["items"][0]["doc"]["id"] = inv
    for replace in ("apply", None, "apply"):
        r = ns.upsert("customerPayment", "ct-pay-2001-tx1", body,
                      replace=replace)
        assert r.status == 204, r
    pay = ns.get("customerPayment", "eid:ct-pay-2001-tx1", expand=True).json
    assert pay["apply"]["count"] == 1 and pay["applied"] == 200.0
    assert ns.get("invoice", inv).json["amountRemaining"] == 0
    assert len(ns.records(type="customerPayment")) == 1
    r = ns.request("PATCH", RECORD + "invoice/" + inv + "?replace=item",
                   {"item": {"items": [{"item": {"id": "101"},
                                        "quantity": 1, "rate": 20}]}})
    assert r.detail() == ("The amount applied exceeds the amount remaining "
                          "on INV00001.")
    assert ns.get("invoice", inv).json["total"] == 200.0


def test_refuses_non_loopback_listen():
    p = subprocess.run([sys.executable, SIM, "--listen", "0.0.0.0:18089"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 2 and "loopback" in p.stderr
