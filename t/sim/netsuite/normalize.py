"""Request bodies to the internal record form.

Property names are matched case-insensitively against the schema, values
are type-checked per X-NetSuite-PropertyValueValidation, unknown names are
handled per X-NetSuite-PropertyNameValidation, and references are resolved
to {"id": ..., "_t": <type>} (so sublist keys and compatibility checks can
work on resolved ids).  JSON null clears a field.
"""

from .schema import (CUSTOM_PREFIXES, LINES, READ_ONLY, READ_ONLY_LINE,
                     SCHEMAS, field_index)
from .util import (D, NsError, invalid_content, valid_date)

_INDEXES = {}


def _index(name, fields):
    idx = _INDEXES.get(name)
    if idx is None:
        idx = _INDEXES[name] = field_index(fields)
    return idx


class Modes:
    """Validation headers of one request, plus the warnings it produced."""

    def __init__(self, names="Warning", values="Error"):
        self.names = _mode(names, "Warning")
        self.values = _mode(values, "Error")
        self.warnings = []


def _mode(value, default):
    for m in ("Error", "Warning", "Ignore"):
        if value and value.strip().lower() == m.lower():
            return m
    return default


def _is_number(v):
    return isinstance(v, D)


def _check_value(kind, v):
    """The stored form of v, or raise ValueError with a reason."""
    k = kind[0]
    if k == "str":
        if isinstance(v, str):
            return v
        raise ValueError("expected a string")
    if k in ("num", "money"):
        if _is_number(v):
            return v
        raise ValueError("expected a number")
    if k == "int":
        if _is_number(v) and v == v.to_integral_value():
            return int(v)
        raise ValueError("expected an integer")
    if k == "bool":
        if isinstance(v, bool):
            return v
        raise ValueError("expected a boolean")
    if k == "date":
        if valid_date(v):
            return v
        raise ValueError("expected a date YYYY-MM-DD")
    if k == "enum":
        eid = v.get("id") if isinstance(v, dict) else v
        if isinstance(eid, str) and eid in kind[1]:
            return eid
        raise ValueError("invalid enumeration value")
    if k == "obj":
        return v
    raise ValueError("unsupported field")


class Normalizer:
    """Turns one body into internal form; needs the store to resolve refs."""

    def __init__(self, store, modes):
        self.store = store
        self.modes = modes

    def body(self, rtype, body):
        return self._fields(rtype, SCHEMAS[rtype], READ_ONLY, body, "")

    def _fields(self, name, schema, read_only, body, prefix):
        idx = _index(name, schema)
        out = {}
        for key, v in body.items():
            canon = idx.get(key.lower())
            path = prefix + (canon or key)
            if canon is None:
                if key.lower().startswith(CUSTOM_PREFIXES):
                    out[key] = v
                    continue
                if key.lower() in _lower(read_only):
                    continue
                self._unknown(key, path)
                continue
            if canon in read_only:
                continue
            if v is None:
                out[canon] = None
                continue
            kind = schema[canon]
            try:
                out[canon] = self._value(canon, kind, v, path)
            except ValueError as e:
                if self.modes.values == "Error":
                    raise invalid_content(
                        "Invalid value for the field %s: %s." % (path, e),
                        path)
                if self.modes.values == "Warning":
                    self.modes.warnings.append(
                        "dropped %s: %s" % (path, e))
        return out

    def _unknown(self, key, path):
        if self.modes.names == "Error":
            raise invalid_content("Unrecognized property: %s." % key, path)
        if self.modes.names == "Warning":
            self.modes.warnings.append("Unrecognized property: %s." % key)

    def _value(self, name, kind, v, path):
        if kind[0] == "ref":
            return self.store.resolve(name, v, kind[1], path)
        if kind[0] == "sub":
            return self._sublist(kind[1], v, path)
        return _check_value(kind, v)

    def _sublist(self, lname, v, path):
        if not isinstance(v, dict):
            raise ValueError("expected a sublist object with items")
        items = v.get("items", [])
        if not isinstance(items, list):
            raise ValueError("expected items to be an array")
        limit = self.store.config["limits"]["max_lines"]
        if len(items) > limit:
            raise NsError(400, "Too many lines in sublist %s." % lname,
                          "USER_ERROR", path)
        lines = []
        for i, line in enumerate(items):
            lp = "%s.items[%d]" % (path, i)
            if not isinstance(line, dict):
                raise ValueError("expected an object in items")
            read_only = READ_ONLY_LINE - {"taxDetailsReference"} \
                if lname == "taxDetails" else READ_ONLY_LINE
            lines.append(self._fields("line:" + lname, LINES[lname],
                                      read_only, line, lp + "."))
            lines[-1]["_path"] = lp
        return {"_lines": lines}


def _lower(names):
    return {n.lower() for n in names}
