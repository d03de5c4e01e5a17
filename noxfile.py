"""Every job of the project, each in its own virtualenv, installed from pyproject.toml's dependency groups.

    nox                  # the default sessions: lint, types, typing, regen_check, coverage, docs, tests (what CI runs)
    nox -s regenerate    # regenerate generated/ from the pinned specs
    nox -s fetch update  # fetch the pinned specs; report upstream changes
    nox -s docs          # build the documentation site into site/ (strict); `-- serve` serves it
    nox -s build         # wheel + sdist into dist/, twine check, install into a clean venv, import all

Offline machines set CRAFTAPIS_SPEC_MIRROR to a folder holding the upstream documents.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

# tests last, so a run ends on pytest's summary (the operation coverage table is quiet unless asked)
nox.options.sessions = ["lint", "types", "typing", "regen_check", "coverage", "docs", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHON = os.environ.get("CRAFTAPIS_NOX_PYTHON")  # None: the interpreter nox runs on (>= 3.11)
CODE = ["facade", "scripts", "tests", "bench", "noxfile.py"]


def group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check on the code (generated/ is formatted by regeneration), and
    scripts/raw_methods.py --check and scripts/unasync.py --check: the generated `with_raw_response` classes
    and every generated sync twin of the facade are up to date with their async sources."""
    session.install(*group("lint"))
    session.run("ruff", "check", *CODE)
    session.run("ruff", "format", "--check", *CODE)
    session.run("python", "scripts/raw_methods.py", "--check")
    session.run("python", "scripts/unasync.py", "--check")


