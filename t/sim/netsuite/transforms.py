"""POST /record/v1/{from}/{id}/!transform/{to} (simulator spec 7.6).

A transform builds the internal fields of the new record from the source,
lets the request body override them, and creates the record through the
normal validation path with createdFrom set.
"""

import copy

from .rules import (_r, deposit_remaining, so_open_lines)
from .util import D, ZERO, round_money, user_error

SALES_HEADER = ("entity", "subsidiary", "currency", "exchangeRate",
                "location", "department", "class", "otherRefNum", "memo",
                "shipMethod", "discountItem", "discountRate", "terms",
                "shippingTaxCode", "billingAddress", "shippingAddress",
                "paymentOption", "paymentMethod")
LINE_COPY = ("item", "rate", "description", "taxCode", "location",
             "department", "class", "price", "units")

PAIRS = {
    ("salesOrder", "invoice"), ("salesOrder", "cashSale"),
    ("salesOrder", "itemFulfillment"), ("invoice", "customerPayment"),
    ("invoice", "creditMemo"), ("cashSale", "cashRefund"),
    ("creditMemo", "customerRefund"), ("customerPayment", "customerRefund"),
    ("customerDeposit", "customerRefund"),
}


def _copy(src, names):
    return {k: copy.deepcopy(src.f[k]) for k in names if k in src.f}


def _pop_ci(body, name):
    for k in list(body):
        if k.lower() == name.lower():
            return body.pop(k)
    return None


def _prec(store, rec):
    return int(store.ref_record("currency", rec.f["currency"]["id"])
               .get("precision", 2))


def transform(store, src, to, body, modes):
    if (src.type, to) not in PAIRS:
        raise user_error("Transformation from %s to %s is not supported."
                         % (src.type, to))
    with store.lock:
        build = BUILDERS[(src.type, to) if (src.type, to) in BUILDERS
                         else src.type]
        base = build(store, src, to, body)
        if base is None:
            raise user_error("You can not initialize %s: invalid reference "
                             "%s." % (to, src.id))
        rec = store.create(to, body, modes, base=base,
                           created_from=_r(src.id, src.type))
        if to == "invoice" and \
                store.config["deposits"]["auto_apply_on_billing"]:
            _apply_deposits(store, src, rec, modes)
        return rec


def _bill(store, so, to, body):
    """salesOrder -> invoice / cashSale / itemFulfillment."""
    kinds = ("itemFulfillment",) if to == "itemFulfillment" else \
        ("invoice", "cashSale")
    open_lines = so_open_lines(store, so, kinds)
    wanted = _pop_ci(body, "item")
    if wanted is not None:
        open_lines = _partial(open_lines, wanted)
    if not open_lines:
        return None
    prec = _prec(store, so)
    lines = []
    whole = True
    for line, left in open_lines:
        new = {k: copy.deepcopy(line[k]) for k in LINE_COPY if k in line}
        new["quantity"] = left
        new["orderLine"] = line["line"]
        new["_srcRef"] = line.get("taxDetailsReference")
        if left == line.get("quantity", D(1)) and "amount" in line:
            new["amount"] = line["amount"]
        elif "rate" in line:
            new["amount"] = round_money(left * line["rate"], prec)
        else:
            new["amount"] = round_money(
                line["amount"] * left / line["quantity"], prec)
        whole = whole and left == line.get("quantity", D(1))
        lines.append(new)
    whole = whole and len(open_lines) == len(so.f["item"])
    if to == "itemFulfillment":
        for ln in lines:
            for k in ("rate", "amount", "taxCode", "price"):
                ln.pop(k, None)
        base = _copy(so, ("entity", "subsidiary", "currency", "shipMethod",
                          "memo"))
        base["item"] = lines
        return base
    base = _copy(so, SALES_HEADER)
    first = not any(store.get(c) and store.get(c).type in kinds
                    for c in store.children.get(so.id, ()))
    if first:
        base.update(_copy(so, ("shippingCost", "handlingCost")))
    base["item"] = lines
    if whole and so.f.get("taxDetailsOverride"):
        base["taxDetailsOverride"] = True
        base["_remapTax"] = copy.deepcopy(so.f.get("taxDetails", []))
    return base


