"""Validation and derived fields per record type (simulator spec section 8).

validate() takes the merged internal fields of a record about to be
written and returns the fields to store (line amounts, totals, tax rows,
defaults) or raises NsError.  Amounts that depend on other records are
computed by derived() at read time from the store's indexes.
"""

from .schema import ITEM_TYPES, SALES_TYPES, SCHEMAS
from .util import (D, ZERO, NsError, id_str, invalid_value, iso_date,
                   round_money, user_error)

MANDATORY = {
    "salesOrder": (("entity", "Customer"), ("subsidiary", "Subsidiary"),
                   ("item", "Item")),
    "customerPayment": (("customer", "Customer"),
                        ("subsidiary", "Subsidiary"),
                        ("payment", "Payment Amount")),
    "customerRefund": (("customer", "Customer"),
                       ("subsidiary", "Subsidiary"), ("account", "Account")),
    "depositApplication": (("deposit", "Deposit"),),
    "deposit": (("account", "Account"), ("subsidiary", "Subsidiary")),
    "journalEntry": (("subsidiary", "Subsidiary"),),
    "itemFulfillment": (("entity", "Customer"),),
}
for _t in SALES_TYPES:
    MANDATORY[_t] = MANDATORY["salesOrder"]
MANDATORY["customerDeposit"] = MANDATORY["customerPayment"]

UNDEPOSITABLE = {"customerPayment": 1, "cashSale": 1, "customerDeposit": 1,
                 "customerRefund": -1, "cashRefund": -1}


def missing(labels):
    return user_error("Please enter value(s) for: %s." % ", ".join(labels))


def _id(ref):
    return ref["id"] if ref else None


def _r(rid, rtype):
    return {"id": str(rid), "_t": rtype}


class Ctx:
    """One validation: the store, the record and its merged fields."""

    def __init__(self, store, rec, f, is_create):
        self.store = store
        self.rec = rec
        self.f = f
        self.is_create = is_create
        self.prec = 2

    def cust(self, field):
        c = self.f.get(field)
        return self.store.get(c["id"]) if c else None

    def sub_row(self):
        return self.store.ref_record("subsidiary", _id(self.f["subsidiary"]))

    def money(self, v):
        return round_money(v, self.prec)

    def available(self, ref, field, path):
        """Items, accounts, locations must exist in the subsidiary."""
        if not ref or "subsidiary" not in self.f:
            return
        row = self.store.ref_record(ref["_t"], ref["id"])
        subs = row.get("subsidiaries") if row else None
        if subs is not None and int(_id(self.f["subsidiary"])) not in subs:
            raise invalid_value(ref["id"], field, path)

    def account(self, field, path, kinds):
        ref = self.f.get(field)
        if not ref:
            return None
        row = self.store.ref_record("account", ref["id"])
        if kinds and row.get("type") not in kinds and \
                not ("Undep" in kinds and row.get("undeposited")):
            raise invalid_value(ref["id"], field, path)
        self.available(ref, field, path)
        return row


def validate(store, rec, f, is_create):
    ctx = Ctx(store, rec, f, is_create)
    if rec.type == "customer":
        _customer(ctx)
    else:
        _mandatory(ctx)
        _header(ctx)
        VALIDATORS[rec.type](ctx)
        for name, v in list(f.items()):
            if isinstance(v, list):
                for line in v:
                    line.pop("_path", None)
    return f


def _mandatory(ctx):
    f = ctx.f
    oneworld = ctx.store.config["oneworld"]
    if not oneworld and "subsidiary" not in f:
        c = ctx.cust("entity") or ctx.cust("customer")
        f["subsidiary"] = dict(c.f["subsidiary"]) if c else _r(1,
                                                               "subsidiary")
    labels = [label for field, label in MANDATORY[ctx.rec.type]
              if f.get(field) in (None, [])]
    if labels:
        raise missing(labels)


