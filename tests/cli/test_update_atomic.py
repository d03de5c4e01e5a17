"""`modrinth update` keeps every jar old or new, whenever it is stopped; and how long 100 jars take."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from craftapis.cli import _update
from typer.testing import CliRunner

from tests.modrinth.fake_folder import FolderFake
from tests.modrinth.fake_modrinth import AppServer

from .conftest import Modrinth, build_fake, cli, start_cli, subprocess_env


def check_every_jar_old_or_new(folder: Path, fake: FolderFake, mods: int) -> dict[str, int]:
    """Each mod has exactly one jar, holding the bytes of 1.0.0 or of 1.1.0; counts of each."""
    known = {}
    for n in range(mods):
        slug = f"mod-{n:03d}"
        known[fake.jar_bytes(slug, "1.0.0")] = (slug, "old")
        known[fake.jar_bytes(slug, "1.1.0")] = (slug, "new")
    seen: dict[str, str] = {}
    for jar in folder.glob("*.jar"):
        if jar.name == "homemade.jar":
            continue
        slug, which = known[jar.read_bytes()]  # a KeyError here is a partial or foreign jar
        assert slug not in seen, f"two jars of {slug} in the folder"
        seen[slug] = which
    assert sorted(seen) == [f"mod-{n:03d}" for n in range(mods)], "a mod lost its jar"
    return {w: list(seen.values()).count(w) for w in ("old", "new")}


# -- the swap, interrupted at each of its steps -----------------------------------------------------


@pytest.mark.parametrize("crash_at", ["link", "journal", "replace", "rename"])
def test_swap_interrupted_at_any_step_leaves_old_or_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    from types import SimpleNamespace

    folder = tmp_path / "mods"
    folder.mkdir()
    old = folder / "mod-000-1.0.0.jar"
    old.write_bytes(b"old jar")
    stage = _update.staging(folder)
    new = stage / "mod-000-1.1.0.jar.new"
    new.write_bytes(b"new jar")
    step = _update.Step(old, SimpleNamespace(id="V"), "mod-000-1.1.0.jar")  # type: ignore[arg-type]

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    target = {
        "link": (os, "link"),
        "journal": (_update, "_write_journal"),
        "replace": (os, "replace"),
        "rename": (os, "rename"),
    }[crash_at]
    monkeypatch.setattr(*target, crash)
    with pytest.raises(KeyboardInterrupt):
        _update.swap(step, new, backups=_update.backup_dir(folder))
    monkeypatch.undo()
    jars = {p.name: p.read_bytes() for p in folder.glob("*.jar")}
    assert len(jars) == 1 and next(iter(jars.values())) in (b"old jar", b"new jar")
    # the next run finishes the rename the journal promised
    _update.finish_journal(folder)
    jars = {p.name: p.read_bytes() for p in folder.glob("*.jar")}
    if crash_at == "rename":
        assert jars == {"mod-000-1.1.0.jar": b"new jar"}
    else:
        assert jars == {"mod-000-1.0.0.jar": b"old jar"}


def test_journal_with_unsafe_names_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "mods"
    (folder / _update.STAGING).mkdir(parents=True)
    (folder / "a.jar").write_bytes(b"a")
    (folder / _update.STAGING / "journal.jsonl").write_text('{"old": "a.jar", "new": "../escaped.jar"}\n')
    assert _update.finish_journal(folder) == []
    assert (folder / "a.jar").exists() and not (tmp_path / "escaped.jar").exists()


# -- a real process, killed -------------------------------------------------------------------------


def test_killed_update_leaves_every_jar_old_or_new(tmp_path: Path) -> None:
    mods = 10
    fake = build_fake(mods)
    fake.cdn_delay = 0.15
    with AppServer(fake) as server:
        fake.set_cdn_base(server.url)
        folder = tmp_path / "mods"
        Modrinth(fake, server.url).mods_folder(folder, mods)
        args = [
            "modrinth",
            "--base-url",
            f"{server.url}/v2",
            "update",
            str(folder),
            "-l",
            "fabric",
            "-g",
            "1.20.1",
            "-y",
            "-j",
            "2",
        ]
        env = subprocess_env(CRAFTAPIS_CONFIG=str(tmp_path / "none.toml"))
        counts = []
        for wait_for_new in (0, 3):  # killed while downloading; killed after some swaps
            served = len([r for r in fake.requests if r.path.startswith("/data/")])
            process = start_cli(*args, env=env)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                downloads = len([r for r in fake.requests if r.path.startswith("/data/")]) - served
                new = len([p for p in folder.glob("*-1.1.0.jar")])
                if downloads >= 1 and new >= wait_for_new + (counts[-1]["new"] if counts else 0):
                    break
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            assert process.returncode == -signal.SIGKILL, (
                process.stderr.read().decode() if process.stderr else ""
            )
            counts.append(check_every_jar_old_or_new(folder, fake, mods))
        assert counts[-1]["old"] > 0, "the process finished before it was killed; nothing was tested"
        # a run to the end finishes the job
        fake.cdn_delay = 0
        process = start_cli(*args, env=env)
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        assert check_every_jar_old_or_new(folder, fake, mods) == {"old": 0, "new": mods}
        assert not list((folder / _update.STAGING).glob("*")) if (folder / _update.STAGING).exists() else True


def test_sigint_stops_with_exit_130_and_a_consistent_folder(tmp_path: Path) -> None:
    mods = 6
    fake = build_fake(mods)
    fake.cdn_delay = 0.3
    with AppServer(fake) as server:
        fake.set_cdn_base(server.url)
        folder = tmp_path / "mods"
        Modrinth(fake, server.url).mods_folder(folder, mods)
        process = start_cli(
            "modrinth", "--base-url", f"{server.url}/v2", "update", str(folder), "-l", "fabric", "-g", "1.20.1", "-y", "-j", "1",
            env=subprocess_env(CRAFTAPIS_CONFIG=str(tmp_path / "none.toml")),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(r.path.startswith("/data/") for r in fake.requests):
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130, err.decode()
        assert b"interrupted" in err
        check_every_jar_old_or_new(folder, fake, mods)


# -- 100 jars ---------------------------------------------------------------------------------------


def test_update_of_100_jars(runner: CliRunner, tmp_path: Path) -> None:
    """Prints the time; asserts the result (one bulk request, 100 jars replaced), not the speed."""
    fake = build_fake(100)
    with AppServer(fake) as server:
        fake.set_cdn_base(server.url)
        folder = tmp_path / "mods"
        Modrinth(fake, server.url).mods_folder(folder, 100)
        start = time.perf_counter()
        code, out, err = cli(
            runner,
            "modrinth",
            "--base-url",
            f"{server.url}/v2",
            "update",
            str(folder),
            "-l",
            "fabric",
            "-g",
            "1.20.1",
            "-y",
        )
        elapsed = time.perf_counter() - start
    assert code == 0, err
    assert "updated 100, up to date 0, unknown 1, failed 0" in out
    assert [r.path for r in fake.requests if r.method == "POST"] == ["/v2/version_files/update"]
    assert check_every_jar_old_or_new(folder, fake, 100) == {"old": 0, "new": 100}
    print(f"\nupdate of 100 jars against the loopback fake: {elapsed:.2f} s")
