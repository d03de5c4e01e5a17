"""Per-call overrides, carried by context variables (:class:`contextvars.ContextVar`).

``with call_options(retry=..., idempotent=True, timeout=5.0): ...`` applies to every
request sent inside the block, in this thread or asyncio task and in the tasks it
creates (contextvars are copied into new tasks). Blocks nest: the inner one overrides
only the fields it names.

``with client.options(...)`` (:func:`client_options`) does the same for one client object
only; ``client.with_options(...)`` binds overrides to a copy of the client. A client merges
them for each request (:func:`merge_options`) and hands the result to its transport in the
request's ``OPTIONS_EXTENSION``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import httpx

from ._retry import RetryPolicy

__all__ = [
    "IDEMPOTENT_EXTENSION",
    "OPTIONS_EXTENSION",
    "CallOptions",
    "call_options",
    "client_options",
    "current_call_options",
    "merge_options",
    "options_for",
]

#: Request extension marking one request as safe to resend: ``request.extensions[IDEMPOTENT_EXTENSION] = True``.
IDEMPOTENT_EXTENSION: Final = "craftapis.idempotent"
#: Request extension: the :class:`CallOptions` a client resolved for this request (its transport reads
#: them instead of the context variable).
OPTIONS_EXTENSION: Final = "craftapis.options"


@dataclass(frozen=True, slots=True)
class CallOptions:
    """Overrides for the calls made inside a :func:`call_options` block.

    ``None`` means "not overridden": the client's or transport's setting applies.

    Attributes:
        retry: the :class:`~craftapis.RetryPolicy` to use instead of the client's.
        idempotent: ``True`` lets non-GET requests be retried; ``False`` forbids resending
            requests that may have reached the server, GETs included.
        timeout: an :class:`httpx.Timeout` or seconds, instead of the client's timeout.
    """

    retry: RetryPolicy | None = None
    idempotent: bool | None = None
    timeout: httpx.Timeout | float | None = None


_NO_OPTIONS: Final = CallOptions()
_current: ContextVar[CallOptions] = ContextVar("craftapis.call_options", default=_NO_OPTIONS)


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Final = _Unset()
#: the options of `client.options(...)` blocks in force, by `id()` of the client they were opened on
_scoped: ContextVar[Mapping[int, CallOptions]] = ContextVar(
    "craftapis.client_options", default=MappingProxyType({})
)


def current_call_options() -> CallOptions:
    """The options in force here (all ``None`` outside any :func:`call_options` block)."""
    return _current.get()


@contextlib.contextmanager
def call_options(
    *,
    retry: RetryPolicy | _Unset | None = _UNSET,
    idempotent: bool | _Unset | None = _UNSET,
    timeout: httpx.Timeout | float | _Unset | None = _UNSET,
) -> Iterator[CallOptions]:
    """Override the retry policy, idempotency or timeout of the calls made inside the block.

    Only the fields passed are changed, so blocks nest: an inner
    ``call_options(idempotent=True)`` keeps an outer ``retry=``. Passing ``None``
    explicitly restores the client's default for that field. Yields the options in force.
    """
    changes = _changes(retry, idempotent, timeout)
    options = dataclasses.replace(_current.get(), **changes)  # type: ignore[arg-type]
    token = _current.set(options)
    try:
        yield options
    finally:
        _current.reset(token)


def _changes(
    retry: RetryPolicy | _Unset | None,
    idempotent: bool | _Unset | None,
    timeout: httpx.Timeout | float | _Unset | None,
) -> dict[str, object]:
    named = {"retry": retry, "idempotent": idempotent, "timeout": timeout}
    return {k: v for k, v in named.items() if not isinstance(v, _Unset)}


@contextlib.contextmanager
def client_options(
    owner: object,
    *,
    retry: RetryPolicy | _Unset | None = _UNSET,
    idempotent: bool | _Unset | None = _UNSET,
    timeout: httpx.Timeout | float | _Unset | None = _UNSET,
) -> Iterator[CallOptions]:
    """Like :func:`call_options`, for the requests of one client object only (``client.options()``):
    another client, or a copy made by ``with_options``, is not affected. Blocks nest the same way."""
    current = _scoped.get()
    changes = _changes(retry, idempotent, timeout)
    options = dataclasses.replace(current.get(id(owner), _NO_OPTIONS), **changes)  # type: ignore[arg-type]
    token = _scoped.set(MappingProxyType({**current, id(owner): options}))
    try:
        yield options
    finally:
        _scoped.reset(token)


def options_for(owner: object) -> CallOptions:
    """The options of the `client_options(owner)` blocks in force here (all ``None`` outside them)."""
    return _scoped.get().get(id(owner), _NO_OPTIONS)


def merge_options(*layers: CallOptions) -> CallOptions:
    """One :class:`CallOptions` from layers, later ones winning for every field they set (not None)."""
    retry = idempotent = timeout = None
    for layer in layers:
        retry = layer.retry if layer.retry is not None else retry
        idempotent = layer.idempotent if layer.idempotent is not None else idempotent
        timeout = layer.timeout if layer.timeout is not None else timeout
    return CallOptions(retry=retry, idempotent=idempotent, timeout=timeout)