@nox.session(python=PYTHON)
def types(session: nox.Session) -> None:
    """mypy --strict on the facade."""
    session.install(*group("types"))
    session.install("-e", ".", "--no-deps")
    session.install(
        "httpx>=0.27,<0.29",
        "attrs",
        "python-dateutil",
        "aiohttp",
        "orjson",
        "pyjwt",
        "cryptography",
    )
    session.run("mypy")


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """What users' checkers see: tests/typing/cases and every README example under mypy --strict and
    pyright --strict, with unused ignores as errors (so the negative cases prove wrong calls are flagged)."""
    session.install("-e", ".[redis]", *group("typing"))  # redis: its clients must fit craftapis' RedisClient
    session.env["PYRIGHT_PYTHON_IGNORE_WARNINGS"] = "1"  # no "newer pyright available" nagging
    session.run("python", "tests/typing/check.py")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite: unit, loopback servers, cassettes, generated-code parsing, pipeline."""
    session.install("-e", ".", *group("test"), *group("regen"), *group("docs"))
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def regenerate(session: nox.Session) -> None:
    """Regenerate generated/ from the pinned specs (the project's main job)."""
    session.install(*group("regen"))
    session.run("python", "scripts/regenerate.py", *session.posargs)


@nox.session(python=PYTHON)
def regen_check(session: nox.Session) -> None:
    """Regenerate into a temporary folder and fail if generated/ differs from it."""
    session.install(*group("regen"))
    session.run("python", "scripts/regenerate.py", "--check", *session.posargs)


@nox.session(python=PYTHON)
def coverage(session: nox.Session) -> None:
    """Every operation of every spec has a generated function (exit 1 if not). Prints the totals and
    what is missing; `nox -s coverage -- --all` prints the whole table (every operation)."""
    session.install(*group("regen"))
    args = [a for a in session.posargs if a != "--all"]
    quiet = [] if "--all" in session.posargs else ["--quiet"]
    session.run("python", "scripts/coverage.py", *quiet, *args)


@nox.session(python=PYTHON)
def fetch(session: nox.Session) -> None:
    """Fetch the pinned upstream specs and verify their sha256."""
    session.install(*group("regen"))
    session.run("python", "scripts/fetch.py", *session.posargs)


@nox.session(python=PYTHON)
def update(session: nox.Session) -> None:
    """Report what changed upstream and check that every patch still applies (--write re-pins)."""
    session.install(*group("regen"))
    session.run("python", "scripts/update.py", *session.posargs, success_codes=[0, 3])


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site in strict mode (a broken link or reference fails), after checking
    that the generated operation index (docs/operations/) matches generated/. `-- serve` serves it."""
    session.install("-e", ".", *group("docs"))
    session.run("python", "scripts/operation_index.py", "--check")
    if session.posargs and session.posargs[0] == "serve":
        session.run("mkdocs", "serve", *session.posargs[1:], env={"NO_MKDOCS_2_WARNING": "1"})
        return
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        "site",
        *session.posargs,
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build the wheel and the sdist into dist/, check them with twine, install the wheel into a clean
    virtualenv and import every public name from it (what a user of the built wheel gets)."""
    import shutil
    import tempfile

    session.install("build", "twine")
    shutil.rmtree("dist", ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", "dist")
    session.run("twine", "check", "--strict", *[str(p) for p in sorted(Path("dist").iterdir())])
    wheel = next(Path("dist").glob("*.whl"))
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "venv"
        session.run("python", "-m", "venv", str(venv))
        python = str(venv / ("Scripts" if os.name == "nt" else "bin") / "python")
        session.run(python, "-m", "pip", "install", "-q", f"{wheel.resolve()}[crypto]", external=True)
        check = str(Path("scripts/check_wheel.py").resolve())
        # outside the checkout, so the import comes from the installed wheel, not from facade/
        with session.chdir(tmp):
            session.run(python, check, external=True, env={"PYTHONPATH": ""})


@nox.session(python=PYTHON, default=False)
def record(session: nox.Session) -> None:
    """Re-record the live-scenario cassettes from the real APIs: `nox -s record -- --api modrinth|builtbybit|
    builtbybit_v1|postal|railcraft|all` (credentials from environment variables; see tests/recording/README.md).
    Not a default session: it needs credentials and the network, and refuses to run in CI unless asked."""
    session.install("-e", ".", *group("test"))
    session.run("python", "scripts/record.py", *session.posargs)


#: The peers bench/run.py measures craftapis against, each installed into a virtualenv of its own, with
#: what each forgets to declare (modrinthpy imports aiohttp and requests_toolbelt; python-modrinth
#: imports requests and dateutil).
BENCH_PEERS = {
    "modrinthpy": ["modrinthpy==0.1.0", "aiohttp", "requests_toolbelt"],
    "modrinth-api-wrapper": ["modrinth-api-wrapper==1.0.0"],
    "python-modrinth": ["python-modrinth==1.2.1", "requests", "python-dateutil"],
}


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """craftapis against its peers in one run (bench/run.py): J1-J4, memory, import time; prints one table.

    Not a default session (it takes minutes and measures, it does not test). `-- --quick` for a smoke run.
    modrinth4py needs Python >= 3.12: its row runs where such an interpreter exists.
    """
    import shutil

    session.install("-e", ".")
    peers_dir = Path(session.virtualenv.location).parent / "bench-peers"
    args: list[str] = []
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    import subprocess

    def runs(path: str | None) -> bool:  # a pyenv shim can exist for a version that is not active
        return bool(path) and subprocess.run([str(path), "-c", "pass"], capture_output=True).returncode == 0

    newer = next((p for p in (shutil.which(f"python3.{m}") for m in (14, 13, 12)) if runs(p)), None)
    peers = dict(BENCH_PEERS)
    interpreters = {name: "python" for name in peers}
    if newer:
        peers["modrinth4py"] = ["modrinth4py==0.1.0"]
        interpreters["modrinth4py"] = newer
    for name, packages in peers.items():
        venv = peers_dir / name
        python = venv / bin_dir / "python"
        if not python.exists():
            session.run(interpreters[name], "-m", "venv", str(venv), external=True)
        session.run(str(python), "-m", "pip", "install", "-q", *packages, external=True)
        args += ["--peer", f"{name}={python}"]
    session.run("python", "bench/run.py", *args, *session.posargs)
