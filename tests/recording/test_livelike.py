"""The scrubbing proof: record every API from a loopback "live-like" server through the recording
command itself (`scripts/record.py --base-url ...`, what `nox -s record` runs), then grep every
cassette for what that server sent and must not be kept, replay them offline, and check that the
drift report names the fields the plain fakes lack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .cassettes import KEY, ROOT
from .drift import drift
from .livelike import HEADER_NEEDLES, NEEDLES, LiveLike, serve_all
from .recorder import replay
from .scenarios import APIS, INVALID_POSTAL_KEY

READS = {api: [s.name for s in spec.scenarios if not s.write] for api, spec in APIS.items()}


class Run:
    def __init__(self, out: Path, stdout: str, servers: dict[str, LiveLike], secrets: set[str]) -> None:
        self.out = out
        self.stdout = stdout
        self.servers = servers
        self.secrets = secrets

    def cassettes(self) -> list[Path]:
        return sorted(self.out.rglob("*.yaml"))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    out = tmp_path_factory.mktemp("livelike")
    with serve_all(APIS) as (env, args, servers):
        environ = {k: v for k, v in os.environ.items() if k != "CI"}  # the CI refusal has its own test
        environ.update(env)
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "record.py"), "--api", "all", "--out", str(out), *args],
            env=environ,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        secrets = {v for k, v in env.items() if k.endswith(("TOKEN", "KEY", "SECRET", "CLIENT_ID"))}
        yield Run(out, done.stdout, servers, secrets)


def test_every_read_scenario_was_recorded(run: Run) -> None:
    recorded = {(p.parent.name, p.stem) for p in run.cassettes()}
    assert recorded == {(api, name) for api, names in READS.items() for name in names}, run.stdout
    assert not list(run.out.rglob(".*.partial.yaml"))


def test_the_server_really_sent_what_must_be_scrubbed(run: Run) -> None:
    """Not vacuous: every API's answers carried the CDN headers, and its JSON the extras."""
    for api, server in run.servers.items():
        assert server.sent > 0 and server.injected > 0 and server.compressed == server.sent, api
    assert "response header set-cookie" in run.stdout and "request header cookie" in run.stdout
    for kind in ("e-mail address", "IP address", "user id", "signed URL query", "token-shaped value"):
        assert kind in run.stdout, (kind, run.stdout)


def _flat(cassette: Path) -> tuple[str, Any]:
    text = cassette.read_text()
    data = yaml.safe_load(text)
    return text + "\n" + json.dumps(data), data


def test_no_cassette_keeps_anything_the_scrubber_must_remove(run: Run) -> None:
    needles = [*NEEDLES, *run.secrets, INVALID_POSTAL_KEY, "rc-session-FAKE-", "127.0.0.1"]
    leaks = []
    for cassette in run.cassettes():
        flat, data = _flat(cassette)
        leaks += [f"{cassette.parent.name}/{cassette.name}: {n!r}" for n in needles if n in flat]
        for interaction in data["interactions"]:
            for side in ("request", "response"):
                names = {name.lower() for name in interaction[side]["headers"]}
                leaks += [f"{cassette.name}: {side} header {h}" for h in HEADER_NEEDLES if h in names]
                leaks += [
                    f"{cassette.name}: {side} header {h}"
                    for h in ("authorization", "cookie", "x-server-api-key")
                    if h in names
                ]
            assert interaction["request"]["uri"].startswith(("https://",)), interaction["request"]["uri"]
    assert not leaks, "\n".join(leaks)


def test_scrubbed_values_are_replaced_so_answers_keep_their_shape(run: Run) -> None:
    _, data = _flat(run.out / "modrinth" / "authenticated_user.yaml")
    body = json.loads(data["interactions"][0]["response"]["body"]["string"])
    assert body["owner"]["email"].endswith("@example.invalid") and body["owner"]["username"].startswith(
        "user"
    )
    assert body["last_login_ip"].startswith("192.0.2.")
    assert body["download_url"] == "https://cdn-signed.example.net/files/pack.jar"
    assert body["session"] == {
        "access_token": "REDACTED",
        "refresh_token": "REDACTED",
        "token_type": "Bearer",
    }
    assert body["widget"] == "REDACTED" and body["debug_header"] == "Authorization: Bearer REDACTED"
    assert isinstance(body["owner_user_id"], int) and body["owner_user_id"] != 7654321
    purchases = json.loads(
        yaml.safe_load((run.out / "builtbybit" / "purchases.yaml").read_text())["interactions"][0][
            "response"
        ]["body"]["string"]
    )["data"]["purchases"]
    # the same buyer gets the same pseudonym in every field that names them
    assert all(str(p["buyer_id"]) == p["Buyer"]["user_id"] for p in purchases)
    assert all(f"/avatars/{p['Buyer']['user_id']}.png" in p["Buyer"]["avatar_url"] for p in purchases)


def test_metadata_says_where_each_cassette_came_from(run: Run) -> None:
    for cassette in run.cassettes():
        meta = yaml.safe_load(cassette.read_text())["metadata"][KEY]
        assert meta["source"] == "base-url" and meta["api"] == cassette.parent.name
        assert meta["base_url"].startswith("https://") and "127.0.0.1" not in json.dumps(meta)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_live_like_cassettes_replay_offline(run: Run, mode: str) -> None:
    for cassette in run.cassettes():
        api = APIS[cassette.parent.name]
        summary, meta = await replay(api, api.scenario(cassette.stem), cassette, mode)
        assert summary == meta["result"], cassette


def test_drift_names_the_fields_the_fakes_lack(run: Run) -> None:
    """The live-like answers carry fields the fakes never send: the comparison must name them."""
    for cassette in run.cassettes():
        found = drift(cassette.parent.name, cassette)
        assert not found.uncomparable, found.uncomparable
        if (cassette.parent.name, cassette.stem) == ("postal", "invalid_key"):
            assert not found.missing
            continue
        assert any(line.endswith(".contact_note (str)") for line in found.missing), (cassette, found.missing)
        assert any(".session (dict)" in line for line in found.missing), cassette
    project = drift("modrinth", run.out / "modrinth" / "project.yaml").missing
    assert project == [
        f"GET https://api.modrinth.com/v2/project/sodium: .{name}"
        for name in (
            "contact_note (str)",
            "debug_header (str)",
            "download_url (str)",
            "email (str)",
            "flavour (str)",
            "last_login_ip (str)",
            "mirror_url (str)",
            "owner (dict)",
            "owner_user_id (int)",
            "session (dict)",
            "widget (str)",
        )
    ]
