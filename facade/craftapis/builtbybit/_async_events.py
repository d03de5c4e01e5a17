"""`AsyncEventsConsumer`: a long-running worker over BuiltByBit API events (at-least-once delivery,
batched completions, idle backoff, optional fleet leases; how, and every decision, is in `_events.py`).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from .._errors import APIError, BadRequestError
from .._primitives import AsyncStopFlag, async_call_handler, async_signal_handlers
from ._events import _SIGNALS, ConsumerStats, OnError, _ConsumerCore, _require_main_thread
from ._leases import AsyncLeaseCalls

if TYPE_CHECKING:
    from craftapis_generated.builtbybit_v2.models import Event

    from ._async_client import AsyncBuiltByBit
    from ._leases import EventLeases

__all__ = ["AsyncEventsConsumer"]

logger = logging.getLogger("craftapis.builtbybit.events")


class AsyncEventsConsumer:
    """Polls pending API events and hands each to `handler`; completes it once the handler returned.

    `await AsyncEventsConsumer(bbb, handle, install_signal_handlers=True).run()` runs until SIGINT/SIGTERM.

    Args:
        client: the BuiltByBit client to poll with (its auth, retries and pacing apply).
        handler: called with each pending `Event` (`event_id`, `listener_id`, `created_at`,
            `trigger_type`, `trigger_data`); the event is completed only after it returns. With the
            async client it may be a coroutine function (awaited).
        per_page: events read per request (1-100).
        batch_size: complete events in batches of at most this many ids...
        batch_delay: ...sent at the latest this many seconds after the oldest was handled.
        idle_initial / idle_max / idle_multiplier: the wait after a poll that handed over nothing
            starts at `idle_initial` seconds and grows by `idle_multiplier` up to `idle_max`.
        on_error: `"log"` (default: log the exception, leave the event pending, go on), `"raise"`
            (stop, after sending the completions already earned) or `callable(event, exception)`.
        install_signal_handlers: stop cleanly on SIGINT/SIGTERM while `run()` runs (main thread).
        clock: a monotonic clock (injectable for tests).
        leases: share one events feed among several consumers (processes, hosts): with
            `RedisEventLeases(url, key=...)` an event is handled by one live consumer at a time
            and redelivered to another when a consumer dies (see `craftapis.builtbybit._leases`).

    Completions are sent only between page walks: completing while paging by page number would
    shift the later pages (issue 10, finding 10), so when a batch is due the walk ends, the batch
    is sent and the next walk starts from the first page.
    """

    def __init__(
        self,
        client: AsyncBuiltByBit,
        handler: Callable[[Event], Awaitable[object] | object],
        *,
        per_page: int = 100,
        batch_size: int = 50,
        batch_delay: float = 5.0,
        idle_initial: float = 1.0,
        idle_max: float = 60.0,
        idle_multiplier: float = 2.0,
        on_error: OnError = "log",
        install_signal_handlers: bool = False,
        clock: Callable[[], float] = time.monotonic,
        leases: EventLeases | None = None,
    ) -> None:
        self._client = client
        self._handler = handler
        self._leases = AsyncLeaseCalls(leases) if leases is not None else None
        self._core = _ConsumerCore(
            per_page=per_page,
            batch_size=batch_size,
            batch_delay=batch_delay,
            idle_initial=idle_initial,
            idle_max=idle_max,
            idle_multiplier=idle_multiplier,
            on_error=on_error,
            clock=clock,
            leases=self._leases,
        )
        self.install_signal_handlers = install_signal_handlers
        self._stop = AsyncStopFlag()

    @property
    def stats(self) -> ConsumerStats:
        """What the consumer did so far (`ConsumerStats`): polls, handled, failed, completed, rejected."""
        return self._core.stats

    def stop(self) -> None:
        """Ask `run()` to return: after the event being handled, once completions are sent. Safe from
        any thread (and the event loop) and from signal handlers."""
        self._stop.set()

    async def run(self, *, max_events: int | None = None, stop_when_idle: bool = False) -> ConsumerStats:
        """Poll and handle until `stop()` (or a signal, see `install_signal_handlers`).

        Args:
            max_events: return after handing this many events to the handler (successful or not).
            stop_when_idle: return as soon as a poll has nothing new to hand over.
        Returns the consumer's stats.
        """
        if not self._stop.start():
            raise RuntimeError(f"this {type(self).__name__} is already running")
        core = self._core
        delivered_total = 0
        try:
            async with self._signal_handlers():
                try:
                    cut = False
                    while not self._stop.is_set():
                        budget = None if max_events is None else max_events - delivered_total
                        was_cut = cut
                        delivered, succeeded, cut = await self._poll(budget, same_round=was_cut)
                        delivered_total += delivered
                        if max_events is not None and delivered_total >= max_events:
                            break
                        if succeeded:
                            core.backoff.reset()
                        if succeeded or cut:
                            continue  # events are flowing, or the walk goes on: look again right away
                        if was_cut and delivered == 0:
                            continue  # that round is over: a fresh one (failed events again) right away
                        if delivered == 0 and stop_when_idle:
                            break
                        await self._idle(core.idle_wait())
                finally:
                    await self._flush(everything=True)
                    core.dropped()
                    if self._leases is not None:
                        await self._leases.settle()
        finally:
            self._stop.finish()
        return core.stats

    async def _poll(self, budget: int | None, *, same_round: bool = False) -> tuple[int, int, bool]:
        """One walk: (events handed over, handled successfully, cut short to send completions)."""
        core = self._core
        core.new_poll(same_round=same_round)
        delivered = succeeded = 0
        cut = False
        try:
            async for event in self._client.events(per_page=core.per_page):
                if self._stop.is_set():
                    break
                event_id = core.wanted(event)
                if event_id is None:
                    continue
                leases = self._leases
                if leases is not None and not await leases.acquire(event_id):
                    core.leased_elsewhere()
                    continue
                delivered += 1
                try:
                    with leases.heartbeat(event_id) if leases is not None else contextlib.nullcontext():
                        await async_call_handler(self._handler, event)
                except Exception as error:
                    core.failed(event, error)
                else:
                    core.succeeded(event)
                    succeeded += 1
                if core.flush_due():
                    await self._flush()
                    cut = True
                    break  # completing shifts the pages: walk again from the first one
                if budget is not None and delivered >= budget:
                    break
        except APIError as error:
            core.poll_failed(error)
        return delivered, succeeded, cut

    async def _flush(self, *, everything: bool = False) -> None:
        core = self._core
        while core.flush_due(everything=everything):
            if not await self._complete(core.take()):
                return

    async def _complete(self, batch: list[int]) -> bool:
        """Complete a batch; on a 400, split it until the refused id is alone. False: retry later."""
        core = self._core
        try:
            await self._client.complete_events(batch)
        except BadRequestError as error:
            if len(batch) == 1:
                core.rejected(batch[0], error)
                return True
            middle = len(batch) // 2
            if not await self._complete(batch[:middle]):
                core.requeue(batch[middle:])
                return False
            return await self._complete(batch[middle:])
        except APIError as error:
            core.not_confirmed(batch, error)
            return False
        core.confirmed(batch)
        return True

    async def _idle(self, seconds: float) -> None:
        core = self._core
        deadline = core.clock() + seconds
        while not self._stop.is_set():
            step = core.step(deadline)
            if step > 0:
                await self._stop.wait(step)
            if core.flush_due():
                await self._flush()
            if core.clock() >= deadline:
                return

    @contextlib.asynccontextmanager
    async def _signal_handlers(self) -> AsyncIterator[None]:
        if not self.install_signal_handlers:
            yield
            return
        _require_main_thread()
        async with async_signal_handlers(_SIGNALS, self._on_signal):
            yield

    def _on_signal(self, signum: int) -> None:
        logger.info("%s received: stopping after the current event", signal.Signals(signum).name)
        self.stop()
