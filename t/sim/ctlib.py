"""Helpers shared by the commercetools simulator, sender and scenarios.

Standard library only.  Money is always an integer count of minor units;
rates are exact fractions; rounding follows commercetools' rounding modes.
"""

import datetime
import json
import os
from decimal import Decimal
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")
SIGNATURES = os.path.join(FIXTURES, "signatures")

#: ISO 4217 default fraction digits of the currencies the simulators use.
FRACTION_DIGITS = {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "JPY": 0,
                   "KRW": 0, "KWD": 3, "BHD": 3}


def fraction_digits(currency):
    try:
        return FRACTION_DIGITS[currency]
    except KeyError:
        raise ValueError("unknown currency %r" % currency) from None


def money(currency, cents):
    """A CentPrecisionMoney object."""
    if not isinstance(cents, int):
        raise TypeError("centAmount must be an int, got %r" % (cents,))
    return {"type": "centPrecision", "currencyCode": currency,
            "centAmount": cents, "fractionDigits": fraction_digits(currency)}


def rate_fraction(rate):
    """An exact fraction for a JSON tax rate such as 0.19 or 0.08875."""
    return Fraction(Decimal(str(rate)))


def round_fraction(x, mode="HalfEven"):
    """Rounds a Fraction to an int with a commercetools RoundingMode."""
    x = Fraction(x)
    floor = x.numerator // x.denominator
    rest = x - floor
    if rest < Fraction(1, 2):
        return floor
    if rest > Fraction(1, 2):
        return floor + 1
    if mode == "HalfUp":
        return floor + 1 if x > 0 else floor
    if mode == "HalfDown":
        return floor if x > 0 else floor + 1
    if mode == "HalfEven":
        return floor if floor % 2 == 0 else floor + 1
    raise ValueError("unknown rounding mode %r" % mode)


def iso_ms(dt):
    """2026-07-01T10:15:21.874Z for an aware or naive-UTC datetime."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond
                                                          // 1000)


def iso_from_unix(seconds):
    """iso_ms of a Unix time in seconds."""
    return iso_ms(datetime.datetime.fromtimestamp(seconds,
                                                  datetime.timezone.utc))


def parse_iso(text):
    """Parses an ISO 8601 UTC timestamp (with or without fraction/Z)."""
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    dt = datetime.datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def compact(obj):
    """Compact JSON bytes, UTF-8, as commercetools serialises payloads."""
    return json.dumps(obj, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def load_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def ct_error(status, code, message, **extra):
    """An error body in commercetools' format (statusCode, message, errors)."""
    err = {"code": code, "message": message}
    err.update(extra)
    return {"statusCode": status, "message": message, "errors": [err]}


def classify(resource):
    """'order', 'payment', 'customer' or None for a resource object."""
    if not isinstance(resource, dict) or "id" not in resource:
        return None
    if "lineItems" in resource or "orderNumber" in resource:
        return "order"
    if "amountPlanned" in resource or "transactions" in resource:
        return "payment"
    if "email" in resource and ("addresses" in resource
                                or "customerNumber" in resource
                                or "authenticationMode" in resource):
        return "customer"
    return None
