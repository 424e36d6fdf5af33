#!/usr/bin/env python3
"""A realistic day of commercetools traffic, deterministic by seed.

    python3 t/sim/scenario.py --orders N --seed S --out DIR
        [--date 2026-07-01] [--changes]

Writes into DIR:
  messages/NNNNNN-<Type>.json  delivery payloads (Platform format), in the
                               order commercetools would publish them
  resources.json               final Orders, Payments, Customers (API
                               shape; t/sim/ct_sim.py --data DIR serves them)
  expected.json                per order: totals, tax, captured, refunded,
                               net; plus per-currency totals
  settlements/                 Adyen settlement detail reports (one per
                               merchant account) and stripe-payouts.json
  manifest.json                seed, counts per message type, files

Orders span three stores: us-web (USD, net prices, US sales tax with
sub-rates), de-web (EUR, gross, 19 %/7 %) and jp-web (JPY, gross, 10 %/8 %,
HalfUp).  They carry product and cart discounts (codes, loyalty, a
discount on the total price, free shipping), gift-card purchases
(custom line items) and redemptions (a second Payment), single and
multiple shipping, split shipments with partial captures, cancellations
and partial refunds with returns.  Arithmetic: t/sim/ct_pricing.py.
"""

import argparse
import copy
import datetime
import json
import os
import random
import shutil
import string
import sys
import uuid
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ct_settlement  # noqa: E402
from ct_catalog import (CART_DISCOUNTS, DEFAULT_STORES,  # noqa: E402
                        PAYMENT_METHOD_NAMES, SALE_FRACTION, STORE_WEIGHTS,
                        STORES, US_ZONES, ref, stable_id)
from ct_pricing import (Part, apply_cart_discounts, merge_portions,  # noqa
                        order_totals, product_discounted, tax_split,
                        taxed_price)
from ctlib import (compact, fraction_digits, iso_ms, money,  # noqa: E402
                   round_fraction)

PROJECT = "example-shop"
STOREFRONT = "cmjy-CD75Td7Omf00q7sErYR"
PSP_CLIENT = "WtMJGvlXf9Xds7XcVzyCn4mk"
MC_USER = {"isPlatformClient": True,
           "user": {"typeId": "user", "id": stable_id("user:ops")}}
INITIAL_STATE = {"typeId": "state", "id": stable_id("state:initial")}
SEC = datetime.timedelta(seconds=1)


class Ids:
    """Random-looking but seeded identifiers."""

    def __init__(self, rng):
        self.rng = rng

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def digits(self, n):
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def alnum(self, n):
        chars = string.ascii_letters + string.digits
        return "".join(self.rng.choice(chars) for _ in range(n))


class Res:
    """A resource whose version and message sequence we track."""

    def __init__(self, kind, doc, ident=None):
        self.kind, self.doc, self.ident = kind, doc, ident
        self.id = doc["id"]
        self.version = 0
        self.seq = 0


def _by(client, customer=None, anonymous=None):
    by = {"clientId": client, "isPlatformClient": False}
    if customer:
        by["customer"] = {"typeId": "customer", "id": customer}
    if anonymous:
        by["anonymousId"] = anonymous
    return by


