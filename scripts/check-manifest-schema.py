#!/usr/bin/env python3
"""Checks the manifest JSON Schema against the examples with a real JSON Schema validator.

Every valid example must pass schemas/cogram-manifest.v1.schema.json; every invalid example must be rejected,
either because it is not YAML a parser accepts or by the schema, except those listed in
examples/invalid/schema-cannot-express.txt (rules that need more than one file, or that YAML parsers
silently accept, such as duplicate keys). YAML is read with YAML 1.2 core-schema typing, as cogramctl does:
`no` is a string, not a boolean.
"""
import json
import pathlib
import re
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


class CoreLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema implicit types instead of YAML 1.1's."""


CoreLoader.yaml_implicit_resolvers = {}
CoreLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
CoreLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
CoreLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
CoreLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])


def load(path):
    with open(path, "rb") as f:
        return yaml.load(f, Loader=CoreLoader)


def main():
    schema = json.loads((ROOT / "schemas/cogram-manifest.v1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    failures = 0
    checked = 0

    # Every example directory except the invalid ones and the CI samples holds valid manifests.
    valid = [p for d in sorted((ROOT / "examples").iterdir()) if d.is_dir() and d.name not in ("invalid", "ci")
             for p in sorted(d.rglob("*.yaml"))]
    for path in valid:
        checked += 1
        errors = list(validator.iter_errors(load(path)))
        if errors:
            failures += 1
            for e in errors:
                print(f"FAIL {path.relative_to(ROOT)}: valid example rejected by the schema: {e.message} at {list(e.absolute_path)}")
        else:
            print(f"ok   {path.relative_to(ROOT)}: valid")

    invalid_dir = ROOT / "examples/invalid"
    skip = {}
    for line in (invalid_dir / "schema-cannot-express.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(":")
            skip[name.strip()] = reason.strip()
    for path in sorted(invalid_dir.rglob("*.yaml")):
        rel = path.relative_to(invalid_dir)
        entry = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        if entry in skip:
            print(f"skip {path.relative_to(ROOT)}: {skip[entry]}")
            continue
        checked += 1
        try:
            document = load(path)
        except yaml.YAMLError as e:
            print(f"ok   {path.relative_to(ROOT)}: rejected by the YAML parser ({str(e).splitlines()[0]})")
            continue
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            print(f"ok   {path.relative_to(ROOT)}: rejected while reading ({type(e).__name__})")
            continue
        try:
            errors = list(validator.iter_errors(document))
        except RecursionError:
            print(f"ok   {path.relative_to(ROOT)}: rejected (too deep for the validator)")
            continue
        if errors:
            print(f"ok   {path.relative_to(ROOT)}: rejected by the schema ({errors[0].message[:80]})")
        else:
            failures += 1
            print(f"FAIL {path.relative_to(ROOT)}: invalid example accepted by the schema")
    print(f"schema check: {checked} files checked, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
