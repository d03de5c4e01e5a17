"""Fixtures of the Railcraft tests: the fake server (in-process and on a loopback socket), both client
twins, and the cassette configuration (see cassettes/README.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..appserver import AppServer
from .fake import FakeRailcraft
from .scrub import scrub_response

CASSETTES = Path(__file__).parent / "cassettes"


@pytest.fixture
def fake() -> FakeRailcraft:
    return FakeRailcraft()


@pytest.fixture
def server(fake: FakeRailcraft) -> Iterator[str]:
    """The fake on 127.0.0.1; yields the base URL (the site root, like the real one)."""
    with AppServer(fake) as app:
        yield f"{app.url}/railcraftpack"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    return {
        # replay only, unless CRAFTAPIS_RECORD_CASSETTES=1 (or --record-mode) asks to re-record
        "record_mode": "rewrite" if os.environ.get("CRAFTAPIS_RECORD_CASSETTES") else "none",
        "filter_post_data_parameters": [
            ("client_id", "REDACTED"),
            ("client_secret", "REDACTED"),
            ("token", "REDACTED"),
        ],
        "before_record_response": scrub_response,
        "match_on": ["method", "scheme", "host", "port", "path", "query"],
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture
def recording(request: pytest.FixtureRequest, vcr_config: dict[str, Any]) -> bool:
    """Whether this run records cassettes (then requests go to the in-process fake)."""
    mode = request.config.getoption("--record-mode") or vcr_config["record_mode"]
    return mode != "none"