class Scenario:
    """Generates all resources and messages of one scenario."""

    def __init__(self, orders, seed, day="2026-07-01", changes=False,
                 stores=None):
        if orders < 1:
            raise ValueError("--orders must be at least 1")
        stores = stores or [k for k, _ in DEFAULT_STORES]
        unknown = [k for k in stores if k not in STORES]
        if unknown:
            raise ValueError("unknown store %s (known: %s)"
                             % (", ".join(unknown), ", ".join(STORES)))
        self.stores = [(k, STORE_WEIGHTS[k]) for k in stores]
        self.n, self.seed, self.changes = orders, seed, changes
        self.day = datetime.datetime.strptime(day, "%Y-%m-%d")
        self.events = []
        self.orders, self.payments, self.customers = [], [], []
        self.customer_pool = {k: [] for k in STORES}
        self.expected = {}

    # -- messages -------------------------------------------------------------

    def _stamp(self, res, at):
        res.doc["version"] = res.version
        res.doc["lastModifiedAt"] = iso_ms(at)
        if res.kind == "order":
            res.doc["lastMessageSequenceNumber"] = res.seq

    def _emit(self, ids, res, at, mtype, fields, by):
        res.seq += 1
        p = {"notificationType": "Message", "projectKey": PROJECT,
             "id": ids.uuid(), "version": 1, "sequenceNumber": res.seq,
             "resource": {"typeId": res.kind, "id": res.id},
             "resourceVersion": res.version}
        if res.ident:
            p["resourceUserProvidedIdentifiers"] = dict(res.ident)
        p["type"] = mtype
        p.update(fields)
        p["createdAt"] = p["lastModifiedAt"] = iso_ms(at)
        p["createdBy"] = p["lastModifiedBy"] = by
        self.events.append((at, len(self.events), p))

    def _change(self, res, at, created):
        if not self.changes:
            return
        p = {"notificationType": "ResourceCreated" if created else
             "ResourceUpdated", "projectKey": PROJECT,
             "resource": {"typeId": res.kind, "id": res.id}}
        if res.ident:
            p["resourceUserProvidedIdentifiers"] = dict(res.ident)
        p["version"] = res.version
        if not created:
            p["oldVersion"] = res.version - 1
        p["modifiedAt"] = iso_ms(at)
        self.events.append((at, len(self.events), p))

    def create(self, ids, res, at, mtype, field, by):
        """The creation of res: version 1, a Message embedding it."""
        res.version = 1
        res.doc.update({"createdAt": iso_ms(at), "createdBy": by,
                        "lastModifiedBy": by})
        self._stamp(res, at)
        if res.kind == "order":
            res.doc["lastMessageSequenceNumber"] = res.seq + 1
        self._emit(ids, res, at, mtype, {field: copy.deepcopy(res.doc)}, by)
        self._change(res, at, True)

    def update(self, ids, res, at, msgs, by):
        """One update request: version + 1, one Message per entry."""
        res.version += 1
        for mtype, fields in msgs:
            self._emit(ids, res, at, mtype, fields, by)
        self._stamp(res, at)
        res.doc["lastModifiedBy"] = by
        self._change(res, at, False)

    # -- generation -----------------------------------------------------------

    def generate(self):
        for i in range(self.n):
            OrderBuilder(self, i).build()
        self.events.sort(key=lambda e: (e[0], e[1]))
        return self

    def settlements(self):
        return ct_settlement.build(self.payments, self.seed, self.day)

    def write(self, out):
        """Writes the scenario directory (replacing its generated parts)."""
        for sub in ("messages", "settlements"):
            shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
            os.makedirs(os.path.join(out, sub))
        width = max(6, len(str(len(self.events))))
        counts = {}
        for n, (_, _, p) in enumerate(self.events, 1):
            kind = p.get("type") or p["notificationType"]
            counts[kind] = counts.get(kind, 0) + 1
            name = "%0*d-%s.json" % (width, n, kind)
            with open(os.path.join(out, "messages", name), "wb") as f:
                f.write(compact(p) + b"\n")
        _write_json(os.path.join(out, "resources.json"), {
            "orders": [r.doc for r in self.orders],
            "payments": [r.doc for r in self.payments],
            "customers": [r.doc for r in self.customers]})
        _write_json(os.path.join(out, "expected.json"), self.expected_doc())
        files = ct_settlement.write(self.settlements(),
                                    os.path.join(out, "settlements"))
        _write_json(os.path.join(out, "manifest.json"), {
            "project": PROJECT, "seed": self.seed, "orders": self.n,
            "date": self.day.strftime("%Y-%m-%d"),
            "messages": len(self.events), "messageTypes": counts,
            "settlementFiles": files})

    def expected_doc(self):
        totals = {}
        for e in self.expected.values():
            t = totals.setdefault(e["currency"], {
                "orders": 0, "cancelled": 0, "totalGross": 0, "totalTax": 0,
                "captured": 0, "refunded": 0, "net": 0})
            t["orders"] += 1
            t["cancelled"] += e["cancelled"]
            for k in ("totalGross", "totalTax", "captured", "refunded",
                      "net"):
                t[k] += e[k]
        return {"project": PROJECT, "seed": self.seed,
                "note": "amounts in minor units of each order's currency",
                "orders": self.expected, "totals": totals}


def _write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