def _header(ctx):
    """Subsidiary, currency and segment compatibility of a transaction."""
    f = ctx.f
    store = ctx.store
    if "tranDate" not in f:
        f["tranDate"] = iso_date(store.clock())
    c = ctx.cust("entity") or ctx.cust("customer")
    if ctx.rec.type == "depositApplication":
        dep = store.get(f["deposit"]["id"])
        for k in ("subsidiary", "currency"):
            f.setdefault(k, dict(dep.f[k]))
        f.setdefault("customer", dict(dep.f["customer"]))
        c = store.get(f["customer"]["id"])
    if c is not None and _id(c.f.get("subsidiary")) != _id(f["subsidiary"]):
        raise invalid_value(_id(f["subsidiary"]), "subsidiary", "subsidiary")
    sub = ctx.sub_row()
    base = str(sub["currency"])
    if "currency" not in f:
        acct = f.get("account") if ctx.rec.type == "deposit" else None
        row = store.ref_record("account", acct["id"]) if acct else None
        cur = (row or {}).get("currency") or \
            (_id(c.f.get("currency")) if c else None) or base
        f["currency"] = _r(cur, "currency")
    allowed = {base}
    if c is not None and c.f.get("currency"):
        allowed.add(_id(c.f["currency"]))
    if _id(f["currency"]) not in allowed:
        raise invalid_value(_id(f["currency"]), "currency", "currency")
    f.setdefault("exchangeRate", D(1))
    ctx.prec = int(store.ref_record("currency", _id(f["currency"]))
                   .get("precision", 2))
    ctx.available(f.get("location"), "location", "location")


# --- customer -----------------------------------------------------------------

def _customer(ctx):
    f = ctx.f
    labels = []
    if f.get("isPerson"):
        labels += [lbl for k, lbl in (("firstName", "First Name"),
                                      ("lastName", "Last Name"))
                   if not f.get(k)]
    elif not f.get("companyName"):
        labels.append("Company Name")
    if ctx.store.config["oneworld"] and "subsidiary" not in f:
        labels.append("Subsidiary")
    if labels:
        raise missing(labels)
    f.setdefault("subsidiary", _r(1, "subsidiary"))
    f.setdefault("isPerson", False)
    if "entityId" not in f:
        f["entityId"] = ("%s %s" % (f["firstName"], f["lastName"])
                         if f["isPerson"] else f["companyName"])
    if "currency" not in f:
        sub = ctx.sub_row()
        f["currency"] = _r(sub["currency"], "currency")


# --- sales transactions -------------------------------------------------------

def _lines(ctx):
    """Item line amounts; returns (subtotal, discount total)."""
    store = ctx.store
    subtotal = discount = ZERO
    for i, line in enumerate(ctx.f["item"]):
        path = line.get("_path") or "item.items[%d]" % i
        if not line.get("item"):
            raise user_error("Please enter value(s) for: Item.",
                             path + ".item")
        ctx.available(line["item"], "item", path + ".item")
        ctx.available(line.get("location"), "location", path + ".location")
        row = store.ref_record(line["item"]["_t"], line["item"]["id"])
        qty = line.setdefault("quantity", D(1))
        n = line["line"]
        if qty <= 0:
            raise user_error("Invalid quantity on line %d." % n, path)
        if "amount" in line:
            amount = ctx.money(line["amount"])
        else:
            rate = line.get("rate")
            if rate is None:
                rate = D(str(row.get("basePrice", 0)))
                line["rate"] = rate
            amount = ctx.money(qty * rate)
        is_disc = line["item"]["_t"] == "discountItem"
        if (is_disc and amount > 0) or (not is_disc and amount < 0 and
                                        not row.get("allowNegative")):
            raise user_error("Invalid amount on line %d." % n, path)
        line["amount"] = amount
        line["taxDetailsReference"] = "TDR%d-%s" % (n, ctx.rec.id)
        if is_disc:
            discount += amount
        else:
            subtotal += amount
    return subtotal, discount


