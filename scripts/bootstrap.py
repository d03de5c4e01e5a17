"""Run the project's nox sessions on a machine that has only Python (>= 3.11).

    python3 scripts/bootstrap.py                  # lint, types, tests, regen_check, coverage (what CI runs)
    python3 scripts/bootstrap.py -s regenerate    # regenerate generated/ from the pinned specs

It makes a private virtualenv (.venv-bootstrap/) holding the pinned nox, then runs nox with the
arguments given; nox installs everything else per session from pyproject.toml. Nothing is installed
into the Python you run it with.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

NOX = "nox==2026.10.20"
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-bootstrap"


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older python3
        print(f"craftapis needs Python >= 3.11; this is {sys.version.split()[0]}", file=sys.stderr)
        return 2
    bindir = VENV / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    stamp = VENV / "nox-version"
    if not python.exists() or not stamp.exists() or stamp.read_text() != NOX:
        print(f"[bootstrap] creating {VENV.name} with {NOX}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", NOX], check=True)
        stamp.write_text(NOX)
    os.chdir(ROOT)
    return subprocess.call([str(python), "-m", "nox", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
