"""PSP settlements end to end: ctns-worker import-settlement against the
NetSuite simulator and real Redis.

The captured payments and the refund the settlement fixtures pay out are
put into NetSuite the way the finance mapping posts them (customer deposits
in Undeposited Funds, a customer refund out of Undeposited Funds), and the
PSP index entries are written exactly as lib/ctns_map_payment.c writes them
(ctns:idx:psp:<reference>).  The payout then becomes one bank deposit whose
total the simulator computes from its lines.
"""

import json
import time

from harness.common import fixture_path, wait_until
from harness.scenarios import ct_config
from harness.worker import enqueue, event_fields, event_from_file, \
    load_message

EUR_CUST = "ct-cust-settle-eu"
USD_CUST = "ct-cust-settle-us"
TX = "a0000000-0000-4000-8000-000000000%s"
PAY = "0b4c6a3e-1f2d-4c5b-9a8e-7d6f5e4c3b0%s"
ADYEN_EID = "ct-payout-adyen-ExampleShopECOM-87"
STRIPE_EUR = "ct-payout-stripe-po_1TestEURPayout0000000001"
STRIPE_USD = "ct-payout-stripe-po_1TestUSDPayout0000000001"

BANKS = {"adyen": {"EUR": {"account": "12", "subsidiary": "3",
                           "currency": "4"}},
         "stripe": {"EUR": {"account": "14", "subsidiary": "3",
                            "currency": "4"},
                    "USD": {"account": "13", "subsidiary": "1",
                            "currency": "1"}}}


def settle_conf(workers, unmatched="wait"):
    psp = {name: {"fees": "610", "chargebacks": "611", "adjustments": "612",
                  "clearing": "613", "banks": banks}
           for name, banks in BANKS.items()}
    return workers.config(settlements={"unmatched": unmatched,
                                       "never_settled_days": 7, "psp": psp})


def ok(resp):
    assert resp.status in (200, 201, 204), (resp.status, resp.body)
    return resp


def ns_id(netsuite, rtype, eid):
    return ok(netsuite.get(rtype, "eid:" + eid)).json["id"]


def seed_netsuite(netsuite):
    """Deposits for charges 0102 (USD) and 0202 (EUR), refund 0203."""
    for eid, sub, cur in ((EUR_CUST, "3", "4"), (USD_CUST, "1", "1")):
        ok(netsuite.upsert("customer", eid, {
            "companyName": eid, "subsidiary": {"id": sub},
            "currency": {"id": cur}}))
    for tx, cust, sub, cur, amount in (("102", USD_CUST, "1", "1", 128.40),
                                       ("202", EUR_CUST, "3", "4", 59.99)):
        ok(netsuite.upsert("customerDeposit", "ct-dep-" + TX % tx, {
            "customer": {"externalId": cust}, "subsidiary": {"id": sub},
            "currency": {"id": cur}, "payment": amount, "undepFunds": "T",
            "tranDate": "2026-07-01"}))
    dep = ns_id(netsuite, "customerDeposit", "ct-dep-" + TX % "202")
    ok(netsuite.upsert("customerRefund", "ct-ref-" + TX % "203", {
        "customer": {"externalId": EUR_CUST}, "subsidiary": {"id": "3"},
        "currency": {"id": "4"}, "account": {"id": "122"},
        "tranDate": "2026-07-02",
        "deposit": {"items": [{"doc": {"id": dep}, "apply": True,
                               "amount": 20.00}]}}))


def index(redis, ref, rtype, eid, pay, tx, amount, currency):
    """An entry as ctns_map_psp_index() writes it."""
    redis.set("ctns:idx:psp:" + ref, json.dumps({
        "type": rtype, "externalId": eid, "orderId": "order-of-" + pay,
        "paymentId": pay, "transactionId": tx, "amount": amount,
        "currency": currency, "fractionDigits": 2}, sort_keys=True,
        separators=(",", ":")))


def adyen_index(redis):
    """Connect Adyen processor: interactionId = capture/refund reference."""
    index(redis, "8815830153220001", "customerDeposit",
          "ct-dep-" + TX % "102", PAY % "1", TX % "102", 12840, "USD")
    index(redis, "8815830153220002", "customerDeposit",
          "ct-dep-" + TX % "202", PAY % "2", TX % "202", 5999, "EUR")
    index(redis, "8815830153210003", "customerRefund",
          "ct-ref-" + TX % "203", PAY % "2", TX % "203", 2000, "EUR")


def stripe_index(redis, refund=True, eur_amount=5999):
    """Stripe connector: interactionId = the PaymentIntent / refund id."""
    index(redis, "pi_8815830153210001", "customerDeposit",
          "ct-dep-" + TX % "102", PAY % "1", TX % "102", 12840, "USD")
    index(redis, "pi_8815830153210002", "customerDeposit",
          "ct-dep-" + TX % "202", PAY % "2", TX % "202", eur_amount, "EUR")
    if refund:
        index(redis, "re_8815830153210003", "customerRefund",
              "ct-ref-" + TX % "203", PAY % "2", TX % "203", 2000, "EUR")


