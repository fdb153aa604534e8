#!/usr/bin/env python3
"""Independent OCSF 1.1.0 conformance check of a lake folder written by ocsf-transform.

Reads every Parquet object under LAKE with pyarrow (and cross-checks row counts with DuckDB's
hive-partitioned reader), and validates every row against the compiled OCSF schema JSON:
attribute names, types, enums, requirements (with profiles), object constraints, derived
values (type_uid, captions, metadata.version), one class per object, and the partition values.

Usage: ocsf_check.py --schema ../shared/ocsf/ocsf-schema-1.1.0.json LAKE [--min-rows N] [--json]
Exit status 1 when any error is found.
"""
import argparse
import ipaddress
import json
import os
import sys

import pyarrow.parquet as pq

INT32 = (-(2**31), 2**31 - 1)


def one_value_per_row(table, path):
    """Whether the leaf column at dotted `path` (through structs only) holds the same value in
    every row of `table`, never null (a null struct above it makes it null)."""
    parts = path.split(".")
    arr = table.column(parts[0]).combine_chunks()
    for p in parts[1:]:
        arr = arr.flatten()[arr.type.get_field_index(p)]
    return arr.null_count == 0 and len(arr.unique()) == 1


def utc_day(ms):
    """The UTC day of an epoch-millisecond time as YYYYMMDD, for any year 0000-9999 (Python's
    datetime starts at year 1, and strftime leaves years before 1000 unpadded on some platforms)."""
    z = ms // 86_400_000 + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    return f"{y:04d}{m:02d}{d:02d}"


def has(obj, dotted):
    """Whether a constraint member is present; Patch State names one as `device.os.sp_name`."""
    for name in dotted.split("."):
        if not isinstance(obj, dict) or obj.get(name) is None:
            return False
        obj = obj[name]
    return True


