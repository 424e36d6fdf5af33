"""PSP settlement files for a scenario's captured payments.

Adyen: one settlement detail report per merchant account (one per store
currency, exchange rate 1), 30 standard columns, Settled lines for Charge
transactions and Refunded lines for Refund transactions in state Success,
a Fee line and a MerchantPayout line when the batch balance is positive.
Stripe: one automatic payout per currency with its balance transactions
(charges with fees, refunds, the payout's own transaction) plus the charge
and refund objects.  Shapes follow t/fixtures/settlements.
"""

import csv
import datetime
import hashlib
import io
import json
import os
from fractions import Fraction

from ct_catalog import STORES
from ctlib import fraction_digits, parse_iso, round_fraction

ADYEN_COLUMNS = [
    "Company Account", "Merchant Account", "Psp Reference",
    "Merchant Reference", "Payment Method", "Creation Date", "TimeZone",
    "Type", "Modification Reference", "Gross Currency", "Gross Debit (GC)",
    "Gross Credit (GC)", "Exchange Rate", "Net Currency", "Net Debit (NC)",
    "Net Credit (NC)", "Commission (NC)", "Markup (NC)", "Scheme Fees (NC)",
    "Interchange (NC)", "Payment Method Variant",
    "Modification Merchant Reference", "Batch Number"] + [
    "Reserved%d" % n for n in range(4, 11)]

CARD_SCHEMES = ("visa", "mc", "amex", "jcb")
#: Interchange++ costs as fractions of the gross amount.
ADYEN_COSTS = {"Markup (NC)": Fraction(10, 10000),
               "Scheme Fees (NC)": Fraction(4, 10000),
               "Interchange (NC)": Fraction(20, 10000)}
#: Stripe fee: (fraction, fixed minor units) per currency.
STRIPE_FEES = {"USD": (Fraction(29, 1000), 30), "EUR": (Fraction(15, 1000),
                                                        25),
               "JPY": (Fraction(36, 1000), 0),
               "BHD": (Fraction(29, 1000), 100)}


def major(cents, currency):
    """Decimal string in major units, '' for None."""
    if cents is None:
        return ""
    digits = fraction_digits(currency)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    if not digits:
        return sign + str(cents)
    return "%s%d.%0*d" % (sign, cents // 10 ** digits, digits,
                          cents % 10 ** digits)


def _successful(pay, kind):
    return [tx for tx in pay.doc["transactions"]
            if tx["type"] == kind and tx["state"] == "Success"]


def _hid(prefix, text, n=24):
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:n]


def _local(ts, store_key):
    name, hours = STORES[store_key]["tz"]
    t = parse_iso(ts) + datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%d %H:%M:%S"), name


def adyen_reports(payments, seed):
    """{merchant account: {"batch", "currency", "rows": [dict]}}."""
    reports = {}
    lines = []
    for pay in payments:
        if pay.psp != "adyen":
            continue
        for kind in ("Charge", "Refund"):
            for tx in _successful(pay, kind):
                lines.append((tx["timestamp"], pay, kind, tx))
    lines.sort(key=lambda x: (x[0], x[3]["id"]))
    for ts, pay, kind, tx in lines:
        st = STORES[pay.store_key]
        cur = tx["amount"]["currencyCode"]
        rep = reports.setdefault(st["merchant"], {
            "currency": cur, "rows": [], "tz_store": pay.store_key,
            "batch": (seed % 100000) * 10 + len(reports) + 1})
        gross = tx["amount"]["centAmount"]
        date, tz = _local(ts, pay.store_key)
        method = pay.doc["paymentMethodInfo"]["method"]
        row = {"Company Account": "ExampleCompany",
               "Merchant Account": st["merchant"],
               "Psp Reference": pay.doc["interfaceId"],
               "Merchant Reference": pay.id, "Payment Method": method,
               "Creation Date": date, "TimeZone": tz,
               "Modification Reference": tx["interactionId"],
               "Gross Currency": cur, "Exchange Rate": "1",
               "Net Currency": cur,
               "Payment Method Variant": method + "credit"
               if method in CARD_SCHEMES else method,
               "Batch Number": str(rep["batch"])}
        if kind == "Charge":
            costs = {k: round_fraction(gross * f)
                     for k, f in ADYEN_COSTS.items()}
            row.update({"Type": "Settled", "_net": gross - sum(
                costs.values()), "Gross Credit (GC)": major(gross, cur)})
            row["Net Credit (NC)"] = major(row["_net"], cur)
        else:
            costs = {"Markup (NC)": {0: 15, 2: 10, 3: 100}[
                fraction_digits(cur)]}
            row.update({"Type": "Refunded", "_net": -(gross + sum(
                costs.values())), "Gross Debit (GC)": major(gross, cur),
                "Modification Merchant Reference": pay.id})
            row["Net Debit (NC)"] = major(-row["_net"], cur)
        for k, v in costs.items():
            row[k] = major(v, cur) if v else ""
        rep["rows"].append(row)
    for account, rep in reports.items():
        _close_batch(account, rep)
    return reports


