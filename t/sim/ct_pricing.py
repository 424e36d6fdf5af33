"""commercetools price, discount and tax arithmetic (integers of minor units).

The rules of docs/sim-commercetools.md ("Arithmetic"), which follow the
commercetools API reference as summarised in the project spec:

* product discounts: price.discounted.value = round half down of the
  discounted unit price;
* cart discounts on line items apply per unit, in sortOrder (highest
  first), rounding with priceRoundingMode after every step;
* line totalPrice = sum over discountedPricePerQuantity of
  quantity x discounted unit value (else unit value x quantity);
* net pricing (includedInPrice false): one portion per sub-rate,
  round(net x subRate) with taxRoundingMode, gross = net + portions;
* gross pricing: net = round(gross / (1 + rate)), tax = gross - net;
* order taxedPrice aggregates item, custom line and shipping taxed prices,
  portions with equal (rate, name) summed; a discount on the total price
  is allocated over the eligible parts (line items and their per-method
  shares; not shipping, not External-priced custom lines) in proportion to
  their amounts (largest remainder) and each part is taxed again.
"""

from fractions import Fraction

from ctlib import money, rate_fraction, round_fraction


def round_half_down(x):
    return round_fraction(x, "HalfDown")


def product_discounted(unit, fraction_off):
    """Unit value after a relative product discount (half rounds down)."""
    return round_half_down(unit * (1 - Fraction(fraction_off)))


def apply_cart_discounts(unit, discounts, mode):
    """Applies line-item cart discounts to one unit.

    discounts: [(ref, kind, value)] already in sortOrder (highest first);
    kind "relative" (value a Fraction) or "absolute" (value in cents).
    Returns (discounted unit value, [(ref, discounted amount per unit)])."""
    value, included = unit, []
    for ref, kind, amount in discounts:
        if kind == "relative":
            off = round_fraction(value * Fraction(amount), mode)
        elif kind == "absolute":
            off = min(value, amount)
        else:
            raise ValueError("unknown cart discount kind %r" % kind)
        value -= off
        included.append((ref, off))
    return value, included


def allocate(total, weights):
    """Splits an int over non-negative weights, largest remainder first,
    ties to the earlier weight; the parts add up to total exactly."""
    s = sum(weights)
    if s == 0:
        parts = [0] * len(weights)
        if parts:
            parts[0] = total
        return parts
    exact = [Fraction(total * w, s) for w in weights]
    parts = [e.numerator // e.denominator for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]),
                                                      i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


def tax_split(tax_rate, amount, mode):
    """(net, gross, [(rate, name, tax)]) for amount under tax_rate.

    amount is the net amount when includedInPrice is false, else gross."""
    subs = tax_rate.get("subRates") or []
    if tax_rate["includedInPrice"]:
        gross = amount
        net = round_fraction(Fraction(gross) /
                             (1 + rate_fraction(tax_rate["amount"])), mode)
        tax = gross - net
        if not subs:
            return net, gross, [(tax_rate["amount"], tax_rate["name"], tax)]
        shares = allocate(tax, [rate_fraction(s["amount"]) for s in subs])
        return net, gross, [(s["amount"], s["name"], t)
                            for s, t in zip(subs, shares)]
    net = amount
    parts = subs or [{"amount": tax_rate["amount"], "name": tax_rate["name"]}]
    portions = [(p["amount"], p["name"],
                 round_fraction(net * rate_fraction(p["amount"]), mode))
                for p in parts]
    return net, net + sum(p[2] for p in portions), portions


def taxed_price(currency, net, gross, portions):
    """A TaxedPrice / TaxedItemPrice object."""
    return {"totalNet": money(currency, net),
            "totalGross": money(currency, gross),
            "taxPortions": [{"rate": r, "amount": money(currency, a),
                             "name": n} for r, n, a in portions],
            "totalTax": money(currency, gross - net)}


def merge_portions(portion_lists):
    """Sums portions with equal (rate, name), keeping first-seen order."""
    merged = {}
    for portions in portion_lists:
        for r, n, a in portions:
            merged[(r, n)] = merged.get((r, n), 0) + a
    return [(r, n, a) for (r, n), a in merged.items()]


class Part:
    """A taxable amount of an order: a line (or its share for one shipping
    method), a custom line or a shipping price."""

    def __init__(self, tax_rate, amount, discountable):
        self.tax_rate = tax_rate
        self.amount = amount          # net or gross, per includedInPrice
        self.discountable = discountable


def order_totals(parts, total_discount, mode):
    """Order-level (net, gross, portions, discount info) of parts.

    Without a total-price discount this is the sum of the parts' taxed
    prices.  total_discount (ref, cents) is spread over the discountable
    parts in proportion to their amounts and each part is taxed again."""
    cut = [0] * len(parts)
    if total_discount:
        weights = [p.amount if p.discountable else 0 for p in parts]
        if total_discount[1] > sum(weights):
            raise ValueError("total discount larger than the eligible total")
        cut = allocate(total_discount[1], weights)
    net = gross = net_before = gross_before = 0
    portion_lists = []
    for p, c in zip(parts, cut):
        n0, g0, _ = tax_split(p.tax_rate, p.amount, mode)
        n, g, portions = tax_split(p.tax_rate, p.amount - c, mode)
        net, gross = net + n, gross + g
        net_before, gross_before = net_before + n0, gross_before + g0
        portion_lists.append(portions)
    info = None
    if total_discount:
        info = {"discountedNet": net_before - net,
                "discountedGross": gross_before - gross}
    return net, gross, merge_portions(portion_lists), info
