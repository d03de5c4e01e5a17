"""`LeanPool` at `max_connections`: waiting requests are served first come, first served, and a request
arriving when a connection is released queues behind those already waiting."""

from __future__ import annotations

import threading
import time

import httpcore

from .test_wire import KEEP, _core, _pool, serving


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 10.0
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_waiting_threads_are_served_in_the_order_they_came() -> None:
    with serving(*[KEEP] * 5) as server, _pool(max_connections=1) as pool:
        served: list[str] = []
        held = pool.handle_request(_core(server.url))  # the only connection, busy until its body is read

        def fetch(name: str) -> None:
            response = pool.handle_request(_core(server.url, pool_timeout=30.0))
            served.append(name)
            response.read()
            response.close()

        threads = []
        for number, name in enumerate(("first", "second", "third"), start=1):
            thread = threading.Thread(target=fetch, args=(name,))
            thread.start()
            threads.append(thread)
            _wait_for(lambda n=number: len(pool._queue) == n, f"{name} waiting")
        held.read()
        held.close()  # released: the first in line gets it, not this thread's request right after
        response = pool.handle_request(_core(server.url, pool_timeout=30.0))
        served.append("late")
        response.read()
        response.close()
        for thread in threads:
            thread.join(timeout=10)
        assert served == ["first", "second", "third", "late"]
        assert server.accepted == 1
        assert not pool._queue


def test_a_waiter_that_times_out_leaves_the_queue_and_the_next_one_is_served() -> None:
    with serving(*[KEEP] * 3) as server, _pool(max_connections=1) as pool:
        held = pool.handle_request(_core(server.url))
        outcome: dict[str, object] = {}

        def impatient() -> None:
            try:
                pool.handle_request(_core(server.url, pool_timeout=0.2))
            except httpcore.PoolTimeout as exc:
                outcome["impatient"] = exc

        def patient() -> None:
            response = pool.handle_request(_core(server.url, pool_timeout=30.0))
            outcome["patient"] = response.read()
            response.close()

        first = threading.Thread(target=impatient)
        first.start()
        _wait_for(lambda: len(pool._queue) == 1, "impatient waiting")
        second = threading.Thread(target=patient)
        second.start()
        first.join(timeout=10)
        assert isinstance(outcome.get("impatient"), httpcore.PoolTimeout)
        _wait_for(lambda: len(pool._queue) == 1, "patient still waiting")
        held.read()
        held.close()
        second.join(timeout=10)
        assert outcome["patient"] == b"ok"
        assert not pool._queue