def deposit(netsuite, eid):
    r = netsuite.get("deposit", "eid:" + eid, expand=True)
    return r.json if r.status == 200 else None


def deposit_puts(netsuite):
    return [r for r in netsuite.requests() if r["method"] == "PUT"
            and "/deposit/eid:" in r["path"]]


def lines(dep, sublist):
    return sorted((str(i.get("account", {}).get("id", i.get("id"))),
                   round(float(i.get("amount", i.get("paymentAmount", 0))),
                         2))
                  for i in dep[sublist]["items"])


def run(workers, conf, *args):
    return workers.command(*args, conf=conf, timeout=60)


def test_adyen_report_becomes_one_deposit_with_fees(redis, netsuite,
                                                    workers):
    seed_netsuite(netsuite)
    adyen_index(redis)
    conf = settle_conf(workers)

    r = run(workers, conf, "import-settlement", "--format", "adyen",
            fixture_path("settlements", "settlement_detail_report_batch_87"
                         ".csv"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deposit %s posted" % ADYEN_EID in r.stdout

    dep = deposit(netsuite, ADYEN_EID)
    assert dep is not None
    assert round(float(dep["total"]), 2) == 157.72
    assert dep["account"]["id"] == "12" and dep["tranDate"] == "2026-07-03"
    assert lines(dep, "payment") == sorted([
        (ns_id(netsuite, "customerDeposit", "ct-dep-" + TX % "202"), 59.99),
        (ns_id(netsuite, "customerRefund", "ct-ref-" + TX % "203"), -20.0)])
    # the USD sale settled in EUR: its converted value on the clearing
    # account; every PSP cost as cash back on the fee account
    assert lines(dep, "other") == [("613", 118.77)]
    assert lines(dep, "cashback") == [("610", 0.1), ("610", 0.2),
                                      ("610", 0.33), ("610", 0.41)]

    led = redis.hgetall("ctns:settle:payout:adyen:ExampleShopECOM-87")
    assert led["state"] == "posted" and led["amount"] == "157.72"
    assert led["deposit"] == dep["id"]

    # nothing unmatched, nothing left unsettled
    r = run(workers, conf, "settlements", "--unmatched")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 exceptions" in r.stdout


def test_duplicate_import_posts_nothing(redis, netsuite, workers):
    seed_netsuite(netsuite)
    adyen_index(redis)
    conf = settle_conf(workers)
    path = fixture_path("settlements", "settlement_detail_report_batch_87"
                        ".csv")

    assert run(workers, conf, "import-settlement", "--format", "adyen",
               path).returncode == 0
    assert len(deposit_puts(netsuite)) == 1
    before = len(netsuite.requests())

    r = run(workers, conf, "import-settlement", "--format", "adyen", path)
    assert r.returncode == 0, r.stderr
    assert "already posted" in r.stdout
    assert len(netsuite.requests()) == before
    assert len(netsuite.records(type="deposit")) == 1


def test_stripe_payouts_one_deposit_per_currency(redis, netsuite, workers):
    seed_netsuite(netsuite)
    stripe_index(redis)
    conf = settle_conf(workers)

    r = run(workers, conf, "import-settlement", "--format", "stripe",
            fixture_path("settlements", "stripe-payouts.json"))
    assert r.returncode == 0, r.stdout + r.stderr

    usd = deposit(netsuite, STRIPE_USD)
    eur = deposit(netsuite, STRIPE_EUR)
    assert round(float(usd["total"]), 2) == 124.38
    assert round(float(eur["total"]), 2) == 38.77
    assert lines(usd, "payment") == [(ns_id(
        netsuite, "customerDeposit", "ct-dep-" + TX % "102"), 128.4)]
    assert lines(usd, "cashback") == [("610", 4.02)]
    assert lines(eur, "cashback") == [("610", 0.07), ("610", 1.15)]
    assert len(eur["payment"]["items"]) == 2


def test_unmatched_lines_wait_and_are_reported(redis, netsuite, workers):
    seed_netsuite(netsuite)
    stripe_index(redis, refund=False)
    # a capture the worker posted ten days ago that no payout contains
    index(redis, "pi_never", "customerDeposit", "ct-dep-never", "pay-never",
          "tx-never", 4200, "EUR")
    redis.hset("ctns:status:payment:pay-never", "updated_at",
               str(int((time.time() - 10 * 86400) * 1000)))
    conf = settle_conf(workers)
    path = fixture_path("settlements", "stripe-payouts.json")

    r = run(workers, conf, "import-settlement", "--format", "stripe", path)
    assert r.returncode == 3, r.stdout + r.stderr      # something waits
    assert deposit(netsuite, STRIPE_USD) is not None
    assert deposit(netsuite, STRIPE_EUR) is None
    assert redis.hget("ctns:settle:payout:stripe:po_1TestEURPayout"
                      "0000000001", "state") == "waiting"

    r = run(workers, conf, "settlements", "--unmatched", "--format", "json")
    assert r.returncode == 1
    rows = json.loads(r.stdout)
    kinds = sorted((x["kind"], x["reference"]) for x in rows)
    assert kinds == [("never-settled", "pi_never"),
                     ("unmatched", "re_8815830153210003")]
    unmatched = [x for x in rows if x["kind"] == "unmatched"][0]
    assert unmatched["gross"] == "-20.00" and unmatched["currency"] == "EUR"
    assert redis.hget("ctns:settle:summary", "exceptions") == "1"
    assert redis.hget("ctns:settle:summary", "payouts_waiting") == "1"

    # policy "clearing": the unmatched refund goes to the clearing account
    r = run(workers, settle_conf(workers, "clearing"), "import-settlement",
            "--format", "stripe", path)
    assert r.returncode == 0, r.stdout + r.stderr
    eur = deposit(netsuite, STRIPE_EUR)
    assert round(float(eur["total"]), 2) == 38.77
    assert ("613", 20.0) in lines(eur, "cashback")
    assert len(eur["payment"]["items"]) == 1


def test_amount_mismatch_is_an_exception(redis, netsuite, workers):
    seed_netsuite(netsuite)
    stripe_index(redis, eur_amount=5998)
    conf = settle_conf(workers)

    r = run(workers, conf, "import-settlement", "--format", "stripe",
            fixture_path("settlements", "stripe-payouts.json"))
    assert r.returncode == 3
    assert deposit(netsuite, STRIPE_EUR) is None

    r = run(workers, conf, "settlements", "--unmatched")
    assert r.returncode == 1
    assert "mismatch" in r.stdout
    assert "amount 59.99 EUR settled, 59.98 EUR on ct-dep-" in r.stdout


def test_malformed_report_is_refused_with_row_and_column(redis, netsuite,
                                                         workers, tmp_path):
    seed_netsuite(netsuite)
    adyen_index(redis)
    with open(fixture_path("settlements", "settlement_detail_report_batch_"
                           "87.csv")) as fh:
        text = fh.read().replace(",59.79,", ",59.7O,")
    bad = tmp_path / "bad.csv"
    bad.write_text(text)

    r = run(workers, settle_conf(workers), "import-settlement", "--format",
            "adyen", str(bad))
    assert r.returncode == 1
    assert 'row 3, column "Net Credit (NC)"' in r.stderr
    assert deposit_puts(netsuite) == []


def test_missing_psp_configuration_is_named(workers):
    conf = settle_conf(workers)
    del conf["settlements"]["psp"]["stripe"]
    r = run(workers, conf, "import-settlement", "--format", "stripe",
            fixture_path("settlements", "stripe-payouts.json"))
    assert r.returncode == 1
    assert "settlements.psp.stripe is not configured" in r.stderr

    conf["settlements"]["psp"]["adyen"]["banks"] = {"eur": {}}
    r = run(workers, conf, "check-config")
    assert r.returncode == 1
    assert "settlements.psp.adyen.banks.eur" in r.stderr


def test_index_written_by_the_worker_links_the_capture(redis, netsuite,
                                                       workers, ct_sim):
    """The real worker posts the USD capture of ORD-10001 from a payment
    message; the PSP index entry it writes links the Adyen report's
    Settled line.  The EUR lines have no posted payments: they wait."""
    ct_sim.reset()
    ct_sim.faults()
    conf = ct_config(workers, ct_sim, settlements=settle_conf(
        workers)["settlements"])
    workers.start(conf)
    enqueue(redis, event_from_file("order-created.json"))
    msg = load_message("payment-transaction-state-changed.json")
    msg["resource"]["id"] = PAY % "1"
    msg["transactionId"] = TX % "102"
    msg["sequenceNumber"] = 3
    enqueue(redis, event_fields(msg))
    wait_until(lambda: redis.get("ctns:idx:psp:8815830153220001"),
               timeout=30, what="PSP index entry of the capture")
    entry = json.loads(redis.get("ctns:idx:psp:8815830153220001"))
    assert entry["transactionId"] == TX % "102"

    r = run(workers, conf, "import-settlement", "--format", "adyen",
            fixture_path("settlements", "settlement_detail_report_batch_87"
                         ".csv"))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "-> " + entry["externalId"] in r.stdout

    r = run(workers, conf, "settlements", "--unmatched", "--format", "json")
    refs = sorted(x["reference"] for x in json.loads(r.stdout)
                  if x["kind"] == "unmatched")
    assert refs == ["8815830153210003", "8815830153220002"]
