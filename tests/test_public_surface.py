"""The public surface: every advertised name resolves, and `import craftapis` loads no API client or generated code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import craftapis

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves() -> None:
    for name in craftapis.__all__:
        assert getattr(craftapis, name) is not None, name


def test_importing_craftapis_loads_no_generated_module_and_no_api_client() -> None:
    code = (
        "import sys, craftapis; "
        "print(sorted(m for m in sys.modules if m.startswith('craftapis_generated') "
        "or m.startswith('craftapis.modrinth') or m.startswith('craftapis.builtbybit')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": f"{ROOT / 'facade'}:{ROOT / 'generated'}"},
    )
    assert out.stdout.strip() == "[]"


def test_clients_are_reachable_from_the_top_level() -> None:
    from craftapis.modrinth import Modrinth

    assert craftapis.Modrinth is Modrinth
    assert craftapis.AsyncRailcraftPack.__name__ == "AsyncRailcraftPack"
