"""`craftapis bbb|postal|railcraft ...` through the CLI runner against the loopback fakes; the missing extra."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.appserver import AppServer
from tests.builtbybit.fake_api import MEMBER, TOKEN, FakeBuiltByBit, serve
from tests.moonrope.moonrope_fake import MoonropeServer
from tests.postal.postal_fake import API_KEY, FakePostal
from tests.railcraft.fake import CLIENT_ID, CLIENT_SECRET, FakeRailcraft

from .conftest import cli, start_cli, subprocess_env

# -- BuiltByBit ---------------------------------------------------------------------------------------


@pytest.fixture
def bbb_fake() -> FakeBuiltByBit:
    return FakeBuiltByBit(events=3)


@pytest.fixture
def bbb(bbb_fake: FakeBuiltByBit, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serve(bbb_fake) as url:
        monkeypatch.setenv("BUILTBYBIT_TOKEN", TOKEN)
        yield url


def test_bbb_lists(runner: CliRunner, bbb: str, bbb_fake: FakeBuiltByBit) -> None:
    own = bbb_fake.own[0]
    code, out, err = cli(runner, "bbb", "--base-url", bbb, "purchases", "--limit", "4")
    assert code == 0, err
    assert "4 purchase(s)" in out and "5000" in out and "TX-0003" in out and TOKEN not in out + err
    code, out, _ = cli(runner, "bbb", "--base-url", bbb, "licenses", "--resource", str(own), "--json")
    licenses = json.loads(out)
    assert code == 0 and licenses and {x["content_id"] for x in licenses} == {own}
    code, out, _ = cli(runner, "bbb", "--base-url", bbb, "reviews", "-n", "2")
    assert code == 0 and "2 review(s)" in out and "Synthetic review 0" in out


def test_bbb_license_check_exit_codes(runner: CliRunner, bbb: str, bbb_fake: FakeBuiltByBit) -> None:
    own = str(bbb_fake.own[0])
    code, out, _ = cli(
        runner, "bbb", "--base-url", bbb, "license-check", "--resource", own, "--member", str(MEMBER)
    )
    assert code == 0 and out.startswith("VALID")
    code, out, _ = cli(runner, "bbb", "--base-url", bbb, "license-check", "-r", own, "-m", "999999", "--json")
    assert code == 3 and json.loads(out)["status"] == "no_license"


def test_bbb_without_a_token_says_where_to_put_it(
    runner: CliRunner, bbb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BUILTBYBIT_TOKEN")
    code, _, err = cli(runner, "bbb", "--base-url", bbb, "purchases")
    assert code == 2 and "BUILTBYBIT_TOKEN" in err and "never on the command line" in err


def test_bbb_token_from_config_file(
    runner: CliRunner, bbb: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BUILTBYBIT_TOKEN")
    clean_env.write_text(f'[builtbybit]\ntoken = "{TOKEN}"\nbase_url = "{bbb}"\n')
    code, out, err = cli(runner, "bbb", "reviews", "--verbose")
    assert code == 0 and TOKEN not in out + err


def test_events_listen_completes_only_what_the_command_accepted(
    runner: CliRunner, bbb: str, bbb_fake: FakeBuiltByBit, tmp_path: Path
) -> None:
    seen = tmp_path / "seen.jsonl"
    script = tmp_path / "handler.py"
    # accepts every event except the second one it is given
    script.write_text(
        "import json, sys, pathlib\n"
        f"p = pathlib.Path({str(seen)!r})\n"
        "event = json.load(sys.stdin)\n"
        "n = len(p.read_text().splitlines()) if p.exists() else 0\n"
        "p.open('a').write(json.dumps(event) + '\\n')\n"
        "sys.exit(1 if n == 1 else 0)\n"
    )
    pending = list(bbb_fake.events)
    code, out, err = cli(
        runner, "bbb", "--base-url", bbb, "events", "listen", "--exec", f"{sys.executable} {script}",
        "--max-events", "3", "--idle-max", "0.05", "--json",
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["event_id"] for x in lines] == pending
    assert [x["completed"] for x in lines] == [True, False, True]
    handed = [json.loads(x) for x in seen.read_text().splitlines()]
    assert [e["event_id"] for e in handed] == pending and handed[0]["trigger_type"] == "new_purchase"
    completed = [i for batch in bbb_fake.completed_batches for i in batch]
    assert sorted(completed) == [pending[0], pending[2]]
    assert list(bbb_fake.events) == [pending[1]]  # still pending: delivered again later


def test_events_listen_stops_cleanly_on_sigterm(bbb: str, bbb_fake: FakeBuiltByBit, tmp_path: Path) -> None:
    env = subprocess_env(BUILTBYBIT_TOKEN=TOKEN, CRAFTAPIS_CONFIG=str(tmp_path / "none.toml"))
    process = start_cli(
        "bbb", "--base-url", bbb, "events", "listen", "--exec", "true", "--idle-max", "0.1", "--json", env=env
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and bbb_fake.events:
        time.sleep(0.05)
    assert not bbb_fake.events, "the listener did not complete the pending events"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) == 3 and all(
        json.loads(line)["completed"] for line in lines
    )  # CMD's output is not in it


# -- Postal -------------------------------------------------------------------------------------------


@pytest.fixture
def postal(monkeypatch: pytest.MonkeyPatch) -> Iterator[MoonropeServer]:
    with MoonropeServer(FakePostal()) as server:
        monkeypatch.setenv("POSTAL_KEY", API_KEY)
        yield server


def test_postal_send_and_message(runner: CliRunner, postal: MoonropeServer, tmp_path: Path) -> None:
    body = tmp_path / "body.txt"
    body.write_text("Hello from the CLI")
    attachment = tmp_path / "invoice.pdf"
    attachment.write_bytes(b"%PDF-1.4 synthetic")
    code, out, err = cli(
        runner, "postal", "--base-url", postal.url, "send", "--to", "a@example.org", "--to", "b@example.org",
        "--from", "shop@example.com", "--subject", "Your key", "--body-file", str(body), "--attach", str(attachment),
        "--json",
    )  # fmt: skip
    assert code == 0, err
    sent = json.loads(out)
    assert set(sent["messages"]) == {"a@example.org", "b@example.org"}
    params = postal.calls[-1].params
    assert params["plain_body"] == "Hello from the CLI" and params["attachments"][0]["name"] == "invoice.pdf"
    message_id = str(sent["messages"]["a@example.org"]["id"])
    code, out, err = cli(runner, "postal", "--base-url", postal.url, "message", message_id)
    assert code == 0, err
    assert f"message {message_id}" in out and "Your key" in out
    assert API_KEY not in out + err


def test_postal_errors(runner: CliRunner, postal: MoonropeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli(runner, "postal", "--base-url", postal.url, "message", "999999")
    assert code == 1 and "error:" in err
    code, _, err = cli(runner, "postal", "message", "1")
    assert code == 2 and "POSTAL_URL" in err
    monkeypatch.setenv("POSTAL_KEY", "pk-0000000000000000-WRONG")
    code, _, err = cli(runner, "postal", "--base-url", postal.url, "message", "1", "--verbose")
    assert code == 1 and "pk-0000000000000000-WRONG" not in err


# -- Railcraft -----------------------------------------------------------------------------------------


def test_railcraft_download(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRailcraft()
    monkeypatch.setenv("RAILCRAFT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("RAILCRAFT_CLIENT_SECRET", CLIENT_SECRET)
    with AppServer(fake) as server:
        dest = tmp_path / "pack.zip"
        code, out, err = cli(
            runner,
            "railcraft",
            "--base-url",
            f"{server.url}/railcraftpack",
            "download",
            "--dest",
            str(dest),
            "--json",
        )
    assert code == 0, err
    result = json.loads(out)
    assert dest.read_bytes() == fake.archives[result["id"]] and result["size"] == dest.stat().st_size
    assert CLIENT_SECRET not in out + err


def test_railcraft_without_credentials(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = cli(runner, "railcraft", "download", "--dest", str(tmp_path / "x.zip"))
    assert code == 2 and "RAILCRAFT_CLIENT_ID" in err


# -- the entry point -----------------------------------------------------------------------------------


def test_python_dash_m_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "craftapis", "--version"],
        env=subprocess_env(),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.decode().startswith("craftapis ")


def test_missing_extra_says_how_to_install_it(tmp_path: Path) -> None:
    """Without typer (the [cli] extra), the command says which pip command to run, exit 2."""
    blocker = tmp_path / "typer.py"
    blocker.write_text("raise ImportError('typer is not installed', name='typer')\n")
    env = subprocess_env()
    env["PYTHONPATH"] = str(tmp_path) + ":" + env["PYTHONPATH"]
    done = subprocess.run(
        [sys.executable, "-m", "craftapis", "--help"], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert 'pip install "craftapis[cli]"' in done.stderr.decode()


@pytest.mark.parametrize("group", ["modrinth", "bbb", "postal", "railcraft"])
def test_help_names_the_config_table(runner: CliRunner, group: str) -> None:
    """rich reads "[modrinth]" as markup and drops it: the help must show the table's name."""
    section = {"bbb": "builtbybit"}.get(group, group)
    code, out, _ = cli(runner, group, "--help")
    assert code == 0
    assert f"[{section}]" in out
