"""Records to REST JSON (simulator spec section 5): references with links
and refName, enums as objects, sublists as links unless expanded."""

from .rules import derived
from .schema import LINES, REFERENCE_TYPES, SCHEMAS, STATUS_NAMES
from .store import rec_refname
from .util import iso_time

RECORD = "/services/rest/record/v1/"


def link(base, path):
    return [{"rel": "self", "href": base + RECORD + path}]


class Renderer:
    def __init__(self, store, base, expand=False, simple_enum=False,
                 fields=None):
        self.store = store
        self.base = base
        self.expand = expand
        self.simple_enum = simple_enum
        self.fields = fields

    def ref(self, v):
        t = v.get("_t") or "record"
        return {"links": link(self.base, "%s/%s" % (t, v["id"])),
                "id": v["id"], "refName": self.store.refname(t, v["id"])}

    def enum(self, eid, names=None):
        if self.simple_enum:
            return eid
        return {"id": eid, "refName": (names or {}).get(eid, eid)}

    def record(self, rec):
        out = {"links": link(self.base, "%s/%s" % (rec.type, rec.id)),
               "id": rec.id, "refName": rec_refname(rec),
               "createdDate": iso_time(rec.created),
               "lastModifiedDate": iso_time(rec.modified)}
        schema = SCHEMAS[rec.type]
        for k, v in rec.f.items():
            kind = schema.get(k)
            if self.fields is not None and k not in self.fields:
                continue
            out[k] = self.value(rec, k, kind, v)
        for k, v in derived(self.store, rec).items():
            if k == "status":
                v = self.enum(v, STATUS_NAMES.get(rec.type))
            out[k] = v
        if rec.type == "salesOrder" and "orderStatus" in out:
            out["orderStatus"] = self.enum(rec.f["orderStatus"],
                                           STATUS_NAMES["salesOrder"])
        if self.fields is not None:
            keep = set(self.fields) | {"links", "id"}
            out = {k: v for k, v in out.items() if k in keep}
        return dict(sorted(out.items(),
                           key=lambda kv: (kv[0] != "links", kv[0])))

    def value(self, rec, name, kind, v):
        if isinstance(v, dict) and "_t" in v:
            return self.ref(v)
        if kind is None:
            return v
        if kind[0] == "ref" and isinstance(v, dict):
            return self.ref(v)
        if kind[0] == "enum":
            return self.enum(v)
        if kind[0] == "sub":
            return self.sublist(rec, name, v)
        return v

    def sublist(self, rec, name, lines):
        links = link(self.base, "%s/%s/%s" % (rec.type, rec.id, name))
        if not self.expand:
            return {"links": links}
        items = [self.line(rec, name, i, ln) for i, ln in enumerate(lines)]
        return {"links": links, "count": len(items), "hasMore": False,
                "items": items, "offset": 0, "totalResults": len(items)}

    def line(self, rec, name, index, ln):
        schema = LINES[name]
        out = {}
        if name == "item":
            out["links"] = link(self.base, "%s/%s/item/%d"
                                % (rec.type, rec.id, ln["line"]))
        else:
            out["links"] = []
        for k, v in ln.items():
            if k.startswith("_"):
                continue
            kind = schema.get(k)
            if k == "taxDetailsReference" and name == "taxDetails":
                out[k] = {"id": v, "refName": v}
            elif k == "doc" and isinstance(v, dict):
                out[k] = self.ref(v)
            elif k == "type" and name == "payment":
                out[k] = self.enum(v)
            else:
                out[k] = self.value(rec, k, kind, v)
        if name == "item" and rec.type == "salesOrder":
            from .rules import billed_quantities
            billed = billed_quantities(self.store, rec)
            shipped = billed_quantities(self.store, rec,
                                        ("itemFulfillment",))
            out["quantityBilled"] = billed.get(ln["line"], 0)
            out["quantityFulfilled"] = shipped.get(ln["line"], 0)
        return dict(sorted(out.items(),
                           key=lambda kv: (kv[0] != "links", kv[0])))

    def reference(self, rtype, row):
        out = {"links": link(self.base, "%s/%s" % (rtype, row["id"])),
               "refName": row.get("name", row["id"])}
        for k, v in row.items():
            if k in ("subsidiaries",):
                out[k] = {"items": [
                    self.ref({"id": str(s), "_t": "subsidiary"})
                    for s in v]}
            elif k in ("currency",) and rtype in ("subsidiary", "account"):
                out[k] = self.ref({"id": str(v), "_t": "currency"})
            else:
                out[k] = v
        return out


def is_reference_type(rtype):
    return rtype in REFERENCE_TYPES
