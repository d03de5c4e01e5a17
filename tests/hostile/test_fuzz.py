"""Fuzz: hostile responses (status line, headers, content encodings, framing, body bytes, redirects)
against every client, sync and async.

Each example replaces every answer of the hostile server with one generated response. The call must
return or raise an `APIError` (nothing else), end within its deadline (plus a margin for this loaded
machine), and send no secret to the other origin (which redirects point to) in any byte.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
import zlib
from typing import Any

import pytest
from craftapis import APIError, RetryPolicy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults.apis import APIS, Api, close, resolve

from .server import HostileServer, Raw, Recorder, chunked, deep_json
from .test_redirects import ALL_SECRETS

DEADLINE = 2.0
MARGIN = 3.0  # the loaded CI machine: scheduling, teardown of the attempt

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def _body(draw: st.DrawFn) -> bytes:
    secret = draw(st.sampled_from(ALL_SECRETS))
    kind = draw(
        st.sampled_from(["json", "bytes", "deep", "envelope", "echo", "empty", "result", "huge-number"])
    )
    if kind == "json":
        return json.dumps(draw(_json)).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "deep":
        return deep_json(draw(st.integers(500, 200_000)))
    if kind == "envelope":
        status = draw(st.sampled_from(["success", "error", "parameter-error", "access-denied", None, 7]))
        return json.dumps(
            {"status": status, "time": draw(_json), "flags": draw(_json), "data": draw(_json)}
        ).encode()
    if kind == "echo":
        return json.dumps({"message": f"Invalid API key {secret}", "error": secret, "msg": secret}).encode()
    if kind == "result":
        return json.dumps(
            {"result": draw(st.sampled_from(["success", "error", 0, 6, 12, None])), "data": draw(_json)}
        ).encode()
    if kind == "huge-number":
        return b'{"data": 1' + b"0" * draw(st.integers(10, 5000)) + b"}"
    return b""


@st.composite
def hostile_response(draw: st.DrawFn, home: str, other: str) -> Raw:
    status = draw(
        st.sampled_from([200, 201, 204, 301, 302, 303, 307, 308, 400, 401, 404, 429, 500, 503])
        | st.integers(100, 999)
    )
    reason = draw(st.sampled_from(["OK", "", "X" * 300, "\u00e9t\u00e9"]))
    body = draw(_body())
    encoding = draw(
        st.sampled_from([None, "gzip", "deflate", "gzip, gzip", "br", "zstd", "identity", "bogus"])
    )
    encode = draw(st.sampled_from(["honest", "garbage", "truncated"]))
    if encoding in ("gzip", "gzip, gzip") and encode == "honest":
        body = gzip.compress(body)
        if encoding == "gzip, gzip":
            body = gzip.compress(body)
    elif encoding == "deflate" and encode == "honest":
        body = zlib.compress(body)
    elif encoding is not None and encode == "truncated":
        body = gzip.compress(body)[: max(1, len(body) // 2)]
    headers: list[tuple[str, str]] = []
    if encoding is not None:
        headers.append(("Content-Encoding", encoding))
    headers.append(
        (
            "Content-Type",
            draw(
                st.sampled_from(
                    [
                        "application/json",
                        "text/html",
                        "application/octet-stream",
                        "application/json; charset=utf-16",
                        "",
                    ]
                )
            ),
        )
    )
    if status in (301, 302, 303, 307, 308) or draw(st.booleans()):
        location = draw(
            st.sampled_from(
                [
                    home + "/loop",
                    other + "/stolen",
                    other.replace("http://", "//") + "/scheme-relative",
                    "javascript:alert(1)",
                    "file:///etc/passwd",
                    "http://[::1",
                    "",
                    "/relative/" + "a" * 3000,
                ]
            )
        )
        headers.append(("Location", location))
    for name, values in (
        ("Retry-After", ["0", "1", "999999999", "-5", "nan", "Wed, 21 Oct 2099 07:28:00 GMT", "soon"]),
        ("retry-after-ms", ["5", "999999999999", "-1"]),
        ("X-RateLimit-Reset", ["0", "999999", "1e400"]),
        ("X-RateLimit-Remaining", ["0", "-1", "many"]),
        ("Set-Cookie", ["session=abc; Domain=127.0.0.2"]),
    ):
        if draw(st.integers(0, 4)) == 0:
            headers.append((name, draw(st.sampled_from(values))))
    framing = draw(st.sampled_from(["length", "lie-short", "lie-long", "close", "chunked", "bad-chunked"]))
    if framing == "length":
        headers.append(("Content-Length", str(len(body))))
    elif framing == "lie-short":
        headers.append(("Content-Length", str(len(body) + draw(st.integers(1, 100)))))
    elif framing == "lie-long":
        headers.append(("Content-Length", str(max(0, len(body) - 1))))
    elif framing in ("chunked", "bad-chunked"):
        headers.append(("Transfer-Encoding", "chunked"))
        body = chunked(body) if framing == "chunked" else b"zz\r\n" + body + b"\r\n"
    headers.append(("Connection", "close"))
    head = f"HTTP/1.1 {status} {reason}\r\n".encode() + b"".join(
        f"{k}: {v}\r\n".encode("latin-1", "replace") for k, v in headers
    )
    drip = draw(st.sampled_from([None, None, None, (64, 0.05)]))
    return Raw(body, head=head + b"\r\n", drip=drip)


class _Slot:
    """The answer of the current example, shared with the server thread."""

    def __init__(self) -> None:
        self.raw = Raw(b"")
        self.lock = threading.Lock()

    def __call__(self, seen: Any) -> Raw:
        with self.lock:
            return self.raw


_RETRY = RetryPolicy(
    max_attempts=2, initial_backoff=0.01, max_backoff=0.02, max_retry_after=0.5, deadline=DEADLINE
)


def _run(api: Api, mode: str, server: HostileServer) -> float:
    """One read through a fresh client; the seconds it took."""

    async def go() -> None:
        client = api.make(mode, server.url, retry=_RETRY, timeout=1.0)
        try:
            await resolve(api.read(client))
        except APIError:
            pass
        finally:
            await close(client)

    started = time.monotonic()
    asyncio.run(go())
    return time.monotonic() - started


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
def test_hostile_responses_raise_only_api_errors_keep_secrets_and_the_deadline(api: Api, mode: str) -> None:
    slot = _Slot()
    with HostileServer(api.app()) as server, Recorder(host="127.0.0.2") as other:
        server.always(slot)

        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(raw=hostile_response(server.url, other.url))
        def check(raw: Raw) -> None:
            with slot.lock:
                slot.raw = raw
            elapsed = _run(api, mode, server)
            assert elapsed < DEADLINE + MARGIN, f"the call ran {elapsed:.1f} s under a {DEADLINE} s deadline"
            leaked = [s for s in ALL_SECRETS if other.saw(s)]
            assert leaked == [], f"secrets reached the other origin: {leaked}"

        check()
