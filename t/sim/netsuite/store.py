"""In-memory record store: reference data, records, indexes, CRUD.

All writes run under one lock: validate the merged record, then commit it
and its index contributions at once, so a request is all-or-nothing.
Amounts that depend on other records (amountRemaining, unapplied, status)
are derived from the indexes when read, never stored.
"""

import copy
import threading

from . import rules
from .normalize import Normalizer
from .schema import (REFERENCE_TYPES, SCHEMAS, SUBLIST_KEY, TRAN_PREFIX,
                     TRANSACTION_TYPES, TYPE_LABEL)
from .util import (D, EXTERNAL_ID_RE, ZERO, id_str, invalid_content,
                   invalid_value, not_found, user_error)


class Rec:
    """One stored record: canonical fields plus bookkeeping."""

    __slots__ = ("type", "id", "f", "created", "modified", "next_line")

    def __init__(self, rtype, rid, fields, now):
        self.type = rtype
        self.id = rid
        self.f = fields
        self.created = now
        self.modified = now
        self.next_line = 1

    @property
    def eid(self):
        return self.f.get("externalId")


class Store:
    def __init__(self, config, seed, clock):
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        self.ref = {t: {} for t in REFERENCE_TYPES}
        self.ref_eid = {}
        for rtype, rows in seed.get("records", {}).items():
            if rtype not in self.ref:
                raise ValueError("seed: unknown reference type " + rtype)
            for row in rows:
                self._add_reference(rtype, row)
        self.recs = {}
        self.by_eid = {}
        self.next_entity = 1001
        self.next_tran = 5001
        self.tran_counter = {}
        self.consumed = {}      # target id -> {source id: amount}
        self.contrib = {}       # source id -> {target id: amount}
        self.deposited_in = {}  # transaction id -> bank deposit id
        self.children = {}      # createdFrom id -> set of ids

    def _add_reference(self, rtype, row):
        row = dict(row)
        row["id"] = str(row["id"])
        self.ref[rtype][row["id"]] = row
        if row.get("externalId"):
            self.ref_eid[(rtype, row["externalId"])] = row["id"]

    # --- lookups ------------------------------------------------------

    def ref_record(self, rtype, rid):
        return self.ref.get(rtype, {}).get(str(rid))

    def refname(self, rtype, rid):
        row = self.ref_record(rtype, rid)
        if row is not None:
            return row.get("name", str(rid))
        rec = self.recs.get(str(rid))
        return rec_refname(rec) if rec else str(rid)

    def resolve(self, field, value, targets, path):
        """A reference body value -> {"id", "_t"}; invalid -> 400."""
        if not isinstance(value, dict):
            raise ValueError("expected a reference object")
        lower = {k.lower(): v for k, v in value.items()}
        rid = lower.get("id")
        eid = lower.get("externalid")
        if rid is None and eid is None:
            raise ValueError("reference without id or externalId")
        if rid is not None:
            rid = id_str(rid)
            if rid is None:
                raise ValueError("reference id must be a string or number")
            found = self._find_by_id(rid, targets)
            if found is None or (eid is not None and
                                 self._eid_of(found, rid) != eid):
                raise invalid_value(rid, field, path)
            return {"id": rid, "_t": found}
        if not isinstance(eid, str) or \
                not self.config["refs"]["accept_external_id"]:
            raise invalid_value(eid, field, path)
        for t in targets:
            hit = self.ref_eid.get((t, eid)) or self.by_eid.get((t, eid))
            if hit is not None:
                return {"id": hit, "_t": t}
        raise invalid_value(eid, field, path)

    def _find_by_id(self, rid, targets):
        for t in targets:
            if t in self.ref:
                row = self.ref[t].get(rid)
                if row is not None and not row.get("isInactive"):
                    return t
            else:
                rec = self.recs.get(rid)
                if rec is not None and rec.type == t:
                    return t
        return None

    def _eid_of(self, rtype, rid):
        if rtype in self.ref:
            return self.ref[rtype][rid].get("externalId")
        return self.recs[rid].eid

    def find(self, rtype, key):
        """Record by internal id or eid:...; 404 / 400 wrong type."""
        if key.startswith("eid:"):
            rid = self.by_eid.get((rtype, key[4:]))
            if rid is None:
                raise not_found()
            return self.recs[rid]
        rec = self.recs.get(key)
        if rec is None:
            raise not_found()
        if rec.type != rtype:
            if rec.type in TRANSACTION_TYPES and rtype in TRANSACTION_TYPES:
                raise user_error("Error while accessing a resource. "
                                 "Transaction type specified is incorrect.")
            raise not_found()
        return rec

    def get(self, rid):
        return self.recs.get(str(rid))

    # --- derived amounts ---------------------------------------------------

    def consumed_total(self, target, exclude=None):
        return sum((a for s, a in self.consumed.get(target, {}).items()
                    if s != exclude), ZERO)

    # --- writes ----------------------------------------------------------

    def create(self, rtype, body, modes, base=None, created_from=None):
        """Validates and commits a new record; returns it.  base holds
        internal fields a transform copied from its source."""
        with self.lock:
            norm = Normalizer(self, modes).body(rtype, body)
            eid = norm.get("externalId")
            self._check_eid(rtype, eid)
            rid = self._peek_id(rtype)
            rec = Rec(rtype, rid, {}, self.clock())
            fields = _number_base(rec, base or {})
            fields = merge(rec, fields, norm, set(), False)
            if created_from is not None:
                fields["createdFrom"] = created_from
            fields = rules.validate(self, rec, fields, True)
            self._commit_new(rec, fields)
            return rec

    def update(self, rec, body, modes, replace, replace_selected):
        with self.lock:
            norm = Normalizer(self, modes).body(rec.type, body)
            eid = norm.get("externalId")
            if "externalId" in norm and eid != rec.eid:
                self._check_eid(rec.type, eid)
            saved = rec.next_line
            fields = merge(rec, copy.deepcopy(rec.f), norm, replace,
                           replace_selected)
            try:
                fields = rules.validate(self, rec, fields, False)
            except Exception:
                rec.next_line = saved
                raise
            self._commit_update(rec, fields)
            return rec

    def delete(self, rec):
        with self.lock:
            if self.consumed.get(rec.id) or rec.id in self.deposited_in \
                    or self.children.get(rec.id):
                raise user_error("This record cannot be deleted because it "
                                 "has dependent records.")
            self._unindex(rec)
            del self.recs[rec.id]
            if rec.eid:
                self.by_eid.pop((rec.type, rec.eid), None)

    def insert_raw(self, rtype, fields):
        """Admin pre-loading: stores fields as given, no validation."""
        with self.lock:
            if rtype in self.ref:
                row = dict(fields)
                row.setdefault("id", str(max(
                    [int(i) for i in self.ref[rtype] if i.isdigit()] or [0])
                    + 1))
                self._add_reference(rtype, row)
                return row["id"]
            rid = str(fields["id"]) if "id" in fields else \
                self._peek_id(rtype)
            rec = Rec(rtype, rid, {}, self.clock())
            f = {k: _raw_value(v) for k, v in fields.items() if k != "id"}
            rules.fill_raw(self, rec, f)
            self._commit_new(rec, f)
            if rtype == "customer":
                self.next_entity = max(self.next_entity, int(rid) + 1)
            else:
                self.next_tran = max(self.next_tran, int(rid) + 1)
            return rid

    def _check_eid(self, rtype, eid):
        if eid is None:
            return
        if not EXTERNAL_ID_RE.match(eid):
            raise invalid_content("Invalid external ID %s." % eid,
                                  "externalId")
        if (rtype, eid) in self.by_eid:
            raise user_error(self.config["dup_message"])

    def _peek_id(self, rtype):
        if rtype == "customer":
            return str(self.next_entity)
        return str(self.next_tran)

    def _commit_new(self, rec, fields):
        if rec.type == "customer":
            self.next_entity = int(rec.id) + 1
        else:
            self.next_tran = int(rec.id) + 1
            if "tranId" not in fields:
                n = self.tran_counter.get(rec.type, 0) + 1
                self.tran_counter[rec.type] = n
                fields["tranId"] = "%s%05d" % (TRAN_PREFIX[rec.type], n)
        rec.f = fields
        self.recs[rec.id] = rec
        if rec.eid:
            self.by_eid[(rec.type, rec.eid)] = rec.id
        self._index(rec)

    def _commit_update(self, rec, fields):
        self._unindex(rec)
        if rec.eid:
            self.by_eid.pop((rec.type, rec.eid), None)
        rec.f = fields
        rec.modified = self.clock()
        if rec.eid:
            self.by_eid[(rec.type, rec.eid)] = rec.id
        self._index(rec)

    def _index(self, rec):
        contrib = rules.contributions(self, rec)
        self.contrib[rec.id] = contrib
        for target, amount in contrib.items():
            self.consumed.setdefault(target, {})[rec.id] = amount
        if rec.type == "deposit":
            for line in rec.f.get("payment", []):
                self.deposited_in[line["id"]] = rec.id
        src = rec.f.get("createdFrom")
        if src:
            self.children.setdefault(src["id"], set()).add(rec.id)

    def _unindex(self, rec):
        for target in self.contrib.pop(rec.id, {}):
            m = self.consumed.get(target, {})
            m.pop(rec.id, None)
            if not m:
                self.consumed.pop(target, None)
        if rec.type == "deposit":
            for line in rec.f.get("payment", []):
                self.deposited_in.pop(line["id"], None)
        src = rec.f.get("createdFrom")
        if src:
            self.children.get(src["id"], set()).discard(rec.id)

    # --- counters --------------------------------------------------------

    def counts(self):
        out = {}
        for rec in self.recs.values():
            out[rec.type] = out.get(rec.type, 0) + 1
        return out


