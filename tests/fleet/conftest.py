"""Fixtures of the fleet tests: a real Redis on 127.0.0.1, per module and per test."""

from __future__ import annotations

import os
import sys

# tests/ is on sys.path (tests/conftest.py), and its tests/secrets package would shadow the standard
# library's `secrets`, which redis-py imports lazily: import the real one first.
_tests_dir = str(__import__("pathlib").Path(__file__).resolve().parents[1])
if not hasattr(sys.modules.get("secrets"), "token_hex"):  # absent, or tests/secrets imported as it
    sys.modules.pop("secrets", None)
    _saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if p != _tests_dir]
    try:
        import secrets  # noqa: F401
    finally:
        sys.path[:] = _saved

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from .redis_server import RedisServer, redis_or_skip  # noqa: E402


@pytest.fixture(scope="session")
def redis_binary() -> Path:
    try:
        import redis  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI is set, so the fleet tests need redis-py (the 'redis' extra / test group)")
        pytest.skip("redis-py is not installed (pip install 'craftapis[redis]')")
    return redis_or_skip()


@pytest.fixture
def redis_server(redis_binary: Path) -> Iterator[RedisServer]:
    """A fresh, empty Redis for one test."""
    server = RedisServer(redis_binary).start()
    try:
        yield server
    finally:
        server.close()
