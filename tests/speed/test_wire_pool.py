"""`LeanPool` at `max_connections`: waiting requests are served first come, first served, and a request
arriving when a connection is released queues behind those already waiting; the least recently released
idle connection makes room. Idle connections of every origin expire when the pool is next used."""

from __future__ import annotations

import threading
import time
import types

import httpcore
import pytest
from craftapis import _wire

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


def _get(pool: _wire.LeanPool, url: str) -> httpcore.HTTPConnection:
    """One whole exchange; the connection it used (idle in the pool again, if kept)."""
    response = pool.handle_request(_core(url))
    connection: httpcore.HTTPConnection = response.stream._connection  # type: ignore[attr-defined]
    assert response.read() == b"ok"
    response.close()
    return connection


@pytest.mark.parametrize("llhttp", [True, False], ids=["llhttp", "h11"])
def test_idle_connections_of_other_origins_expire_when_the_pool_is_next_used(
    llhttp: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection idle past `keepalive_expiry` is closed by the next request to any origin, not only
    when its own origin is asked again (the pool's clock is a fake one: no sleeping)."""
    now = [1000.0]
    monkeypatch.setattr(_wire, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    with (
        serving(KEEP) as one,
        serving(KEEP) as two,
        serving(KEEP) as three,
        _pool(keepalive_expiry=5.0, llhttp=llhttp) as pool,
    ):
        first = _get(pool, one.url)
        now[0] += 4.0
        second = _get(pool, two.url)  # `first` has 1 s left: kept
        assert set(pool.connections) == {first, second}
        assert not first.is_closed()
        now[0] += 2.0  # `first` idle for 6 s, `second` for 2 s
        third = _get(pool, three.url)
        assert first.is_closed()
        assert set(pool.connections) == {second, third}
        assert not second.is_closed()


def test_at_max_connections_the_least_recently_released_idle_connection_makes_room() -> None:
    with (
        serving(KEEP, KEEP) as one,
        serving(KEEP) as two,
        serving(KEEP) as three,
        _pool(max_connections=2) as pool,
    ):
        first = _get(pool, one.url)
        second = _get(pool, two.url)
        assert _get(pool, one.url) is first  # released after `second` now
        third = _get(pool, three.url)
        assert second.is_closed()
        assert set(pool.connections) == {first, third}
