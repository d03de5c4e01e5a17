"""Fetch every pinned upstream spec into specs/.cache/ and verify its sha256 against specs/lock.json.

    python scripts/fetch.py                                  # from the pinned URLs
    python scripts/fetch.py --mirror ../shared/upstream-specs  # from a local folder (or $CRAFTAPIS_SPEC_MIRROR)

A hash mismatch fails, naming the API, both hashes and what to do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _specs import SpecError, apis, fetch, load_lock, mirror_from


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", action="append", help="only this API (repeatable)")
    parser.add_argument(
        "--mirror", help="folder holding the upstream documents (else $CRAFTAPIS_SPEC_MIRROR)"
    )
    args = parser.parse_args(argv)
    failed = 0
    for api in apis(load_lock(), args.api):
        if api.kind != "upstream":
            continue
        try:
            fetch(api, mirror_from(args.mirror))
        except SpecError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
