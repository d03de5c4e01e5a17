"""Publish a new version of a Modrinth project from CI (a GitHub Actions step, say).

    MODRINTH_TOKEN=mrp_... python examples/publish_version.py PROJECT_ID VERSION JAR [JAR ...] \
        --loader paper --game-version 1.21.1 [--changelog CHANGELOG.md] [--staging]

The first jar is the primary file. The token needs the `VERSION_CREATE` scope; it is read from the
environment only (CI secrets), never from the command line. `--staging` publishes to Modrinth's
staging API, where a test run can publish freely.

Environment: `MODRINTH_TOKEN`; `MODRINTH_BASE_URL` points at another API root.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import craftapis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("project_id")
    parser.add_argument("version_number")
    parser.add_argument("jars", nargs="+", type=Path)
    parser.add_argument("--loader", action="append", required=True)
    parser.add_argument("--game-version", action="append", required=True)
    parser.add_argument("--changelog", type=Path, help="a Markdown file")
    parser.add_argument("--version-type", default="release", choices=["release", "beta", "alpha"])
    parser.add_argument("--staging", action="store_true", help="publish to staging-api.modrinth.com")
    args = parser.parse_args(argv)
    token = os.environ.get("MODRINTH_TOKEN")
    if not token:
        print("set MODRINTH_TOKEN (a personal access token with VERSION_CREATE)", file=sys.stderr)
        return 2
    with craftapis.Modrinth(
        token=token,
        user_agent="craftapis-examples/publish-version (https://github.com/craftapis/craftapis)",
        base_url=os.environ.get("MODRINTH_BASE_URL"),
        staging=args.staging,
    ) as modrinth:
        version = modrinth.create_version(
            project_id=args.project_id,
            version_number=args.version_number,
            files=list(args.jars),
            game_versions=args.game_version,
            loaders=args.loader,
            version_type=args.version_type,
            changelog=args.changelog.read_text(encoding="utf-8") if args.changelog else None,
        )
    print(f"published {version.version_number} as {version.id} ({len(version.files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