class Checker:
    def __init__(self, schema):
        self.s = schema
        self.classes_by_uid = {c["uid"]: (n, c) for n, c in schema["classes"].items()}
        self.types = schema["dictionary"]["types"]["attributes"]
        self.profiles = set(schema["profiles"].keys())
        self.errors = []

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def base(self, t):
        seen = 0
        while t in self.types and self.types[t].get("type") and seen < 5:
            if t in ("integer_t", "long_t", "float_t", "boolean_t", "string_t", "timestamp_t", "json_t", "object_t"):
                return t
            t = self.types[t]["type"]
            seen += 1
        return t

    def check_scalar(self, where, attr, v):
        t = attr["type"]
        b = self.base(t)
        if b == "boolean_t":
            ok = isinstance(v, bool)
        elif b == "integer_t":
            ok = isinstance(v, int) and not isinstance(v, bool) and INT32[0] <= v <= INT32[1]
        elif b in ("long_t", "timestamp_t"):
            ok = isinstance(v, int) and not isinstance(v, bool)
        elif b == "float_t":
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        elif b in ("string_t", "json_t"):
            ok = isinstance(v, str)
        else:
            ok = False
        if not ok:
            return self.err(where, f"{v!r} is not a valid {t}")
        rng = self.types.get(t, {}).get("range")
        if rng and not (rng[0] <= v <= rng[1]):
            self.err(where, f"{v} outside {t} range {rng}")
        if t == "ip_t":
            try:
                ipaddress.ip_address(v)
            except ValueError:
                self.err(where, f"{v!r} is not an IP address")
        if "enum" in attr and str(v) not in attr["enum"]:
            self.err(where, f"{v} is not a defined enum value")

    def check_object(self, where, attrs, constraints, obj, profiles, object_name):
        if not isinstance(obj, dict):
            return self.err(where, f"expected an object, got {type(obj).__name__}")
        present = {k for k, v in obj.items() if v is not None}
        for k in present:
            if k not in attrs:
                self.err(where, f"unknown attribute `{k}` of {object_name}")
        for k, a in attrs.items():
            in_profile = not a.get("profiles") or any(p in profiles for p in a["profiles"])
            if a.get("requirement") == "required" and in_profile and k not in present:
                self.err(where, f"required `{k}` of {object_name} is missing")
            if k in present and a.get("profiles") and not in_profile and a["profiles"] != ["datetime"]:
                self.err(where, f"`{k}` needs profile {a['profiles']} in metadata.profiles")
            if k in present:
                self.check_value(f"{where}.{k}", a, obj[k], profiles)
            sib = a.get("sibling")
            if k in present and "enum" in a and sib and obj.get(sib) is not None and obj[k] != 99:
                cap = a["enum"].get(str(obj[k]), {}).get("caption")
                if cap is not None and obj[sib] != cap:
                    self.err(where, f"`{sib}` is {obj[sib]!r} but `{k}` {obj[k]} is {cap!r}")
        c = constraints or {}
        if c.get("at_least_one") and not any(has(obj, k) for k in c["at_least_one"]):
            self.err(where, f"{object_name} needs at least one of {c['at_least_one']}")
        if c.get("just_one") and sum(has(obj, k) for k in c["just_one"]) != 1:
            self.err(where, f"{object_name} needs exactly one of {c['just_one']}")

    def check_value(self, where, attr, v, profiles):
        if attr.get("is_array"):
            if not isinstance(v, list):
                return self.err(where, "expected an array")
            if not v:
                self.err(where, "empty array (absent values must be null)")
            for i, item in enumerate(v):
                self.check_one(f"{where}[{i}]", attr, item, profiles)
        else:
            self.check_one(where, attr, v, profiles)

    def check_one(self, where, attr, v, profiles):
        if attr["type"] == "object_t":
            ot = attr.get("object_type")
            if ot == "object":
                if not isinstance(v, (list, dict)):
                    self.err(where, "expected a map/object")
                elif len(v) == 0:
                    self.err(where, "empty map (absent values must be null)")
                return
            o = self.s["objects"][ot]
            if isinstance(v, dict) and all(x is None for x in v.values()):
                return self.err(where, f"empty {ot} object (must be null)")
            self.check_object(where, o["attributes"], o.get("constraints"), v, profiles, ot)
        else:
            self.check_scalar(where, attr, v)

    def check_row(self, where, row, expect_class=None):
        uid = row.get("class_uid")
        if uid not in self.classes_by_uid:
            return self.err(where, f"unknown class_uid {uid}")
        name, cls = self.classes_by_uid[uid]
        if expect_class and name != expect_class:
            self.err(where, f"class {name} in the folder of class {expect_class}")
        meta = row.get("metadata") or {}
        profiles = set(meta.get("profiles") or [])
        for p in profiles:
            if p not in self.profiles:
                self.err(where, f"metadata.profiles has unknown profile {p!r}")
            elif p not in cls["profiles"]:
                self.err(where, f"class {name} does not accept profile {p!r}")
        if meta.get("version") != self.s["version"]:
            self.err(where, f"metadata.version {meta.get('version')!r} is not {self.s['version']}")
        self.check_object(where, cls["attributes"], cls.get("constraints"), row, profiles, name)
        act = row.get("activity_id")
        if row.get("type_uid") != uid * 100 + (act or 0):
            self.err(where, f"type_uid {row.get('type_uid')} != class_uid*100+activity_id")
        if row.get("category_uid") != cls["category_uid"]:
            self.err(where, f"category_uid {row.get('category_uid')} is not {cls['category_uid']}")
        return name


def rows_of(table):
    cols = table.column_names
    data = table.to_pylist()
    for r in data:
        for k, v in list(r.items()):
            r[k] = normalize(v)
        yield r


