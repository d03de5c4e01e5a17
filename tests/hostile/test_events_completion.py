"""Issue 10, finding 10: BuiltByBit events completion against a feed that behaves like the real one.

Before: a completion batch the server rejected with a 400 (it held an id another instance had
already completed) was retried as it was, for ever: every later completion was blocked (37
identical retries, 0 of 149 completed in 5 s). And completing while paging by page number shifted
the pages, so events arrived late and out of order. After: a rejected batch is split until the
refused id is alone, that id is given up, the rest complete; completions are sent between page
walks, and each walk starts from the first page.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from craftapis import RetryPolicy
from craftapis.builtbybit import AsyncBuiltByBit, AsyncEventsConsumer, BuiltByBit, EventsConsumer

from tests.faults.apis import close, resolve
from tests.fleet.events_feed import EventsFeed


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _consumer(mode: str, url: str, handler: Any, **kwargs: Any) -> tuple[Any, Any]:
    retry = RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.02)
    if mode == "sync":
        client: Any = BuiltByBit(token="eventsTOKEN", base_url=url, retry=retry)
        return client, EventsConsumer(client, handler, idle_initial=0.01, idle_max=0.05, **kwargs)
    client = AsyncBuiltByBit(token="eventsTOKEN", base_url=url, retry=retry)
    return client, AsyncEventsConsumer(client, handler, idle_initial=0.01, idle_max=0.05, **kwargs)


async def test_a_rejected_batch_does_not_block_later_completions(mode: str) -> None:
    with EventsFeed(149) as feed:
        stolen = feed.all_ids[10]  # another instance completes this one while we handle it

        def handle(event: Any) -> None:
            if event.event_id == stolen:
                feed.complete_elsewhere(stolen)

        client, consumer = _consumer(mode, feed.url, handle, per_page=50, batch_size=25, batch_delay=60.0)
        started = time.monotonic()
        try:
            stats = await resolve(consumer.run(stop_when_idle=True))
        finally:
            await close(client)
        elapsed = time.monotonic() - started
    assert not feed.pending, f"{len(feed.pending)} of 149 still pending"
    assert set(feed.completions) == set(feed.all_ids) and set(feed.completions.values()) == {1}
    assert stats.rejected == 1 and stats.completed == 148
    # The split isolates the refused id in a handful of requests, not dozens of identical retries.
    assert len(feed.rejected_batches) <= 6, feed.rejected_batches
    assert all(stolen in batch for batch in feed.rejected_batches)
    assert elapsed < 5.0


async def test_completing_while_paging_does_not_shift_events_out_of_order(mode: str) -> None:
    handled: list[int] = []
    with EventsFeed(60) as feed:
        client, consumer = _consumer(
            mode,
            feed.url,
            lambda event: handled.append(event.event_id),
            per_page=10,
            batch_size=5,
            batch_delay=60.0,
        )
        try:
            await resolve(consumer.run(stop_when_idle=True))
        finally:
            await close(client)
    assert handled == feed.all_ids  # every event, once, in the order the feed lists them
    assert set(feed.completions.values()) == {1} and not feed.rejected_batches
