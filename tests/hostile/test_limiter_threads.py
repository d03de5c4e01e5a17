"""Issue 10, finding 11 (first item): BuiltByBit v2 under 50 threads against a fixed window.

Before: 3-4 of the calls failed with `RateLimitError` although every 429 carried a `Retry-After`
to wait on: the limiter only blocked on each 429, so after every block all 50 threads rushed the
new window, most met a 429 again and some ran out of attempts. After: the limiter learns the window
(its length from the 429's `Retry-After`, its size from the answers that got through) and grants
no more than that per window, so every call succeeds and 429s stay a first-window affair.
"""

from __future__ import annotations

import threading
import time

from craftapis import APIError
from craftapis.builtbybit import BuiltByBit
from loopback import FixedWindow, LoopbackServer

THREADS = 50
CALLS = 2
LIMIT = 10
WINDOW = 0.5


def test_fifty_threads_on_a_fixed_window_never_run_out_of_retries(loopback: LoopbackServer) -> None:
    loopback.rate_limit = FixedWindow(limit=LIMIT, window=WINDOW, style="builtbybit")
    client = BuiltByBit(token="threadsTOKEN", base_url=loopback.url)  # the default RetryPolicy (4 attempts)
    failures: list[APIError] = []
    done: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def worker() -> None:
        barrier.wait()
        for _ in range(CALLS):
            try:
                client.request("GET", "/v2/resources")
            except APIError as error:
                with lock:
                    failures.append(error)
            else:
                with lock:
                    done.append(1)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    client.close()
    assert not any(thread.is_alive() for thread in threads)
    windows = len(loopback.rate_limit.counts)
    rejected = loopback.rate_limit.rejected
    print(
        f"\n50 threads x {CALLS}: {elapsed:.2f} s, {windows} windows, {rejected} x 429, {len(failures)} failed"
    )
    assert failures == [], [str(f) for f in failures[:3]]
    assert len(done) == THREADS * CALLS
    # Each window admitted at most its limit, and once learnt the windows are filled, not stormed:
    # the 429s are the first window's in-flight overshoot (at most one per thread) plus a few probes.
    assert max(loopback.rate_limit.counts.values()) <= LIMIT
    assert rejected <= THREADS + 2 * windows, rejected
