"""Once in a real terminal: `modrinth update` under tmux shows its table and its progress bar.

tmux comes from Debian's packages: installed by this test when it is missing and apt-get can run
(root), skipped with a message when it cannot be had, and required (a failure) when CI is set.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.modrinth.fake_modrinth import AppServer

from .conftest import Modrinth, build_fake, subprocess_env


def _tmux() -> str | None:
    found = shutil.which("tmux")
    if found is None and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "tmux"]
        if subprocess.run(install, env=env, capture_output=True, timeout=600).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=600)
        found = shutil.which("tmux")
    return found


@pytest.fixture(scope="module")
def tmux() -> str:
    found = _tmux()
    if found is None:
        message = "tmux is not installed and could not be installed (apt-get install tmux needs root)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI requires the terminal test")
        pytest.skip(message)
    return found


def test_update_in_a_terminal_shows_the_table_and_the_progress_bar(tmux: str, tmp_path: Path) -> None:
    mods = 8
    fake = build_fake(mods)
    fake.cdn_delay = 0.15
    socket = f"craftapis-test-{os.getpid()}"
    with AppServer(fake) as server:
        fake.set_cdn_base(server.url)
        folder = tmp_path / "mods"
        Modrinth(fake, server.url).mods_folder(folder, mods)
        env = subprocess_env(CRAFTAPIS_CONFIG=str(tmp_path / "none.toml"))
        command = shlex.join(
            [
                "env",
                f"PYTHONPATH={env['PYTHONPATH']}",
                f"CRAFTAPIS_CONFIG={env['CRAFTAPIS_CONFIG']}",
                sys.executable, "-m", "craftapis", "modrinth", "--base-url", f"{server.url}/v2",
                "update", str(folder), "-l", "fabric", "-g", "1.20.1", "--yes", "-j", "1",
            ]
        )  # fmt: skip
        base = [tmux, "-L", socket]
        subprocess.run(
            [
                *base,
                "new-session",
                "-d",
                "-x",
                "150",
                "-y",
                "45",
                "-s",
                "cli",
                f"{command}; echo __DONE__ $?; sleep 120",
            ],
            check=True,
            timeout=30,
        )
        try:
            screens: list[str] = []
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                screen = subprocess.run(
                    [*base, "capture-pane", "-p", "-t", "cli"], capture_output=True, text=True, timeout=30
                ).stdout
                screens.append(screen)
                if "__DONE__" in screen:
                    break
                time.sleep(0.1)
        finally:
            subprocess.run([*base, "kill-server"], capture_output=True, timeout=30)
    final = screens[-1]
    assert "__DONE__ 0" in final, final
    # the table, drawn with box characters
    assert f"{mods} update(s) for fabric 1.20.1" in final
    assert "┃ jar" in final and "mod-000-1.1.0.jar" in final
    # the progress bar: drawn while running, complete at the end
    progress_lines = [line for line in final.splitlines() if line.startswith("updating")]
    assert progress_lines and "━" in progress_lines[-1], final
    assert any("updating" in s and "__DONE__" not in s for s in screens), (
        "the bar was never seen while the update ran"
    )
    assert f"updated {mods}, up to date 0, unknown 1, failed 0" in final
