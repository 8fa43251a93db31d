#!/usr/bin/env python3
"""Reads a `cogramctl drift --metrics` file with Prometheus' own Python parser and checks what node_exporter's
textfile collector and the alerts in docs/drift.md rely on.

usage: check-metrics.py FILE [--organization NAME] [--success 0|1]

Checks: the file parses; the four families exist as gauges with HELP text; every sample carries the
`organization` label (and `kind` where the family has kinds); a finished check has one series per drift kind
and per unmanaged kind, zeros included, with whole non-negative counts; a failed check has success 0, the
timestamp and no counts; the timestamp is within a day of now. Exit 0 when everything holds, 1 with the
problems listed otherwise.
"""
import argparse
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

DRIFT_KINDS = {"project_field", "project_missing", "project_unlisted", "member_added", "member_removed",
               "member_role", "user_role"}
UNMANAGED_KINDS = {"projects_without_external_id", "users_in_no_manifest", "memberships_unmanaged"}
FAMILIES = {
    "cogram_drift_objects": {"organization", "kind"},
    "cogram_unmanaged_objects": {"organization", "kind"},
    "cogram_drift_check_success": {"organization"},
    "cogram_drift_check_timestamp_seconds": {"organization"},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--organization", help="the organization label every series must carry")
    parser.add_argument("--success", type=int, choices=[0, 1], help="the expected cogram_drift_check_success")
    args = parser.parse_args()

    with open(args.file, encoding="utf-8") as f:
        text = f.read()
    problems = []
    try:
        families = {family.name: family for family in text_string_to_metric_families(text)}
    except ValueError as error:
        print(f"{args.file}: not Prometheus text exposition: {error}", file=sys.stderr)
        return 1

    for name in ("cogram_drift_check_success", "cogram_drift_check_timestamp_seconds"):
        if name not in families:
            problems.append(f"no family {name}")
    success = families.get("cogram_drift_check_success")
    organizations = {sample.labels.get("organization") for sample in (success.samples if success else [])}
    if args.organization is not None and organizations != {args.organization}:
        problems.append(f"organizations {sorted(map(str, organizations))}, expected [{args.organization!r}]")

    for name, labels in FAMILIES.items():
        found = families.get(name)
        if found is None:
            continue
        if found.type != "gauge":
            problems.append(f"{name} is a {found.type}, not a gauge")
        if not found.documentation:
            problems.append(f"{name} has no HELP text")
        for sample in found.samples:
            if set(sample.labels) != labels:
                problems.append(f"{name}: labels {sorted(sample.labels)}, expected {sorted(labels)}")

    for sample in success.samples if success else []:
        organization = sample.labels.get("organization")
        if sample.value not in (0, 1):
            problems.append(f"cogram_drift_check_success {{organization={organization!r}}} is {sample.value}")
        if args.success is not None and sample.value != args.success:
            problems.append(f"cogram_drift_check_success {{organization={organization!r}}} is {sample.value:g}, expected {args.success}")
        counts = {
            name: {s.labels.get("kind"): s.value for s in families[name].samples if s.labels.get("organization") == organization}
            if name in families else {}
            for name in ("cogram_drift_objects", "cogram_unmanaged_objects")
        }
        if sample.value == 1:
            for name, kinds in (("cogram_drift_objects", DRIFT_KINDS), ("cogram_unmanaged_objects", UNMANAGED_KINDS)):
                if set(counts[name]) != kinds:
                    problems.append(f"{name} {{organization={organization!r}}}: kinds {sorted(counts[name])}, expected {sorted(kinds)}")
                for kind, value in counts[name].items():
                    if value < 0 or value != int(value):
                        problems.append(f"{name} {{organization={organization!r}, kind={kind!r}}} is {value}, not a count")
        elif any(counts.values()):
            problems.append(f"a failed check of {organization!r} still has counts")

    timestamp = families.get("cogram_drift_check_timestamp_seconds")
    stamped = {s.labels.get("organization"): s.value for s in (timestamp.samples if timestamp else [])}
    if set(stamped) != organizations:
        problems.append(f"timestamps for {sorted(map(str, stamped))}, checks for {sorted(map(str, organizations))}")
    for organization, value in stamped.items():
        if abs(value - time.time()) > 86400:
            problems.append(f"cogram_drift_check_timestamp_seconds {{organization={organization!r}}} is {value:.0f}, not today")

    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        return 1
    print(f"{args.file}: {len(families)} families, organizations {sorted(map(str, organizations))}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