def _partial(open_lines, wanted):
    """Body item.items[] with orderLine + quantity selects what is billed."""
    items = wanted.get("items", []) if isinstance(wanted, dict) else []
    by_line = {ln["line"]: (ln, left) for ln, left in open_lines}
    out = []
    for i, w in enumerate(items):
        path = "item.items[%d]" % i
        low = {k.lower(): v for k, v in w.items()} if isinstance(w, dict) \
            else {}
        n = low.get("orderline")
        if n is None or int(n) not in by_line:
            raise user_error("Invalid order line %s." % n, path)
        line, left = by_line[int(n)]
        qty = D(low.get("quantity", left))
        if qty <= 0 or qty > left:
            raise user_error("Invalid quantity on line %s." % n, path)
        out.append((line, qty))
    return out


def _payment(store, inv, to, body):
    left = inv.f["total"] - store.consumed_total(inv.id)
    if left <= 0:
        return None
    base = {"customer": copy.deepcopy(inv.f["entity"]),
            "subsidiary": copy.deepcopy(inv.f["subsidiary"]),
            "currency": copy.deepcopy(inv.f["currency"]),
            "payment": left, "undepFunds": "T",
            "apply": [{"doc": _r(inv.id, "invoice"), "apply": True,
                       "amount": left}]}
    return base


def _credit(store, inv, to, body):
    base = _copy(inv, SALES_HEADER + ("shippingCost", "handlingCost",
                                      "taxDetailsOverride"))
    base["item"] = [dict({k: copy.deepcopy(ln[k]) for k in LINE_COPY +
                          ("quantity", "amount") if k in ln},
                         _srcRef=ln.get("taxDetailsReference"))
                    for ln in inv.f["item"]]
    if inv.f.get("taxDetailsOverride"):
        base["_remapTax"] = copy.deepcopy(inv.f.get("taxDetails", []))
    left = inv.f["total"] - store.consumed_total(inv.id)
    if left > 0:
        base["apply"] = [{"doc": _r(inv.id, "invoice"), "apply": True,
                          "amount": min(left, inv.f["total"])}]
    return base


def _cash_refund(store, cs, to, body):
    base = _credit(store, cs, to, body)
    base.pop("apply", None)
    base.update(_copy(cs, ("account", "undepFunds")))
    return base


def _refund(store, src, to, body):
    """creditMemo / customerPayment / customerDeposit -> customerRefund."""
    base = {"customer": copy.deepcopy(src.f.get("customer") or
                                      src.f["entity"]),
            "subsidiary": copy.deepcopy(src.f["subsidiary"]),
            "currency": copy.deepcopy(src.f["currency"])}
    if src.type == "customerDeposit":
        left = deposit_remaining(store, src)
        sub = "deposit"
    else:
        own = sum((ln["amount"] for ln in src.f.get("apply", [])), ZERO)
        total = src.f["total"] if src.type == "creditMemo" else \
            src.f["payment"]
        left = total - own - store.consumed_total(src.id)
        sub = "apply"
    if left <= 0:
        return None
    base[sub] = [{"doc": _r(src.id, src.type), "apply": True,
                  "amount": left}]
    return base


BUILDERS = {
    "salesOrder": _bill,
    ("invoice", "customerPayment"): _payment,
    ("invoice", "creditMemo"): _credit,
    "cashSale": _cash_refund,
    "creditMemo": _refund, "customerPayment": _refund,
    "customerDeposit": _refund,
}


def _apply_deposits(store, so, inv, modes):
    """NetSuite applies the SO's customer deposits when it is billed."""
    deps = sorted((r for r in store.recs.values()
                   if r.type == "customerDeposit" and
                   (r.f.get("salesOrder") or {}).get("id") == so.id),
                  key=lambda r: int(r.id))
    for dep in deps:
        left = deposit_remaining(store, dep)
        due = inv.f["total"] - store.consumed_total(inv.id)
        amount = min(left, due)
        if amount <= 0:
            continue
        store.create("depositApplication", {}, modes, base={
            "deposit": _r(dep.id, "customerDeposit"),
            "customer": dict(dep.f["customer"]),
            "tranDate": inv.f["tranDate"],
            "apply": [{"doc": _r(inv.id, "invoice"), "apply": True,
                       "amount": amount}]})
