"""Fixtures for the `craftapis` command: the CLI runner, a clean environment, the loopback fakes.

The fakes are the ones the client tests use (`FolderFake` for Modrinth, `FakeBuiltByBit`,
`FakePostal` behind `MoonropeServer`, `FakeRailcraft` behind `AppServer`), served on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.modrinth.fake_folder import FolderFake, Release
from tests.modrinth.fake_modrinth import AppServer

CREDENTIAL_ENV = (
    "MODRINTH_TOKEN",
    "MODRINTH_BASE_URL",
    "MODRINTH_USER_AGENT",
    "BUILTBYBIT_TOKEN",
    "BUILTBYBIT_BASE_URL",
    "POSTAL_URL",
    "POSTAL_KEY",
    "RAILCRAFT_CLIENT_ID",
    "RAILCRAFT_CLIENT_SECRET",
    "RAILCRAFT_BASE_URL",
)
MODRINTH_TOKEN = "mrp_FAKEcliTOKEN_0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No credential from the machine, and a config file of the test's own (absent until written)."""
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "craftapis-config.toml"
    monkeypatch.setenv("CRAFTAPIS_CONFIG", str(config))
    return config


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def cli(runner: CliRunner, *args: str, input: str | None = None) -> tuple[int, str, str]:
    """Run `craftapis ARGS` in-process; returns (exit code, stdout, stderr)."""
    from craftapis.cli._app import app

    result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# -- Modrinth ----------------------------------------------------------------------------------------

MODS = 12  # projects in the fake mods folder


def build_fake(projects: int = MODS) -> FolderFake:
    """`projects` mods, each with 1.0.0 (installed), 1.1.0 (newer, fabric 1.20.1), 2.0.0 (for 1.21)."""
    fake = FolderFake()
    for n in range(projects):
        fake.add_project(
            f"mod-{n:03d}",
            [Release("1.0.0"), Release("1.1.0"), Release("2.0.0", game_versions=["1.21"])],
        )
    return fake


@dataclass
class Modrinth:
    fake: FolderFake
    url: str

    @property
    def base(self) -> str:
        return f"{self.url}/v2"

    def mods_folder(self, folder: Path, count: int, *, version: str = "1.0.0") -> list[Path]:
        """A mods folder holding version `version` of the first `count` mods, plus one unknown jar."""
        folder.mkdir(parents=True, exist_ok=True)
        jars = []
        for n in range(count):
            slug = f"mod-{n:03d}"
            jar = folder / f"{slug}-{version}.jar"
            jar.write_bytes(self.fake.jar_bytes(slug, version))
            jars.append(jar)
        (folder / "homemade.jar").write_bytes(b"a jar built locally, unknown to Modrinth")
        return jars


@pytest.fixture
def modrinth() -> Iterator[Modrinth]:
    fake = build_fake()
    with AppServer(fake) as server:
        fake.set_cdn_base(server.url)
        yield Modrinth(fake, server.url)


# -- subprocesses --------------------------------------------------------------------------------


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a `python -m craftapis` child: this interpreter's import path, no credentials."""
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_ENV}
    import craftapis
    import craftapis_generated

    # where this run imports craftapis from (a checkout or an install), and nothing else: the
    # test folders on pytest's path would shadow modules (tests/typing is not `typing`)
    roots = {str(Path(m.__file__ or "").resolve().parent.parent) for m in (craftapis, craftapis_generated)}
    env["PYTHONPATH"] = os.pathsep.join(sorted(roots))
    env.update(extra)
    return env


def start_cli(*args: str, env: dict[str, str] | None = None, **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "craftapis", *args],
        env=env or subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )
