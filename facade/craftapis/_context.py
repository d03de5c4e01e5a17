"""Per-call overrides, carried by a :class:`contextvars.ContextVar`.

``with call_options(retry=..., idempotent=True, timeout=5.0): ...`` applies to every
request sent inside the block, in this thread or asyncio task and in the tasks it
creates (contextvars are copied into new tasks). Blocks nest: the inner one overrides
only the fields it names.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

import httpx

from ._retry import RetryPolicy

__all__ = [
    "IDEMPOTENT_EXTENSION",
    "CallOptions",
    "call_options",
    "current_call_options",
]

#: Request extension marking one request as safe to resend: ``request.extensions[IDEMPOTENT_EXTENSION] = True``.
IDEMPOTENT_EXTENSION: Final = "craftapis.idempotent"


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
    changes: dict[str, object] = {}
    if not isinstance(retry, _Unset):
        changes["retry"] = retry
    if not isinstance(idempotent, _Unset):
        changes["idempotent"] = idempotent
    if not isinstance(timeout, _Unset):
        changes["timeout"] = timeout
    options = dataclasses.replace(_current.get(), **changes)  # type: ignore[arg-type]
    token = _current.set(options)
    try:
        yield options
    finally:
        _current.reset(token)
