"""Take a new upstream spec: report what changed (effectively), audit the patches, prove the candidate, re-pin.

    python scripts/update.py                                   # every upstream API, against its latest_url
    python scripts/update.py --api modrinth --latest-file new.yaml   # compare the pinned spec with a file
    python scripts/update.py --api modrinth --base-file a.yaml --latest-file b.yaml --no-proof  # any two
    python scripts/update.py --api modrinth --latest-file new.yaml --json     # the same, machine-readable
    python scripts/update.py --api modrinth --latest-file new.yaml --write --pin-url URL [--latest-url URL]

1. The report compares *effective* schemas (`$ref` resolved, `allOf` merged, nested objects, arrays,
   `additionalProperties` walked; see scripts/_diff.py) per schema and per operation, each change
   classified breaking or compatible for a client the way oasdiff classifies; description-only edits
   are listed apart.
2. Every patch action is applied to the new document one at a time (scripts/_patches.py): one that
   no longer applies, whose merge now yields a `$ref` with siblings, or whose `nullable` is lost is an
   error; one made unnecessary by upstream is a note.
3. The patched candidate is generated into a temporary folder and proven (scripts/_proof.py): every
   real payload (--payloads, default ../shared/real-responses) and every cassette body parses, every
   generated name facade/ and tests/ import exists, no operation sends a parameter nobody asked for.
4. Only with --write, and only when 2 and 3 found no error: the lock is re-pinned (url, latest_url,
   sha256, mirror_name, info_version, taken), the document is cached under the name `fetch` looks
   for, and the proven candidate is installed into generated/ (so `regenerate.py --check` passes).

Exit status: 0 no change, 1 error (a patch or the proof failed, a fetch failed), 3 changes found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _diff import compare, render_json, render_text
from _patches import audit
from _proof import default_payloads, prove
from _specs import (
    CACHE,
    GENERATED,
    LOCK,
    ROOT,
    Api,
    SpecError,
    _download,
    apis,
    fetch,
    load_document,
    load_lock,
    mirror_from,
    sha256,
    validate,
)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def take(
    api: Api,
    lock: dict[str, Any],
    args: argparse.Namespace,
) -> tuple[
    int, list[str], dict[str, Any], bytes | None, Path | None, tempfile.TemporaryDirectory[str] | None
]:
    """Compare, audit, prove one API. Returns (status, text lines, json, latest bytes, candidate, tmp)."""
    mirror = mirror_from(args.mirror)
    if args.base_file:
        old_doc = load_document(Path(args.base_file).read_bytes())
    else:
        old_doc = load_document(fetch(api, mirror, log=False))
    latest = Path(args.latest_file).read_bytes() if args.latest_file else _download(api.entry["latest_url"])
    new_doc = load_document(latest)
    report = compare(old_doc, new_doc)
    status = 3 if report.has_changes else 0
    patched: dict[str, Any] | None = new_doc
    errors: list[str] = []
    patch = api.patch
    if args.patch:
        patch = None if args.patch == "none" else Path(args.patch).resolve()
    if patch is not None:
        found = audit(new_doc, patch, api.name, _shown(patch))
        report.patches = [f"error: {e}" for e in found.errors] + [f"note: {n}" for n in found.notes]
        errors += found.errors
        patched = found.document  # None only when an action did not apply: effect errors are still proven
    candidate: Path | None = None
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if patched is not None and not args.no_proof:
        try:
            validate(patched, api.name)
            tmp = tempfile.TemporaryDirectory(prefix=f"craftapis-update-{api.name}-")
            payloads = Path(args.payloads) if args.payloads else default_payloads()
            entry = repinned_entry(api, latest, args)
            proof = prove(
                Api(api.name, entry),  # generated as it will be pinned: the header names the new document
                patched,
                {**lock, "apis": {**lock["apis"], api.name: entry}},
                payloads=payloads if payloads.exists() else None,
                report=report,
                keep=Path(tmp.name),
            )
            if not payloads.exists():
                proof.notes.insert(0, f"no real payloads folder at {payloads} (give one with --payloads)")
            report.proof = [f"error: {e}" for e in proof.errors] + [f"ok: {n}" for n in proof.notes]
            errors += proof.errors
            candidate = proof.candidate
        except SpecError as exc:
            report.proof = [f"error: the candidate could not be generated: {exc}"]
            errors.append(str(exc))
    elif patched is None:
        report.proof = ["error: not proven: the patch does not apply to the new document (see patch actions)"]
    if errors:
        status = 1
    lines = render_text(report, api.name)
    data = render_json(report, api.name)
    data["status"] = status
    return status, lines, data, latest, candidate, tmp


def repinned_entry(api: Api, latest: bytes, args: argparse.Namespace) -> dict[str, Any]:
    """The lock entry of `api` once re-pinned to the document `latest`."""
    new_doc = load_document(latest)
    entry = dict(api.entry)
    digest = sha256(latest)
    entry["sha256"] = digest
    entry["taken"] = dt.date.today().isoformat()
    entry["url"] = args.pin_url or entry["latest_url"]
    if args.latest_url:
        entry["latest_url"] = args.latest_url
    # the mirror file name must name a document with this hash, or a fresh cache fails the sha256 check
    entry["mirror_name"] = (
        Path(args.latest_file).name if args.latest_file else f"{api.name}-{digest[:12]}.yaml"
    )
    if "info_version" in entry or (new_doc.get("info") or {}).get("version"):
        entry["info_version"] = str((new_doc.get("info") or {}).get("version"))
    return entry


def repin(
    api: Api,
    lock: dict[str, Any],
    lock_path: Path,
    latest: bytes,
    args: argparse.Namespace,
    candidate: Path | None,
) -> list[str]:
    """Re-pin the lock to `latest`, cache it under the name fetch reads, install the proven candidate."""
    entry = repinned_entry(api, latest, args)
    digest = entry["sha256"]
    lock["apis"][api.name] = entry
    lock_path.write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / f"{api.name}.yaml").write_bytes(latest)
    out = [
        f"[update] {api.name}: {_shown(lock_path)} re-pinned to {entry['url']} (sha256 {digest}); "
        f"mirror file name {entry['mirror_name']}; cached in {_shown(CACHE / (api.name + '.yaml'))}"
    ]
    if candidate is not None:
        dest = (Path(args.out) if args.out else GENERATED) / api.package
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(candidate, dest, ignore=shutil.ignore_patterns("__pycache__"))
        out.append(f"[update] {api.name}: the proven candidate installed into {_shown(dest)}")
    if not args.latest_file:
        out.append(
            f"[update] {api.name}: machines without internet need the document in their mirror folder as "
            f"{entry['mirror_name']}"
        )
    if api.patch is not None:
        text = api.patch.read_text(encoding="utf-8")
        if f"extends: {entry['url']}" not in text:
            out.append(f"[update] {api.name}: set `extends: {entry['url']}` in {_shown(api.patch)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", action="append", help="only this API (repeatable)")
    parser.add_argument("--mirror", help="folder holding the pinned documents (else $CRAFTAPIS_SPEC_MIRROR)")
    parser.add_argument(
        "--latest-file", help="the new document, from this file instead of latest_url (one --api)"
    )
    parser.add_argument(
        "--base-file", help="compare against this document instead of the pinned one (one --api)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON (one document per run)")
    parser.add_argument(
        "--payloads", help="folder of real response bodies (<api>/*.json); default ../shared/real-responses"
    )
    parser.add_argument(
        "--patch", help="apply this overlay instead of the lock's (`none`: no patch), e.g. to try a fix first"
    )
    parser.add_argument(
        "--no-proof", action="store_true", help="report only: do not generate and prove the candidate"
    )
    parser.add_argument(
        "--write", action="store_true", help="re-pin the lock and install the proven candidate"
    )
    parser.add_argument(
        "--pin-url", help="with --write: the immutable URL of the new document (default: latest_url)"
    )
    parser.add_argument(
        "--latest-url", help="with --write: the new moving URL update compares against next time"
    )
    parser.add_argument("--out", help=argparse.SUPPRESS)  # where --write installs the candidate (tests)
    parser.add_argument("--lock", default=str(LOCK), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    lock_path = Path(args.lock)
    lock = load_lock(lock_path)
    selected = [a for a in apis(lock, args.api) if a.kind == "upstream"]
    if (args.latest_file or args.base_file) and len(selected) != 1:
        parser.error("--latest-file and --base-file need exactly one --api")
    if args.write and args.no_proof:
        parser.error("--write re-pins only a proven candidate; drop --no-proof")
    if args.write and args.patch:
        parser.error("--write uses the lock's patch; edit that file instead of passing --patch")
    if args.write and args.base_file:
        parser.error("--write re-pins from the pinned document; drop --base-file")
    status = 0
    documents: list[dict[str, Any]] = []
    for api in selected:
        try:
            result, lines, data, latest, candidate, tmp = take(api, lock, args)
        except (SpecError, OSError) as exc:
            print(f"error: {api.name}: {exc}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            documents.append(data)
        else:
            print("\n".join(lines))
        errors = [line for line in lines if line.lstrip().startswith("- error:")]
        for line in errors:
            print(line.strip().removeprefix("- "), file=sys.stderr)
        status = 1 if 1 in (status, result) else max(status, result)
        if args.write:
            if result == 1 or latest is None:
                print(
                    f"error: {api.name}: not re-pinned while a patch action or the candidate proof fails; "
                    f"fix the patch first",
                    file=sys.stderr,
                )
            else:
                for line in repin(api, lock, lock_path, latest, args, candidate):
                    print(line, file=sys.stderr)
        if tmp is not None:
            tmp.cleanup()
    if args.json:
        print(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
