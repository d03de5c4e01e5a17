"""The Railcraft session token: acquired from client_id + client_secret, shared, renewed once.

A token is valid "for up to 1 hour after request" (seed 003). The session renews it `renew_margin`
seconds before that hour ends (counted from when the acquiring request was *sent*, the safe end), and
again when the server says 6 (expired) or 12 (invalid) anyway.

Concurrency: every caller of one client shares one token. A renewal is numbered (`generation`); a
caller that saw generation N fail asks to renew N, and whoever comes second finds N+1 already there
and reuses it. So eight threads (or tasks) hitting an expired token cause one acquisition, not eight.
The lock is held across the acquiring request on purpose: the others have nothing to send until it
answers. The token is never logged and never shown in a repr.

`AsyncTokenSession` is written once (`_async_session.py`); `TokenSession` is generated from it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["_SessionCore"]

logger = logging.getLogger("craftapis")

# (token, generation, valid-until on the session's clock)
_Current = tuple[str, int, float]


class _SessionCore:
    """The bookkeeping both twins share; no I/O. `_current` and `_generation` change together under a
    short lock of their own (never held across an await or a request), so a `discard` cannot drop a
    token another caller stored between its check and its change, in threads as in tasks."""

    def __init__(self, *, lifetime: float, margin: float, clock: Callable[[], float]) -> None:
        if not lifetime > 0:
            raise ValueError(f"token_lifetime must be > 0 seconds, got {lifetime!r}")
        if not 0 <= margin < lifetime:
            raise ValueError(
                f"renew_margin must be >= 0 and below token_lifetime ({lifetime}), got {margin!r}"
            )
        self._lifetime = float(lifetime)
        self._margin = float(margin)
        self._clock = clock
        self._current: _Current | None = None  # replaced whole, so a lock-free read is consistent
        self._generation = 0
        self._state = threading.Lock()
        #: how many tokens were acquired (for tests and monitoring)
        self.acquisitions = 0

    def _valid(self) -> tuple[str, int] | None:
        current = self._current
        if current is not None and self._clock() < current[2]:
            return current[0], current[1]
        return None

    def _store(self, token: str, sent_at: float, reason: str) -> tuple[str, int]:
        with self._state:
            self._generation += 1
            self.acquisitions += 1
            generation = self._generation
            self._current = (token, generation, sent_at + self._lifetime - self._margin)
        logger.debug("railcraft: acquired session token #%d (%s)", generation, reason)
        return token, generation

    def _reason(self, stale: int | None) -> str:
        if stale is not None:
            return "the server rejected the previous one"
        if self._generation == 0:
            return "first use"
        return "the previous one was discarded" if self._current is None else "the previous one is ending"

    def discard(self, generation: int) -> None:
        """Forget token `generation` (if still current): the next caller acquires a new one."""
        with self._state:
            current = self._current
            if current is not None and current[1] == generation:
                self._current = None

    @property
    def generation(self) -> int:
        """How many tokens this session has acquired so far (the current one's number)."""
        return self._generation

    def __repr__(self) -> str:
        current = self._current
        state = (
            "none"
            if current is None
            else f"#{current[1]}, valid {max(0.0, current[2] - self._clock()):.0f} s"
        )
        return f"{type(self).__name__}(token=<{state}>)"
