"""The operation index pages (docs/operations/) are generated from generated/ and must not drift."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "operation_index.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False)


def test_committed_index_is_up_to_date() -> None:
    result = _run("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_generated_operation_has_a_row() -> None:
    rows = 0
    for page in (ROOT / "docs" / "operations").glob("*.md"):
        rows += sum(line.startswith("| `api.") for line in page.read_text(encoding="utf-8").splitlines())
    modules = [
        m
        for m in (ROOT / "generated" / "craftapis_generated").glob("*/api/*/*.py")
        if m.name != "__init__.py"
    ]
    assert rows == len(modules) >= 180


def test_check_fails_on_a_stale_page(tmp_path: Path) -> None:
    out = tmp_path / "operations"
    shutil.copytree(ROOT / "docs" / "operations", out)
    page = out / "modrinth.md"
    page.write_text(page.read_text(encoding="utf-8").replace("`GET /project/{id_slug}`", "`GET /gone`"))
    result = _run("--check", "--out", str(out))
    assert result.returncode == 1
    assert "stale" in result.stdout and "modrinth.md" in result.stdout