def rec_refname(rec):
    if rec.type == "customer":
        return rec.f.get("entityId", rec.id)
    return "%s #%s" % (TYPE_LABEL[rec.type], rec.f.get("tranId", rec.id))


def _raw_value(v):
    if isinstance(v, float):
        return D(str(v))
    if isinstance(v, int) and not isinstance(v, bool):
        return D(v)
    if isinstance(v, dict):
        if "items" in v and isinstance(v["items"], list):
            return [_raw_value(x) for x in v["items"]]
        return {k: _raw_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_raw_value(x) for x in v]
    return v


def _number_base(rec, base):
    """Line numbers for copied item lines; tax rows follow their lines."""
    line_map = {}
    for line in base.get("item", []):
        line["line"] = rec.next_line
        rec.next_line += 1
        src = line.pop("_srcRef", None)
        if src:
            line_map[src] = line["line"]
    rows = base.pop("_remapTax", None)
    if rows is not None:
        base["taxDetails"] = [
            dict(r, taxDetailsReference="TDR%d-%s" % (
                line_map[r["taxDetailsReference"]], rec.id)
                if r["taxDetailsReference"] in line_map
                else r["taxDetailsReference"])
            for r in rows]
    return base


# --- sublist merge ----------------------------------------------------------

def merge(rec, fields, patch, replace, replace_selected):
    """Applies a normalized body to fields with NetSuite's PATCH rules."""
    schema = SCHEMAS[rec.type]
    for name, v in patch.items():
        kind = schema.get(name)
        if kind is not None and kind[0] == "sub":
            lines = v["_lines"] if v else []
            fields[name] = _merge_lines(rec, name, fields.get(name, []),
                                        lines, name in replace or v is None)
        elif v is None:
            fields.pop(name, None)
        else:
            fields[name] = v
    if replace_selected:
        for name in replace:
            kind = schema.get(name)
            if name not in patch and kind is not None and kind[0] != "sub":
                fields.pop(name, None)
    return fields


def _line_key(sublist, line):
    key = SUBLIST_KEY.get(sublist)
    if key is None or line.get(key) is None:
        return None
    v = line[key]
    if isinstance(v, dict):
        return v.get("id")
    return id_str(v) if key == "id" else v


def _merge_lines(rec, sublist, existing, sent, replace):
    result = [] if replace else [dict(x) for x in existing]
    by_key = {}
    for line in existing:
        k = _line_key(sublist, line)
        if k is not None:
            by_key[k] = line
    for line in sent:
        k = _line_key(sublist, line)
        old = by_key.get(k) if k is not None else None
        if old is not None:
            merged = dict(old)
            merged.update({a: b for a, b in line.items() if b is not None})
            if replace:
                result.append(merged)
            else:
                pos = [_line_key(sublist, x) for x in result].index(k)
                result[pos] = merged
            continue
        new = {a: b for a, b in line.items() if b is not None}
        if sublist == "item":
            new["line"] = rec.next_line
            rec.next_line += 1
        result.append(new)
    return result
