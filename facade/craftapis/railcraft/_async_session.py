"""`AsyncTokenSession`: one Railcraft session token shared by every caller of a client, renewed once
(how, and why the lock is held across the acquiring request, is in `_session.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .._primitives import AsyncLock
from ._session import _SessionCore

__all__ = ["AsyncTokenSession"]


class AsyncTokenSession(_SessionCore):
    """The session of one client: `acquire()` sends the token request; one renewal is shared by every
    caller (tasks of the client, or threads of the sync client)."""

    def __init__(
        self,
        acquire: Callable[[], Awaitable[str]],
        *,
        lifetime: float,
        margin: float,
        clock: Callable[[], float],
    ) -> None:
        super().__init__(lifetime=lifetime, margin=margin, clock=clock)
        self._acquire = acquire
        self._lock = AsyncLock()

    async def token(self) -> tuple[str, int]:
        """(token, generation): the current token, acquired first if there is none or it is ending."""
        valid = self._valid()
        if valid is not None:
            return valid
        async with self._lock:
            return self._valid() or await self._renew_locked(None)

    async def renew(self, stale: int) -> tuple[str, int]:
        """A token newer than generation `stale` (the one the server rejected); shares a renewal that
        another caller already made."""
        async with self._lock:
            if self._generation != stale:
                valid = self._valid()
                if valid is not None:
                    return valid
            return await self._renew_locked(stale)

    async def _renew_locked(self, stale: int | None) -> tuple[str, int]:
        reason = self._reason(stale)
        sent_at = self._clock()
        return self._store(await self._acquire(), sent_at, reason)
