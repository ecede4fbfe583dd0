"""Strict check of Kubernetes manifests against the official Kubernetes
Python client's models (pip `kubernetes`): every field must be one the API
knows, every value of the type the API expects. kubectl's own client-side
validation needs the API server's OpenAPI document, which the recorded API
used in tests does not serve; the official client's models are generated
from that same document.
  usage: python validate-k8s.py FILE...   (exit 1 naming every bad field)"""
import sys

import kubernetes.client as k
import yaml

SCALARS = {"str": str, "int": int, "bool": bool, "float": (int, float), "datetime": str, "date": str}


def model_for(api_version, kind):
    version = api_version.rpartition("/")[2]
    return getattr(k, f"{version.capitalize()}{kind}", None)


def check(value, typ, path, errors):
    if value is None:
        return
    if typ.startswith(("list[", "List[")):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, v in enumerate(value):
            check(v, typ[5:-1], f"{path}[{i}]", errors)
    elif typ.startswith(("dict(", "Dict[")):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        inner = typ[typ.index(",") + 1 : -1].strip()
        for key, v in value.items():
            check(v, inner, f"{path}.{key}", errors)
    elif typ == "object":
        return
    elif typ in SCALARS:
        ok = isinstance(value, SCALARS[typ]) and not (typ != "bool" and isinstance(value, bool))
        if not ok:
            errors.append(f"{path}: expected {typ}, got {type(value).__name__} {value!r}")
    else:
        model = getattr(k, typ, None)
        if model is None:
            errors.append(f"{path}: unknown type {typ}")
            return
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a {typ} object, got {type(value).__name__}")
            return
        by_key = {json: attr for attr, json in model.attribute_map.items()}
        for key, v in value.items():
            attr = by_key.get(key)
            if attr is None:
                errors.append(f"{path}.{key}: not a field of {typ}")
            else:
                check(v, model.openapi_types[attr], f"{path}.{key}", errors)


def main(paths):
    errors, seen = [], 0
    for p in paths:
        with open(p) as f:
            for i, doc in enumerate(yaml.safe_load_all(f)):
                if not doc:
                    continue
                seen += 1
                model = model_for(doc.get("apiVersion", ""), doc.get("kind", ""))
                where = f"{p}#{i} {doc.get('kind')}"
                if model is None:
                    errors.append(f"{where}: unknown apiVersion/kind {doc.get('apiVersion')}/{doc.get('kind')}")
                    continue
                check(doc, model.__name__, where, errors)
    for e in errors:
        print(e, file=sys.stderr)
    print(f"validate-k8s: {seen} objects, {len(errors)} problems", file=sys.stderr)
    return 1 if errors or not seen else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
