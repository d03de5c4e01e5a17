"""An events handler that crashes halfway through a batch (BuiltByBit `EventsConsumer`).

The completed events are marked complete (once); the failed one and those not yet handled stay
pending on the server and are delivered again; none is lost, none completed twice.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from craftapis.builtbybit import AsyncBuiltByBit, AsyncEventsConsumer, BuiltByBit, EventsConsumer

from tests.builtbybit import fake_api as bbb_fake

from .apis import close, fast_retry, resolve
from .servers import FaultServer, bbb_v2_app

EVENTS = 10
CRASH_AT = 6  # the sixth event: the first batch of 4 is completed, the fifth is waiting in a batch


class Crash(Exception):
    pass


def _client(mode: str, url: str) -> Any:
    cls: Any = BuiltByBit if mode == "sync" else AsyncBuiltByBit
    return cls(token=bbb_fake.TOKEN, base_url=url, retry=fast_retry())


def _consumer(mode: str, client: Any, handler: Any, **kwargs: Any) -> Any:
    cls: Any = EventsConsumer if mode == "sync" else AsyncEventsConsumer
    return cls(client, handler, per_page=3, batch_size=4, batch_delay=60.0, idle_initial=0.01, **kwargs)


def _completed(fake: bbb_fake.FakeBuiltByBit) -> Counter[int]:
    return Counter(event_id for batch in fake.completed_batches for event_id in batch)


async def test_a_crash_stops_the_consumer_and_leaves_the_rest_pending(mode: str) -> None:
    fake = bbb_fake.FakeBuiltByBit(events=EVENTS)
    ids = list(fake.events)
    handled: list[int] = []

    def crashing(event: Any) -> None:
        handled.append(event.event_id)
        if len(handled) == CRASH_AT:
            raise Crash(f"handler crashed on event {event.event_id}")

    with FaultServer(bbb_v2_app(fake)) as server:
        client = _client(mode, server.url)
        try:
            with pytest.raises(Crash):
                await resolve(_consumer(mode, client, crashing, on_error="raise").run())
            # what is complete is exactly what was handled before the crash, once each
            assert _completed(fake) == Counter(ids[: CRASH_AT - 1])
            assert list(fake.events) == ids[CRASH_AT - 1 :]  # the failed one and the rest: pending

            # a new consumer (the process restarted) gets the rest, the failed one included
            redelivered: list[int] = []
            stats = await resolve(
                _consumer(mode, client, lambda event: redelivered.append(event.event_id)).run(
                    stop_when_idle=True
                )
            )
        finally:
            await close(client)
    assert redelivered == ids[CRASH_AT - 1 :]
    assert _completed(fake) == Counter(ids)  # every event completed, none twice
    assert not fake.events
    assert stats.completed == EVENTS - (CRASH_AT - 1) and stats.failed == 0


async def test_a_failing_event_is_redelivered_without_stopping(mode: str) -> None:
    """With on_error="log" (the default) the consumer goes on; the failed event stays pending and is
    handed over again by a later poll, then completed once."""
    fake = bbb_fake.FakeBuiltByBit(events=EVENTS)
    ids = list(fake.events)
    calls: list[int] = []

    def flaky(event: Any) -> None:
        calls.append(event.event_id)
        if event.event_id == ids[CRASH_AT - 1] and calls.count(event.event_id) == 1:
            raise Crash("first delivery fails")

    with FaultServer(bbb_v2_app(fake)) as server:
        client = _client(mode, server.url)
        try:
            stats = await resolve(_consumer(mode, client, flaky).run(stop_when_idle=True))
        finally:
            await close(client)
    assert Counter(calls) == Counter(ids) + Counter([ids[CRASH_AT - 1]])  # delivered twice: that one only
    assert _completed(fake) == Counter(ids)
    assert not fake.events
    assert (stats.handled, stats.failed, stats.completed) == (EVENTS, 1, EVENTS)


async def test_a_hard_stop_mid_batch_completes_what_was_handled(mode: str) -> None:
    """A KeyboardInterrupt in the handler (not an Exception: never swallowed) still sends the
    completions already earned before it propagates."""
    fake = bbb_fake.FakeBuiltByBit(events=EVENTS)
    ids = list(fake.events)
    handled: list[int] = []

    def interrupted(event: Any) -> None:
        if len(handled) == CRASH_AT - 1:
            raise KeyboardInterrupt
        handled.append(event.event_id)

    with FaultServer(bbb_v2_app(fake)) as server:
        client = _client(mode, server.url)
        try:
            with pytest.raises(KeyboardInterrupt):
                await resolve(_consumer(mode, client, interrupted).run())
        finally:
            await close(client)
    assert handled == ids[: CRASH_AT - 1]
    assert _completed(fake) == Counter(handled)
    assert list(fake.events) == ids[CRASH_AT - 1 :]
