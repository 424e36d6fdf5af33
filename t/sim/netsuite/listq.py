"""Collection listing GET /record/v1/{type}?q=&limit=&offset= (spec 7.7).

q grammar: cond { (AND|OR) cond }, parentheses, AND binds tighter;
cond = field OP [value].  Items carry only links and id.
"""

import re
import urllib.parse

from .render import RECORD
from .rules import derived
from .util import D, user_error

TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()",]+)|(,))')
FIELDS = ("externalId", "tranId", "otherRefNum", "entity", "customer",
          "status", "tranDate", "lastModifiedDate", "email", "entityId",
          "companyName")
STRING_OPS = {"IS", "IS_NOT", "START_WITH", "CONTAIN", "START_WITH_NOT",
              "CONTAIN_NOT", "END_WITH", "END_WITH_NOT"}
NUM_OPS = {"EQUAL", "EQUAL_NOT", "ANY_OF", "ANY_OF_NOT"}
DATE_OPS = {"ON", "BEFORE", "AFTER", "ON_OR_BEFORE", "ON_OR_AFTER"}
EMPTY_OPS = {"EMPTY", "EMPTY_NOT"}


def bad(reason):
    return user_error("Invalid query: %s" % reason)


def tokenize(q):
    out = []
    pos = 0
    q = q.strip()
    while pos < len(q):
        m = TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise bad("unexpected character at %d" % pos)
        pos = m.end()
        if m.group(1):
            out.append(("(", None))
        elif m.group(2):
            out.append((")", None))
        elif m.group(3) is not None:
            out.append(("str", m.group(3).replace('\\"', '"')))
        elif m.group(5):
            out.append((",", None))
        else:
            out.append(("word", m.group(4)))
    return out


class Parser:
    def __init__(self, tokens):
        self.t = tokens
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def expr(self):
        left = self.conj()
        while self.peek()[0] == "word" and self.peek()[1].upper() == "OR":
            self.take()
            right = self.conj()
            left = ("or", left, right)
        return left

    def conj(self):
        left = self.atom()
        while self.peek()[0] == "word" and self.peek()[1].upper() == "AND":
            self.take()
            left = ("and", left, self.atom())
        return left

    def atom(self):
        kind, v = self.take()
        if kind == "(":
            e = self.expr()
            if self.take()[0] != ")":
                raise bad("missing )")
            return e
        if kind != "word":
            raise bad("field expected")
        field = next((f for f in FIELDS if f.lower() == v.lower()), None)
        if field is None:
            raise bad("field %s cannot be used in a filter" % v)
        op_kind, op = self.take()
        if op_kind != "word":
            raise bad("operator expected after %s" % v)
        op = op.upper()
        if op in EMPTY_OPS:
            return ("cond", field, op, [])
        if op not in STRING_OPS | NUM_OPS | DATE_OPS:
            raise bad("unknown operator %s" % op)
        values = [self.value()]
        while self.peek()[0] == ",":
            self.take()
            values.append(self.value())
        return ("cond", field, op, values)

    def value(self):
        kind, v = self.take()
        if kind not in ("str", "word"):
            raise bad("value expected")
        return v


def field_value(store, rec, field):
    f = rec.f
    if field == "status":
        return derived(store, rec).get("status")
    if field == "customer":
        v = f.get("customer") or f.get("entity")
    else:
        v = f.get(field)
    if isinstance(v, dict):
        return v.get("id")
    if field == "lastModifiedDate":
        from .util import iso_date
        return iso_date(rec.modified)
    return v


def matches(store, rec, e):
    if e[0] == "and":
        return matches(store, rec, e[1]) and matches(store, rec, e[2])
    if e[0] == "or":
        return matches(store, rec, e[1]) or matches(store, rec, e[2])
    _, field, op, values = e
    v = field_value(store, rec, field)
    if op in EMPTY_OPS:
        return (v in (None, "")) == (op == "EMPTY")
    negate = op.endswith("_NOT")
    base = op[:-4] if negate else op
    if v is None:
        return negate
    sv = str(v).lower()
    vals = [x.lower() for x in values]
    if base == "IS":
        hit = sv == vals[0]
    elif base == "START_WITH":
        hit = sv.startswith(vals[0])
    elif base == "END_WITH":
        hit = sv.endswith(vals[0])
    elif base == "CONTAIN":
        hit = vals[0] in sv
    elif base in ("EQUAL", "ANY_OF"):
        hit = _num(sv) in [_num(x) for x in vals]
    else:
        d = vals[0]
        hit = {"ON": sv == d, "BEFORE": sv < d, "AFTER": sv > d,
               "ON_OR_BEFORE": sv <= d, "ON_OR_AFTER": sv >= d}[base]
    return hit != negate


def _num(s):
    try:
        return D(s)
    except ArithmeticError:
        return s
    except ValueError:
        return s


def paging(sim, req):
    try:
        limit = int(req.query.get("limit", sim.config["limits"]["page_max"]))
        offset = int(req.query.get("offset", 0))
    except ValueError:
        raise user_error("Invalid value for limit or offset.")
    if not 1 <= limit <= sim.config["limits"]["page_max"] or offset < 0:
        raise user_error("Invalid value for limit or offset.")
    return limit, offset


def page_links(base, path, query, limit, offset, total):
    def href(off):
        q = dict(query, limit=str(limit), offset=str(off))
        return base + path + "?" + urllib.parse.urlencode(q)
    links = [{"rel": "self", "href": href(offset)}]
    if offset + limit < total:
        links.append({"rel": "next", "href": href(offset + limit)})
    if offset > 0:
        links.append({"rel": "prev", "href": href(max(0, offset - limit))})
    links.append({"rel": "first", "href": href(0)})
    last = ((max(total, 1) - 1) // limit) * limit
    links.append({"rel": "last", "href": href(last)})
    return links


def run(sim, req, rtype):
    store = sim.store
    limit, offset = paging(sim, req)
    q = req.query.get("q")
    expr = None
    if q:
        p = Parser(tokenize(q))
        expr = p.expr()
        if p.i != len(p.t):
            raise bad("unexpected input after condition")
    with store.lock:
        if rtype in store.ref:
            ids = sorted(store.ref[rtype], key=_sort_key)
            if expr is not None:
                raise bad("filters are not supported on %s" % rtype)
        else:
            recs = sorted((r for r in store.recs.values()
                           if r.type == rtype), key=lambda r: int(r.id))
            ids = [r.id for r in recs
                   if expr is None or matches(store, r, expr)]
    page = ids[offset:offset + limit]
    items = [{"links": [{"rel": "self", "href": req.base + RECORD +
                         "%s/%s" % (rtype, i)}], "id": i} for i in page]
    query = {k: v for k, v in req.query.items()
             if k not in ("limit", "offset")}
    return {"links": page_links(req.base, req.path, query, limit, offset,
                                len(ids)),
            "count": len(items), "hasMore": offset + limit < len(ids),
            "items": items, "offset": offset, "totalResults": len(ids)}


def _sort_key(i):
    return (0, int(i)) if i.isdigit() else (1, i)
