"""Type-check craftapis the way its users see it: `python tests/typing/check.py` (the `typing` nox session).

Runs mypy --strict and pyright --strict (versions pinned in pyproject.toml's `typing` group) on
`tests/typing/cases/` and on every ```python example of README.md (extracted to a temporary folder),
with unused ignores as errors. Exits non-zero when either checker reports anything.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
EXAMPLE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def readme_examples(dest: Path) -> list[Path]:
    """Every ```python block of README.md as its own module (an example must type-check as written)."""
    files = []
    for n, block in enumerate(EXAMPLE.findall((ROOT / "README.md").read_text(encoding="utf-8")), 1):
        path = dest / f"readme_example_{n}.py"
        path.write_text(block, encoding="utf-8")
        files.append(path)
    return files


def _tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def main() -> int:
    cases = sorted(str(p) for p in (HERE / "cases").glob("*.py"))
    with tempfile.TemporaryDirectory(prefix="craftapis-readme-") as tmp:
        examples = [str(p) for p in readme_examples(Path(tmp))]
        if not examples:
            print("README.md has no ```python example: nothing proves the README's code type-checks")
            return 1
        runs = [
            [_tool("mypy"), "--config-file", str(HERE / "mypy.ini"), "--no-incremental", *cases, *examples],
            [
                _tool("pyright"),
                "-p",
                str(HERE / "pyrightconfig.json"),
                "--pythonpath",
                sys.executable,
                *cases,
                *examples,
            ],
        ]
        failed = 0
        for cmd in runs:
            print(
                f"[typing] {Path(cmd[0]).name} on {len(cases)} case files and {len(examples)} README example(s)"
            )
            failed |= subprocess.run(cmd, cwd=HERE, check=False).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
