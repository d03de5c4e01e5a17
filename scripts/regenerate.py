"""Regenerate the raw clients in generated/ from the pinned specs: fetch → patch → validate → generate → format.

    python scripts/regenerate.py                 # every API, into generated/
    python scripts/regenerate.py --api modrinth  # one API
    python scripts/regenerate.py --check         # generate into a temporary folder, fail if generated/ differs
    python scripts/regenerate.py --mirror ../shared/upstream-specs   # offline: read upstream specs from a folder

The output is byte-for-byte reproducible for the pinned generator and formatter versions (see the
`regen` dependency group in pyproject.toml and `generator` in specs/lock.json).
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _specs import (
    GENERATED,
    SpecError,
    apis,
    generate,
    load_lock,
    mirror_from,
    patched_document,
    validate,
    write_root_package,
)
from typed_ops import write as write_typed_operations


def regenerate(dest: Path, only: list[str] | None, mirror: Path | None) -> dict[str, float]:
    lock = load_lock()
    timings: dict[str, float] = {}
    write_root_package(dest, lock)
    for api in apis(lock, only):
        started = time.perf_counter()
        doc = patched_document(api, mirror)
        validate(doc, api.name)
        generate(api, doc, dest / api.package, lock)
        # the typed `client.api.<tag>.<operation>` layer, from the same parsed spec
        write_typed_operations(api, doc, dest / api.package, lock)
        timings[api.name] = time.perf_counter() - started
        print(
            f"[regenerate] {api.name}: generated/{dest.name}/{api.package} in {timings[api.name]:.1f}s",
            file=sys.stderr,
        )
    return timings


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two trees (added, removed or changed)."""
    out: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        out.extend(prefix + n + " (only in generated/)" for n in cmp.left_only if n != "__pycache__")
        out.extend(prefix + n + " (missing from generated/)" for n in cmp.right_only if n != "__pycache__")
        # dircmp compares shallowly by stat; compare bytes for a real answer
        for name in cmp.common_files:
            if (Path(cmp.left) / name).read_bytes() != (Path(cmp.right) / name).read_bytes():
                out.append(prefix + name)
        for name, sub in cmp.subdirs.items():
            if name != "__pycache__":
                walk(sub, prefix + name + "/")

    walk(filecmp.dircmp(a, b), "")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--api", action="append", help="only this API (repeatable); default: all in specs/lock.json"
    )
    parser.add_argument(
        "--mirror", help="folder holding the upstream documents (else $CRAFTAPIS_SPEC_MIRROR, else the URLs)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary folder and fail if generated/ differs",
    )
    parser.add_argument("--out", help="generate into this folder instead of generated/craftapis_generated")
    args = parser.parse_args(argv)
    mirror = mirror_from(args.mirror)
    started = time.perf_counter()
    try:
        if args.check:
            with tempfile.TemporaryDirectory(prefix="craftapis-regen-") as tmp:
                fresh = Path(tmp) / GENERATED.name
                regenerate(fresh, args.api, mirror)
                if args.api:  # compare only what was regenerated
                    lock = load_lock()
                    diffs = [
                        f"{api.package}/{d}"
                        for api in apis(lock, args.api)
                        for d in differences(GENERATED / api.package, fresh / api.package)
                    ]
                else:
                    diffs = differences(GENERATED, fresh)
            if diffs:
                print(
                    "generated/ is not what the pinned specs and patches produce; differing files:",
                    file=sys.stderr,
                )
                for d in diffs[:200]:
                    print(f"  {d}", file=sys.stderr)
                print(
                    "Run `python scripts/regenerate.py` and commit the result (never edit generated/ by hand).",
                    file=sys.stderr,
                )
                return 1
            print(
                f"[regenerate] generated/ is up to date ({time.perf_counter() - started:.1f}s)",
                file=sys.stderr,
            )
            return 0
        dest = Path(args.out).resolve() if args.out else GENERATED
        regenerate(dest, args.api, mirror)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"[regenerate] done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