def _tax_code(ctx, ref):
    return ctx.store.ref_record("salesTaxItem", ref["id"])


def _tax_row(ctx, ref, line_type, basis, code_ref, amount=None, rate=None):
    code = _tax_code(ctx, code_ref)
    rate = D(str(code["rate"])) if rate is None else rate
    if amount is None:
        amount = ctx.money(basis * rate / 100)
    ttype = ctx.store.ref_record("taxType", code.get("taxType"))
    return {"taxDetailsReference": ref, "lineType": line_type,
            "taxCode": code_ref, "taxBasis": basis, "netAmount": basis,
            "taxRate": rate, "taxAmount": ctx.money(amount),
            "taxType": ttype["name"] if ttype else None}


def _tax(ctx, lines):
    """SuiteTax: override rows taken as sent, else computed from codes."""
    f = ctx.f
    bases = {ln["taxDetailsReference"]: ("Item", ln["amount"]) for ln in lines}
    if f.get("shippingCost"):
        bases["SHIPPING"] = ("Shipping", f["shippingCost"])
    if f.get("handlingCost"):
        bases["HANDLING"] = ("Handling", f["handlingCost"])
    rows = []
    if f.get("taxDetailsOverride"):
        strict = not ctx.store.config["tax"]["allow_client_refs_on_create"]
        for i, row in enumerate(f.get("taxDetails", [])):
            sent = "_path" in row
            path = row.get("_path") or "taxDetails.items[%d]" % i
            ref = row.get("taxDetailsReference")
            ref = ref.get("id") if isinstance(ref, dict) else ref
            if ref not in bases or (sent and strict and ctx.is_create and
                                    ref not in ("SHIPPING", "HANDLING")):
                if not sent:
                    continue    # its line was removed: the row goes too
                raise user_error("Invalid tax details reference %s." % ref,
                                 path + ".taxDetailsReference")
            if not row.get("taxCode"):
                raise user_error("Please enter value(s) for: Tax Code.",
                                 path + ".taxCode")
            line_type, basis = bases[ref]
            new = _tax_row(ctx, ref, line_type, row.get("taxBasis", basis),
                           row["taxCode"], row.get("taxAmount"),
                           row.get("taxRate"))
            for k in ("netAmount", "lineName", "calcDetail"):
                if k in row:
                    new[k] = row[k]
            rows.append(new)
    else:
        for ln in lines:
            if ln.get("taxCode"):
                rows.append(_tax_row(ctx, ln["taxDetailsReference"], "Item",
                                     ln["amount"], ln["taxCode"]))
        if f.get("shippingTaxCode") and "SHIPPING" in bases:
            rows.append(_tax_row(ctx, "SHIPPING", "Shipping",
                                 bases["SHIPPING"][1], f["shippingTaxCode"]))
    if rows:
        f["taxDetails"] = rows
    else:
        f.pop("taxDetails", None)
    return sum((r["taxAmount"] for r in rows), ZERO)


def _sales(ctx):
    f = ctx.f
    for k in ("shippingCost", "handlingCost"):
        if k in f:
            f[k] = ctx.money(f[k])
    subtotal, discount = _lines(ctx)
    if f.get("discountItem") and f.get("discountRate") is not None:
        discount += ctx.money(f["discountRate"])
    tax = _tax(ctx, f["item"])
    f["subtotal"] = subtotal
    f["discountTotal"] = discount
    f["taxTotal"] = tax
    f["total"] = (subtotal + discount + f.get("shippingCost", ZERO) +
                  f.get("handlingCost", ZERO) + tax)


def _sales_order(ctx):
    _sales(ctx)
    ctx.f.setdefault("orderStatus", "B")


def _invoice(ctx):
    _sales(ctx)
    _default_ar(ctx, "account")
    _covers_applied(ctx)


def _covers_applied(ctx):
    """An update may not cut a total below what is already applied."""
    if ctx.f["total"] < ctx.store.consumed_total(ctx.rec.id):
        raise user_error("The amount applied exceeds the amount remaining "
                         "on %s." % ctx.f.get("tranId", ctx.rec.id))