def _close_batch(account, rep):
    """Adds the monthly fee line and the payout line of a batch."""
    cur, rows = rep["currency"], rep["rows"]
    last = max(r["Creation Date"] for r in rows)
    settled = sum(1 for r in rows if r["Type"] == "Settled")
    fee = 2 * settled
    base = {"Company Account": "ExampleCompany", "Merchant Account": account,
            "TimeZone": rows[0]["TimeZone"], "Net Currency": cur,
            "Batch Number": str(rep["batch"])}
    day = (datetime.datetime.strptime(last, "%Y-%m-%d %H:%M:%S") +
           datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    rows.append(dict(base, **{"Creation Date": day + " 04:55:40",
                              "Type": "Fee",
                              "Modification Reference": "Transaction Fees",
                              "Net Debit (NC)": major(fee, cur),
                              "_net": -fee}))
    balance = sum(r["_net"] for r in rows)
    rep["payout"] = balance if balance > 0 else 0
    if balance > 0:
        rows.append(dict(base, **{
            "Creation Date": day + " 05:10:00", "Type": "MerchantPayout",
            "Modification Reference": "Batch %d payout" % rep["batch"],
            "Net Debit (NC)": major(balance, cur), "_net": -balance}))


def stripe_payouts(payments, day):
    """Stripe payouts (one per currency), charges and refunds."""
    by_cur = {}
    charges, refunds = [], []
    available = int((day + datetime.timedelta(days=1)).replace(
        tzinfo=datetime.timezone.utc).timestamp())
    for pay in payments:
        if pay.psp != "stripe":
            continue
        pi = pay.doc["interfaceId"]
        cur = pay.doc["amountPlanned"]["currencyCode"]
        meta = {"ct_payment_id": pay.id, "ct_order_number":
                pay.doc["custom"]["fields"]["orderNumber"],
                "psp_reference": pi}
        first_charge = None
        for tx in _successful(pay, "Charge"):
            amount = tx["amount"]["centAmount"]
            frac, fixed = STRIPE_FEES[cur]
            fee = round_fraction(amount * frac) + fixed
            ch = tx["interactionId"] if tx["interactionId"] != pi \
                else _hid("ch_3", tx["id"])
            first_charge = first_charge or ch
            bt = _balance_txn(_hid("txn_3", tx["id"]), amount, fee, cur,
                              "charge", ch, tx["timestamp"], available,
                              meta["ct_order_number"])
            by_cur.setdefault(cur, []).append(bt)
            charges.append({"id": ch, "object": "charge", "amount": amount,
                            "amount_refunded": 0, "currency": cur.lower(),
                            "balance_transaction": bt["id"],
                            "payment_intent": pi, "captured": True,
                            "status": "succeeded", "metadata": dict(meta)})
        for tx in _successful(pay, "Refund"):
            amount = tx["amount"]["centAmount"]
            bt = _balance_txn(_hid("txn_3", tx["id"]), -amount, 0, cur,
                              "refund", tx["interactionId"], tx["timestamp"],
                              available, "REFUND FOR CHARGE (%s)"
                              % meta["ct_order_number"])
            by_cur.setdefault(cur, []).append(bt)
            for c in charges:
                if c["id"] == first_charge:
                    c["amount_refunded"] += amount
            refunds.append({"id": tx["interactionId"], "object": "refund",
                            "amount": amount, "currency": cur.lower(),
                            "charge": first_charge, "payment_intent": pi,
                            "balance_transaction": bt["id"],
                            "status": "succeeded",
                            "metadata": {"ct_payment_id": pay.id,
                                         "psp_reference":
                                         tx["interactionId"]}})
    payouts = []
    for cur in sorted(by_cur):
        txns = by_cur[cur]
        total = sum(t["net"] for t in txns)
        if total <= 0:
            continue
        po = _hid("po_1", cur + str(available))
        created = available + 12 * 3600
        own = _balance_txn(_hid("txn_1", po), -total, 0, cur, "payout", po,
                           None, available + 86400, "STRIPE PAYOUT")
        own["created"] = created
        payouts.append({
            "payout": {"id": po, "object": "payout", "amount": total,
                       "arrival_date": available + 86400, "automatic": True,
                       "balance_transaction": own["id"], "created": created,
                       "currency": cur.lower(), "description": "STRIPE PAYOUT",
                       "destination": "ba_1Test%sBankAccount000001" % cur,
                       "failure_balance_transaction": None,
                       "failure_code": None, "failure_message": None,
                       "livemode": False, "metadata": {}, "method": "standard",
                       "reconciliation_status": "completed",
                       "source_type": "card", "statement_descriptor": None,
                       "status": "paid", "type": "bank_account"},
            "balance_transactions": {"object": "list",
                                     "data": txns + [own], "has_more": False,
                                     "url": "/v1/balance_transactions"}})
    return {"payouts": payouts, "charges": charges, "refunds": refunds}


def _balance_txn(tid, amount, fee, cur, kind, source, ts, available, desc):
    created = int(parse_iso(ts).timestamp()) if ts else available
    return {"id": tid, "object": "balance_transaction", "amount": amount,
            "available_on": available, "created": created,
            "currency": cur.lower(), "description": desc,
            "exchange_rate": None, "fee": fee,
            "fee_details": [{"amount": fee, "application": None,
                             "currency": cur.lower(),
                             "description": "Stripe processing fees",
                             "type": "stripe_fee"}] if fee else [],
            "net": amount - fee, "reporting_category": kind,
            "source": source, "status": "available", "type": kind}


def build(payments, seed, day):
    return {"adyen": adyen_reports(payments, seed),
            "stripe": stripe_payouts(payments, day)}


def write(settlements, directory):
    """Writes the files; returns their names."""
    names = []
    for account in sorted(settlements["adyen"]):
        rep = settlements["adyen"][account]
        name = "settlement_detail_report_batch_%d.csv" % rep["batch"]
        buf = io.StringIO()
        w = csv.DictWriter(buf, ADYEN_COLUMNS, extrasaction="ignore",
                           lineterminator="\n")
        w.writeheader()
        w.writerows(rep["rows"])
        with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
            f.write(buf.getvalue())
        names.append(name)
    with open(os.path.join(directory, "stripe-payouts.json"), "w",
              encoding="utf-8") as f:
        json.dump(settlements["stripe"], f, indent=1)
        f.write("\n")
    names.append("stripe-payouts.json")
    return names
