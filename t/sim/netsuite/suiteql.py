"""SuiteQL subset: POST /services/rest/query/v1/suiteql (spec 7.8).

SELECT [TOP n] cols FROM transaction|customer [alias] [WHERE expr]
[ORDER BY keys]; predicates =, <>, !=, <, <=, >, >=, [NOT] IN, [NOT] LIKE,
[NOT] BETWEEN, IS [NOT] NULL, literals strings, numbers and TO_DATE(s, 'YYYY-MM-DD');
BUILTIN.DF(col) gives a reference's display name.
"""

import re

from .listq import page_links
from .rules import derived
from .schema import SUITEQL_TYPE
from .util import D, NsError, user_error

TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<op><>|!=|<=|>=|=|<|>|\(|\)|,|\*|\.)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
)""", re.X)

TX_COLUMNS = ("id", "tranid", "externalid", "type", "recordtype",
              "trandate", "entity", "currency", "foreigntotal", "total",
              "status", "memo", "otherrefnum", "createdfrom", "createddate",
              "lastmodifieddate", "subsidiary", "exchangerate")
CUST_COLUMNS = ("id", "entityid", "externalid", "companyname", "email",
                "subsidiary", "isperson", "datecreated", "lastmodifieddate",
                "currency", "firstname", "lastname")
DATE_COLUMNS = ("trandate", "createddate", "lastmodifieddate",
                "datecreated")
REF_TYPES = {"entity": "customer", "currency": "currency",
             "subsidiary": "subsidiary", "createdfrom": None}


def search_error(reason):
    return NsError(400, "Search error occurred: %s" % reason, "USER_ERROR",
                   title="Invalid search query.")


def tokenize(q):
    out = []
    pos = 0
    q = q.rstrip().rstrip(";")
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        m = TOKEN.match(q, pos)
        if not m:
            raise search_error("Syntax error near '%s'." % q[pos:pos + 20])
        pos = m.end()
        kind = m.lastgroup
        v = m.group(kind)
        if kind == "str":
            v = v[1:-1].replace("''", "'")
        elif kind == "word":
            kind = "word"
        out.append((kind, v))
    return out


class Parser:
    def __init__(self, tokens):
        self.t = tokens
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else (None, None)

    def kw(self, *words):
        kind, v = self.peek()
        if kind == "word" and v.upper() in words:
            self.i += 1
            return v.upper()
        return None

    def expect(self, kind, v=None):
        tk, tv = self.peek()
        if tk != kind or (v is not None and tv.upper() != v):
            raise search_error("Syntax error: expected %s." % (v or kind))
        self.i += 1
        return tv

    def query(self):
        if not self.kw("SELECT"):
            raise search_error("Only SELECT statements are supported.")
        top = None
        if self.kw("TOP"):
            top = int(self.expect("num"))
        cols = self.select_list()
        self.expect("word", "FROM")
        table = self.expect("word").lower()
        alias = None
        if self.peek()[0] == "word" and self.peek()[1].upper() not in (
                "WHERE", "ORDER"):
            alias = self.expect("word").lower()
        where = None
        if self.kw("WHERE"):
            where = self.expr()
        order = []
        if self.kw("ORDER"):
            self.expect("word", "BY")
            while True:
                col = self.column()
                desc = self.kw("DESC") == "DESC"
                if not desc:
                    self.kw("ASC")
                order.append((col, desc))
                if self.peek()[0] != "op" or self.peek()[1] != ",":
                    break
                self.i += 1
        if self.i != len(self.t):
            raise search_error("Syntax error near '%s'." % self.peek()[1])
        return {"top": top, "cols": cols, "table": table, "alias": alias,
                "where": where, "order": order}

    def select_list(self):
        if self.peek() == ("op", "*"):
            self.i += 1
            return "*"
        cols = []
        while True:
            if self.kw("COUNT"):
                self.expect("op", "(")
                self.expect("op", "*")
                self.expect("op", ")")
                col = ("count", None)
            else:
                col = self.column()
            name = None
            if self.kw("AS"):
                name = self.expect("word").lower()
            elif self.peek()[0] == "word" and \
                    self.peek()[1].upper() != "FROM":
                name = self.expect("word").lower()
            cols.append((col, name))
            if self.peek() != ("op", ","):
                break
            self.i += 1
        return cols

    def column(self):
        """[alias.]name or BUILTIN.DF([alias.]name)."""
        name = self.expect("word")
        if name.upper() == "BUILTIN" and self.peek() == ("op", "."):
            self.i += 1
            fn = self.expect("word").upper()
            if fn != "DF":
                raise search_error("Unsupported function BUILTIN.%s." % fn)
            self.expect("op", "(")
            inner = self.column()
            self.expect("op", ")")
            return ("df", inner[1])
        if self.peek() == ("op", "."):
            self.i += 1
            name = self.expect("word")
        return ("col", name.lower())

    def expr(self):
        left = self.conj()
        while self.kw("OR"):
            left = ("or", left, self.conj())
        return left

    def conj(self):
        left = self.term()
        while self.kw("AND"):
            left = ("and", left, self.term())
        return left

    def term(self):
        if self.kw("NOT"):
            return ("not", self.term())
        if self.peek() == ("op", "("):
            self.i += 1
            e = self.expr()
            self.expect("op", ")")
            return e
        col = self.column()
        if self.kw("IS"):
            neg = self.kw("NOT") is not None
            self.expect("word", "NULL")
            return ("null", col, neg)
        neg = self.kw("NOT") is not None
        if self.kw("IN"):
            self.expect("op", "(")
            vals = [self.literal()]
            while self.peek() == ("op", ","):
                self.i += 1
                vals.append(self.literal())
            self.expect("op", ")")
            return ("in", col, vals, neg)
        if self.kw("LIKE"):
            pat = self.literal()
            return ("like", col, pat, neg)
        if self.kw("BETWEEN"):
            lo = self.literal()
            self.expect("word", "AND")
            e = ("and", ("cmp", col, ">=", lo), ("cmp", col, "<=",
                                                  self.literal()))
            return ("not", e) if neg else e
        if neg:
            raise search_error("Syntax error after NOT.")
        kind, op = self.peek()
        if kind != "op" or op not in ("=", "<>", "!=", "<", "<=", ">", ">="):
            raise search_error("Comparison operator expected.")
        self.i += 1
        return ("cmp", col, op, self.literal())

    def literal(self):
        kind, v = self.peek()
        if kind == "str":
            self.i += 1
            return v
        if kind == "num":
            self.i += 1
            return D(v)
        if kind == "word" and v.upper() == "TO_DATE":
            self.i += 1
            self.expect("op", "(")
            s = self.expect("str")
            self.expect("op", ",")
            self.expect("str")
            self.expect("op", ")")
            return ("date", s)
        raise search_error("Literal expected.")


def _iso(epoch):
    from .util import iso_date
    return iso_date(epoch)


def tx_row(store, rec):
    f = rec.f
    d = derived(store, rec)
    total = f.get("total", f.get("payment"))
    ent = f.get("entity") or f.get("customer")
    return {
        "id": rec.id, "tranid": f.get("tranId"),
        "externalid": f.get("externalId"),
        "type": SUITEQL_TYPE[rec.type], "recordtype": rec.type.lower(),
        "trandate": ("date", f.get("tranDate")),
        "entity": ("ref", "customer", ent["id"] if ent else None),
        "currency": ("ref", "currency", f["currency"]["id"]
                     if f.get("currency") else None),
        "subsidiary": ("ref", "subsidiary", f["subsidiary"]["id"]
                       if f.get("subsidiary") else None),
        "foreigntotal": abs(total) if total is not None else None,
        "total": (abs(total) * f.get("exchangeRate", D(1))).quantize(
            D("0.01")) if total is not None else None,
        "exchangerate": f.get("exchangeRate"),
        "status": d.get("status") or f.get("orderStatus"),
        "memo": f.get("memo"), "otherrefnum": f.get("otherRefNum"),
        "createdfrom": ("ref", None, f["createdFrom"]["id"]
                        if f.get("createdFrom") else None),
        "createddate": ("date", _iso(rec.created)),
        "lastmodifieddate": ("date", _iso(rec.modified)),
    }


def cust_row(store, rec):
    f = rec.f
    return {
        "id": rec.id, "entityid": f.get("entityId"),
        "externalid": f.get("externalId"),
        "companyname": f.get("companyName"), "email": f.get("email"),
        "firstname": f.get("firstName"), "lastname": f.get("lastName"),
        "subsidiary": ("ref", "subsidiary", f["subsidiary"]["id"]
                       if f.get("subsidiary") else None),
        "currency": ("ref", "currency", f["currency"]["id"]
                     if f.get("currency") else None),
        "isperson": "T" if f.get("isPerson") else "F",
        "datecreated": ("date", _iso(rec.created)),
        "lastmodifieddate": ("date", _iso(rec.modified)),
    }


TABLES = {"transaction": (TX_COLUMNS, tx_row),
          "customer": (CUST_COLUMNS, cust_row)}


def raw(v):
    """Comparable value of a row cell."""
    if isinstance(v, tuple):
        return v[-1]
    return v


def display(store, v):
    if isinstance(v, tuple) and v[0] == "ref":
        if v[2] is None:
            return None
        if v[1] is None:
            rec = store.get(v[2])
            from .store import rec_refname
            return rec_refname(rec) if rec else v[2]
        return store.refname(v[1], v[2])
    return raw(v)


def compare(a, op, b):
    if isinstance(b, tuple):
        b = b[1]
    if a is None:
        return False
    if isinstance(b, D):
        try:
            a = D(str(a))
        except ArithmeticError:
            return False
    else:
        a = str(a)
    return {"=": a == b, "<>": a != b, "!=": a != b, "<": a < b,
            "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def like(value, pattern):
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                 for c in pattern)
    return value is not None and re.fullmatch(rx, str(value), re.S | re.I) \
        is not None


def evaluate(store, row, e, columns):
    k = e[0]
    if k == "and":
        return evaluate(store, row, e[1], columns) and \
            evaluate(store, row, e[2], columns)
    if k == "or":
        return evaluate(store, row, e[1], columns) or \
            evaluate(store, row, e[2], columns)
    if k == "not":
        return not evaluate(store, row, e[1], columns)
    v = cell(store, row, e[1], columns)
    if k == "null":
        return (v is None) == (not e[2])
    if k == "in":
        hit = any(compare(v, "=", x) for x in e[2])
        return hit != e[3]
    if k == "like":
        return like(v, e[2]) != e[3]
    return compare(v, e[2], e[3])


def cell(store, row, col, columns):
    kind, name = col
    v = row.get(name)
    return display(store, v) if kind == "df" else raw(v)


def render_value(sim, name, v):
    cfg = sim.config["suiteql"]
    if v is None:
        return None
    if isinstance(v, tuple) and v[0] == "date":
        return fmt_date(v[1], cfg["date_format"])
    if isinstance(v, D):
        return str(v) if cfg["numbers_as_strings"] else v
    return v


def fmt_date(iso, fmt):
    if iso is None:
        return None
    y, m, d = iso.split("-")
    if fmt == "YYYY-MM-DD":
        return iso
    if fmt == "D/M/YYYY":
        return "%d/%d/%s" % (int(d), int(m), y)
    return "%d/%d/%s" % (int(m), int(d), y)


def run(sim, req):
    cfg = sim.config
    prefer = (req.header("Prefer") or "").lower()
    if "respond-async" in prefer:
        raise NsError(400, "SuiteQL queries cannot run asynchronously.",
                      "SIM_ASYNC_NOT_SUPPORTED")
    if cfg["suiteql"]["require_prefer_transient"] and \
            "transient" not in prefer:
        raise NsError(400, "The Prefer: transient header is required.",
                      "SIM_PREFER_TRANSIENT_REQUIRED")
    try:
        limit = int(req.query.get("limit", cfg["limits"]["page_max"]))
        offset = int(req.query.get("offset", 0))
    except ValueError:
        raise NsError(400, "Invalid paging parameters.", "SIM_INVALID_PAGING")
    if not 1 <= limit <= cfg["limits"]["page_max"] or offset < 0 or \
            (cfg["suiteql"]["offset_multiple_of_limit"] and offset % limit):
        raise NsError(400, "Invalid paging parameters: offset must be a "
                      "multiple of limit.", "SIM_INVALID_PAGING")
    if offset + limit > cfg["limits"]["suiteql_max_rows"]:
        raise user_error("The query exceeds the maximum number of results.")
    q = req.json.get("q")
    if not isinstance(q, str):
        raise search_error("The request body must contain q.")
    ast = Parser(tokenize(q)).query()
    rows = select(sim.store, ast)
    total = len(rows)
    page = rows[offset:offset + limit]
    items = []
    omit = cfg["suiteql"]["omit_nulls"]
    for r in page:
        item = {"links": []}
        for k, v in r.items():
            v = render_value(sim, k, v)
            if v is None and omit:
                continue
            item[k] = v
        items.append(item)
    return {"links": page_links(req.base, req.path, {}, limit, offset,
                                total),
            "count": len(items), "hasMore": offset + limit < total,
            "items": items, "offset": offset, "totalResults": total}


def select(store, ast):
    if ast["table"] not in TABLES:
        raise search_error("Record '%s' was not found." % ast["table"])
    columns, build = TABLES[ast["table"]]
    for name in _column_names(ast):
        if name not in columns:
            raise search_error("Field '%s' for record '%s' was not found."
                               % (name, ast["table"]))
    rtype = "customer" if ast["table"] == "customer" else None
    with store.lock:
        recs = [r for r in store.recs.values()
                if (r.type == "customer") == (rtype == "customer")]
        rows = [build(store, r) for r in recs]
        if ast["where"] is not None:
            rows = [r for r in rows
                    if evaluate(store, r, ast["where"], columns)]
        if ast["order"]:
            for col, desc in reversed(ast["order"]):
                rows.sort(key=lambda r: _sort_key(cell(store, r, col,
                                                       columns)),
                          reverse=desc)
        else:
            rows.sort(key=lambda r: int(r["id"]))
        if ast["top"] is not None:
            rows = rows[:ast["top"]]
        if ast["cols"] != "*" and ast["cols"][0][0][0] == "count":
            return [{ast["cols"][0][1] or "count": D(len(rows))}]
        out = []
        for r in rows:
            if ast["cols"] == "*":
                out.append({k: r.get(k) for k in columns})
                continue
            o = {}
            for col, name in ast["cols"]:
                if col[0] == "count":
                    raise search_error("COUNT(*) cannot be combined with "
                                       "columns.")
                v = cell(store, r, col, columns)
                if col[0] == "col" and isinstance(r.get(col[1]), tuple) \
                        and r[col[1]][0] == "date":
                    v = r[col[1]]
                o[name or col[1]] = v
            out.append(o)
        return out


def _column_names(ast):
    names = []
    if ast["cols"] != "*":
        names += [c[1] for c, _ in ast["cols"] if c[0] != "count"]
    names += [c[1] for c, _ in ast["order"]]

    def walk(e):
        if e is None:
            return
        if e[0] in ("and", "or"):
            walk(e[1])
            walk(e[2])
        elif e[0] == "not":
            walk(e[1])
        else:
            names.append(e[1][1])
    walk(ast["where"])
    return names


def _sort_key(v):
    if v is None:
        return (0, "")
    if isinstance(v, D):
        return (1, v)
    s = str(v)
    if s.isdigit():
        return (1, D(s))
    return (2, s)
