"""A response head (status line and headers) dripping in, a byte at a time: every read succeeds within
the read timeout, and h11 (sync) or llhttp (async) accepts a large head, so a per-read timeout alone
would hold the call for hours. The call must end within its deadline, as an `APITimeoutError`, and a
retry must not start the head over past it. The bound is the whole head within the read timeout (sync:
`_wire.py`, async: `_aiohttp_transport.py`): a slow head that does arrive within it is still answered."""

from __future__ import annotations

import time

import httpx
import pytest
from craftapis import APITimeoutError

from tests.faults.apis import Api, close, fast_retry, resolve

from .server import HostileServer, Raw, Seen, response


async def test_a_dripping_head_ends_at_the_deadline(api: Api, hostile: HostileServer, mode: str) -> None:
    """Two bytes every 0.2 s (each read well within timeout=1) of a 1 KB head: about 100 s to arrive;
    the call has a 3 s deadline and may retry."""
    _method, path = api.read_request
    head = response(200, b"{}", {"X-Pad": "p" * 1000})
    hostile.always(Raw(head, drip=(2, 0.2)), path=path)
    client = api.make(mode, hostile.url, timeout=1.0, retry=fast_retry(api.default_retry, deadline=3.0))
    started = time.monotonic()
    try:
        with pytest.raises(APITimeoutError) as caught:
            await resolve(api.read(client))
    finally:
        await close(client)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0 + 1.0, f"the call ran {elapsed:.1f} s under a 3 s deadline"
    assert hostile.count(path) >= 1
    # both transports raise httpx's ReadTimeout, worded alike: the head's budget, not a per-read timeout
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout), repr(caught.value.__cause__)
    assert str(caught.value.__cause__).startswith(
        "the response head (status line and headers) did not arrive within the "
    ), str(caught.value.__cause__)


async def test_a_slow_head_within_the_read_timeout_is_answered(
    api: Api, hostile: HostileServer, mode: str
) -> None:
    """The API's normal answer, its head in ten pieces 0.05 s apart (about 0.5 s in all, within
    timeout=1), the body at once: answered, on the first request."""
    _method, path = api.read_request

    def slow_head(seen: Seen) -> Raw:
        whole = hostile._normal(seen)
        end = whole.index(b"\r\n\r\n") + 4
        return Raw(whole[:end], drip=(max(1, end // 10), 0.05), tail=whole[end:])

    hostile.always(slow_head, path=path)
    client = api.make(mode, hostile.url, timeout=1.0, retry=fast_retry(api.default_retry, deadline=3.0))
    try:
        assert await resolve(api.read(client)) is not None
    finally:
        await close(client)
    assert hostile.count(path) == 1
