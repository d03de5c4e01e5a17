"""EventsConsumer / AsyncEventsConsumer against the loopback fake: completion after the handler,
batches (size and delay), redelivery of failed events, idle backoff, stop() and signals."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from craftapis import RetryPolicy
from craftapis.builtbybit import (
    AsyncBuiltByBit,
    AsyncEventsConsumer,
    BuiltByBit,
    EventsConsumer,
    IdleBackoff,
)

from .fake_api import TOKEN, FakeBuiltByBit, Override


class Harness:
    """A consumer (sync or async) over the fake; `await harness.run(...)` in both modes."""

    def __init__(self, mode: str, url: str, handler: Callable[[Any], object], **knobs: Any) -> None:
        self.mode = mode
        retry = RetryPolicy(max_attempts=1)
        if mode == "sync":
            self.client: Any = BuiltByBit(token=TOKEN, base_url=url, retry=retry)
            self.consumer: Any = EventsConsumer(self.client, handler, **knobs)
        else:
            self.client = AsyncBuiltByBit(token=TOKEN, base_url=url, retry=retry)
            self.consumer = AsyncEventsConsumer(self.client, handler, **knobs)

    async def run(self, **kwargs: Any) -> Any:
        if self.mode == "sync":
            return await asyncio.to_thread(self.consumer.run, **kwargs)
        return await self.consumer.run(**kwargs)

    async def close(self) -> None:
        if self.mode == "sync":
            self.client.close()
        else:
            await self.client.aclose()


@pytest.fixture
async def consumer(mode: str, fake_url: str) -> Any:
    made: list[Harness] = []

    def make(handler: Callable[[Any], object], **knobs: Any) -> Harness:
        knobs.setdefault("idle_initial", 0.01)
        knobs.setdefault("idle_max", 0.05)
        made.append(Harness(mode, fake_url, handler, **knobs))
        return made[-1]

    yield make
    for one in made:
        await one.close()


async def test_handled_events_are_completed_in_batches(consumer: Any, fake: FakeBuiltByBit) -> None:
    ids = [fake.add_event() for _ in range(7)]
    handled: list[int] = []
    completed_when_handled: list[bool] = []

    def handler(event: Any) -> None:
        # an event is never completed before its handler ran
        completed_when_handled.append(any(event.event_id in b for b in fake.completed_batches))
        handled.append(event.event_id)

    harness = consumer(handler, batch_size=3, batch_delay=60.0, per_page=2)
    stats = await harness.run(stop_when_idle=True)
    assert handled == ids and not any(completed_when_handled)
    assert fake.completed_batches == [ids[0:3], ids[3:6], ids[6:7]]  # the last one flushed at stop
    assert fake.events == {}
    assert (stats.handled, stats.failed, stats.completed) == (7, 0, 7)


async def test_completions_flush_after_batch_delay_while_idle(consumer: Any, fake: FakeBuiltByBit) -> None:
    ids = [fake.add_event() for _ in range(2)]
    harness = consumer(lambda event: None, batch_size=100, batch_delay=0.1, idle_initial=0.5, idle_max=0.5)
    runner = asyncio.ensure_future(harness.run())
    try:
        deadline = time.monotonic() + 3
        while not fake.completed_batches and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert fake.completed_batches == [ids]  # sent by the delay, not by stopping
        assert not runner.done()
    finally:
        harness.consumer.stop()
        await asyncio.wait_for(runner, 5)


async def test_failed_event_stays_pending_and_is_redelivered(
    consumer: Any, fake: FakeBuiltByBit, caplog: pytest.LogCaptureFixture
) -> None:
    first, second, third = (fake.add_event() for _ in range(3))
    calls: list[int] = []
    completed_at_redelivery: list[list[list[int]]] = []

    def handler(event: Any) -> None:
        calls.append(event.event_id)
        if event.event_id == second:
            if calls.count(second) == 1:
                raise RuntimeError("database is down")
            completed_at_redelivery.append([list(b) for b in fake.completed_batches])

    harness = consumer(handler, batch_size=1)
    with caplog.at_level(logging.ERROR, logger="craftapis.builtbybit.events"):
        stats = await harness.run(stop_when_idle=True)
    assert calls == [first, second, third, second]  # redelivered on the next poll
    completed_then = [i for batch in completed_at_redelivery[0] for i in batch]
    assert second not in completed_then  # not completed while it had failed
    assert sorted(i for batch in fake.completed_batches for i in batch) == [first, second, third]
    assert (stats.handled, stats.failed) == (3, 1)
    assert "stays pending" in caplog.text and "database is down" in caplog.text


async def test_on_error_raise_stops_after_flushing(consumer: Any, fake: FakeBuiltByBit) -> None:
    first, second = fake.add_event(), fake.add_event()

    def handler(event: Any) -> None:
        if event.event_id == second:
            raise KeyError("boom")

    harness = consumer(handler, on_error="raise", batch_size=10)
    with pytest.raises(KeyError, match="boom"):
        await harness.run()
    assert fake.completed_batches == [[first]] and second in fake.events


async def test_on_error_callable(consumer: Any, fake: FakeBuiltByBit) -> None:
    fake.add_event()
    seen: list[tuple[int, str]] = []

    def handler(event: Any) -> None:
        raise ValueError("bad payload")

    harness = consumer(handler, on_error=lambda event, exc: seen.append((event.event_id, str(exc))))
    await harness.run(max_events=2)
    assert seen == [(800, "bad payload"), (800, "bad payload")] and fake.completed_batches == []


async def test_idle_backoff_grows_and_is_capped(consumer: Any, fake: FakeBuiltByBit) -> None:
    harness = consumer(lambda event: None, idle_initial=0.01, idle_multiplier=2.0, idle_max=0.04)
    runner = asyncio.ensure_future(harness.run())
    try:
        deadline = time.monotonic() + 5
        while len(harness.consumer.stats.idle_waits) < 6 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    finally:
        harness.consumer.stop()
        await asyncio.wait_for(runner, 5)
    waits = list(harness.consumer.stats.idle_waits)[:6]
    assert waits == [0.01, 0.02, 0.04, 0.04, 0.04, 0.04]
    polls = [r.at for r in fake.requests if r.path == "/v2/events"]
    assert polls[2] - polls[1] >= 0.02 * 0.9  # really waited


async def test_backoff_resets_when_events_flow(consumer: Any, fake: FakeBuiltByBit) -> None:
    harness = consumer(lambda event: None, idle_initial=0.01, idle_max=1.0)

    def on_request(seen: Any) -> None:
        if seen.path == "/v2/events" and len(harness.consumer.stats.idle_waits) == 3 and not fake.events:
            fake.add_event()

    fake.on_request = on_request
    runner = asyncio.ensure_future(harness.run())
    try:
        deadline = time.monotonic() + 5
        while len(harness.consumer.stats.idle_waits) < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    finally:
        harness.consumer.stop()
        await asyncio.wait_for(runner, 5)
    assert list(harness.consumer.stats.idle_waits)[:5] == [0.01, 0.02, 0.04, 0.01, 0.02]


def test_idle_backoff_alone() -> None:
    backoff = IdleBackoff(1.0, 5.0, 3.0)
    assert [backoff.next() for _ in range(4)] == [1.0, 3.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next() == 1.0
    with pytest.raises(ValueError):
        IdleBackoff(0.0)


async def test_stop_ends_a_long_idle_wait(consumer: Any, fake: FakeBuiltByBit) -> None:
    harness = consumer(lambda event: None, idle_initial=30.0, idle_max=30.0)
    runner = asyncio.ensure_future(harness.run())
    deadline = time.monotonic() + 3
    while harness.consumer.stats.polls < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    started = time.monotonic()
    harness.consumer.stop()
    await asyncio.wait_for(runner, 5)
    assert time.monotonic() - started < 1.0


async def test_poll_and_completion_errors_are_survived(
    consumer: Any, fake: FakeBuiltByBit, caplog: pytest.LogCaptureFixture
) -> None:
    fake.overrides.append(
        Override(
            500, {"result": "error", "error": {"code": "InternalError", "message": "x"}}, path="/v2/events"
        )
    )
    fake.overrides.append(
        Override(
            503,
            {"result": "error", "error": {"code": "InternalError", "message": "y"}},
            path="/v2/events/complete",
        )
    )
    event_id = fake.add_event()
    harness = consumer(lambda event: None, batch_size=1, batch_delay=0.01)
    with caplog.at_level(logging.WARNING, logger="craftapis.builtbybit.events"):
        stats = await harness.run(max_events=1)
    assert stats.poll_errors == 1 and stats.completion_errors == 1
    assert fake.completed_batches == [[event_id]]  # the retry at stop succeeded
    assert "polling BuiltByBit events failed" in caplog.text and "completing 1 event(s) failed" in caplog.text
    assert TOKEN not in caplog.text


async def test_async_handler_coroutines_are_awaited(fake: FakeBuiltByBit, fake_url: str) -> None:
    fake.add_event()
    seen: list[int] = []

    async def handler(event: Any) -> None:
        await asyncio.sleep(0)
        seen.append(event.event_id)

    async with AsyncBuiltByBit(token=TOKEN, base_url=fake_url) as bbb:
        await AsyncEventsConsumer(bbb, handler, idle_initial=0.01).run(stop_when_idle=True)
    assert seen == [800] and fake.completed_batches == [[800]]


def test_sigterm_stops_the_sync_consumer(fake: FakeBuiltByBit, fake_url: str) -> None:
    previous = signal.getsignal(signal.SIGTERM)
    with BuiltByBit(token=TOKEN, base_url=fake_url) as bbb:
        fake.add_event()
        consumer = EventsConsumer(
            bbb, lambda event: None, idle_initial=30.0, idle_max=30.0, install_signal_handlers=True
        )
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        started = time.monotonic()
        stats = consumer.run()
        timer.join()
    assert time.monotonic() - started < 5
    assert stats.completed == 1 and fake.completed_batches == [[800]]
    assert signal.getsignal(signal.SIGTERM) is previous  # restored


async def test_sigint_stops_the_async_consumer(fake: FakeBuiltByBit, fake_url: str) -> None:
    async with AsyncBuiltByBit(token=TOKEN, base_url=fake_url) as bbb:
        consumer = AsyncEventsConsumer(
            bbb, lambda event: None, idle_initial=30.0, idle_max=30.0, install_signal_handlers=True
        )
        asyncio.get_running_loop().call_later(0.3, os.kill, os.getpid(), signal.SIGINT)
        started = time.monotonic()
        await asyncio.wait_for(consumer.run(), 5)
    assert time.monotonic() - started < 5


def test_signal_handlers_need_the_main_thread(fake_url: str) -> None:
    errors: list[BaseException] = []
    with BuiltByBit(token=TOKEN, base_url=fake_url) as bbb:
        consumer = EventsConsumer(bbb, lambda event: None, install_signal_handlers=True)

        def run() -> None:
            try:
                consumer.run(stop_when_idle=True)
            except RuntimeError as exc:
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(5)
    assert errors and "main thread" in str(errors[0])


def test_knobs_are_checked(fake_url: str) -> None:
    with BuiltByBit(token=TOKEN, base_url=fake_url) as bbb:
        for bad in ({"per_page": 0}, {"batch_size": 0}, {"idle_initial": 0}, {"on_error": "ignore"}):
            with pytest.raises(ValueError):
                EventsConsumer(bbb, print, **bad)