class OrderBuilder:
    """One order with its customer, payments and follow-up events."""

    def __init__(self, sc, index):
        self.sc = sc
        self.rng = random.Random("%s:%d" % (sc.seed, index))
        self.ids = Ids(self.rng)
        self.index = index
        self.zone = None
        self.line_gross = {}
        self.store_key = self.rng.choices(
            [k for k, _ in sc.stores], [w for _, w in sc.stores])[0]
        self.st = STORES[self.store_key]
        self.cur = self.st["currency"]
        self.number = "ORD-%d-%05d" % (sc.seed, index + 1)
        start = sc.day + datetime.timedelta(
            seconds=self.rng.triangular(1800, 18 * 3600, 13 * 3600))
        self.t0 = start.replace(microsecond=self.rng.randrange(1000) * 1000)

    def m(self, cents):
        return money(self.cur, cents)

    # -- people ---------------------------------------------------------------

    def _address(self, key, person):
        rng, st = self.rng, self.st
        first, last = person
        addr = {"key": key, "firstName": first, "lastName": last}
        if self.store_key == "us-web":
            self.zone = rng.choice(US_ZONES)
            z = self.zone[1]
            addr.update({"streetName": z["streetName"],
                         "streetNumber": str(rng.randint(10, 9999)),
                         "postalCode": z["postalCode"], "city": z["city"],
                         "state": z["state"]})
        else:
            city, postal, street = rng.choice(st["cities"])
            addr.update({"streetName": street, "postalCode": postal,
                         "city": city})
            if self.store_key == "de-web":
                addr["streetNumber"] = str(rng.randint(1, 120))
        addr["country"] = st["country"]
        addr["email"] = self._email(person)
        return addr

    def _email(self, person):
        return "%s.%s@%s" % (person[0].lower(), person[1].lower(),
                             self.st["domain"])

    def _customer(self):
        """(customer Res or None, anonymousId or None)."""
        rng, sc = self.rng, self.sc
        if rng.random() < 0.35:
            return None, self.ids.uuid()
        known = iso_ms(self.t0 - 60 * SEC)
        pool = [c for c in sc.customer_pool[self.store_key]
                if c.doc["createdAt"] < known]
        if pool and rng.random() < 0.3:
            return rng.choice(pool), None
        person = rng.choice(self.st["names"])
        addr = self._address("home", person)
        addr["id"] = self.ids.alnum(8)
        number = "C-%d%05d" % (sc.seed % 1000, len(sc.customers) + 1)
        doc = {"id": self.ids.uuid(), "version": 1,
               "customerNumber": number, "email": self._email(person),
               "firstName": person[0], "lastName": person[1],
               "password": "****" + self.ids.alnum(3) + "=",
               "addresses": [addr], "defaultShippingAddressId": addr["id"],
               "shippingAddressIds": [addr["id"]],
               "defaultBillingAddressId": addr["id"],
               "billingAddressIds": [addr["id"]], "isEmailVerified": True,
               "customerGroupAssignments": [],
               "stores": [{"typeId": "store", "key": self.store_key}],
               "locale": self.st["locale"], "authenticationMode": "Password"}
        if rng.random() < 0.3:
            doc["customerGroup"] = ref("customer-group", "loyalty")
        res = Res("customer", doc, {"customerNumber": number})
        by = _by(STOREFRONT)
        if rng.random() < 0.5:
            at = self.t0 - SEC * rng.randint(60, 1800)
            sc.create(self.ids, res, at, "CustomerCreated", "customer", by)
        else:
            at = self.sc.day - datetime.timedelta(days=rng.randint(3, 300))
            res.version = 1
            doc.update({"createdAt": iso_ms(at), "lastModifiedAt": iso_ms(at),
                        "createdBy": by, "lastModifiedBy": by})
        sc.customers.append(res)
        sc.customer_pool[self.store_key].append(res)
        return res, None

    # -- order body -----------------------------------------------------------

    def _rate(self, tax_class):
        if self.store_key == "us-web":
            return self.zone[0]
        return self.st["rates"][tax_class]

    def _lines(self, cart_discounts):
        rng, st = self.rng, self.st
        n = rng.choices([1, 2, 3, 4], [40, 30, 20, 10])[0]
        lines = []
        for sku, name, price, tax_class in rng.sample(st["products"], n):
            q = rng.choices([1, 2, 3], [70, 22, 8])[0]
            price_obj = {"id": self.ids.uuid(), "value": self.m(price),
                         "country": st["country"]}
            unit = price
            if rng.random() < 0.15:
                unit = product_discounted(price, Fraction(SALE_FRACTION))
                price_obj["discounted"] = {
                    "value": self.m(unit),
                    "discount": ref("product-discount", "SALE20")}
            dppq = []
            if cart_discounts:
                unit, included = apply_cart_discounts(unit, cart_discounts,
                                                      "HalfEven")
                dppq = [{"quantity": q, "discountedPrice": {
                    "value": self.m(unit),
                    "includedDiscounts": [
                        {"discount": r, "discountedAmount": self.m(a)}
                        for r, a in included]}}]
            lines.append({
                "id": self.ids.uuid(),
                "productId": stable_id("product:" + sku),
                "productKey": sku.lower(),
                "name": {self.st["locale"]: name, "en": name},
                "productType": ref("product-type", "outdoor"),
                "productSlug": {self.st["locale"]: sku.lower()},
                "variant": {"id": 1, "sku": sku, "key": sku.lower(),
                            "prices": [], "images": [], "attributes": [],
                            "assets": []},
                "price": price_obj, "quantity": q,
                "discountedPricePerQuantity": dppq,
                "_unit": unit, "_rate": self._rate(tax_class)})
        return lines

    def _line_taxes(self, lines, multi):
        parts = []
        mode = self.st["tax_rounding"]
        for li in lines:
            rate, unit, q = li.pop("_rate"), li.pop("_unit"), li["quantity"]
            li["totalPrice"] = self.m(unit * q)
            if not multi:
                net, gross, portions = tax_split(rate, unit * q, mode)
                li["taxRate"] = rate
                li["taxedPrice"] = taxed_price(self.cur, net, gross, portions)
                li["perMethodTaxRate"] = []
                li["taxedPricePortions"] = []
                self.line_gross[li["id"]] = gross
                parts.append(Part(rate, unit * q, True))
                continue
            li["perMethodTaxRate"], li["taxedPricePortions"] = [], []
            targets = []
            self.line_gross[li["id"]] = 0
            for key, qk in li.pop("_split"):
                net, gross, portions = tax_split(rate, unit * qk, mode)
                li["perMethodTaxRate"].append({"shippingMethodKey": key,
                                               "taxRate": rate})
                li["taxedPricePortions"].append({
                    "shippingMethodKey": key,
                    "taxedPrice": taxed_price(self.cur, net, gross,
                                              portions)})
                targets.append({"addressKey": self.addr_keys[key],
                                "quantity": qk, "shippingMethodKey": key})
                self.line_gross[li["id"]] += gross
                parts.append(Part(rate, unit * qk, True))
            li["shippingDetails"] = {"targets": targets, "valid": True}
        return parts

    def _split_units(self, lines):
        """Multiple shipping: spreads the units over home and gift."""
        units = [i for i, li in enumerate(lines)
                 for _ in range(li["quantity"])]
        self.rng.shuffle(units)
        to_gift = [False, True] + [self.rng.random() < 0.4
                                   for _ in units[2:]]
        for i, li in enumerate(lines):
            g = sum(1 for u, gift in zip(units, to_gift) if u == i and gift)
            li["_split"] = [(k, n) for k, n in (("home", li["quantity"] - g),
                                                ("gift", g)) if n]

    def _shipping_info(self, name, price, free_above, rate, discount_code):
        mode = self.st["tax_rounding"]
        info = {"shippingMethodName": name, "price": self.m(price),
                "shippingRate": {"price": self.m(price), "tiers": []}}
        effective = price
        if free_above is not None:
            info["shippingRate"]["freeAbove"] = self.m(free_above)
        info["taxRate"] = rate
        info["taxCategory"] = ref("tax-category", "shipping-" +
                                  self.store_key)
        info["shippingMethod"] = ref("shipping-method", name)
        if discount_code and price > 0:
            effective = 0
            info["discountedPrice"] = {
                "value": self.m(0),
                "includedDiscounts": [{
                    "discount": ref("cart-discount", "FREESHIP"),
                    "discountedAmount": self.m(price)}]}
        net, gross, portions = tax_split(rate, effective, mode)
        info["taxedPrice"] = taxed_price(self.cur, net, gross, portions)
        info["deliveries"] = []
        info["shippingMethodState"] = "MatchesCart"
        return info, Part(rate, effective, False), (net, gross, portions)

    def _gift_card_line(self):
        amount = self.rng.choice(self.st["gift_cards"])
        rate = self.st["gift_rate"]
        net, gross, portions = tax_split(rate, amount,
                                         self.st["tax_rounding"])
        slug = "gift-card-%d-%s" % (amount, self.cur.lower())
        return {"id": self.ids.uuid(), "key": slug,
                "name": {"en": "Gift card %s %s" % (
                    self.cur, _major(amount, self.cur))},
                "money": self.m(amount),
                "taxedPrice": taxed_price(self.cur, net, gross, portions),
                "taxedPricePortions": [], "totalPrice": self.m(amount),
                "slug": slug, "quantity": 1,
                "state": [{"quantity": 1, "state": INITIAL_STATE}],
                "taxCategory": ref("tax-category", "gift-card"),
                "taxRate": rate, "perMethodTaxRate": [],
                "discountedPricePerQuantity": [], "priceMode": "External",
                "custom": {"type": ref("type", "gift-card-line"),
                           "fields": {"giftCardSku": "GC-%s-%d" % (
                               self.cur, amount),
                               "deliveryChannel": "email"}}}, \
            Part(rate, amount, False), gross

    def _order(self, customer, anonymous):
        rng, st = self.rng, self.st
        person = (customer.doc["firstName"], customer.doc["lastName"]) \
            if customer else rng.choice(st["names"])
        if customer:
            ship_addr = {k: v for k, v in customer.doc["addresses"][0].items()
                         if k != "id"}
            if self.store_key == "us-web":
                self.zone = next(z for z in US_ZONES
                                 if z[1]["state"] == ship_addr["state"])
        else:
            ship_addr = self._address("home", person)
        codes = []
        cart_discounts = []
        if rng.random() < 0.12:
            codes.append("SUMMER10")
        for code in ("SUMMER10", "LOYAL5"):
            kind, value, _ = CART_DISCOUNTS[code]
            applies = code in codes if code == "SUMMER10" else \
                bool(customer and customer.doc.get("customerGroup"))
            if applies:
                cart_discounts.append((ref("cart-discount", code), kind,
                                       Fraction(value)))
        lines = self._lines(cart_discounts)
        units = sum(li["quantity"] for li in lines)
        multi = units >= 2 and rng.random() < st["multi_shipping"]
        self.addr_keys = {"home": "home", "gift": "gift-recipient"}
        if multi:
            self._split_units(lines)
        parts = self._line_taxes(lines, multi)
        subtotal = sum(li["totalPrice"]["centAmount"] for li in lines)
        customs, gift_sold = [], 0
        if rng.random() < 0.08:
            line, part, gift_sold = self._gift_card_line()
            customs.append(line)
            parts.append(part)
        free_ship = rng.random() < 0.06
        ship_rate = self.zone[0] if self.store_key == "us-web" else \
            st["rates"]["standard"]
        ship_parts, ship_taxes = [], []
        order = {"id": self.ids.uuid(), "version": 1,
                 "lastMessageSequenceNumber": 1}
        if multi:
            home_name, home_price, _ = st["shipping"][0]
            gift_name, gift_price = st["gift_shipping"]
            gift_person = rng.choice([p for p in st["names"] if p != person])
            gift_addr = self._address("gift-recipient", gift_person)
            del gift_addr["email"]
            shipping = []
            for key, name, price, addr in (
                    ("home", home_name, home_price, ship_addr),
                    ("gift", gift_name, gift_price, gift_addr)):
                info, part, taxes = self._shipping_info(name, price, None,
                                                        ship_rate, False)
                shipping.append({"shippingKey": key, "shippingInfo": info,
                                 "shippingAddress": addr})
                ship_parts.append(part)
                ship_taxes.append(taxes)
            free_ship = False
        else:
            name, price, free_above = rng.choices(st["shipping"], [85, 15])[0]
            if free_above is not None and subtotal >= free_above:
                price = 0
            info, part, taxes = self._shipping_info(name, price, free_above,
                                                    ship_rate, free_ship)
            free_ship = "discountedPrice" in info
            ship_parts.append(part)
            ship_taxes.append(taxes)
        parts += ship_parts
        total_discount = None
        amount_off, threshold = st["total_discount"]
        if subtotal >= threshold and rng.random() < 0.4:
            total_discount = (ref("cart-discount", "BIGSAVE"), amount_off)
            codes.append("BIGSAVE")
        if free_ship:
            codes.append("FREESHIP")
        net, gross, portions, info_d = order_totals(
            parts, total_discount, st["tax_rounding"])
        total = gross if st["gross"] else net
        ship_total = sum(p.amount for p in ship_parts)
        check = subtotal + sum(c["totalPrice"]["centAmount"]
                               for c in customs) + ship_total - \
            (total_discount[1] if total_discount else 0)
        if check != total:
            raise AssertionError("order %s: totalPrice %d != parts %d"
                                 % (self.number, total, check))
        for li in lines:
            li.update({"addedAt": iso_ms(self.t0 - SEC * rng.randint(
                120, 1800)), "priceMode": "Platform",
                "lineItemMode": "Standard",
                "state": [{"quantity": li["quantity"],
                           "state": INITIAL_STATE}]})
            li["lastModifiedAt"] = li["addedAt"]
        order.update({"orderNumber": self.number})
        if customer:
            order["customerId"] = customer.id
            if customer.doc.get("customerGroup"):
                order["customerGroup"] = customer.doc["customerGroup"]
        else:
            order["anonymousId"] = anonymous
        order.update({
            "customerEmail": ship_addr["email"],
            "store": {"typeId": "store", "key": self.store_key},
            "lineItems": lines, "customLineItems": customs,
            "totalPrice": self.m(total),
            "taxedPrice": taxed_price(self.cur, net, gross, portions)})
        s_net = sum(t[0] for t in ship_taxes)
        s_gross = sum(t[1] for t in ship_taxes)
        order["taxedShippingPrice"] = taxed_price(
            self.cur, s_net, s_gross, merge_portions(t[2]
                                                     for t in ship_taxes))
        if total_discount:
            order["discountOnTotalPrice"] = {
                "discountedAmount": self.m(total_discount[1]),
                "includedDiscounts": [{
                    "discount": total_discount[0],
                    "discountedAmount": self.m(total_discount[1])}],
                "discountedNetAmount": self.m(info_d["discountedNet"]),
                "discountedGrossAmount": self.m(info_d["discountedGross"])}
        order["country"] = st["country"]
        order["shippingMode"] = "Multiple" if multi else "Single"
        if multi:
            order["shipping"] = shipping
            order["itemShippingAddresses"] = [ship_addr, gift_addr]
        else:
            order["shippingInfo"] = info
            order["shipping"] = []
            order["itemShippingAddresses"] = []
        order["shippingAddress"] = ship_addr
        order["billingAddress"] = dict(ship_addr, key="billing")
        order["discountCodes"] = [
            {"discountCode": ref("discount-code", c), "state": "MatchesCart"}
            for c in codes if c != "LOYAL5"]
        order.update({"directDiscounts": [], "refusedGifts": [],
                      "paymentInfo": {"payments": []},
                      "locale": st["locale"], "inventoryMode": "None",
                      "taxMode": "Platform", "priceRoundingMode": "HalfEven",
                      "taxRoundingMode": st["tax_rounding"],
                      "taxCalculationMode": "LineItemLevel",
                      "origin": "Customer",
                      "cart": {"typeId": "cart", "id": self.ids.uuid()},
                      "orderState": "Open", "paymentState": "Pending",
                      "shipmentState": "Pending", "syncInfo": [],
                      "returnInfo": []})
        self.totals = {"net": net, "gross": gross, "portions": portions,
                       "ship_gross": s_gross, "gift_sold": gift_sold,
                       "discount": total_discount[1] if total_discount
                       else 0,
                       "gross_before": gross + (info_d["discountedGross"]
                                                if info_d else 0)}
        return order

    # -- payments -------------------------------------------------------------

    def _payment(self, amount, psp, customer, anonymous):
        rng = self.rng
        if psp == "adyen":
            method = rng.choice(self.st["cards"])
            iface = "88" + self.ids.digits(14)
        elif psp == "stripe":
            method = "card"
            iface = "pi_3" + self.ids.alnum(23)
        else:
            method = "giftcard"
            iface = "GC-" + self.ids.digits(12)
        doc = {"id": self.ids.uuid(), "version": 1}
        if psp == "adyen":
            doc["key"] = iface
        if customer:
            doc["customer"] = {"typeId": "customer", "id": customer.id}
        else:
            doc["anonymousId"] = anonymous
        doc.update({
            "interfaceId": iface, "amountPlanned": self.m(amount),
            "paymentMethodInfo": {
                "paymentInterface": psp, "method": method,
                "name": {"en": PAYMENT_METHOD_NAMES[method]}},
            "paymentStatus": {}, "transactions": [],
            "interfaceInteractions": [],
            "custom": {"type": ref("type", "payment-order-number"),
                       "fields": {"orderNumber": self.number}}})
        ident = {"key": iface} if psp == "adyen" else None
        res = Res("payment", doc, ident)
        res.psp = psp
        res.store_key = self.store_key
        self.sc.payments.append(res)
        return res

    def _interaction(self, pay, kind, partial=False):
        if pay.psp == "adyen":
            return pay.doc["interfaceId"] if kind == "Authorization" \
                else "88" + self.ids.digits(14)
        if pay.psp == "stripe":
            if kind == "Refund":
                return "re_3" + self.ids.alnum(23)
            if kind == "Charge" and partial:
                # a partial capture is a charge of its own in Stripe's
                # files: its id is what links the payout line
                return "ch_3" + self.ids.alnum(22)
            return pay.doc["interfaceId"]
        return pay.doc["interfaceId"]

    def _transaction(self, pay, at, kind, amount, state, by, partial=False):
        """Adds a transaction (one update); returns it."""
        tx = {"id": self.ids.uuid(), "timestamp": iso_ms(at), "type": kind,
              "amount": self.m(amount),
              "interactionId": self._interaction(pay, kind, partial),
              "state": state}
        if kind == "Refund":
            tx["interfaceId"] = tx["interactionId"]
        pay.doc["transactions"].append(tx)
        pay.doc["paymentStatus"] = {"interfaceCode": {
            "Authorization": "AUTHORISATION", "Charge": "CAPTURE",
            "Refund": "REFUND", "CancelAuthorization": "CANCELLATION"}[kind]}
        self.sc.update(self.ids, pay, at, [("PaymentTransactionAdded",
                                            {"transaction": dict(tx)})], by)
        return tx

    def _settle(self, pay, tx, at, by):
        tx["state"] = "Success"
        self.sc.update(self.ids, pay, at, [(
            "PaymentTransactionStateChanged",
            {"transactionId": tx["id"], "state": "Success"})], by)

    # -- the whole life of the order ------------------------------------------

    def build(self):
        rng, sc, ids = self.rng, self.sc, self.ids
        customer, anonymous = self._customer()
        order_doc = self._order(customer, anonymous)
        gross = self.totals["gross"]
        psp = rng.choices([p for p, _ in self.st["psp"]],
                          [w for _, w in self.st["psp"]])[0]
        gift_redeemed = 0
        if rng.random() < 0.08 and not self.totals["gift_sold"]:
            gift_redeemed = min(rng.choice(self.st["gift_cards"]), gross // 2)
        by_shop = _by(STOREFRONT, customer and customer.id, anonymous)
        by_psp = _by(PSP_CLIENT)
        pays = []
        if gift_redeemed:
            gift = self._payment(gift_redeemed, "giftcard", customer,
                                 anonymous)
            sc.create(ids, gift, self.t0 - 30 * SEC, "PaymentCreated",
                      "payment", by_shop)
            self._transaction(gift, self.t0 - 28 * SEC, "Charge",
                              gift_redeemed, "Success", by_shop)
            pays.append(gift)
        card = self._payment(gross - gift_redeemed, psp, customer, anonymous)
        sc.create(ids, card, self.t0 - 25 * SEC, "PaymentCreated", "payment",
                  by_shop)
        auth = self._transaction(card, self.t0 - 20 * SEC, "Authorization",
                                 gross - gift_redeemed, "Pending", by_psp)
        self._settle(card, auth, self.t0 - 12 * SEC, by_psp)
        pays.append(card)
        order_doc["paymentInfo"]["payments"] = [
            {"typeId": "payment", "id": p.id} for p in pays]
        order = Res("order", order_doc, {"orderNumber": self.number})
        sc.orders.append(order)
        sc.create(ids, order, self.t0, "OrderCreated", "order", by_shop)
        self.order, self.card = order, card
        cancelled = not gift_redeemed and rng.random() < 0.06
        deliveries = returns = 0
        if cancelled:
            at = self.t0 + SEC * rng.randint(300, 3600)
            order_doc["orderState"] = "Cancelled"
            sc.update(ids, order, at, [("OrderStateChanged", {
                "orderState": "Cancelled", "oldOrderState": "Open"})],
                MC_USER)
            self._transaction(card, at + 20 * SEC, "CancelAuthorization",
                              gross - gift_redeemed, "Success", by_psp)
        else:
            last = self._ship(by_psp)
            deliveries = len(self._all_deliveries())
            if rng.random() < 0.12:
                returns = self._return(last, by_psp)
        self._expect(pays, cancelled, deliveries, returns, gift_redeemed)

    def _all_deliveries(self):
        doc = self.order.doc
        if doc["shippingMode"] == "Single":
            return doc["shippingInfo"]["deliveries"]
        return [d for s in doc["shipping"]
                for d in s["shippingInfo"]["deliveries"]]

    def _delivery_plan(self):
        """[(shippingKey or None, {lineItemId: quantity})]."""
        doc = self.order.doc
        lines = doc["lineItems"]
        if doc["shippingMode"] == "Multiple":
            plan = []
            for key in ("home", "gift"):
                items = {}
                for li in lines:
                    for t in li["shippingDetails"]["targets"]:
                        if t["shippingMethodKey"] == key:
                            items[li["id"]] = t["quantity"]
                plan.append((key, items))
            return plan
        units = [li["id"] for li in lines for _ in range(li["quantity"])]
        if len(units) < 2 or self.rng.random() >= 0.2:
            return [(None, _count(units))]
        self.rng.shuffle(units)
        cut = self.rng.randint(1, len(units) - 1)
        return [(None, _count(units[:cut])), (None, _count(units[cut:]))]

    def _ship(self, by_psp):
        rng, order, card = self.rng, self.order, self.card
        plan = self._delivery_plan()
        amount = card.doc["amountPlanned"]["centAmount"]
        partial = len(plan) == 2 and rng.random() < 0.5
        unit = {li["id"]: li["totalPrice"]["centAmount"] // li["quantity"]
                for li in order.doc["lineItems"]}
        goods = sum(li["totalPrice"]["centAmount"]
                    for li in order.doc["lineItems"])
        at = self.t0 + SEC * rng.randint(3600, 5 * 3600)
        captured = 0
        for n, (key, items) in enumerate(plan, 1):
            final = n == len(plan)
            if n == 1 or partial:
                share = amount - captured if final or not partial else \
                    round_fraction(Fraction(amount * sum(
                        unit[i] * q for i, q in items.items()), goods))
                self._capture(at - 90 * SEC, share, partial, final, by_psp)
                captured += share
            self._deliver(at, n, key, items, final)
            if not final:
                at += SEC * rng.randint(3600, 4 * 3600)
        return at

    def _capture(self, at, amount, partial, final, by_psp):
        tx = self._transaction(self.card, at, "Charge", amount, "Pending",
                               by_psp, partial)
        self._settle(self.card, tx, at + 30 * SEC, by_psp)
        if final or not partial:
            self.order.doc["paymentState"] = "Paid"
            self.sc.update(self.ids, self.order, at + 45 * SEC, [(
                "OrderPaymentStateChanged",
                {"paymentState": "Paid", "oldPaymentState": "Pending"})],
                _by(PSP_CLIENT))

    def _deliver(self, at, n, key, items, final):
        ids, doc = self.ids, self.order.doc
        dkey = "dlv-%s-%d" % (self.number.lower(), n)
        addr = doc["shippingAddress"]
        if key == "gift":
            addr = doc["itemShippingAddresses"][1]
        item_list = [{"id": i, "quantity": q} for i, q in items.items()]
        delivery = {"id": ids.uuid(), "key": dkey, "createdAt": iso_ms(at),
                    "items": item_list, "parcels": [], "address": addr}
        carrier = self.st["shipping"][0][0].split()[0]
        parcel = {"id": ids.uuid(), "key": "pcl-%s-%d" % (
            self.number.lower(), n), "createdAt": iso_ms(at),
            "measurements": {"heightInMillimeter": 150,
                             "lengthInMillimeter": 400,
                             "widthInMillimeter": 300,
                             "weightInGram": self.rng.randint(200, 9000)},
            "trackingData": {"trackingId": ids.digits(18),
                             "carrier": carrier, "isReturn": False},
            "items": item_list}
        extra = {"shippingKey": key} if key else {}
        msgs = [("DeliveryAdded", dict(delivery=copy.deepcopy(delivery),
                                       **extra))]
        delivery["parcels"] = [parcel]
        msgs.append(("ParcelAddedToDelivery",
                     dict(delivery=copy.deepcopy(delivery),
                          parcel=copy.deepcopy(parcel), **extra)))
        old = doc["shipmentState"]
        new = "Shipped" if final else "Partial"
        doc["shipmentState"] = new
        msgs.append(("OrderShipmentStateChanged",
                     {"shipmentState": new, "oldShipmentState": old}))
        if final:
            doc["orderState"] = "Complete"
            msgs.append(("OrderStateChanged", {"orderState": "Complete",
                                               "oldOrderState": "Open"}))
        if key:
            target = next(s for s in doc["shipping"]
                          if s["shippingKey"] == key)["shippingInfo"]
        else:
            target = doc["shippingInfo"]
        target["deliveries"].append(delivery)
        self.sc.update(ids, self.order, at, msgs, MC_USER)

    def _return(self, last, by_psp):
        rng, ids, sc, doc = self.rng, self.ids, self.sc, self.order.doc
        li = rng.choice(doc["lineItems"])
        r = rng.randint(1, li["quantity"])
        share = Fraction(self.line_gross[li["id"]] * r, li["quantity"])
        t = self.totals
        if t["discount"]:
            share = share * t["gross"] / t["gross_before"]
        captured = sum(tx["amount"]["centAmount"]
                       for tx in self.card.doc["transactions"]
                       if tx["type"] == "Charge" and tx["state"] == "Success")
        refund = min(round_fraction(share), captured)
        at = last + SEC * rng.randint(3600, 4 * 3600)
        item = {"type": "LineItemReturnItem", "id": ids.uuid(),
                "key": "ret-%s-1" % self.number.lower(), "quantity": r,
                "lineItemId": li["id"], "comment": "Customer return",
                "shipmentState": "Returned", "paymentState": "Initial",
                "lastModifiedAt": iso_ms(at), "createdAt": iso_ms(at)}
        info = {"items": [item], "returnTrackingId": "RT-" + ids.digits(14),
                "returnDate": iso_ms(at.replace(hour=0, minute=0, second=0,
                                                microsecond=0))}
        doc["returnInfo"].append(info)
        sc.update(ids, self.order, at, [("ReturnInfoAdded", {
            "returnInfo": copy.deepcopy(info)})], MC_USER)
        if refund <= 0:
            return 1
        tx = self._transaction(self.card, at + 120 * SEC, "Refund", refund,
                               "Pending", by_psp)
        self._settle(self.card, tx, at + 160 * SEC, by_psp)
        # setReturnPaymentState emits no Message: a version gap
        item["paymentState"] = "Refunded"
        item["lastModifiedAt"] = iso_ms(at + 200 * SEC)
        sc.update(ids, self.order, at + 200 * SEC, [], MC_USER)
        return 1

    def _expect(self, pays, cancelled, deliveries, returns, gift_redeemed):
        t = self.totals

        def tx_sum(p, kind):
            return sum(tx["amount"]["centAmount"]
                       for tx in p.doc["transactions"]
                       if tx["type"] == kind and tx["state"] == "Success")
        payments = [{"id": p.id, "psp": p.psp,
                     "method": p.doc["paymentMethodInfo"]["method"],
                     "interfaceId": p.doc["interfaceId"],
                     "amountPlanned": p.doc["amountPlanned"]["centAmount"],
                     "authorized": tx_sum(p, "Authorization"),
                     "captured": tx_sum(p, "Charge"),
                     "refunded": tx_sum(p, "Refund")} for p in pays]
        captured = sum(p["captured"] for p in payments)
        refunded = sum(p["refunded"] for p in payments)
        doc = self.order.doc
        self.sc.expected[self.number] = {
            "id": doc["id"], "orderNumber": self.number,
            "store": self.store_key, "currency": self.cur,
            "fractionDigits": fraction_digits(self.cur),
            "orderState": doc["orderState"], "cancelled": int(cancelled),
            "shippingMode": doc["shippingMode"],
            "totalPrice": doc["totalPrice"]["centAmount"],
            "totalNet": t["net"], "totalGross": t["gross"],
            "totalTax": t["gross"] - t["net"],
            "taxPortions": [{"rate": r, "name": n, "amount": a}
                            for r, n, a in t["portions"]],
            "shippingGross": t["ship_gross"],
            "totalPriceDiscount": t["discount"],
            "giftCardSold": t["gift_sold"], "giftCardRedeemed": gift_redeemed,
            "captured": captured, "refunded": refunded,
            "net": captured - refunded, "deliveries": deliveries,
            "returns": returns, "payments": payments}


def _count(ids):
    out = {}
    for i in ids:
        out[i] = out.get(i, 0) + 1
    return out


def _major(cents, currency):
    digits = fraction_digits(currency)
    if not digits:
        return str(cents)
    return "%d.%0*d" % (cents // 10 ** digits, digits, cents % 10 ** digits)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orders", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--date", default="2026-07-01",
                    help="the day of traffic (UTC), YYYY-MM-DD")
    ap.add_argument("--stores", default=",".join(k for k, _ in
                                                 DEFAULT_STORES),
                    help="comma-separated store keys (also: bh-web, BHD "
                    "with 3 fraction digits)")
    ap.add_argument("--changes", action="store_true",
                    help="also emit ResourceCreated/ResourceUpdated change "
                    "payloads for every order and payment update")
    a = ap.parse_args(argv)
    try:
        sc = Scenario(a.orders, a.seed, a.date, a.changes,
                      a.stores.split(",")).generate()
    except ValueError as e:
        ap.error(str(e))
    os.makedirs(a.out, exist_ok=True)
    sc.write(a.out)
    print("scenario: %d orders, %d messages -> %s"
          % (a.orders, len(sc.events), a.out))


if __name__ == "__main__":
    main()