def _default_ar(ctx, field):
    if field not in ctx.f:
        for row in ctx.store.ref["account"].values():
            if row.get("type") == "AcctRec":
                ctx.f[field] = _r(row["id"], "account")
                break
    ctx.account(field, field, ("AcctRec",))


def _undep(ctx):
    """account (Bank) or undepFunds T (the default without an account)."""
    f = ctx.f
    if f.get("account"):
        ctx.account("account", "account", ("Bank",))
        if f.get("undepFunds") == "T":
            raise invalid_value("T", "undepFunds", "undepFunds")
        f["undepFunds"] = "F"
    elif f.get("undepFunds", "T") == "T":
        f["undepFunds"] = "T"
    else:
        raise missing(["Account"])


def _cash_sale(ctx):
    _sales(ctx)
    _undep(ctx)


def _credit_memo(ctx):
    _sales(ctx)
    _default_ar(ctx, "account")
    applied = _apply(ctx, ("invoice",), _invoice_open)
    if applied + ctx.store.consumed_total(ctx.rec.id) > ctx.f["total"]:
        raise user_error("The total amount applied exceeds the payment "
                         "amount.")


def _invoice_open(ctx, doc):
    return doc.f["total"] - ctx.store.consumed_total(doc.id, ctx.rec.id)


def _apply(ctx, doc_types, remaining, sublist="apply"):
    """Checks apply lines against open documents; returns their sum."""
    f = ctx.f
    store = ctx.store
    cust = _id(f.get("customer") or f.get("entity"))
    kept = []
    total = ZERO
    seen = set()
    for i, line in enumerate(f.get(sublist, [])):
        path = line.get("_path") or "%s.items[%d]" % (sublist, i)
        if line.get("apply") is False:
            continue
        doc_ref = line.get("doc")
        if not doc_ref:
            raise user_error("Please enter value(s) for: Document.",
                             path + ".doc")
        doc = store.get(doc_ref["id"])
        if doc is None or doc.type not in doc_types or \
                _id(doc.f.get("entity") or doc.f.get("customer")) != cust or \
                _id(doc.f["currency"]) != _id(f["currency"]) or \
                doc.id in seen:
            raise invalid_value(doc_ref["id"], "doc", path + ".doc")
        seen.add(doc.id)
        left = remaining(ctx, doc)
        amount = ctx.money(line.get("amount", left))
        if amount <= 0 or amount > left:
            raise user_error("The amount applied exceeds the amount "
                             "remaining on %s." % doc.f["tranId"], path)
        line["amount"] = amount
        line["apply"] = True
        line["doc"] = _r(doc.id, doc.type)
        kept.append(line)
        total += amount
    if sublist in f:
        f[sublist] = kept
    return total


def _payment_amount(ctx):
    f = ctx.f
    f["payment"] = ctx.money(f["payment"])
    if f["payment"] <= 0:
        raise user_error("The payment amount must be greater than zero.",
                         "payment")


def _customer_payment(ctx):
    f = ctx.f
    _payment_amount(ctx)
    _undep(ctx)
    _default_ar(ctx, "arAcct")
    applied = _apply(ctx, ("invoice",), _invoice_open)
    if applied > f["payment"]:
        raise user_error("The total amount applied exceeds the payment "
                         "amount.")
    if f["payment"] - applied < ctx.store.consumed_total(ctx.rec.id):
        raise user_error("The amount applied exceeds the amount remaining "
                         "on %s." % f.get("tranId", ctx.rec.id))


