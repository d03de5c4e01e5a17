"""`client.with_raw_response`: any method of a client, returning the HTTP response with the parsed result.

The mechanism is generic, at the base client's send: while a method runs under `with_raw_response`,
every response the client receives (`_send`, `_stream`) is recorded in a context variable; the last one
becomes the `RawResponse`. So it works for friendly methods, `call()` and `client.api.<tag>.<op>(...)`
alike, sync and async, and for any method added later.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import httpx

from ._base import _RAW_RESPONSES

__all__ = ["RawResponse", "RawResponses", "typed_raw_class"]

#: covariant: a `RawResponse[Project]` is a `RawResponse[object]` (the result is read-only)
T_co = TypeVar("T_co", covariant=True)

#: the rate-limit headers the APIs send (Modrinth; BuiltByBit and moonrope document none)
_RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")


@dataclass(frozen=True)
class RawResponse(Generic[T_co]):
    """A parsed result with the HTTP response it came from.

    Attributes:
        parsed: what the method returns without `with_raw_response`.
        http_response: the (last) `httpx.Response` the call received; its body is read, except for
            downloads (streamed to disk).
        responses: every response of the call, in order (a method may send several, e.g. batches).
    """

    parsed: T_co
    http_response: httpx.Response
    responses: tuple[httpx.Response, ...] = field(default=(), repr=False)

    @property
    def status_code(self) -> int:
        """The HTTP status of the (last) response."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers, rate-limit headers included (see `rate_limit`)."""
        return self.http_response.headers

    @property
    def request(self) -> httpx.Request:
        """The request that got this response (after auth, as sent)."""
        return self.http_response.request

    @property
    def rate_limit(self) -> dict[str, str]:
        """The rate-limit headers of the response (`x-ratelimit-*`, `retry-after`) that are present."""
        return {name: self.headers[name] for name in _RATE_LIMIT_HEADERS if name in self.headers}


def _result(parsed: Any, captured: list[httpx.Response], name: str) -> RawResponse[Any]:
    if not captured:
        raise TypeError(
            f"{name}() sent no request (a paginated method returns a lazy iterator): call it without "
            "with_raw_response, or use with_raw_response on the method that fetches one page"
        )
    return RawResponse(parsed, captured[-1], tuple(captured))


def _wrap(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        captured: list[httpx.Response] = []
        token = _RAW_RESPONSES.set(captured)
        try:
            outcome = function(*args, **kwargs)
        finally:
            _RAW_RESPONSES.reset(token)
        if inspect.isawaitable(outcome):  # an async client: the requests are sent when it is awaited
            return _finish(outcome, name)
        return _result(outcome, captured, name)

    return call


async def _finish(awaitable: Coroutine[Any, Any, Any] | Any, name: str) -> RawResponse[Any]:
    captured: list[httpx.Response] = []
    token = _RAW_RESPONSES.set(captured)
    try:
        parsed = await awaitable
    finally:
        _RAW_RESPONSES.reset(token)
    return _result(parsed, captured, name)


class RawResponses:
    """`client.with_raw_response`: the client's methods (and `api.<tag>.<operation>`), each returning a
    `RawResponse` (awaitable on async clients)."""

    def __init__(self, target: object) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._target, name)
        if callable(value):
            return _wrap(value, name)
        if isinstance(value, str | bytes | int | float | bool | None | dict | list | tuple):
            raise AttributeError(f"{name!r} is not a method: with_raw_response applies to calls only")
        return RawResponses(value)  # a namespace such as `api` or one of its tags

    def __dir__(self) -> list[str]:
        return [n for n in dir(self._target) if not n.startswith("_")]

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._target!r}>"


def typed_raw_class(client_class: type) -> Callable[[Any], object] | None:
    """The generated `<Client>WithRawResponse` of a client class (`scripts/raw_methods.py` writes it into
    `_async_raw.py`/`_sync_raw.py` beside the client's module), for the nearest class of craftapis in
    the MRO (so a user's subclass keeps it); None for a client without one."""
    for klass in client_class.__mro__:
        module_name = klass.__module__
        package, _, leaf = module_name.rpartition(".")
        if not package.startswith("craftapis.") or leaf not in ("_async_client", "_sync_client"):
            continue
        module = importlib.import_module(f"{package}.{leaf.replace('_client', '_raw')}")
        found = getattr(module, klass.__name__ + "WithRawResponse", None)
        if found is not None:
            return cast("Callable[[Any], object]", found)
    return None
