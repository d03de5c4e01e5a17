"""Every job of the project, each in its own virtualenv, installed from pyproject.toml's dependency groups.

    nox                  # the default sessions: lint, types, tests, regen_check, coverage (what CI runs)
    nox -s regenerate    # regenerate generated/ from the pinned specs
    nox -s fetch update  # fetch the pinned specs; report upstream changes

Offline machines set CRAFTAPIS_SPEC_MIRROR to a folder holding the upstream documents.
"""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "types", "tests", "regen_check", "coverage"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHON = os.environ.get("CRAFTAPIS_NOX_PYTHON")  # None: the interpreter nox runs on (>= 3.11)
CODE = ["facade", "scripts", "tests", "bench", "noxfile.py"]


def group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check on the hand-written code (generated/ is formatted by regeneration)."""
    session.install(*group("lint"))
    session.run("ruff", "check", *CODE)
    session.run("ruff", "format", "--check", *CODE)


@nox.session(python=PYTHON)
def types(session: nox.Session) -> None:
    """mypy --strict on the facade."""
    session.install(*group("types"))
    session.install("-e", ".", "--no-deps")
    session.install("httpx>=0.27,<0.29", "attrs", "python-dateutil", "pyjwt", "cryptography")
    session.run("mypy")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite: unit, loopback servers, cassettes, generated-code parsing, pipeline."""
    session.install("-e", ".", *group("test"), *group("regen"))
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
    """Every operation of every spec has a generated function (exit 1 if not)."""
    session.install(*group("regen"))
    session.run("python", "scripts/coverage.py", *session.posargs)


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
