"""The friendly methods of both clients, replayed from cassettes through the normal transport.

The cassettes are synthetic: recorded from `fake.FakeBuiltByBit` behind `httpx.MockTransport` with the
real base URL (see cassettes/README.md). In replay (the default, record mode `none`) the clients use
their ordinary httpx transport and vcrpy answers; a request missing from a cassette fails the test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import yaml

from .conftest import CASSETTES
from .fake import NONCE, PRIVATE_TOKEN, SHARED_TOKEN, FakeBuiltByBit
from .harness import close, collect, make, resolve


@dataclass(frozen=True)
class Case:
    run: Callable[[Any], Awaitable[Any]]
    check: Callable[[Any], bool]
    shared: bool = False


async def _list(client: Any, method: str, *args: Any, **kwargs: Any) -> list[Any]:
    return await collect(getattr(client, method)(*args, **kwargs))


CASES: dict[str, Case] = {
    "health": Case(lambda c: resolve(c.health()), lambda r: r == "ok"),
    "resources": Case(
        lambda c: _list(c, "resources"),
        lambda r: (
            len(r) == 45 and len({x.resource_id for x in r}) == 45 and r[0].title == "Synthetic Resource 00"
        ),
    ),
    "resources_sorted_limited": Case(
        lambda c: _list(c, "resources", sort="resource_id", order="desc", limit=22),
        lambda r: [x.resource_id for x in r] == list(range(1044, 1022, -1)),
    ),
    "owned_resources": Case(
        lambda c: _list(c, "owned_resources"), lambda r: [x.resource_id for x in r] == [1000, 1001, 1002]
    ),
    "purchases": Case(
        lambda c: _list(c, "purchases", 1001), lambda r: [x.purchase_id for x in r] == [600, 601, 602]
    ),
    "licenses": Case(
        lambda c: _list(c, "licenses", 1001), lambda r: [x.active for x in r] == [True, False, True]
    ),
    "reviews": Case(lambda c: _list(c, "reviews", 1001), lambda r: [x.rating for x in r] == [5, 4]),
    "updates": Case(lambda c: _list(c, "updates", 1001), lambda r: [x.title for x in r][-1] == "Update 3"),
    "versions": Case(lambda c: _list(c, "versions", 1001), lambda r: len(r) == 25 and r[-1].name == "1.24.0"),
    "downloads": Case(lambda c: _list(c, "downloads", 1001), lambda r: len(r) == 5),
    "downloads_by_member": Case(
        lambda c: _list(c, "downloads", 1001, member_id=501), lambda r: [x.downloader_id for x in r] == [501]
    ),
    "downloads_by_version": Case(
        lambda c: _list(c, "downloads", 1001, version_id=9001), lambda r: {x.version_id for x in r} == {9001}
    ),
    "conversations": Case(lambda c: _list(c, "conversations"), lambda r: r[0].recipient_ids == [77]),
    "alerts": Case(lambda c: _list(c, "alerts"), lambda r: [x.caused_member_id for x in r] == [500, 501]),
    "threads": Case(lambda c: _list(c, "threads"), lambda r: [x.thread_id for x in r] == [20, 21, 22]),
    "paginate_any_list": Case(
        lambda c: collect(c.paginate("versions.list_resource_versions", resource_id=1001, limit=21)),
        lambda r: len(r) == 21,
    ),
    "latest_version_shared": Case(
        lambda c: resolve(c.latest_version(1001)), lambda r: r.version_id == 9024, shared=True
    ),
    "validate_license_shared": Case(
        lambda c: resolve(c.validate_license(1001, 501, nonce=NONCE, timestamp=1_700_000_123)),
        lambda r: r.valid and r.license.license_id == 1,
        shared=True,
    ),
    "validate_license_missing": Case(
        lambda c: resolve(c.validate_license(1001, 999, nonce=NONCE, timestamp=1_700_000_123)),
        lambda r: not r.valid and r.license is None,
        shared=True,
    ),
    "raw_xml": Case(
        lambda c: resolve(c.raw("GET", "/resources/1001/versions/latest", format="xml")),
        lambda r: "<name>1.24.0</name>" in r,
    ),
}


@pytest.mark.vcr
@pytest.mark.parametrize("name", sorted(CASES))
async def test_friendly_method_replays(name: str, recording: bool, fake: FakeBuiltByBit) -> None:
    case = CASES[name]
    token = {"shared_token": SHARED_TOKEN} if case.shared else {"private_token": PRIVATE_TOKEN}
    for mode in ("sync", "async"):
        transport: Any = httpx.MockTransport(fake) if recording else None
        client = make(mode, transport=transport, **token)
        try:
            result = await case.run(client)
        finally:
            await close(client)
        assert case.check(result), (mode, result)


def test_cassettes_are_synthetic_scrubbed_and_complete() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert {f.stem for f in files} == {f"test_friendly_method_replays[{name}]" for name in CASES}
    for path in files:
        text = path.read_text()
        assert PRIVATE_TOKEN not in text and SHARED_TOKEN not in text, path.name
        assert "Private " not in text and "Shared " not in text, path.name  # no Authorization value at all
        cassette = yaml.safe_load(text)
        uris = [interaction["request"]["uri"] for interaction in cassette["interactions"]]
        assert uris and all(uri.startswith("https://api.builtbybit.com/v1/") for uri in uris), path.name
        assert all(str(NONCE) not in uri for uri in uris), path.name
