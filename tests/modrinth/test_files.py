"""Hash lookups, hashing local files in a stream, and the multipart body of create_version."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
from pathlib import Path

import pytest
from craftapis.modrinth import AsyncModrinth, Modrinth, hash_file

from .conftest import close, make_client, resolve
from .fake_modrinth import AppServer, FakeModrinth, digests, file_bytes, multipart_parts

Client = Modrinth | AsyncModrinth


def test_hash_file_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    block = bytes(range(256)) * 4096  # 1 MiB
    with open(path, "wb") as out:
        for i in range(24):
            out.write(block[i:] + block[:i])
    expected = {name: hashlib.new(name, path.read_bytes()).hexdigest() for name in ("sha1", "sha512")}
    tracemalloc.start()
    try:
        got = {name: hash_file(path, name) for name in ("sha1", "sha512")}
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == expected
    assert peak < 4 * 1024 * 1024, peak  # a 24 MiB file, hashed in 1 MiB chunks
    with pytest.raises(ValueError, match="sha1 or sha512"):
        hash_file(path, "md5")


async def test_version_from_file_and_hash_lookups(
    mode: str, api: AppServer, fake: FakeModrinth, tmp_path: Path
) -> None:
    path = tmp_path / "mod.jar"
    path.write_bytes(file_bytes("QQRRSSTT"))
    sums = digests(file_bytes("QQRRSSTT"))
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        by_file = await resolve(client.version_from_file(path))
        by_sha1_file = await resolve(client.version_from_file(path, "sha1"))
        by_upper = await resolve(client.version_from_hash(sums["sha1"].upper(), "SHA1"))
        found = await resolve(client.versions_from_hashes([sums["sha512"]], algorithm="sha512"))
    finally:
        await close(client)
    assert by_file.id == by_sha1_file.id == by_upper.id == "QQRRSSTT"
    assert found[sums["sha512"]].id == "QQRRSSTT"
    requests = fake.requests
    assert (requests[0].path, requests[0].query("algorithm")) == (
        f"/v2/version_file/{sums['sha512']}",
        "sha512",
    )
    assert (requests[1].path, requests[1].query("algorithm")) == (f"/v2/version_file/{sums['sha1']}", "sha1")
    assert requests[2].path == f"/v2/version_file/{sums['sha1']}"  # lower-cased
    assert json.loads(requests[3].body) == {"hashes": [sums["sha512"]], "algorithm": "sha512"}


async def test_latest_version_from_hash_omits_unset_filters(
    mode: str, api: AppServer, fake: FakeModrinth
) -> None:
    sha1 = digests(file_bytes("IIJJKKLL"))["sha1"]
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        unfiltered = await resolve(client.latest_version_from_hash(sha1))
        filtered = await resolve(
            client.latest_version_from_hash(
                sha1, loaders="forge", game_versions=["1.20.1"], version_types=["release"]
            )
        )
    finally:
        await close(client)
    assert unfiltered.id == filtered.id == "MMNNOOPP"
    assert filtered.loaders == ["forge"]
    first, second = fake.requests
    assert (first.method, first.path, first.query("algorithm")) == (
        "POST",
        f"/v2/version_file/{sha1}/update",
        "sha1",
    )
    assert json.loads(first.body) == {}  # no filter: every version qualifies (an empty list would match none)
    assert json.loads(second.body) == {
        "loaders": ["forge"],
        "game_versions": ["1.20.1"],
        "version_types": ["release"],
    }


async def test_create_version_multipart(
    mode: str, api: AppServer, fake: FakeModrinth, tmp_path: Path
) -> None:
    jar = tmp_path / "mymod-1.2.0.jar"
    jar_bytes = b"PK\x03\x04\x00\xff\r\n--not-a-boundary\r\n" + bytes(range(256)) * 300
    jar.write_bytes(jar_bytes)
    sources = b"synthetic sources \x00\x01"
    stream = io.BytesIO(b"signature bytes")
    client = make_client(mode, base_url=f"{api.url}/v2", token="mrp_publisher")
    try:
        version = await resolve(
            client.create_version(
                "AABBCCDD",
                "1.2.0",
                [jar, ("mymod-1.2.0-sources.jar", sources), ("mymod-1.2.0.jar.asc", stream)],
                name="My Mod 1.2.0",
                game_versions=["1.20.1", "1.20.2"],
                loaders=["fabric", "quilt"],
                version_type="beta",
                primary_file=str(jar),
                changelog="- synthetic change",
                dependencies=[{"project_id": "P7dR8mSH", "dependency_type": "required"}],
                featured=True,
                status="listed",
                file_types={"mymod-1.2.0-sources.jar": "sources-jar", "mymod-1.2.0.jar.asc": "signature"},
            )
        )
    finally:
        await close(client)
    assert version.name == "My Mod 1.2.0"
    assert [(f.filename, f.primary, f.size) for f in version.files] == [
        ("mymod-1.2.0.jar", True, len(jar_bytes)),
        ("mymod-1.2.0-sources.jar", False, len(sources)),
        ("mymod-1.2.0.jar.asc", False, len(b"signature bytes")),
    ]
    seen = fake.requests[0]
    assert (seen.method, seen.path, seen.headers["authorization"]) == ("POST", "/v2/version", "mrp_publisher")
    parts = multipart_parts(seen.headers["content-type"], seen.body)
    assert [name for name, _, _ in parts] == [
        "data",
        "mymod-1.2.0.jar",
        "mymod-1.2.0-sources.jar",
        "mymod-1.2.0.jar.asc",
    ]
    data = json.loads(parts[0][2])
    assert parts[0][1] is None  # the data part is not a file
    assert data == {
        "name": "My Mod 1.2.0",
        "version_number": "1.2.0",
        "dependencies": [{"project_id": "P7dR8mSH", "dependency_type": "required"}],
        "game_versions": ["1.20.1", "1.20.2"],
        "version_type": "beta",
        "loaders": ["fabric", "quilt"],
        "featured": True,
        "project_id": "AABBCCDD",
        "file_parts": ["mymod-1.2.0.jar", "mymod-1.2.0-sources.jar", "mymod-1.2.0.jar.asc"],
        "changelog": "- synthetic change",
        "status": "listed",
        "primary_file": "mymod-1.2.0.jar",
        "file_types": {"mymod-1.2.0-sources.jar": "sources-jar", "mymod-1.2.0.jar.asc": "signature"},
    }
    assert [(f, c) for _, f, c in parts[1:]] == [
        ("mymod-1.2.0.jar", jar_bytes),
        ("mymod-1.2.0-sources.jar", sources),
        ("mymod-1.2.0.jar.asc", b"signature bytes"),
    ]
    assert not stream.closed  # the caller's file object stays the caller's


def test_create_version_rejects_bad_file_lists(tmp_path: Path) -> None:
    client = Modrinth(user_agent="tests/1", transport=None, base_url="http://127.0.0.1:9/v2")
    common = {"game_versions": ["1.20.1"], "loaders": ["fabric"]}
    try:
        with pytest.raises(ValueError, match="unique"):
            client.create_version("A", "1", [("a.jar", b"1"), ("a.jar", b"2")], **common)
        with pytest.raises(ValueError, match=r"primary_file 'b\.jar'"):
            client.create_version("A", "1", [("a.jar", b"1")], primary_file="b.jar", **common)
        with pytest.raises(ValueError, match=r"file_types names 'c\.jar'"):
            client.create_version("A", "1", [("a.jar", b"1")], file_types={"c.jar": "signature"}, **common)
        with pytest.raises(ValueError, match="non-empty list"):
            client.create_version("A", "1", [], **common)
        with pytest.raises(FileNotFoundError):
            client.create_version("A", "1", [tmp_path / "missing.jar"], **common)
    finally:
        client.close()
