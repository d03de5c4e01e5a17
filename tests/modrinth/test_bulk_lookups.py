"""`latest_versions_from_hashes` and `identify`: a whole folder in one request, sync and async."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from craftapis.modrinth import AsyncModrinth, Modrinth

from .conftest import close, make_client, resolve
from .fake_folder import FolderFake, Release
from .fake_modrinth import AppServer

Client = Modrinth | AsyncModrinth


@pytest.fixture
def folder_fake() -> FolderFake:
    fake = FolderFake()
    fake.add_project(
        "alpha",
        [
            Release("1.0.0"),
            Release("1.1.0"),
            Release("1.2.0", game_versions=["1.21"]),
            Release("1.1.5-beta", version_type="beta"),
        ],
    )
    fake.add_project(
        "beta", [Release("2.0.0", loaders=["forge"]), Release("2.1.0", loaders=["fabric", "forge"])]
    )
    return fake


@pytest.fixture
def server(folder_fake: FolderFake) -> Iterator[AppServer]:
    with AppServer(folder_fake) as running:
        folder_fake.set_cdn_base(running.url)
        yield running


@pytest.fixture
async def bulk_client(mode: str, server: AppServer) -> AsyncIterator[Client]:
    made = make_client(mode, base_url=f"{server.url}/v2")
    try:
        yield made
    finally:
        await close(made)


def sha1(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def bulk_requests(fake: FolderFake) -> list[dict[str, Any]]:
    return [json.loads(s.body) for s in fake.requests if s.path.startswith("/v2/version_files")]


async def test_one_request_answers_every_hash(bulk_client: Client, folder_fake: FolderFake) -> None:
    old_alpha = sha1(folder_fake.jar_bytes("alpha", "1.0.0"))
    old_beta = sha1(folder_fake.jar_bytes("beta", "2.0.0"))
    unknown = sha1(b"not on modrinth")
    result = await resolve(
        bulk_client.latest_versions_from_hashes(
            [old_alpha.upper(), old_beta, unknown, old_alpha],
            loaders="fabric",
            game_versions=["1.20.1"],
            version_types=["release"],
        )
    )
    assert set(result) == {old_alpha, old_beta}
    assert result[old_alpha].version_number == "1.1.0"  # 1.2.0 is for 1.21, 1.1.5-beta is a beta
    assert result[old_beta].version_number == "2.1.0"
    assert [s.path for s in folder_fake.requests] == ["/v2/version_files/update"]
    assert bulk_requests(folder_fake) == [
        {
            "hashes": [old_alpha, old_beta, unknown],  # lower-cased, each once
            "algorithm": "sha1",
            "loaders": ["fabric"],
            "game_versions": ["1.20.1"],
            "version_types": ["release"],
        }
    ]


async def test_omitted_filters_match_everything(bulk_client: Client, folder_fake: FolderFake) -> None:
    digest = hashlib.sha512(folder_fake.jar_bytes("alpha", "1.0.0")).hexdigest()
    result = await resolve(bulk_client.latest_versions_from_hashes([digest], algorithm="sha512"))
    assert result[digest].version_number == "1.1.5-beta"  # the newest published, any type
    assert bulk_requests(folder_fake) == [{"hashes": [digest], "algorithm": "sha512"}]


async def test_version_types_filter_reaches_the_server(bulk_client: Client, folder_fake: FolderFake) -> None:
    digest = sha1(folder_fake.jar_bytes("alpha", "1.0.0"))
    result = await resolve(
        bulk_client.latest_versions_from_hashes([digest], game_versions="1.20.1", version_types="beta")
    )
    assert result[digest].version_number == "1.1.5-beta"


async def test_no_hashes_sends_nothing(bulk_client: Client, folder_fake: FolderFake) -> None:
    assert await resolve(bulk_client.latest_versions_from_hashes([])) == {}
    assert folder_fake.requests == []


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"hashes": "abc123"}, TypeError, "list of hex digests"),
        ({"hashes": None}, TypeError, "list of hex digests"),
        ({"hashes": [123]}, TypeError, "must be a str"),
        ({"hashes": ["not-hex!"]}, ValueError, "not a hex digest"),
        ({"hashes": ["ab"], "algorithm": "md5"}, ValueError, "sha1 or sha512"),
        ({"hashes": ["ab"], "version_types": ["stable"]}, ValueError, "release, beta, alpha"),
        ({"hashes": ["ab"], "loaders": 5}, TypeError, "loaders"),
    ],
)
async def test_wrong_arguments_fail_before_sending(
    bulk_client: Client, folder_fake: FolderFake, kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    kwargs = dict(kwargs)
    hashes = kwargs.pop("hashes")
    with pytest.raises(error, match=words):
        await resolve(bulk_client.latest_versions_from_hashes(hashes, **kwargs))
    assert folder_fake.requests == []


async def test_identify_hashes_files_and_asks_once(
    bulk_client: Client, folder_fake: FolderFake, tmp_path: Path
) -> None:
    known = tmp_path / "alpha.jar"
    known.write_bytes(folder_fake.jar_bytes("alpha", "1.1.0"))
    copy = tmp_path / "alpha-copy.jar"
    copy.write_bytes(known.read_bytes())
    stranger = tmp_path / "mine.jar"
    stranger.write_bytes(b"built locally")
    big = tmp_path / "big.jar"
    big.write_bytes(b"x" * (3 << 20))  # larger than a hashing chunk
    result = await resolve(bulk_client.identify([str(known), copy, stranger, big]))
    assert list(result) == [known, copy, stranger, big]
    alpha = result[known]
    assert alpha is not None and alpha.version_number == "1.1.0"
    assert result[copy] is not None and result[copy].id == alpha.id
    assert result[stranger] is None and result[big] is None
    sent = bulk_requests(folder_fake)
    assert [s.path for s in folder_fake.requests] == ["/v2/version_files"]
    assert sent[0]["algorithm"] == "sha512"
    assert sent[0]["hashes"] == [
        hashlib.sha512(p.read_bytes()).hexdigest() for p in (known, stranger, big)
    ]  # the duplicate is sent once


async def test_identify_sha1(bulk_client: Client, folder_fake: FolderFake, tmp_path: Path) -> None:
    jar = tmp_path / "beta.jar"
    jar.write_bytes(folder_fake.jar_bytes("beta", "2.0.0"))
    result = await resolve(bulk_client.identify([jar], algorithm="sha1"))
    assert result[jar] is not None and result[jar].version_number == "2.0.0"
    assert bulk_requests(folder_fake)[0] == {"hashes": [sha1(jar.read_bytes())], "algorithm": "sha1"}


async def test_identify_nothing_sends_nothing(bulk_client: Client, folder_fake: FolderFake) -> None:
    assert await resolve(bulk_client.identify([])) == {}
    assert folder_fake.requests == []


@pytest.mark.parametrize("kind", ["folder", "one path", "not a path"])
async def test_identify_refuses_what_is_not_a_list_of_files(
    bulk_client: Client, folder_fake: FolderFake, tmp_path: Path, kind: str
) -> None:
    argument: Any = {"folder": [tmp_path], "one path": str(tmp_path), "not a path": [42]}[kind]
    error = ValueError if kind == "folder" else TypeError
    with pytest.raises(error, match=r"folder|list of file paths|os\.PathLike"):
        await resolve(bulk_client.identify(argument))
    assert folder_fake.requests == []
