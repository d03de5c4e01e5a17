"""A response head (status line and headers) dripping in, a byte at a time: every read succeeds within
the read timeout, and h11 accepts up to 100 KiB of head, so a per-read timeout alone would hold the call
for hours. The call must end within its deadline, as an `APITimeoutError`, and a retry must not start
the head over past it."""

from __future__ import annotations

import time

import pytest
from craftapis import APITimeoutError

from tests.faults.apis import Api, close, fast_retry, resolve

from .server import HostileServer, Raw, response


@pytest.mark.parametrize("mode", ["sync"])  # the sync default transport (`_wire.py`) bounds the head
async def test_a_dripping_head_ends_at_the_deadline(api: Api, hostile: HostileServer, mode: str) -> None:
    """Two bytes every 0.2 s (each read well within timeout=1) of a 1 KB head: about 100 s to arrive;
    the call has a 3 s deadline and may retry."""
    _method, path = api.read_request
    head = response(200, b"{}", {"X-Pad": "p" * 1000})
    hostile.always(Raw(head, drip=(2, 0.2)), path=path)
    client = api.make(mode, hostile.url, timeout=1.0, retry=fast_retry(api.default_retry, deadline=3.0))
    started = time.monotonic()
    try:
        with pytest.raises(APITimeoutError):
            await resolve(api.read(client))
    finally:
        await close(client)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0 + 1.0, f"the call ran {elapsed:.1f} s under a 3 s deadline"
    assert hostile.count(path) >= 1
