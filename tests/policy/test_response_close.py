"""The policy transport closes what an inner transport returned through the response's own `close()` /
`aclose()`: a user transport may return an `httpx.Response` subclass and rely on its close (to give a
lease back, to release a connection of its own), which closing the stream directly would skip."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from craftapis._async_transport import AsyncPolicyTransport
from craftapis._retry import RetryPolicy
from craftapis._sync_transport import PolicyTransport
from craftapis._transport import BUFFER_EXTENSION

BODY = b'{"ok": 1}'


class _Stream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body read off "the wire" (not in memory), so the policy reads and closes it itself."""

    def __iter__(self) -> Iterator[bytes]:
        yield BODY

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield BODY


class LeasedResponse(httpx.Response):
    """A response that gives its lease back when closed."""

    released: list[str]

    def close(self) -> None:
        self.released.append("close")
        super().close()

    async def aclose(self) -> None:
        self.released.append("aclose")
        await super().aclose()


class LeasingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers `statuses` in turn (then 200), each a `LeasedResponse` recording its release."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.released: list[str] = []

    def _answer(self) -> LeasedResponse:
        status = self.statuses.pop(0) if self.statuses else 200
        response = LeasedResponse(status, headers={"content-length": str(len(BODY))}, stream=_Stream())
        response.released = self.released
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer()


RETRY = RetryPolicy(max_attempts=2, initial_backoff=0.0, max_backoff=0.0)


def _request() -> httpx.Request:
    return httpx.Request("GET", "http://127.0.0.1:1/x", extensions={BUFFER_EXTENSION: True})


@pytest.mark.parametrize("statuses", [(), (503,)], ids=["success", "retried 503"])
def test_sync_policy_closes_a_response_subclass_through_its_close(statuses: tuple[int, ...]) -> None:
    inner = LeasingTransport(*statuses)
    transport = PolicyTransport(inner, retry=RETRY, sleep=lambda seconds: None)
    response = transport.handle_request(_request())
    assert response.status_code == 200 and response.read() == BODY
    assert inner.released == ["close"] * (len(statuses) + 1)  # every answer received, once each


@pytest.mark.parametrize("statuses", [(), (503,)], ids=["success", "retried 503"])
async def test_async_policy_closes_a_response_subclass_through_its_aclose(statuses: tuple[int, ...]) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    inner = LeasingTransport(*statuses)
    transport = AsyncPolicyTransport(inner, retry=RETRY, sleep=no_sleep)
    response = await transport.handle_async_request(_request())
    assert response.status_code == 200 and await response.aread() == BODY
    assert inner.released == ["aclose"] * (len(statuses) + 1)


async def test_a_client_call_releases_the_lease_of_its_answer() -> None:
    from craftapis.modrinth import AsyncModrinth

    inner = LeasingTransport()
    async with AsyncModrinth(user_agent="craftapis-tests/1 (t@example.invalid)", transport=inner) as client:
        response = await client.request("GET", "/x")
    assert response.json() == {"ok": 1}
    assert inner.released == ["aclose"]
