"""What really differs between an async source and its generated sync twin, named in pairs.

`scripts/unasync.py` turns an async source into its sync twin by text substitution alone; where the
two need different code (not just `await`), the source calls the `async_<name>` member of a pair below
and the twin gets `<name>`. Each pair does the same job in its world.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AsyncLock",
    "AsyncSleep",
    "AsyncStopFlag",
    "Lock",
    "Sleep",
    "StopFlag",
    "async_begin_head",
    "async_call_handler",
    "async_end_head",
    "async_hook",
    "async_signal_handlers",
    "async_sleep",
    "async_to_thread",
    "begin_head",
    "call_handler",
    "end_head",
    "hook",
    "signal_handlers",
    "sleep",
    "task_head",
    "thread_head",
    "to_thread",
]

P = ParamSpec("P")
T = TypeVar("T")

# asyncio is imported by the async members only, on first use: the sync clients never load it (it is a
# tenth of `from craftapis import Modrinth`'s import time; tests/speed/test_import_laziness.py holds it).
if TYPE_CHECKING:
    #: One holder at a time: an `asyncio.Lock` for tasks of one event loop, a `threading.Lock` for threads.
    AsyncLock = asyncio.Lock
else:

    def __getattr__(name: str) -> object:
        if name == "AsyncLock":
            import asyncio

            return asyncio.Lock
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Lock = threading.Lock
#: How a transport waits: a coroutine function in async code, a blocking function in sync code.
AsyncSleep = Callable[[float], Awaitable[object]]
Sleep = Callable[[float], object]


async def async_sleep(seconds: float) -> None:
    """Wait without blocking the event loop."""
    import asyncio

    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    """Wait, blocking the calling thread."""
    time.sleep(seconds)


async def async_to_thread(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (hashing a file, say) in a worker thread, so the event loop keeps running."""
    import asyncio

    return await asyncio.to_thread(function, *args, **kwargs)


def to_thread(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work in the calling thread: sync code blocks anyway, a thread hop would only cost."""
    return function(*args, **kwargs)


def async_hook(function: Callable[[T], object]) -> Callable[[T], Awaitable[None]]:
    """An httpx event hook for an `httpx.AsyncClient` (which awaits its hooks) from a plain function."""

    async def hook(argument: T) -> None:
        function(argument)

    return hook


def hook(function: Callable[[T], object]) -> Callable[[T], object]:
    """An httpx event hook for an `httpx.Client`: the plain function itself."""
    return function


async def async_call_handler(handler: Callable[[T], Awaitable[object] | object], argument: T) -> None:
    """Call a user's callback, awaiting its result when it is awaitable (a coroutine function's)."""
    outcome = handler(argument)
    if inspect.isawaitable(outcome):
        await outcome


def call_handler(handler: Callable[[T], object], argument: T) -> None:
    """Call a user's callback."""
    handler(argument)


class AsyncStopFlag:
    """Stops a long-running loop of one event loop: `set()` is safe from the loop, from other threads
    and from signal handlers; `wait(timeout)` sleeps until it is set or the timeout passes."""

    def __init__(self) -> None:
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def start(self) -> bool:
        """Begin a run (clears an earlier stop); False when a run is already going on."""
        if self._loop is not None:
            return False
        import asyncio

        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        return True

    def finish(self) -> None:
        """End the run `start()` began."""
        self._loop = self._wake = None

    def set(self) -> None:
        """Ask the loop to stop."""
        self._stopping = True
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        import asyncio

        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    def is_set(self) -> bool:
        """Whether a stop was asked for."""
        return self._stopping

    async def wait(self, timeout: float) -> None:
        """Sleep `timeout` seconds, or less if a stop is asked for meanwhile."""
        wake = self._wake
        assert wake is not None, "wait() outside start()/finish()"
        import asyncio

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)


class StopFlag:
    """Stops a long-running loop of one thread: `set()` is safe from any thread and from signal
    handlers; `wait(timeout)` sleeps until it is set or the timeout passes."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._running = threading.Lock()

    def start(self) -> bool:
        """Begin a run (clears an earlier stop); False when a run is already going on."""
        if not self._running.acquire(blocking=False):
            return False
        self._event.clear()
        return True

    def finish(self) -> None:
        """End the run `start()` began."""
        self._running.release()

    def set(self) -> None:
        """Ask the loop to stop."""
        self._event.set()

    def is_set(self) -> bool:
        """Whether a stop was asked for."""
        return self._event.is_set()

    def wait(self, timeout: float) -> None:
        """Sleep `timeout` seconds, or less if a stop is asked for meanwhile."""
        self._event.wait(timeout)


@contextlib.asynccontextmanager
async def async_signal_handlers(
    signals: Iterable[signal.Signals], callback: Callable[[int], object]
) -> AsyncIterator[None]:
    """Call `callback(signum)` on these signals while the block runs, through the running event loop
    (main thread only); the previous handling is restored afterwards."""
    import asyncio

    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    try:
        for sig in signals:
            loop.add_signal_handler(sig, callback, sig)
            installed.append(sig)
    except NotImplementedError:  # pragma: no cover - Windows event loops
        for sig in installed:
            loop.remove_signal_handler(sig)
        raise RuntimeError(
            "this event loop cannot install signal handlers; call stop() from your own"
        ) from None
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


@contextlib.contextmanager
def signal_handlers(signals: Iterable[signal.Signals], callback: Callable[[int], object]) -> Iterator[None]:
    """Call `callback(signum)` on these signals while the block runs (main thread only); the previous
    handlers are restored afterwards."""

    def on_signal(signum: int, frame: object) -> None:
        callback(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- the response head being received: its read budget, shared by the reads of one request's head --------
# (`_async_proxy.py`'s streams and its sync twin, which `_wire.py` uses too). `scripts/unasync.py` turns
# the async source's `task_head.get()` into `thread_head`: the sync read costs one global load, as before.


class _Head:
    """One request's response head: its read budget (None: no bound) and when it ends (set by the
    first read)."""

    __slots__ = ("budget", "until")

    def __init__(self, budget: float | None) -> None:
        self.budget = budget
        self.until: float | None = None


class _ThreadHead(threading.local):
    """Per thread: the head of the request this thread is sending (budget None: none is)."""

    budget: float | None = None
    until: float | None = None


#: No head bound; never changed (a read sets `until` only under a budget).
_NO_HEAD = _Head(None)
#: Per task of an event loop (a context variable: tasks share the thread): the head of its request.
task_head: contextvars.ContextVar[_Head] = contextvars.ContextVar("craftapis_head", default=_NO_HEAD)
#: Per thread: the head of its request (sync code: one request per thread at a time).
thread_head = _ThreadHead()


def async_begin_head(budget: float | None) -> contextvars.Token[_Head]:
    """Start bounding this task's response head by `budget` seconds (None: no bound); `async_end_head`
    takes the token back."""
    return task_head.set(_Head(budget))


def begin_head(budget: float | None) -> float | None:
    """Start bounding this thread's response head by `budget` seconds (None: no bound); `end_head` takes
    back what it returns (the budget before)."""
    before = thread_head.budget
    thread_head.budget = budget
    thread_head.until = None
    return before


def async_end_head(token: contextvars.Token[_Head]) -> None:
    """Stop bounding this task's response head (what `async_begin_head` began)."""
    task_head.reset(token)


def end_head(token: float | None) -> None:
    """Stop bounding this thread's response head: the budget before `begin_head` again."""
    thread_head.budget = token
