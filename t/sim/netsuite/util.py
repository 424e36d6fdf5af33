"""Shared helpers of the NetSuite simulator: errors, money, JSON, dates.

Every error the simulator answers is raised as NsError and rendered in
NetSuite's error shape (one entry in o:errorDetails).  Money is kept as
Decimal and rounded half-up to the currency's precision, never as float.
"""

import datetime
import decimal
import json
import re

D = decimal.Decimal
ZERO = D(0)

ERROR_CT = "application/vnd.oracle.resource+json; type=error"
SINGULAR_CT = "application/vnd.oracle.resource+json; type=singular"
COLLECTION_CT = "application/vnd.oracle.resource+json; type=collection"

_RFC2616 = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10."
STATUS_TYPES = {
    400: (_RFC2616 + "4.1", "Bad Request"),
    401: (_RFC2616 + "4.2", "Unauthorized"),
    403: (_RFC2616 + "4.4", "Forbidden"),
    404: (_RFC2616 + "4.5", "Not Found"),
    405: (_RFC2616 + "4.6", "Method Not Allowed"),
    413: (_RFC2616 + "4.14", "Request Entity Too Large"),
    429: ("https://tools.ietf.org/html/rfc6585#section-4",
          "Too Many Requests"),
    500: (_RFC2616 + "5.1", "Internal Server Error"),
    502: (_RFC2616 + "5.3", "Bad Gateway"),
    503: (_RFC2616 + "5.4", "Service Unavailable"),
    504: (_RFC2616 + "5.5", "Gateway Timeout"),
}

INVALID_LOGIN = ("Invalid login attempt. For more details, see the Login "
                 "Audit Trail in the NetSuite UI at Setup > Users/Roles > "
                 "User Management > View Login Audit Trail.")
NONEXISTENT = ("The record instance does not exist. Provide a valid record "
               "instance ID.")
INVALID_CONTENT = "Invalid content in the request body."

EXTERNAL_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NsError(Exception):
    """An answer in NetSuite's error format."""

    def __init__(self, status, detail, code="USER_ERROR", path=None,
                 title=None, headers=None, type_=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.path = path
        self.title = title
        self.headers = headers or {}
        self.type_ = type_

    def body(self):
        return error_body(self.status, self.detail, self.code, self.path,
                          self.title, self.type_)


def error_body(status, detail, code, path=None, title=None, type_=None):
    t, default_title = STATUS_TYPES.get(status, (_RFC2616 + "5.1", "Error"))
    entry = {"detail": detail, "o:errorCode": code}
    if path is not None:
        entry["o:errorPath"] = path
    return {"type": type_ or t, "title": title or default_title,
            "status": status, "o:errorDetails": [entry]}


def user_error(detail, path=None):
    return NsError(400, detail, "USER_ERROR", path)


def invalid_value(value, field, path):
    """The 'Invalid Field Value' error of an unresolvable reference."""
    return user_error("Error while accessing a resource. You have entered an "
                      "Invalid Field Value %s for the following field: %s"
                      % (value, field.lower()), path)


def not_found():
    return NsError(404, NONEXISTENT, "NONEXISTENT_ID")


def invalid_content(detail=INVALID_CONTENT, path=None):
    return NsError(400, detail, "INVALID_CONTENT", path)


def id_str(v):
    """An internal id sent as string or integral number; None otherwise."""
    if isinstance(v, bool):
        return None
    if isinstance(v, D):
        return str(int(v)) if v == v.to_integral_value() else None
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    return None


def round_money(value, precision):
    """Half-up rounding to the currency precision (JPY 0, USD 2, KWD 3)."""
    q = D(1).scaleb(-precision)
    return D(value).quantize(q, rounding=decimal.ROUND_HALF_UP)


def to_json_value(v):
    """Internal values to JSON: Decimal money becomes a JSON number."""
    if isinstance(v, D):
        if v == v.to_integral_value():
            return float(int(v))
        return float(v)
    if isinstance(v, dict):
        return {k: to_json_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json_value(x) for x in v]
    return v


def dumps(obj):
    return json.dumps(to_json_value(obj), separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def loads_body(raw):
    """Parses a request body: numbers become Decimal so money stays exact."""
    try:
        text = raw.decode("utf-8")
        v = json.loads(text, parse_float=D, parse_int=D)
    except (UnicodeDecodeError, ValueError):
        raise invalid_content()
    if not isinstance(v, dict):
        raise invalid_content()
    return v


def iso_time(epoch):
    return datetime.datetime.fromtimestamp(
        int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(epoch):
    return datetime.datetime.fromtimestamp(
        int(epoch), datetime.timezone.utc).strftime("%Y-%m-%d")


def valid_date(s):
    if not isinstance(s, str) or not DATE_RE.match(s):
        return False
    try:
        datetime.date.fromisoformat(s)
    except ValueError:
        return False
    return True


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch, in place; returns target."""
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, dict) and isinstance(target.get(k), dict):
            merge_patch(target[k], v)
        else:
            target[k] = v
    return target
