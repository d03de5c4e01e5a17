"""JSON bodies are decoded with orjson (`craftapis._base.loads`), and nothing that decoded before fails now."""

from __future__ import annotations

import gc
import json
import os
import weakref
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from craftapis._base import loads
from craftapis.modrinth import Modrinth

REAL = Path(
    os.environ.get("CRAFTAPIS_REAL_RESPONSES")
    or Path(__file__).resolve().parents[3] / "shared" / "real-responses"
)
UA = "craftapis-tests/1.0 (tests@example.invalid)"


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": NaN, "b": Infinity}',  # json reads these, orjson refuses
        '{"name": "\u00e9t\u00e9"}'.encode("utf-16"),  # a BOM and UTF-16: json detects it
        b'{"edge": 18446744073709551615, "neg": -9223372036854775808}',  # the 64-bit limits stay ints
        b'{"lone": "\\ud800"}',  # a lone surrogate escape
        b'[1, 2.5, "x", null, true, {"k": []}]',
    ],
)
def test_loads_reads_everything_json_loads_reads(body: bytes) -> None:
    expected = json.loads(body)
    got = loads(body)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_an_integer_past_64_bits_is_the_one_documented_difference() -> None:
    got = loads(b'{"big": 123456789012345678901234567890}')["big"]
    assert isinstance(got, float) and got == pytest.approx(1.2345678901234568e29)


def test_loads_refuses_what_json_refuses() -> None:
    with pytest.raises(ValueError):
        loads(b'{"unterminated": ')


def test_real_payloads_decode_exactly_as_json_loads_does() -> None:
    folder = REAL / "modrinth"
    if not folder.is_dir():
        message = f"no recorded Modrinth responses at {folder}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    files = sorted(folder.glob("*.json"))
    assert files
    for file in files:
        raw = file.read_bytes()
        assert loads(raw) == json.loads(raw), file.name


def _project() -> dict[str, Any]:
    folder = REAL / "modrinth" / "project-fabric-api.json"
    if folder.is_file():
        loaded: dict[str, Any] = json.loads(folder.read_bytes())
        return loaded
    pytest.skip(f"no recorded project at {folder}")


def test_generated_parsing_goes_through_orjson_and_frees_the_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = json.dumps(_project()).encode()
    calls: list[int] = []
    real = orjson.loads

    def counting(data: Any) -> Any:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(orjson, "loads", counting)
    made: list[weakref.ref[httpx.Response]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, content=body, headers={"content-type": "application/json"})
        made.append(weakref.ref(response))
        return response

    gc.collect()
    gc.disable()
    try:
        with Modrinth(user_agent=UA, transport=httpx.MockTransport(answer)) as client:
            project = client.get_project("fabric-api")
            assert project.slug == "fabric-api"
            assert calls == [len(body)]
            assert made and made[0]() is None, "the response outlived the call: a reference cycle keeps it"
    finally:
        gc.enable()