def _customer_deposit(ctx):
    f = ctx.f
    store = ctx.store
    _payment_amount(ctx)
    _undep(ctx)
    so = f.get("salesOrder")
    old = ctx.rec.f.get("salesOrder")
    if so and (ctx.is_create or _id(old) != so["id"]):
        rec = store.get(so["id"])
        if _id(rec.f.get("entity")) != _id(f["customer"]) or \
                so_billed(store, rec):
            raise invalid_value(so["id"], "salesOrder", "salesOrder")
    if f["payment"] < store.consumed_total(ctx.rec.id):
        raise user_error("The amount applied exceeds the amount remaining "
                         "on %s." % f.get("tranId", ctx.rec.id))


def deposit_remaining(store, dep, exclude=None):
    return dep.f["payment"] - store.consumed_total(dep.id, exclude)


def _deposit_application(ctx):
    f = ctx.f
    store = ctx.store
    dep = store.get(f["deposit"]["id"])
    if _id(dep.f["customer"]) != _id(f["customer"]):
        raise invalid_value(f["customer"]["id"], "customer", "customer")
    _default_ar(ctx, "arAcct")
    applied = _apply(ctx, ("invoice",), _invoice_open)
    if applied > deposit_remaining(store, dep, ctx.rec.id):
        raise user_error("The amount applied exceeds the amount remaining "
                         "on %s." % dep.f["tranId"])
    f["total"] = applied


def _unapplied(ctx, doc):
    store = ctx.store
    own = sum((ln["amount"] for ln in doc.f.get("apply", [])), ZERO)
    base = doc.f["total"] if doc.type == "creditMemo" else doc.f["payment"]
    return base - own - store.consumed_total(doc.id, ctx.rec.id)


def _dep_left(ctx, doc):
    return deposit_remaining(ctx.store, doc, ctx.rec.id)


def _customer_refund(ctx):
    f = ctx.f
    ctx.account("account", "account", ("Bank", "Undep"))
    _default_ar(ctx, "arAcct")
    total = _apply(ctx, ("creditMemo", "customerPayment"), _unapplied)
    total += _apply(ctx, ("customerDeposit",), _dep_left, "deposit")
    if total <= 0:
        raise user_error("The refund total must be greater than zero.")
    f["total"] = total


def tx_amount(rec):
    """Signed amount of an undeposited transaction in a bank deposit."""
    sign = UNDEPOSITABLE[rec.type]
    v = rec.f["payment"] if "payment" in rec.f and \
        rec.type in ("customerPayment", "customerDeposit") else rec.f["total"]
    return sign * v


def undeposited(store, rec):
    if rec.type == "customerRefund":
        row = store.ref_record("account", _id(rec.f.get("account")))
        return bool(row and row.get("undeposited"))
    return rec.f.get("undepFunds") == "T"


def _deposit(ctx):
    f = ctx.f
    store = ctx.store
    row = ctx.account("account", "account", ("Bank",))
    if row.get("currency") and str(row["currency"]) != _id(f["currency"]):
        raise invalid_value(_id(f["currency"]), "currency", "currency")
    total = ZERO
    kept = []
    for i, line in enumerate(f.get("payment", [])):
        path = line.get("_path") or "payment.items[%d]" % i
        if line.get("deposit") is False:
            continue
        tid = id_str(line.get("id"))
        tx = store.get(tid) if tid else None
        if tx is None:
            raise invalid_value(line.get("id"), "id", path + ".id")
        where = store.deposited_in.get(tx.id)
        if tx.type not in UNDEPOSITABLE or not undeposited(store, tx) or \
                (where is not None and where != ctx.rec.id) or \
                _id(tx.f["currency"]) != _id(f["currency"]) or \
                _id(tx.f["subsidiary"]) != _id(f["subsidiary"]) or \
                tx.id in {k["id"] for k in kept}:
            raise user_error("%s cannot be deposited." % tx.f["tranId"],
                             path)
        amount = tx_amount(tx)
        sent = line.get("paymentAmount")
        if sent is not None and ctx.money(sent) not in (amount, -amount):
            raise user_error("%s cannot be deposited." % tx.f["tranId"],
                             path + ".paymentAmount")
        kept.append({"id": tx.id, "deposit": True, "paymentAmount": amount,
                     "transactionAmount": amount,
                     "docNumber": tx.f["tranId"], "type": tx.type,
                     "memo": line.get("memo", tx.f.get("memo"))})
        total += amount
    f["payment"] = kept
    for name, sign in (("other", 1), ("cashback", -1)):
        for i, line in enumerate(f.get(name, [])):
            path = line.get("_path") or "%s.items[%d]" % (name, i)
            if not line.get("account"):
                raise user_error("Please enter value(s) for: Account.",
                                 path + ".account")
            ctx.available(line["account"], "account", path + ".account")
            amount = ctx.money(line.get("amount", ZERO))
            if amount == 0 or (sign < 0 and amount < 0):
                raise user_error("Invalid amount on line %d." % (i + 1), path)
            line["amount"] = amount
            line.pop("_path", None)
            total += sign * amount
    if total <= 0:
        raise user_error("The deposit total must be greater than zero.")
    f["total"] = total


