"""Shared fixtures. Keep this small: fixtures used by one directory live next to its tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
# Import craftapis (and craftapis_generated) from the source tree when not installed;
# tests/ itself holds shared helpers such as loopback.py.
for _path in (_ROOT / "facade", _ROOT / "generated", Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from loopback import LoopbackServer  # noqa: E402


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A scripted HTTP server on 127.0.0.1, started for one test (see tests/loopback.py)."""
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.stop()
