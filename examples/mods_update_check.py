"""Check a server's mods folder for updates, and download what is newer (hash-verified, atomic).

    python examples/mods_update_check.py MODS_DIR --loader fabric --game-version 1.20.1 [--download]

Every jar is hashed locally, then ONE bulk request asks Modrinth for the newest compatible version
of each jar's project. With `--download`, each newer primary file is downloaded next to the old
jar, verified against the hash Modrinth lists, moved into place, and the old jar removed.

Environment: `MODRINTH_BASE_URL` points at another API root (e.g. Modrinth's staging API).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import craftapis
from craftapis.modrinth import hash_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mods", type=Path, help="the mods folder")
    parser.add_argument("--loader", required=True, help="fabric, forge, neoforge, quilt, paper, ...")
    parser.add_argument("--game-version", required=True, help="the Minecraft version, e.g. 1.20.1")
    parser.add_argument("--download", action="store_true", help="download the newer files")
    args = parser.parse_args(argv)

    jars = {hash_file(path, "sha1"): path for path in sorted(args.mods.glob("*.jar"))}
    with craftapis.Modrinth(
        user_agent="craftapis-examples/mods-update-check (https://github.com/craftapis/craftapis)",
        base_url=os.environ.get("MODRINTH_BASE_URL"),
    ) as modrinth:
        newest = modrinth.latest_versions_from_hashes(
            jars, loaders=args.loader, game_versions=args.game_version
        )
        outdated = 0
        for digest, jar in jars.items():
            version = newest.get(digest)
            if version is None:
                print(f"{jar.name}: not on Modrinth, or nothing for {args.loader} {args.game_version}")
                continue
            primary = next((f for f in version.files if f.primary), version.files[0])
            if primary.hashes.sha1 == digest:
                print(f"{jar.name}: up to date ({version.version_number})")
                continue
            outdated += 1
            print(f"{jar.name}: {version.version_number} is newer ({primary.filename})")
            if args.download:
                written = modrinth.download_version_file(version, args.mods / primary.filename)
                if Path(written).resolve() != jar.resolve():
                    jar.unlink()
                print(f"  downloaded {primary.filename}, sha verified")
    print(f"{len(jars)} jars, {outdated} with a newer version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
