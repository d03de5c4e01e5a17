from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIRROR = Path(os.environ.get("CRAFTAPIS_SPEC_MIRROR") or ROOT.parent / "shared" / "upstream-specs").resolve()


def run_script(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "CRAFTAPIS_SPEC_MIRROR": str(MIRROR), **(env or {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        check=False,
    )


def pinned_modrinth_name() -> str:
    """The file name under which a mirror folder holds the pinned Modrinth document (from the lock)."""
    lock = json.loads((ROOT / "specs" / "lock.json").read_text(encoding="utf-8"))
    return str(lock["apis"]["modrinth"]["mirror_name"])


@pytest.fixture(scope="session")
def mirror() -> Path:
    if not (MIRROR / pinned_modrinth_name()).exists():
        if os.environ.get("CI"):
            pytest.fail(f"the upstream spec mirror {MIRROR} is missing on CI")
        pytest.skip(f"no upstream spec mirror at {MIRROR} (set CRAFTAPIS_SPEC_MIRROR)")
    return MIRROR