def _journal(ctx):
    f = ctx.f
    lines = f.get("line", [])
    if len(lines) < 2:
        raise user_error("A journal entry needs at least two lines.", "line")
    debit = credit = ZERO
    for i, line in enumerate(lines):
        path = line.get("_path") or "line.items[%d]" % i
        if not line.get("account"):
            raise user_error("Please enter value(s) for: Account.",
                             path + ".account")
        ctx.available(line["account"], "account", path + ".account")
        d = ctx.money(line.get("debit", ZERO))
        c = ctx.money(line.get("credit", ZERO))
        if (d > 0) == (c > 0) or d < 0 or c < 0:
            raise user_error("Invalid amount on line %d." % (i + 1), path)
        for k, v in (("debit", d), ("credit", c)):
            if v:
                line[k] = v
        debit += d
        credit += c
    if abs(debit - credit) > D("0.005"):
        raise user_error("The journal entry is out of balance.")
    f["total"] = debit


def _fulfillment(ctx):
    f = ctx.f
    f.setdefault("shipStatus", "C")
    so = ctx.store.get(_id(f.get("createdFrom")))
    if so is None:
        raise user_error("Create item fulfillments by transforming a sales "
                         "order.")
    for line in f.get("item", []):
        line.setdefault("itemReceive", True)


def _cash_refund(ctx):
    if not ctx.f.get("createdFrom"):
        raise user_error("Create cash refunds by transforming a cash sale.")
    _cash_sale(ctx)


VALIDATORS = {
    "salesOrder": _sales_order, "invoice": _invoice,
    "cashSale": _cash_sale, "cashRefund": _cash_refund,
    "creditMemo": _credit_memo, "customerPayment": _customer_payment,
    "customerDeposit": _customer_deposit,
    "depositApplication": _deposit_application,
    "customerRefund": _customer_refund, "deposit": _deposit,
    "journalEntry": _journal, "itemFulfillment": _fulfillment,
}


# --- index contributions and read-time amounts --------------------------------

def contributions(store, rec):
    """Target id -> amount this record consumes of it."""
    out = {}
    for name in ("apply", "deposit"):
        if rec.type == "deposit":
            break
        for line in rec.f.get(name, []):
            if isinstance(line, dict) and line.get("doc"):
                t = line["doc"]["id"]
                out[t] = out.get(t, ZERO) + line.get("amount", ZERO)
    if rec.type == "depositApplication" and rec.f.get("deposit"):
        dep = rec.f["deposit"]["id"]
        out[dep] = out.get(dep, ZERO) + sum(out.values(), ZERO)
    return out


def billed_quantities(store, so, kinds=("invoice", "cashSale")):
    """SO line number -> quantity billed (or fulfilled) by its children."""
    out = {}
    for cid in store.children.get(so.id, ()):
        child = store.get(cid)
        if child is None or child.type not in kinds:
            continue
        for line in child.f.get("item", []):
            n = line.get("orderLine")
            if n is not None:
                out[n] = out.get(n, ZERO) + line.get("quantity", ZERO)
    return out


