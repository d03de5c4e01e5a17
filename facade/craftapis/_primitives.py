"""What really differs between an async source and its generated sync twin, named in pairs.

`scripts/unasync.py` turns an async source into its sync twin by text substitution alone; where the
two need different code (not just `await`), the source calls the `async_<name>` member of a pair below
and the twin gets `<name>`. Each pair does the same job in its world.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

__all__ = [
    "AsyncLock",
    "AsyncSleep",
    "Lock",
    "Sleep",
    "async_hook",
    "async_sleep",
    "async_to_thread",
    "hook",
    "sleep",
    "to_thread",
]

P = ParamSpec("P")
T = TypeVar("T")

#: One holder at a time: an `asyncio.Lock` for tasks of one event loop, a `threading.Lock` for threads.
AsyncLock = asyncio.Lock
Lock = threading.Lock
#: How a transport waits: a coroutine function in async code, a blocking function in sync code.
AsyncSleep = Callable[[float], Awaitable[object]]
Sleep = Callable[[float], object]


async def async_sleep(seconds: float) -> None:
    """Wait without blocking the event loop."""
    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    """Wait, blocking the calling thread."""
    time.sleep(seconds)


async def async_to_thread(function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (hashing a file, say) in a worker thread, so the event loop keeps running."""
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
