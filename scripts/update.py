"""Compare a pinned upstream spec with its moving "latest" URL and report what changed, as a maintainer reads it.

    python scripts/update.py                          # every upstream API, from each latest_url
    python scripts/update.py --api modrinth --latest-file new.yaml   # compare with a local file instead
    python scripts/update.py --api modrinth --write   # also re-pin the lock to the latest document

The report lists operations added, removed and changed; schemas added and removed; properties that
became required or nullable. Then every patch action is tried on the new document: one whose target
no longer matches is an error naming the action and the reason it was written. The lock
(specs/lock.json) is rewritten only with --write, and never while a patch fails.
Exit status: 0 no change, 1 error (a patch no longer applies, a fetch failed), 3 changes found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _specs import (
    CACHE,
    LOCK,
    Api,
    SpecError,
    _download,
    apis,
    check_patch,
    fetch,
    iter_operations,
    load_document,
    load_lock,
    mirror_from,
    sha256,
)


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node and str(node["$ref"]).startswith("#/"):
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        return target
    return node


def _params(doc: dict[str, Any], path_item: dict[str, Any], op: dict[str, Any]) -> dict[tuple[str, str], Any]:
    out = {}
    for p in list(path_item.get("parameters") or []) + list(op.get("parameters") or []):
        p = _resolve(doc, p)
        out[(p.get("in", "?"), p.get("name", "?"))] = p
    return out


def _operation_changes(old_doc: dict[str, Any], new_doc: dict[str, Any], path: str, method: str) -> list[str]:
    old_item, new_item = old_doc["paths"][path], new_doc["paths"][path]
    old_op, new_op = old_item[method.lower()], new_item[method.lower()]
    notes: list[str] = []
    old_p, new_p = _params(old_doc, old_item, old_op), _params(new_doc, new_item, new_op)
    for key in sorted(new_p.keys() - old_p.keys()):
        req = " (required)" if new_p[key].get("required") else ""
        notes.append(f"parameter added: {key[0]} {key[1]}{req}")
    for key in sorted(old_p.keys() - new_p.keys()):
        notes.append(f"parameter removed: {key[0]} {key[1]}")
    for key in sorted(old_p.keys() & new_p.keys()):
        if bool(old_p[key].get("required")) != bool(new_p[key].get("required")):
            became = "required" if new_p[key].get("required") else "optional"
            notes.append(f"parameter {key[0]} {key[1]} became {became}")
        elif old_p[key] != new_p[key]:
            notes.append(f"parameter {key[0]} {key[1]} changed")
    if old_op.get("requestBody") != new_op.get("requestBody"):
        notes.append("request body changed")
    old_r, new_r = set(old_op.get("responses") or {}), set(new_op.get("responses") or {})
    if old_r != new_r:
        notes.append(f"responses {sorted(map(str, old_r))} -> {sorted(map(str, new_r))}")
    elif old_op.get("responses") != new_op.get("responses"):
        notes.append("response schema changed")
    if old_op.get("security") != new_op.get("security"):
        notes.append("security changed")
    if not notes and old_op != new_op:
        notes.append("description or metadata changed")
    return notes


def _schema_field_changes(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> list[str]:
    out: list[str] = []
    old_s = (old_doc.get("components") or {}).get("schemas") or {}
    new_s = (new_doc.get("components") or {}).get("schemas") or {}
    for name in sorted(old_s.keys() & new_s.keys()):
        old, new = old_s[name] or {}, new_s[name] or {}
        for field in sorted(set(new.get("required") or []) - set(old.get("required") or [])):
            out.append(f"{name}.{field} became required")
        for field in sorted(set(old.get("required") or []) - set(new.get("required") or [])):
            out.append(f"{name}.{field} became optional")
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        for field in sorted(old_props.keys() & new_props.keys()):
            was, now = (
                bool((old_props[field] or {}).get("nullable")),
                bool((new_props[field] or {}).get("nullable")),
            )
            if now and not was:
                out.append(f"{name}.{field} became nullable")
            elif was and not now:
                out.append(f"{name}.{field} is no longer nullable")
        for field in sorted(new_props.keys() - old_props.keys()):
            out.append(f"{name}.{field} added")
        for field in sorted(old_props.keys() - new_props.keys()):
            out.append(f"{name}.{field} removed")
    return out


def report(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> dict[str, list[str]]:
    """The changes between two documents, grouped the way a maintainer reviews them."""
    old_ops = {(m, p): op for m, p, op in iter_operations(old_doc)}
    new_ops = {(m, p): op for m, p, op in iter_operations(new_doc)}

    def label(key: tuple[str, str], op: dict[str, Any]) -> str:
        return f"{key[0]} {key[1]}" + (f" ({op['operationId']})" if op.get("operationId") else "")

    changed = []
    for key in sorted(old_ops.keys() & new_ops.keys()):
        notes = _operation_changes(old_doc, new_doc, key[1], key[0])
        if notes:
            changed.append(f"{label(key, new_ops[key])}: " + "; ".join(notes))
    old_s = set((old_doc.get("components") or {}).get("schemas") or {})
    new_s = set((new_doc.get("components") or {}).get("schemas") or {})
    fields = _schema_field_changes(old_doc, new_doc)
    return {
        "operations added": [label(k, new_ops[k]) for k in sorted(new_ops.keys() - old_ops.keys())],
        "operations removed": [label(k, old_ops[k]) for k in sorted(old_ops.keys() - new_ops.keys())],
        "operations changed": changed,
        "schemas added": sorted(new_s - old_s),
        "schemas removed": sorted(old_s - new_s),
        "fields now required": [f for f in fields if f.endswith("became required")],
        "fields now nullable": [f for f in fields if f.endswith("became nullable")],
        "other field changes": [f for f in fields if not f.endswith(("became required", "became nullable"))],
    }


def print_report(api: Api, changes: dict[str, list[str]], old_version: str, new_version: str) -> None:
    print(f"== {api.name}: pinned {old_version} -> latest {new_version}")
    if not any(changes.values()):
        print("   no change")
        return
    for section, items in changes.items():
        if items:
            print(f"   {section} ({len(items)}):")
            for item in items:
                print(f"     - {item}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", action="append", help="only this API (repeatable)")
    parser.add_argument("--mirror", help="folder holding the pinned documents (else $CRAFTAPIS_SPEC_MIRROR)")
    parser.add_argument(
        "--latest-file", help="read the latest document from this file instead of latest_url (one --api)"
    )
    parser.add_argument("--write", action="store_true", help="re-pin specs/lock.json to the latest document")
    parser.add_argument(
        "--pin-url", help="with --write: the immutable URL of the new document (default: latest_url)"
    )
    parser.add_argument("--lock", default=str(LOCK), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    lock_path = Path(args.lock)
    lock = load_lock(lock_path)
    selected = [a for a in apis(lock, args.api) if a.kind == "upstream"]
    if args.latest_file and len(selected) != 1:
        parser.error("--latest-file needs exactly one --api")
    status = 0
    for api in selected:
        try:
            old_doc = load_document(fetch(api, mirror_from(args.mirror), log=False))
            latest = (
                Path(args.latest_file).read_bytes()
                if args.latest_file
                else _download(api.entry["latest_url"])
            )
            new_doc = load_document(latest)
        except (SpecError, OSError) as exc:
            print(f"error: {api.name}: {exc}", file=sys.stderr)
            status = 1
            continue
        changes = report(old_doc, new_doc)
        print_report(
            api,
            changes,
            str((old_doc.get("info") or {}).get("version")),
            str((new_doc.get("info") or {}).get("version")),
        )
        problems = check_patch(new_doc, api.patch, api.name) if api.patch else []
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        if problems:
            status = 1
        elif any(changes.values()) and status == 0:
            status = 3
        if args.write:
            if problems:
                print(
                    f"error: {api.name}: not re-pinned while a patch does not apply; fix the patch first",
                    file=sys.stderr,
                )
                continue
            entry = lock["apis"][api.name]
            entry["sha256"] = sha256(latest)
            entry["taken"] = dt.date.today().isoformat()
            entry["url"] = args.pin_url or entry["latest_url"]
            if "info_version" in entry:
                entry["info_version"] = str((new_doc.get("info") or {}).get("version"))
            lock_path.write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
            CACHE.mkdir(parents=True, exist_ok=True)
            (CACHE / f"{api.name}.yaml").write_bytes(latest)
            print(
                f"[update] {api.name}: lock re-pinned to sha256 {entry['sha256']}; now run scripts/regenerate.py"
            )
    return status


if __name__ == "__main__":
    sys.exit(main())
