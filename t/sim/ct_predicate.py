"""commercetools query predicates (`where`), parsed and evaluated.

Covers the part of the predicate language a finance sync uses:
comparisons (= != <> > >= < <=), `and`, `or`, `not (...)`, parentheses,
nested field predicates (`paymentInfo(payments(id="..."))`, matching any
element of an array), `in (...)`, `not in (...)`, `is [not] defined`,
`is [not] empty` and `contains any|all (...)`.  Values are strings in
double quotes, numbers and booleans.  Strings that are ISO 8601 datetimes
compare as instants, so `lastModifiedAt > "2026-07-01T00:00:00Z"` works
whether or not the value carries milliseconds.
"""

import re
from decimal import Decimal

from ctlib import parse_iso


class PredicateError(ValueError):
    """A malformed predicate; the message says where."""


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>!=|<>|>=|<=|=|>|<|\(|\)|,)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?"
                  r"(Z|[+-]\d\d:\d\d)?$")
_KEYWORDS = {"and", "or", "not", "in", "is", "defined", "empty", "contains",
             "any", "all", "true", "false"}


def _tokenize(text):
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise PredicateError("unexpected character %r at position %d"
                                 % (text[pos], pos))
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        val = m.group(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        elif kind == "num":
            val = Decimal(val)
        elif kind == "ident" and val.lower() in _KEYWORDS:
            kind, val = "kw", val.lower()
        out.append((kind, val, m.start()))
    out.append(("end", None, len(text)))
    return out


class _Parser:
    def __init__(self, text):
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self, kind=None, val=None):
        k, v, _ = self.toks[self.i]
        return (kind is None or k == kind) and (val is None or v == val)

    def take(self, kind=None, val=None):
        k, v, pos = self.toks[self.i]
        if (kind and k != kind) or (val is not None and v != val):
            want = val if val is not None else kind
            raise PredicateError("expected %s at position %d, found %r"
                                 % (want, pos, v if v is not None else "end"))
        self.i += 1
        return v

    def parse(self):
        node = self.expr()
        self.take("end")
        return node

    def _chain(self, word, operand):
        node = operand()
        while self.peek("kw", word):
            self.take()
            node = (word, node, operand())
        return node

    def expr(self):
        return self._chain("or", self.conj)

    def conj(self):
        return self._chain("and", self.unary)

    def unary(self):
        if self.peek("kw", "not"):
            self.take()
            self.take("op", "(")
            node = self.expr()
            self.take("op", ")")
            return ("not", node)
        if self.peek("op", "("):
            self.take()
            node = self.expr()
            self.take("op", ")")
            return node
        return self.pred()

    def value(self):
        k, v, pos = self.toks[self.i]
        if k in ("str", "num"):
            self.i += 1
            return v
        if k == "kw" and v in ("true", "false"):
            self.i += 1
            return v == "true"
        raise PredicateError("expected a value at position %d" % pos)

    def values(self):
        self.take("op", "(")
        vals = [self.value()]
        while self.peek("op", ","):
            self.take()
            vals.append(self.value())
        self.take("op", ")")
        return vals

    def pred(self):
        field = self.take("ident")
        if self.peek("op", "("):
            self.take()
            inner = self.expr()
            self.take("op", ")")
            return ("nested", field, inner)
        if self.peek("op"):
            op = self.take("op")
            if op in ("(", ")", ","):
                raise PredicateError("expected an operator after %s" % field)
            return ("cmp", field, "!=" if op == "<>" else op, self.value())
        if self.peek("kw", "is"):
            self.take()
            neg = self.peek("kw", "not") and self.take() == "not"
            what = self.take("kw")
            if what not in ("defined", "empty"):
                raise PredicateError("expected defined or empty after is")
            return ("is", field, what, bool(neg))
        if self.peek("kw", "not"):
            self.take()
            self.take("kw", "in")
            return ("in", field, self.values(), True)
        if self.peek("kw", "in"):
            self.take()
            return ("in", field, self.values(), False)
        if self.peek("kw", "contains"):
            self.take()
            how = self.take("kw")
            if how not in ("any", "all"):
                raise PredicateError("expected any or all after contains")
            return ("contains", field, how, self.values())
        raise PredicateError("expected an operator after %s" % field)


def parse(text):
    """Parses a predicate into a tree; raises PredicateError."""
    if not text or not text.strip():
        raise PredicateError("empty predicate")
    return _Parser(text).parse()


def _norm(v):
    """Comparable form: datetimes as instants, numbers as Decimal."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    if isinstance(v, str) and _ISO.match(v):
        try:
            return parse_iso(v)
        except ValueError:
            return v
    return v


def _compare(a, op, b):
    a, b = _norm(a), _norm(b)
    if type(a) is not type(b):
        return op == "!=" and a is not None
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if isinstance(a, bool):
        return False
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def _elements(v):
    return v if isinstance(v, list) else [v]


def matches(node, obj):
    """True when the resource (or sub-object) satisfies the predicate."""
    kind = node[0]
    if kind == "or":
        return matches(node[1], obj) or matches(node[2], obj)
    if kind == "and":
        return matches(node[1], obj) and matches(node[2], obj)
    if kind == "not":
        return not matches(node[1], obj)
    field = node[1]
    value = obj.get(field) if isinstance(obj, dict) else None
    if kind == "is":
        present = value is not None
        if node[2] == "empty":
            present = isinstance(value, list) and len(value) == 0
        return present != node[3]
    if value is None:
        return False
    if kind == "nested":
        return any(matches(node[2], el) for el in _elements(value))
    if kind == "cmp":
        return any(_compare(el, node[2], node[3]) for el in _elements(value))
    if kind == "in":
        hit = any(_compare(el, "=", v) for el in _elements(value)
                  for v in node[2])
        return hit != node[3]
    if kind == "contains":
        have = _elements(value)
        found = [any(_compare(el, "=", v) for el in have) for v in node[3]]
        return any(found) if node[2] == "any" else all(found)
    raise PredicateError("unknown node %r" % (kind,))
