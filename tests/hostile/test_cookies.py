"""A hostile server cannot grow a client's cookie jar (and so the `Cookie` header of every later request)
without bound: at most `MAX_COOKIES` cookies of `MAX_COOKIE_BYTES` in all; once full, new cookies are
dropped with one WARNING and the ones kept still work. Sync and async, every API's client."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from craftapis._http import MAX_COOKIE_BYTES, MAX_COOKIES

from tests.faults.apis import Api, close, resolve

from .server import HostileServer, Raw, Seen, response

_ANSWERS = itertools.count()


def _flood(seen: Seen) -> Raw:
    """An answer setting 40 new cookies of 200 bytes each (names unique across answers)."""
    n = next(_ANSWERS)
    headers = [("Set-Cookie", f"flood{n}_{i}={'v' * 200}; Path=/") for i in range(40)]
    return Raw(response(200, {"ok": True}, headers))


async def test_a_cookie_flood_is_capped_and_the_first_cookies_are_kept(
    api: Api, hostile: HostileServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    # the first answer sets a session cookie the client must keep sending; every later one floods
    hostile.script(Raw(response(200, {"ok": True}, [("Set-Cookie", "session=keep-me; Path=/")])))
    hostile.always(_flood)
    client = api.make(mode, hostile.url)
    try:
        with caplog.at_level(logging.WARNING, logger="craftapis"):
            for _ in range(12):
                await resolve(client.request("GET", "/anything", check=False))
        jar: Any = client._http.cookies.jar
    finally:
        await close(client)
    assert len(jar) <= MAX_COOKIES
    assert sum(len(c.name) + len(c.value or "") for c in jar) <= MAX_COOKIE_BYTES
    assert any(c.name == "session" and c.value == "keep-me" for c in jar)
    last_cookie_header = hostile.seen[-1].headers.get("cookie", "")
    assert "session=keep-me" in last_cookie_header
    assert len(last_cookie_header) <= MAX_COOKIE_BYTES + 2 * MAX_COOKIES  # names, values, "; "
    warnings = [r for r in caplog.records if "more cookies than craftapis keeps" in r.getMessage()]
    assert len(warnings) == 1
