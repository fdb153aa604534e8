#!/usr/bin/env python3
"""Derive the compact OCSF facts table the binary embeds from the compiled OCSF schema.

Keeps facts only (names, types, requirements, enum ids and captions, siblings, profiles,
constraints); no description prose. Usage:
    python3 tools/gen_ocsf_facts.py ../shared/ocsf/ocsf-schema-1.1.0.json > src/ocsf/facts-1.1.0.json
"""
import json
import sys

REQ = {"required": "r", "recommended": "c", "optional": "o"}


def attr(a):
    out = {"t": a["type"]}
    if a.get("object_type"):
        out["o"] = a["object_type"]
    if a.get("is_array"):
        out["a"] = 1
    out["q"] = REQ.get(a.get("requirement") or "optional", "o")
    if a.get("enum"):
        out["e"] = {k: v.get("caption", "") for k, v in a["enum"].items()}
    if a.get("sibling"):
        out["s"] = a["sibling"]
    if a.get("profiles"):
        out["p"] = a["profiles"]
    if a.get("@deprecated"):
        out["d"] = 1
    return out


def constraints(c):
    c = c or {}
    return {k: c[k] for k in ("at_least_one", "just_one") if c.get(k)}


def main(path):
    s = json.load(open(path))
    types = {}
    for name, t in s["dictionary"]["types"]["attributes"].items():
        e = {}
        if t.get("type"):
            e["base"] = t["type"]
        if t.get("range"):
            e["range"] = t["range"]
        if t.get("max_len"):
            e["max_len"] = t["max_len"]
        types[name] = e
    classes = {}
    for name, c in sorted(s["classes"].items()):
        classes[name] = {
            "uid": c["uid"],
            "caption": c["caption"],
            "category_uid": c.get("category_uid", 0),
            "category_name": c.get("category_name", ""),
            "profiles": c.get("profiles", []),
            "constraints": constraints(c.get("constraints")),
            "attributes": {k: attr(v) for k, v in c["attributes"].items()},
        }
    objects = {}
    for name, o in sorted(s["objects"].items()):
        objects[name] = {
            "caption": o["caption"],
            "constraints": constraints(o.get("constraints")),
            "attributes": {k: attr(v) for k, v in o["attributes"].items()},
        }
    cats = {k: {"uid": v["uid"], "caption": v["caption"]} for k, v in s["categories"]["attributes"].items()}
    out = {
        "version": s["version"],
        "types": types,
        "categories": cats,
        "profiles": sorted(s["profiles"].keys()),
        "classes": classes,
        "objects": objects,
    }
    json.dump(out, sys.stdout, separators=(",", ":"), sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/ocsf/ocsf-schema-1.1.0.json")
