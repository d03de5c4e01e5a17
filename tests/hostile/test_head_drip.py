"""A response head (status line and headers) dripping in, a byte at a time: every read succeeds within
the read timeout, and h11 (sync) or llhttp (async) accepts a large head, so a per-read timeout alone
would hold the call for hours. The call must end within its deadline, as an `APITimeoutError`, and a
retry must not start the head over past it. The bound is the whole head within the read timeout (sync:
`_wire.py`, async: `_aiohttp_transport.py`): a slow head that does arrive within it is still answered.
The scenarios are `_drip.py`'s, shared with the proxy path's test."""

from __future__ import annotations

from tests.faults.apis import Api

from ._drip import dripping_head, ends_at_the_deadline, is_answered, make, slow_head
from .server import HostileServer


async def test_a_dripping_head_ends_at_the_deadline(api: Api, hostile: HostileServer, mode: str) -> None:
    _method, path = api.read_request
    hostile.always(dripping_head(), path=path)
    await ends_at_the_deadline(api, make(api, mode, hostile.url))
    assert hostile.count(path) >= 1


async def test_a_slow_head_within_the_read_timeout_is_answered(
    api: Api, hostile: HostileServer, mode: str
) -> None:
    """Answered, on the first request."""
    _method, path = api.read_request
    hostile.always(slow_head(hostile), path=path)
    await is_answered(api, make(api, mode, hostile.url))
    assert hostile.count(path) == 1