def so_open_lines(store, so, kinds=("invoice", "cashSale")):
    """(line, remaining quantity) of SO lines not yet billed/fulfilled."""
    done = billed_quantities(store, so, kinds)
    out = []
    for line in so.f.get("item", []):
        if line.get("isClosed"):
            continue
        left = line.get("quantity", D(1)) - done.get(line["line"], ZERO)
        if left > 0:
            out.append((line, left))
    return out


def so_billed(store, so):
    return not so_open_lines(store, so)


def so_status(store, so):
    lines = [ln for ln in so.f.get("item", [])]
    billed = billed_quantities(store, so)
    shipped = billed_quantities(store, so, ("itemFulfillment",))
    if so.f.get("orderStatus") == "A":
        return "A"
    open_ = [ln for ln in lines if not ln.get("isClosed")]
    if not open_:
        return "H" if not billed else "G"
    if so_billed(store, so):
        return "G"
    qty = sum((ln.get("quantity", D(1)) for ln in open_), ZERO)
    n_ship = sum(shipped.values(), ZERO)
    n_bill = sum(billed.values(), ZERO)
    if n_ship >= qty:
        return "F"
    if n_ship > 0:
        return "E" if n_bill > 0 else "D"
    return "B"


def derived(store, rec):
    """Read-time fields that depend on other records."""
    f = rec.f
    t = rec.type
    out = {}
    consumed = store.consumed_total(rec.id)
    if t == "salesOrder":
        out["status"] = so_status(store, rec)
    elif t == "invoice":
        out["amountPaid"] = consumed
        out["amountRemaining"] = f["total"] - consumed
        out["status"] = "B" if out["amountRemaining"] <= 0 else "A"
    elif t == "creditMemo":
        own = sum((ln["amount"] for ln in f.get("apply", [])), ZERO)
        out["applied"] = own + consumed
        out["unapplied"] = f["total"] - own - consumed
        out["status"] = "B" if out["unapplied"] <= 0 else "A"
    elif t == "customerPayment":
        own = sum((ln["amount"] for ln in f.get("apply", [])), ZERO)
        out["applied"] = own
        out["unapplied"] = f["payment"] - own - consumed
    elif t == "customerDeposit":
        left = f["payment"] - consumed
        out["status"] = "C" if left <= 0 else \
            "B" if rec.id in store.deposited_in else "A"
    elif t == "depositApplication":
        dep = store.get(_id(f.get("deposit")))
        if dep is not None:
            out["applied"] = f.get("total", ZERO)
            out["unapplied"] = deposit_remaining(store, dep)
    if t in ("customerPayment", "cashSale", "cashRefund", "customerRefund"):
        out["status"] = "B" if rec.id in store.deposited_in else "A"
    return out


def fill_raw(store, rec, f):
    """Admin-inserted records: references get their types, then the full
    rules run when they can (derived totals); otherwise fields stay raw."""
    schema = SCHEMAS[rec.type]
    for k, v in list(f.items()):
        kind = schema.get(k)
        if kind and kind[0] == "ref" and isinstance(v, dict) and "id" in v:
            f[k] = _typed_ref(store, v, kind[1])
    for line in f.get("item", []):
        line.setdefault("line", rec.next_line)
        rec.next_line = max(rec.next_line, line["line"]) + 1
        if isinstance(line.get("item"), dict):
            line["item"] = _typed_ref(store, line["item"], ITEM_TYPES)
    try:
        validate(store, rec, f, True)
    except (NsError, KeyError, TypeError, AttributeError):
        pass


def _typed_ref(store, v, targets):
    rid = str(v["id"])
    for t in targets:
        if t in store.ref and rid in store.ref[t]:
            return {"id": rid, "_t": t}
        rec = store.get(rid)
        if rec is not None and rec.type == t:
            return {"id": rid, "_t": t}
    return {"id": rid, "_t": v.get("_t", targets[0])}
