"""Issue 15, proof 3: three EventsConsumer processes share one feed of 300 events through Redis leases;
one is killed with SIGKILL mid-batch. Every event is handled at least once, none is completed twice,
and no event is ever in two live consumers' handlers at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from .events_feed import EventsFeed
from .redis_server import RedisServer

EVENTS = 300
CONSUMER = Path(__file__).with_name("_consumer.py")


def _read(log: Path) -> list[tuple[int, str, int, float]]:
    rows = []
    for line in log.read_text().splitlines():
        pid, what, event_id, at = line.split()
        rows.append((int(pid), what, int(event_id), float(at)))
    return rows


def test_three_consumers_one_killed_mid_batch(redis_server: RedisServer, tmp_path: Path) -> None:
    log = tmp_path / "handled.log"
    log.touch()
    with EventsFeed(EVENTS) as feed:
        processes = [
            subprocess.Popen(
                [sys.executable, str(CONSUMER), feed.url, redis_server.url, str(log)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        victim = processes[0]
        # Kill the first consumer once it has handled some events (some still in its unsent batch).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ends = [r for r in _read(log) if r[0] == victim.pid and r[1] == "end"]
            if len(ends) >= 15:
                break
            time.sleep(0.005)
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.time()
        victim.wait(timeout=10)
        for process in processes[1:]:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-2000:]
        completions = feed.completions.copy()
        pending = list(feed.pending)
        rejected = list(feed.rejected_batches)
    rows = _read(log)
    handled = {event_id for _, what, event_id, _ in rows if what == "end"}
    victim_ends = {e for pid, what, e, _ in rows if pid == victim.pid and what == "end"}
    # Intervals in the handler, per event: the victim's unfinished one ends when it was killed.
    opened: dict[tuple[int, int], float] = {}
    intervals: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
    for pid, what, event_id, at in rows:
        if what == "start":
            opened[(pid, event_id)] = at
        else:
            intervals[event_id].append((opened.pop((pid, event_id)), at, pid))
    for (pid, event_id), at in opened.items():
        assert pid == victim.pid, "only the killed consumer may leave a handler unfinished"
        intervals[event_id].append((at, killed_at, pid))
    overlaps = [
        (event_id, a, b)
        for event_id, spans in intervals.items()
        for i, a in enumerate(spans)
        for b in spans[i + 1 :]
        if a[2] != b[2] and a[0] < b[1] and b[0] < a[1]
    ]
    twice = sorted(e for e, spans in intervals.items() if len(spans) > 1)
    print(
        f"\nevents fleet: {EVENTS} events, 3 consumers, one SIGKILLed after {len(victim_ends)} handled; "
        f"{len(twice)} handled twice (all after the kill), {sum(completions.values())} completions, "
        f"{len(rejected)} rejected batches"
    )
    assert pending == [] and handled == set(range(1, EVENTS + 1))  # every event handled at least once
    assert set(completions) == set(range(1, EVENTS + 1)) and set(completions.values()) == {1}  # none twice
    assert overlaps == []  # never in two handlers at once
    # Double handling only for events the killed consumer had taken: after a crash, never otherwise.
    victim_took = {e for pid, _, e, _ in rows if pid == victim.pid}
    assert set(twice) <= victim_took


async def test_two_async_consumers_share_a_feed_through_leases(redis_server: RedisServer) -> None:
    import asyncio

    from craftapis import RetryPolicy
    from craftapis.builtbybit import AsyncBuiltByBit, AsyncEventsConsumer, RedisEventLeases

    busy: dict[int, str] = {}
    clashes: list[int] = []
    handled: list[int] = []
    with EventsFeed(40) as feed:

        def make(name: str) -> tuple[AsyncBuiltByBit, AsyncEventsConsumer]:
            client = AsyncBuiltByBit(
                token="asyncFleetTOKEN", base_url=feed.url, retry=RetryPolicy(initial_backoff=0.01)
            )

            async def handle(event: object) -> None:
                event_id = event.event_id  # type: ignore[attr-defined]
                if event_id in busy:
                    clashes.append(event_id)
                busy[event_id] = name
                await asyncio.sleep(0.005)
                del busy[event_id]
                handled.append(event_id)

            leases = RedisEventLeases(redis_server.url, key="async-fleet", lease=5.0)
            return client, AsyncEventsConsumer(
                client, handle, leases=leases, per_page=10, batch_size=5, batch_delay=0.2, idle_initial=0.02
            )

        pairs = [make("a"), make("b")]
        await asyncio.gather(*(consumer.run(stop_when_idle=True) for _, consumer in pairs))
        for client, _ in pairs:
            await client.aclose()
        # a consumer that stopped while the other held leases leaves those to it: all end complete
        assert not feed.pending
        assert set(feed.completions.values()) == {1} and len(feed.completions) == 40
    assert clashes == [] and sorted(handled) == list(range(1, 41))
    assert all(consumer.stats.handled > 0 for _, consumer in pairs)  # the feed was shared
