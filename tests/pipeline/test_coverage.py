"""`scripts/coverage.py` accounts for every operation of every spec, and fails when one is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import ROOT, run_script


def test_every_operation_of_every_spec_is_generated(mirror: Path) -> None:
    result = run_script("coverage.py", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "modrinth: 77/77 operations generated" in result.stdout
    assert "builtbybit_v2: 37/37 operations generated" in result.stdout
    assert "MISSING" not in result.stdout


def test_a_missing_generated_function_fails_coverage(mirror: Path, tmp_path: Path) -> None:
    tree = tmp_path / "craftapis_generated"
    shutil.copytree(ROOT / "generated" / "craftapis_generated", tree)
    victim = next((tree / "modrinth" / "api").rglob("get_project.py"))
    victim.unlink()
    result = run_script("coverage.py", "--api", "modrinth", "--generated", str(tree))
    assert result.returncode == 1
    assert "modrinth: 76/77 operations generated" in result.stdout
    assert "MISSING GET    /project/{id|slug}" in result.stdout
