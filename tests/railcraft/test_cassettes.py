"""The friendly methods of both clients, replayed from cassettes through the normal transport.

The cassettes are synthetic: recorded from `fake.FakeRailcraft` behind `httpx.MockTransport` with the
real base URL (see cassettes/README.md). In replay (the default, record mode `none`) the clients use
their ordinary httpx transport and vcrpy answers; a request missing from a cassette fails the test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .conftest import CASSETTES
from .fake import CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX, FakeRailcraft
from .harness import close, make, resolve

ARCHIVE_SIZE = 3000  # small: cassettes store the binary body


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Case:
    run: Callable[[Any, Path], Awaitable[Any]]
    check: Callable[[Any], bool]


async def _download(client: Any, tmp: Path) -> tuple[Path, list[tuple[int, int | None]]]:
    progress: list[tuple[int, int | None]] = []
    details = await resolve(client.download_details(opt_mods=["journeymap"]))
    path = await resolve(
        client.download_archive(details, tmp / "pack.zip", progress=lambda d, t: progress.append((d, t)))
    )
    return path, progress


async def _download_pack(client: Any, tmp: Path) -> tuple[Any, Path]:
    details = await resolve(client.download_pack(tmp / "patch.zip", patch_from="1.12.2-5.2"))
    return details, tmp / "patch.zip"


CASES: dict[str, Case] = {
    "current_tag": Case(
        lambda c, _: resolve(c.current_tag()), lambda r: (r.major, r.minor) == ("1.12.2-5", "1.12.2-5.3")
    ),
    "server_message": Case(
        lambda c, _: resolve(c.server_message(ignore_time_limit=True)),
        lambda r: r.color == "gold" and "rails" in r.text,
    ),
    "optional_mods": Case(
        lambda c, _: resolve(c.optional_mods()), lambda r: r == ["journeymap", "optifine", "dynmap"]
    ),
    "error_message": Case(lambda c, _: resolve(c.error_message(12)), lambda r: r == "Token is invalid"),
    "error_messages": Case(
        lambda c, _: resolve(c.error_message()),
        lambda r: len(r) == 15 and r["2"] == "A POST request is required",
    ),
    "ads": Case(
        lambda c, _: resolve(c.ads(type="buy", limit=5)), lambda r: [a.minecraft_name for a in r] == ["Alex"]
    ),
    "test_token": Case(lambda c, _: resolve(c.test_token()), lambda r: r is True),
    "download_details": Case(
        lambda c, _: resolve(c.download_details(opt_mods=["journeymap", "dynmap"])),
        lambda r: r.size_raw == ARCHIVE_SIZE and r.mod_count_opt == 2 and r.filename == "Railcraft-full.zip",
    ),
    "download_archive": Case(
        _download,
        lambda r: r[0].stat().st_size == ARCHIVE_SIZE and r[1][-1] == (ARCHIVE_SIZE, ARCHIVE_SIZE),
    ),
    "download_pack": Case(
        _download_pack, lambda r: r[1].stat().st_size == r[0].size_raw == ARCHIVE_SIZE // 4
    ),
}


@pytest.mark.vcr
@pytest.mark.parametrize("name", sorted(CASES))
async def test_friendly_method_replays(
    name: str, recording: bool, fake: FakeRailcraft, tmp_path: Path
) -> None:
    fake.archive_size = ARCHIVE_SIZE
    case = CASES[name]
    results = []
    for mode in ("sync", "async"):
        transport: Any = httpx.MockTransport(fake) if recording else None
        client = make(mode, transport=transport)
        folder = tmp_path / mode
        folder.mkdir()
        try:
            result = await case.run(client, folder)
        finally:
            await close(client)
        assert case.check(result), (mode, result)
        results.append(result)
    if name == "download_archive":  # both twins saved the same bytes
        assert _sha(results[0][0]) == _sha(results[1][0])


def test_cassettes_are_synthetic_scrubbed_and_complete() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert {f.stem for f in files} == {f"test_friendly_method_replays[{name}]" for name in CASES}
    for path in files:
        text = path.read_text()
        for secret in (CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX):
            assert secret not in text, (path.name, secret)
        cassette = yaml.safe_load(text)
        for interaction in cassette["interactions"]:
            request = interaction["request"]
            assert request["method"] == "POST"
            assert request["uri"].startswith("https://towerofawesome.org/railcraftpack/api/"), path.name
