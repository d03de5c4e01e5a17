"""`EventsConsumer` / `AsyncEventsConsumer`: a long-running worker over BuiltByBit API events.

BuiltByBit queues the events of your listeners (purchases, updates, ...) as *pending* until they are
marked complete (`GET /v2/events`, `POST /v2/events/complete {event_ids}`; seed 001). The consumer
polls the pending events, calls your handler for each, and completes an event only after its
handler returned, so delivery is at least once: a handler that raises leaves its event pending and
it is delivered again on a later poll; a crash between handling and completing redelivers it too
(make handlers idempotent, e.g. keyed by `event.event_id`).

Completions are sent in batches (`batch_size` ids, or after `batch_delay` seconds, whichever comes
first, and always when the consumer stops). When a poll handles nothing successfully (no new
events, or only failing ones), the consumer waits before the next one, `idle_initial` seconds
growing by `idle_multiplier` up to `idle_max`, and polls again right away while events flow.

The decisions (what to hand over, when to flush, how long to wait) live in `_ConsumerCore` here; the
consumer only sends, calls the handler and waits. `AsyncEventsConsumer` is written once
(`_async_events.py`) and `EventsConsumer` is generated from it (`_sync_events.py`).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from .._errors import APIError, AuthenticationError, PermissionDeniedError

if TYPE_CHECKING:
    from craftapis_generated.builtbybit_v2.models import Event

    from ._leases import _LeaseCalls

__all__ = ["ConsumerStats", "IdleBackoff"]

logger = logging.getLogger("craftapis.builtbybit.events")

#: What to do when the handler raises: log it and go on (`"log"`), stop the consumer and re-raise
#: (`"raise"`), or call `on_error(event, exception)` (if that raises, the consumer stops with it).
OnError = Literal["log", "raise"] | Callable[["Event", Exception], object]
_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
_RECENT: Final = 10_000  # completed ids remembered, to skip ones the server still lists for a moment


class IdleBackoff:
    """Exponential wait between polls that found nothing: initial, times multiplier, capped at maximum."""

    def __init__(self, initial: float = 1.0, maximum: float = 60.0, multiplier: float = 2.0) -> None:
        if not initial > 0 or not maximum >= initial or not multiplier >= 1:
            raise ValueError("need idle_initial > 0, idle_max >= idle_initial and idle_multiplier >= 1")
        self.initial = float(initial)
        self.maximum = float(maximum)
        self.multiplier = float(multiplier)
        self._current = self.initial

    def next(self) -> float:
        """The wait to take now; the one after is longer (up to the cap)."""
        wait = self._current
        self._current = min(self.maximum, self._current * self.multiplier)
        return wait

    def reset(self) -> None:
        """Start again from `initial` (after a poll that handed something over)."""
        self._current = self.initial


@dataclass
class ConsumerStats:
    """Counters of one consumer (since it was created).

    Attributes:
        polls: `GET /v2/events` walks started. handled: handler calls that returned. failed:
        handler calls that raised. completed: events the server confirmed complete.
        poll_errors / completion_errors: failed requests (logged, retried later).
        rejected: events whose completion the server refused on its own (a 400 for that id
        alone, e.g. another instance completed it): given up, not retried for ever.
        leased_elsewhere: events skipped because another consumer of the fleet held them.
        idle_waits: the most recent idle waits, in seconds (bounded, newest last).
    """

    polls: int = 0
    handled: int = 0
    failed: int = 0
    completed: int = 0
    poll_errors: int = 0
    completion_errors: int = 0
    rejected: int = 0
    leased_elsewhere: int = 0
    idle_waits: deque[float] = field(default_factory=lambda: deque(maxlen=64))


class _ConsumerCore:
    """Every decision of the consumers, with no I/O and no waiting."""

    def __init__(
        self,
        *,
        per_page: int,
        batch_size: int,
        batch_delay: float,
        idle_initial: float,
        idle_max: float,
        idle_multiplier: float,
        on_error: OnError,
        clock: Callable[[], float],
        leases: _LeaseCalls | None = None,
    ) -> None:
        if not 1 <= per_page <= 100:
            raise ValueError("per_page must be between 1 and 100")
        if batch_size < 1 or not batch_delay >= 0:
            raise ValueError("batch_size must be >= 1 and batch_delay >= 0 seconds")
        if not (on_error in ("log", "raise") or callable(on_error)):
            raise ValueError("on_error must be 'log', 'raise' or a callable(event, exception)")
        self.per_page = per_page
        self.batch_size = batch_size
        self.batch_delay = float(batch_delay)
        self.backoff = IdleBackoff(idle_initial, idle_max, idle_multiplier)
        self.on_error = on_error
        self.clock = clock
        self.leases = leases
        self.stats = ConsumerStats()
        self._buffer: list[int] = []  # handled, waiting to be completed
        self._since: float | None = None  # when the oldest buffered id was handled
        self._hold_until = 0.0  # after a failed completion: don't retry before this
        self._waiting: set[int] = set()  # handled and not confirmed complete yet
        self._recent: OrderedDict[int, None] = OrderedDict()  # confirmed complete
        self._seen: set[int] = set()  # handed over during the current poll

    # -- polls --------------------------------------------------------------------------------

    def new_poll(self, *, same_round: bool = False) -> None:
        """Start a walk over the pending events. `same_round`: the last walk was cut short to send
        completions, so this one goes on with it: what that walk handed over (a failed event
        included) is not handed over again until a later round."""
        self.stats.polls += 1
        if not same_round:
            self._seen.clear()

    def wanted(self, event: Event) -> int | None:
        """The event's id if it is to be handed to the handler now (once its lease is taken, when
        leases are shared: the consumer asks for it), else None."""
        event_id = event.event_id
        if not isinstance(event_id, int):
            logger.warning("skipping an event without an integer event_id (it cannot be completed)")
            return None
        if event_id in self._waiting or event_id in self._recent or event_id in self._seen:
            return None
        self._seen.add(event_id)
        return event_id

    def leased_elsewhere(self) -> None:
        """Another consumer of the fleet handles (or handled) the wanted event."""
        self.stats.leased_elsewhere += 1

    def succeeded(self, event: Event) -> None:
        self.stats.handled += 1
        event_id = int(event.event_id)  # type: ignore[arg-type]  # checked by wanted()
        if not self._buffer:
            self._since = self.clock()
        self._buffer.append(event_id)
        self._waiting.add(event_id)
        if self.leases is not None:
            self.leases.extend(event_id)  # held until the completion is confirmed

    def failed(self, event: Event, error: Exception) -> None:
        """Log or report a handler failure; raises when the consumer must stop."""
        self.stats.failed += 1
        if self.leases is not None and isinstance(event.event_id, int):
            self.leases.release(event.event_id)  # pending again: any consumer may retry it
        if self.on_error == "raise":
            raise error
        if callable(self.on_error):
            self.on_error(event, error)
            return
        logger.error(
            "the handler raised for event %s (%s); it stays pending and will be delivered again",
            event.event_id,
            event.trigger_type,
            exc_info=error,
        )

    def poll_failed(self, error: APIError) -> None:
        if isinstance(error, AuthenticationError | PermissionDeniedError):
            raise error  # retrying cannot fix credentials
        self.stats.poll_errors += 1
        logger.warning("polling BuiltByBit events failed (%s); trying again after the idle wait", error)

    # -- completions ----------------------------------------------------------------------------

    def flush_due(self, now: float | None = None, *, everything: bool = False) -> bool:
        if not self._buffer:
            return False
        if everything:
            return True
        now = self.clock() if now is None else now
        if now < self._hold_until:
            return False
        return len(self._buffer) >= self.batch_size or (
            self._since is not None and now - self._since >= self.batch_delay
        )

    def until_flush(self, now: float) -> float | None:
        """Seconds until the buffered completions are due (None: nothing buffered)."""
        if not self._buffer or self._since is None:
            return None
        return max(self._since + self.batch_delay, self._hold_until) - now

    def take(self) -> list[int]:
        batch, self._buffer = self._buffer[: self.batch_size], self._buffer[self.batch_size :]
        if not self._buffer:
            self._since = None
        return batch

    def confirmed(self, batch: list[int]) -> None:
        self.stats.completed += len(batch)
        for event_id in batch:
            self._waiting.discard(event_id)
            self._recent[event_id] = None
        while len(self._recent) > _RECENT:
            self._recent.popitem(last=False)
        if self.leases is not None:
            self.leases.completed(batch)

    def rejected(self, event_id: int, error: APIError) -> None:
        """The server refused to complete this one id (a 400 for it alone): give it up.

        BuiltByBit answers 400 for a batch holding an id it no longer lists as pending (another
        instance completed it). Retrying the same batch would block every later completion
        (issue 10, finding 10), so a rejected batch is split until the refused id is alone.
        """
        self.stats.rejected += 1
        self._waiting.discard(event_id)
        self._recent[event_id] = None
        if self.leases is not None:
            self.leases.completed([event_id])
        logger.warning(
            "BuiltByBit refused to complete event %s (%s); it is given up (most likely it was "
            "completed elsewhere already)",
            event_id,
            error,
        )

    def requeue(self, batch: list[int]) -> None:
        """Put ids back in the buffer to be completed later (part of a split batch)."""
        self._buffer.extend(batch)
        if self._since is None:
            self._since = self.clock()

    def not_confirmed(self, batch: list[int], error: APIError) -> None:
        self.stats.completion_errors += 1
        now = self.clock()
        self._buffer = batch + self._buffer
        self._since = self._since if self._since is not None else now
        self._hold_until = now + max(self.batch_delay, self.backoff.initial)
        logger.warning(
            "completing %d event(s) failed (%s); they will be completed later (if the process stops "
            "first they stay pending and are delivered again)",
            len(batch),
            error,
        )

    def dropped(self) -> None:
        """The consumer stopped with completions it could not send: they stay pending upstream."""
        if self._buffer:
            logger.warning(
                "stopping with %d handled event(s) not marked complete; they will be delivered again",
                len(self._buffer),
            )
        for event_id in self._buffer:
            self._waiting.discard(event_id)
            if self.leases is not None:
                self.leases.release(event_id)
        self._buffer, self._since = [], None

    # -- idle -----------------------------------------------------------------------------------

    def idle_wait(self) -> float:
        wait = self.backoff.next()
        self.stats.idle_waits.append(wait)
        logger.debug("no new events; next poll in %.3f s", wait)
        return wait

    def step(self, deadline: float) -> float:
        """How long to sleep now while idling until `deadline`: wake early for due completions."""
        now = self.clock()
        step = deadline - now
        until = self.until_flush(now)
        if until is not None:
            step = min(step, until)
        return max(0.0, step)


def _require_main_thread() -> None:
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            "install_signal_handlers=True needs run() in the main thread (Python delivers signals "
            "there); call stop() from your own handler instead"
        )