def normalize(v):
    if isinstance(v, dict):
        return {k: normalize(x) for k, x in v.items()}
    if isinstance(v, list):
        if v and all(isinstance(x, tuple) and len(x) == 2 for x in v):
            return {k: x for k, x in v}
        return [normalize(x) for x in v]
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lake")
    ap.add_argument("--schema", required=True)
    ap.add_argument("--min-rows", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print a JSON summary")
    args = ap.parse_args()
    schema = json.load(open(args.schema))
    ck = Checker(schema)
    files = []
    for d, _, fs in os.walk(args.lake):
        for f in fs:
            if f.endswith(".parquet"):
                files.append(os.path.join(d, f))
    files.sort()
    per_class = {}
    schemas = {}
    total = 0
    for path in files:
        rel = os.path.relpath(path, args.lake)
        parts = rel.split(os.sep)
        part = dict(p.split("=", 1) for p in parts if "=" in p)
        folder_class = None
        for i, p in enumerate(parts):
            if p.startswith("region="):
                folder_class = parts[i - 1] if i > 0 else None
                break
        for key in ("region", "accountId", "eventDay"):
            if key not in part:
                ck.err(rel, f"missing hive partition {key}=")
        pf = pq.ParquetFile(path)
        md = pf.metadata
        # One fixed schema per (source, class): every object under a class's location has the
        # schema of the first one seen there.
        location = os.sep.join(parts[: len(parts) - 4])
        first = schemas.setdefault(location, (rel, md.schema))
        if not md.schema.equals(first[1]):
            ck.err(rel, f"schema differs from that of {first[0]}")
        # Standard 3-level lists (`<name>.list.element`) and maps (`<name>.key_value.key`):
        # each repetition level of a leaf is one of them, never a legacy 2-level form.
        for c in range(md.num_columns):
            col = md.schema.column(c)
            parts = col.path.split(".")
            levels = sum(
                1
                for i, p in enumerate(parts[:-1])
                if (p == "list" and parts[i + 1] == "element")
                or (p == "key_value" and parts[i + 1] in ("key", "value"))
            )
            if levels != col.max_repetition_level:
                ck.err(rel, f"column {col.path}: not a standard 3-level list or map")
        for rg in range(md.num_row_groups):
            rows_of_group = None  # read once, when a plain chunk is to be verified
            for c in range(md.num_columns):
                chunk = md.row_group(rg).column(c)
                comp = chunk.compression
                # A chunk that holds only nulls has nothing to compress and may be stored plain.
                stats = chunk.statistics
                only_nulls = (
                    stats is not None
                    and stats.has_null_count
                    and stats.null_count == chunk.num_values
                )
                # So may a chunk outside lists and maps that holds one value in every row: a
                # dictionary of that value and one run of indices, too small for zstd.
                plain_ok = comp == "UNCOMPRESSED" and only_nulls
                if comp == "UNCOMPRESSED" and not only_nulls and md.schema.column(c).max_repetition_level == 0:
                    if rows_of_group is None:
                        rows_of_group = pf.read_row_group(rg)
                    plain_ok = one_value_per_row(rows_of_group, chunk.path_in_schema)
                if comp != "ZSTD" and not plain_ok:
                    ck.err(rel, f"column chunk {chunk.path_in_schema} compressed with {comp}, not ZSTD")
                    break
        table = pf.read()
        classes = set()
        last_time = None
        for i, row in enumerate(rows_of(table)):
            where = f"{rel}#{i}"
            name = ck.check_row(where, row, expect_class=folder_class)
            classes.add(name)
            t = row.get("time")
            if isinstance(t, int):
                day = utc_day(t)
                if part.get("eventDay") != day:
                    ck.err(where, f"eventDay={part.get('eventDay')} but time is on {day}")
                if last_time is not None and t < last_time:
                    ck.err(where, "rows are not sorted by time")
                last_time = t
        if len(classes) > 1:
            ck.err(rel, f"object holds several classes: {sorted(classes)}")
        for c in classes:
            per_class[c] = per_class.get(c, 0) + table.num_rows
        total += table.num_rows
    # Cross-check with DuckDB's own Parquet and hive-partition reader.
    distinct_uids = 0
    try:
        import duckdb

        if files:
            con = duckdb.connect()
            glob = os.path.join(args.lake, "**", "*.parquet")
            n = con.execute(
                "select count(*) from read_parquet(?, hive_partitioning = true, union_by_name = true, "
                "hive_types = {'accountId': 'VARCHAR', 'eventDay': 'VARCHAR', 'region': 'VARCHAR'})",
                [glob],
            ).fetchone()[0]
            if n != total:
                ck.err(args.lake, f"DuckDB reads {n} rows, pyarrow {total}")
            distinct_uids = con.execute(
                "select count(distinct metadata.uid) from read_parquet(?, union_by_name = true)",
                [glob],
            ).fetchone()[0]
    except ImportError:
        ck.err(args.lake, "duckdb is not installed")
    if total < args.min_rows:
        ck.err(args.lake, f"only {total} rows (expected at least {args.min_rows})")
    summary = {"files": len(files), "rows": total, "rows_per_class": per_class, "errors": len(ck.errors)}
    if files:
        summary["distinct_uids"] = distinct_uids
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"checked {len(files)} objects, {total} rows: {len(ck.errors)} OCSF errors")
    for e in ck.errors[:50]:
        print("  " + e, file=sys.stderr)
    return 1 if ck.errors else 0


if __name__ == "__main__":
    sys.exit(main())
