"""Issue 15, proofs 1 and 2: four processes of four threads spend one API budget through Redis.

Both fakes enforce 20 requests per 2 s fixed window (the first window starting at the first
request); the Modrinth one announces it (`x-ratelimit-*`), the BuiltByBit one announces nothing
and answers 429 with `Retry-After` in milliseconds. Every figure is measured by the fake server.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from loopback import FixedWindow, LoopbackServer

from .redis_server import RedisServer

PROCESSES = 4
THREADS = 4
ITEMS = 100
LIMIT = 20
WINDOW = 2.0
CRAWLER = Path(__file__).with_name("_crawler.py")
TIMEOUT = 120.0


def _run_fleet(api: str, server: LoopbackServer, redis_url: str) -> list[dict[str, Any]]:
    items = [f"item{i:03d}" for i in range(ITEMS)]
    processes = []
    for p in range(PROCESSES):
        config = {
            "api": api,
            "url": server.url,
            "redis": redis_url,
            "items": items[p::PROCESSES],
            "threads": THREADS,
            "token": "fleetTOKENshared0001",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, str(CRAWLER), json.dumps(config)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for process in processes:
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _successes(server: LoopbackServer) -> Counter[str]:
    return Counter(r.path.rsplit("/", 1)[-1] for r in server.requests if r.status == 200)


def test_four_processes_on_an_announced_window_meet_no_429(
    loopback: LoopbackServer, redis_server: RedisServer
) -> None:
    loopback.rate_limit = FixedWindow(limit=LIMIT, window=WINDOW, style="modrinth")
    results = _run_fleet("modrinth", loopback, redis_server.url)
    assert [r["failed"] for r in results] == [[]] * PROCESSES
    arrivals = [r.at for r in loopback.requests]
    elapsed = max(arrivals) - min(arrivals)
    minimum = (math.ceil(ITEMS / LIMIT) - 1) * WINDOW
    rejected = loopback.rate_limit.rejected
    print(
        f"\nModrinth fleet {PROCESSES}x{THREADS}: {ITEMS} items in {elapsed:.2f} s "
        f"(minimum {minimum:.1f} s, ratio {elapsed / minimum:.3f}), {rejected} x 429, "
        f"per window {[loopback.rate_limit.counts[k] for k in sorted(loopback.rate_limit.counts)]}"
    )
    assert rejected == 0
    successes = _successes(loopback)
    assert len(successes) == ITEMS and set(successes.values()) == {1}  # every item once
    assert elapsed <= 1.25 * minimum


def test_four_processes_on_a_silent_window_meet_one_429_per_window_per_process_at_most(
    loopback: LoopbackServer, redis_server: RedisServer
) -> None:
    loopback.rate_limit = FixedWindow(limit=LIMIT, window=WINDOW, style="builtbybit")
    results = _run_fleet("builtbybit", loopback, redis_server.url)
    assert [r["failed"] for r in results] == [[]] * PROCESSES
    arrivals = [r.at for r in loopback.requests]
    elapsed = max(arrivals) - min(arrivals)
    windows = len(loopback.rate_limit.counts)
    rejected = loopback.rate_limit.rejected
    print(
        f"\nBuiltByBit fleet {PROCESSES}x{THREADS}: {ITEMS} items in {elapsed:.2f} s over {windows} windows, "
        f"{rejected} x 429 (bound {PROCESSES * windows}), per process {[r['throttled'] for r in results]}"
    )
    successes = _successes(loopback)
    assert len(successes) == ITEMS and set(successes.values()) == {1}  # every item once
    assert rejected <= PROCESSES * windows
