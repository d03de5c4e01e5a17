"""The response-head bound's two scenarios, shared by `test_head_drip.py` (craftapis' own wires) and
`test_proxy_head.py` (httpx's own client, through a proxy): a client with timeout=1 and a 3 s deadline
(retries allowed), a head dripping far slower than that, and a slow head that does arrive in time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from craftapis import APITimeoutError

from tests.faults.apis import Api, close, fast_retry, resolve

from .server import HostileServer, Raw, Seen, response

DEADLINE = 3.0


def make(api: Api, mode: str, base_url: str) -> Any:
    """`api`'s client (sync or async) on `base_url`: timeout=1, a 3 s deadline, the API's retries sped up."""
    return api.make(mode, base_url, timeout=1.0, retry=fast_retry(api.default_retry, deadline=DEADLINE))


def dripping_head() -> Raw:
    """Two bytes every 0.2 s (each read well within timeout=1) of a 1 KB head: about 100 s to arrive."""
    return Raw(response(200, b"{}", {"X-Pad": "p" * 1000}), drip=(2, 0.2))


def slow_head(server: HostileServer) -> Callable[[Seen], Raw]:
    """The API's normal answer from `server`, its head in ten pieces 0.05 s apart (about 0.5 s in all,
    within timeout=1), the body at once."""

    def answer(seen: Seen) -> Raw:
        whole = server._normal(seen)
        end = whole.index(b"\r\n\r\n") + 4
        return Raw(whole[:end], drip=(max(1, end // 10), 0.05), tail=whole[end:])

    return answer


async def ends_at_the_deadline(api: Api, client: Any) -> None:
    """`api`'s read call on `client` (closed after) fails within the deadline as an `APITimeoutError`
    whose cause is httpx's `ReadTimeout`, worded alike on every wire: the head's budget, not a per-read
    timeout."""
    started = time.monotonic()
    try:
        with pytest.raises(APITimeoutError) as caught:
            await resolve(api.read(client))
    finally:
        await close(client)
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + 1.0, f"the call ran {elapsed:.1f} s under a {DEADLINE:g} s deadline"
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout), repr(caught.value.__cause__)
    assert str(caught.value.__cause__).startswith(
        "the response head (status line and headers) did not arrive within the "
    ), str(caught.value.__cause__)


async def is_answered(api: Api, client: Any) -> None:
    """`api`'s read call on `client` (closed after) is answered."""
    try:
        assert await resolve(api.read(client)) is not None
    finally:
        await close(client)
