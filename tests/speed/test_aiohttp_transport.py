"""The async fallback transport (`_aiohttp_transport.AiohttpTransport`, issue 12 J4) against raw sockets:
the default until `_aiowire.AsyncWireTransport` (tests/speed/test_aiowire.py), and still what the
async clients use where httptools cannot be imported or while a mock patches aiohttp. Every test here
drives it explicitly.

It replaced httpx-aiohttp's `AiohttpTransport` plus craftapis' error remapping. `CORPUS` is what that
transport returned or raised for each answer (status, headers, body, HTTP version, reason phrase, or
the httpx exception class and its message), recorded by running both over the same corpus; the new
one must do exactly the same. Two differences are deliberate and pinned here: the HTTP version is the
one the server spoke (httpx-aiohttp said HTTP/1.1 for every response, httpx's own transport does
not), and a request header given twice goes out as two lines, as h11 sends it (httpx-aiohttp joined
them with ", "). Then: per-phase timeouts, the pool (16 tasks, connections reused, the limit held),
cookies (craftapis' jar only, never aiohttp's), and a vcrpy cassette recorded and replayed through a
default `AsyncModrinth`.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import vcr
from craftapis._aiohttp_transport import AiohttpTransport
from craftapis.modrinth import AsyncModrinth

from tests.hostile.server import HostileServer, Raw, chunked, response
from tests.modrinth.fake_modrinth import FakeModrinth

TIMEOUT = {"connect": 5.0, "read": 0.5, "write": 5.0, "pool": 5.0}
CLOSE = b"Connection: close\r\n"
USER_AGENT = "craftapis-tests/speed/1.0 (tests@example.invalid)"


@dataclass(frozen=True)
class Ok:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    reason: bytes | None = b"X"
    version: bytes = b"HTTP/1.1"


@dataclass(frozen=True)
class Fails:
    error: type[Exception]
    message: str  # the start of str(error)


GZIPPED = gzip.compress(b'{"z": 1}', mtime=0)
CL_CLOSE = [(b"Connection", b"close"), (b"Content-Length", b"0")]

CORPUS: dict[str, tuple[Raw, Ok | Fails]] = {
    "json": (
        Raw(response(200, {"a": 1})),
        Ok(
            200,
            [(b"Content-Type", b"application/json"), (b"Connection", b"close"), (b"Content-Length", b"8")],
            b'{"a": 1}',
        ),
    ),
    "chunked": (
        Raw(
            b"HTTP/1.1 200 OK\r\n"
            + CLOSE
            + b"Transfer-Encoding: chunked\r\n\r\n"
            + chunked(b"hello ", b"world")
        ),
        Ok(200, [(b"Connection", b"close"), (b"Transfer-Encoding", b"chunked")], b"hello world", b"OK"),
    ),
    "ends with the connection": (
        Raw(response(200, b"until close", length=False)),
        Ok(200, [(b"Connection", b"close")], b"until close"),
    ),
    "204": (
        Raw(b"HTTP/1.1 204 No Content\r\n" + CLOSE + b"\r\n"),
        Ok(204, [(b"Connection", b"close")], b"", b"No Content"),
    ),
    "404 with a body": (
        Raw(response(404, {"error": "not_found"})),
        Ok(
            404,
            [(b"Content-Type", b"application/json"), (b"Connection", b"close"), (b"Content-Length", b"22")],
            b'{"error": "not_found"}',
        ),
    ),
    "repeated headers, names as sent": (
        Raw(response(200, b"x", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-A", "1"), ("x-a", "2")])),
        Ok(
            200,
            [
                (b"Set-Cookie", b"a=1"),
                (b"Set-Cookie", b"b=2"),
                (b"X-A", b"1"),
                (b"x-a", b"2"),
                (b"Connection", b"close"),
                (b"Content-Length", b"1"),
            ],
            b"x",
        ),
    ),
    "HTTP/1.0": (  # deliberate: httpx-aiohttp said HTTP/1.1
        Raw(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        Ok(200, [(b"Content-Length", b"2")], b"ok", b"OK", b"HTTP/1.0"),
    ),
    "no reason phrase": (
        Raw(b"HTTP/1.1 200 \r\n" + CLOSE + b"Content-Length: 2\r\n\r\nok"),
        # empty, as h11 hands it over (httpx-aiohttp left it out: httpx then says "OK"); test_wire_async.py
        Ok(200, [(b"Connection", b"close"), (b"Content-Length", b"2")], b"ok", b""),
    ),
    "a latin-1 header value": (
        Raw(b"HTTP/1.1 200 OK\r\n" + CLOSE + b"X-N: caf\xe9\r\nContent-Length: 2\r\n\r\nok"),
        Ok(200, [(b"Connection", b"close"), (b"X-N", b"caf\xe9"), (b"Content-Length", b"2")], b"ok", b"OK"),
    ),
    "a utf-8 header value": (
        Raw(b"HTTP/1.1 200 OK\r\n" + CLOSE + "X-N: café\r\nContent-Length: 2\r\n\r\nok".encode()),
        Ok(
            200,
            [(b"Connection", b"close"), (b"X-N", "café".encode()), (b"Content-Length", b"2")],
            b"ok",
            b"OK",
        ),
    ),
    "gzip, left encoded for the policy's bounded decoder": (
        Raw(response(200, GZIPPED, {"Content-Encoding": "gzip"})),
        Ok(
            200,
            [(b"Content-Encoding", b"gzip"), (b"Connection", b"close"), (b"Content-Length", b"28")],
            GZIPPED,
        ),
    ),
    "a body dripping within the read timeout": (
        # the head at once: a head dripping for longer than the read timeout is now bounded (see below)
        Raw(
            b"0123456789", head=b"HTTP/1.1 200 X\r\n" + CLOSE + b"Content-Length: 10\r\n\r\n", drip=(2, 0.05)
        ),
        Ok(200, [(b"Connection", b"close"), (b"Content-Length", b"10")], b"0123456789"),
    ),
    "a body shorter than its Content-Length": (
        Raw(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial":'),
        # closed, not reset, before the end: h11's RemoteProtocolError (httpx-aiohttp: ReadError)
        Fails(httpx.RemoteProtocolError, "ClientPayloadError: Response payload is not completed"),
    ),
    "a chunk longer than its size": (
        Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"),
        Fails(httpx.RemoteProtocolError, 'ClientResponseError: 400, message="Expected LF after chunk data'),
    ),
    "not HTTP": (
        Raw(b"NOT HTTP AT ALL\r\n\r\n"),
        Fails(httpx.RemoteProtocolError, 'ClientResponseError: 400, message="Bad status line'),
    ),
    "a header line past 8190 bytes": (
        Raw(b"HTTP/1.1 200 OK\r\nX-L: " + b"a" * 70000 + b"\r\nContent-Length: 0\r\n\r\n"),
        Fails(httpx.RemoteProtocolError, 'ClientResponseError: 400, message="Got more than 8190 bytes'),
    ),
    "status 2000": (
        Raw(b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"),
        Fails(httpx.RemoteProtocolError, 'ClientResponseError: 400, message="Bad status line'),
    ),
    "Content-Length and chunked": (
        Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b"abc")),
        Fails(httpx.RemoteProtocolError, "ClientResponseError: 400, message=\"Transfer-Encoding can't be"),
    ),
    "two Content-Lengths": (
        Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        Fails(httpx.RemoteProtocolError, 'ClientResponseError: 400, message="Duplicate Content-Length'),
    ),
    "silence": (
        Raw(b"", stall=3),
        Fails(httpx.ReadTimeout, "SocketTimeoutError: Timeout on reading data from socket"),
    ),
    "a body stalling past the read timeout": (
        Raw(b"0123", head=b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n", drip=(2, 1.0)),
        Fails(httpx.ReadTimeout, "SocketTimeoutError: Timeout on reading data from socket"),
    ),
}


async def _outcome(transport: httpx.AsyncBaseTransport, request: httpx.Request) -> Ok | Fails:
    try:
        answer = await transport.handle_async_request(request)
        try:
            body = b"".join([chunk async for chunk in answer.stream])  # type: ignore[union-attr]
        finally:
            await answer.aclose()
    except Exception as exc:  # what it raised is the outcome
        return Fails(type(exc), str(exc))
    # the headers decode as httpx's own would (ASCII, else utf-8, else latin-1)
    assert answer.headers.encoding == httpx.Headers(answer.headers.raw).encoding
    assert answer.headers.multi_items() == httpx.Headers(answer.headers.raw).multi_items()
    ext = answer.extensions
    return Ok(answer.status_code, answer.headers.raw, body, ext.get("reason_phrase"), ext["http_version"])


def _get(url: str, **kwargs: object) -> httpx.Request:
    return httpx.Request("GET", url, extensions={"timeout": dict(TIMEOUT)}, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def transport() -> AsyncIterator[httpx.AsyncBaseTransport]:
    made = AiohttpTransport()
    try:
        yield made
    finally:
        await made.aclose()


@pytest.mark.parametrize("case", list(CORPUS))
async def test_the_outcome_over_the_corpus_is_the_previous_transports(
    case: str, transport: httpx.AsyncBaseTransport
) -> None:
    raw, expected = CORPUS[case]
    with HostileServer() as server:
        server.script(raw)
        got = await _outcome(transport, _get(server.url + "/x"))
    if isinstance(expected, Fails):
        assert isinstance(got, Fails), got
        assert got.error is expected.error, got
        assert got.message.startswith(expected.message), got
    else:
        assert got == expected


async def test_connection_failures_and_other_schemes(transport: httpx.AsyncBaseTransport) -> None:
    with HostileServer() as server:
        closed = f"http://127.0.0.1:{server.port}"
    refused = await _outcome(transport, _get(closed + "/x"))
    assert refused == Fails(refused.error, refused.message) and refused.error is httpx.ConnectError
    assert refused.message.startswith("ClientConnectorError: Cannot connect to host 127.0.0.1")
    assert await _outcome(transport, _get("ftp://127.0.0.1:9/x")) == Fails(
        httpx.UnsupportedProtocol, "ftp://127.0.0.1:9/x"
    )


async def test_what_goes_on_the_wire(transport: httpx.AsyncBaseTransport) -> None:
    """The request line as httpx encoded the URL, httpx's lower-case header names in their order,
    aiohttp's defaults only where the request has none, a body with its length, a streamed body chunked."""
    with HostileServer() as server:
        server.script(Raw(response(200)), Raw(response(200)), Raw(response(200)))
        url = server.url + "/g/%7Euser/a%2Fb?q=%20x&y=~"
        dup = [("X-Dup", "1"), ("X-Dup", "2"), ("Accept", "*/*")]
        assert isinstance(await _outcome(transport, _get(url, headers=dup)), Ok)
        post = httpx.Request(
            "POST", server.url + "/p", content=b"payload", headers={"Content-Type": "text/plain"}
        )
        post.extensions["timeout"] = dict(TIMEOUT)
        assert isinstance(await _outcome(transport, post), Ok)

        async def upload() -> AsyncIterator[bytes]:
            yield b"ab"
            yield b"cd"

        put = httpx.Request("PUT", server.url + "/s", content=upload())
        put.extensions["timeout"] = dict(TIMEOUT)
        assert isinstance(await _outcome(transport, put), Ok)
        get, posted, put_seen = server.seen
    host = f"host: 127.0.0.1:{server.port}\r\n"
    defaults = (
        "Accept-Encoding: gzip, deflate\r\nUser-Agent: Python/"  # aiohttp fills in what httpx did not set
    )
    assert get.raw.decode().startswith(
        "GET /g/~user/a%2Fb?q=%20x&y=~ HTTP/1.1\r\n"
        + host
        + "x-dup: 1\r\nx-dup: 2\r\naccept: */*\r\n"
        + defaults
    )
    assert posted.raw.decode().startswith(
        "POST /p HTTP/1.1\r\n"
        + host
        + "content-type: text/plain\r\ncontent-length: 7\r\nAccept: */*\r\n"
        + defaults
    )
    assert posted.body == b"payload"
    assert put_seen.headers["transfer-encoding"] == "chunked" and put_seen.body == b"abcd"


# -- timeouts per phase ------------------------------------------------------------------------------


async def test_the_read_timeout_is_the_requests_own(transport: httpx.AsyncBaseTransport) -> None:
    with HostileServer() as server:
        server.script(Raw(b"", stall=3), Raw(response(200, b"late"), stall=0.4))
        started = time.monotonic()
        request = _get(server.url + "/x")
        request.extensions["timeout"]["read"] = 0.2
        silent = await _outcome(transport, request)
        assert isinstance(silent, Fails) and silent.error is httpx.ReadTimeout
        assert time.monotonic() - started < 2.0
        patient = _get(server.url + "/x")
        patient.extensions["timeout"]["read"] = 2.0
        assert await _outcome(transport, patient) == Ok(
            200, [(b"Connection", b"close"), (b"Content-Length", b"4")], b"late"
        )


HEAD_RAN_OUT = "the response head (status line and headers) did not arrive within the 0.5 s read timeout"


@pytest.mark.parametrize(
    "raw",
    [
        Raw(response(200, b"{}", {"X-Pad": "p" * 400}), drip=(4, 0.05)),  # each read within 0.5 s
        Raw(b"HTTP/1.1 103 Early Hints\r\n\r\n" * 40, drip=(27, 0.05)),  # 1xx answers, one by one
    ],
    ids=["headers", "1xx answers"],
)
async def test_the_whole_head_must_arrive_within_the_read_timeout(
    raw: Raw, transport: httpx.AsyncBaseTransport
) -> None:
    """Unlike aiohttp's `sock_read` (restarted by every chunk), the head's budget is the read timeout in
    all: a head still arriving past it is a `ReadTimeout` (worded as the sync transport words it), its
    connection closed, the next request answered on a new one."""
    with HostileServer() as server:
        server.script(raw)
        started = time.monotonic()
        got = await _outcome(transport, _get(server.url + "/x"))
        elapsed = time.monotonic() - started
        assert got == Fails(httpx.ReadTimeout, HEAD_RAN_OUT)
        assert 0.5 <= elapsed < 1.5, elapsed
        assert await _outcome(transport, _get(server.url + "/x")) == Ok(
            200,
            [(b"Content-Type", b"application/json"), (b"Connection", b"close"), (b"Content-Length", b"12")],
            b'{"ok": true}',
        )


async def test_concurrent_heads_each_have_their_own_budget(transport: httpx.AsyncBaseTransport) -> None:
    """One transport watches every head in flight with one timer: a head with a shorter budget, started
    later, still ends at its own budget; one with a longer budget, dripping longer, is answered."""
    patient_head = response(200, b"late", {"X-Pad": "p" * 100})
    with HostileServer() as server:
        server.script(Raw(patient_head, drip=(16, 0.1)), path="/patient")  # about 0.9 s of head
        server.script(Raw(response(200, b"{}", {"X-Pad": "p" * 400}), drip=(4, 0.05)), path="/hasty")
        patient = _get(server.url + "/patient")
        patient.extensions["timeout"]["read"] = 3.0
        hasty = _get(server.url + "/hasty")
        hasty.extensions["timeout"]["read"] = 0.3

        async def timed(request: httpx.Request, delay: float) -> tuple[Ok | Fails, float]:
            await asyncio.sleep(delay)
            started = time.monotonic()
            return await _outcome(transport, request), time.monotonic() - started

        (slow, _), (short, took) = await asyncio.gather(timed(patient, 0.0), timed(hasty, 0.1))
    assert slow == Ok(
        200, [(b"X-Pad", b"p" * 100), (b"Connection", b"close"), (b"Content-Length", b"4")], b"late"
    )
    assert short == Fails(httpx.ReadTimeout, HEAD_RAN_OUT.replace("0.5 s", "0.3 s"))
    assert 0.3 <= took < 0.8, took


async def test_the_heads_budget_starts_once_the_body_is_sent(transport: httpx.AsyncBaseTransport) -> None:
    """An upload taking longer than the read timeout (five chunks 0.2 s apart, read=0.5) is not a slow
    head: the head is due from when the body has been written, so the answer arrives in time."""

    async def upload() -> AsyncIterator[bytes]:
        for _ in range(5):
            await asyncio.sleep(0.2)
            yield b"chunk"

    with HostileServer() as server:
        put = httpx.Request("PUT", server.url + "/s", content=upload())
        put.extensions["timeout"] = dict(TIMEOUT)
        got = await _outcome(transport, put)
        assert got == Ok(
            200,
            [(b"Content-Type", b"application/json"), (b"Connection", b"close"), (b"Content-Length", b"12")],
            b'{"ok": true}',
        )
        assert server.seen[0].body == b"chunk" * 5


async def test_a_slow_head_within_the_read_timeout_is_answered(transport: httpx.AsyncBaseTransport) -> None:
    """A head arriving in pieces over about half its budget, after a 1xx answer, is answered."""
    whole = b"HTTP/1.1 100 Continue\r\n\r\n" + response(200, b"late")
    with HostileServer() as server:
        server.script(Raw(whole, drip=(8, 0.02)))
        assert await _outcome(transport, _get(server.url + "/x")) == Ok(
            200, [(b"Connection", b"close"), (b"Content-Length", b"4")], b"late"
        )


async def test_the_pool_timeout_bounds_the_wait_for_a_connection() -> None:
    """`pool` is aiohttp's `connect` (getting a connection, a new one included): with the one connection
    busy, the wait for it ends at `pool` seconds, as a `ConnectTimeout` (what httpx-aiohttp raised)."""
    single = AiohttpTransport(limits=httpx.Limits(max_connections=1))
    with HostileServer() as server:
        server.script(Raw(b"0123", head=b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n", drip=(2, 1.0)))
        held = await single.handle_async_request(_get(server.url + "/held"))  # its body never ends in time
        try:
            waiting = _get(server.url + "/x")
            waiting.extensions["timeout"]["pool"] = 0.2
            started = time.monotonic()
            outcome = await _outcome(single, waiting)
            assert isinstance(outcome, Fails) and outcome.error is httpx.ConnectTimeout, outcome
            assert time.monotonic() - started < 2.0
        finally:
            await held.aclose()
            await single.aclose()


# -- the pool, cookies, cassettes -----------------------------------------------------------------------


@dataclass
class KeepAlive:
    """A keep-alive HTTP/1.1 server (asyncio): `answer(path)` gives (status, headers, body) for each request;
    it counts connections and keeps every request head it read."""

    answer: Callable[[str], tuple[int, list[tuple[str, str]], bytes]]
    connections: int = 0
    heads: list[bytes] | None = None
    url: str = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                assert self.heads is not None
                self.heads.append(head)
                status, headers, body = self.answer(head.split(b" ", 2)[1].decode())
                lines = [
                    f"HTTP/1.1 {status} OK",
                    *(f"{k}: {v}" for k, v in headers),
                    f"Content-Length: {len(body)}",
                ]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> KeepAlive:
        self.heads = []
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()


PROJECT = orjson.dumps(FakeModrinth().project("AABBCCDD"))


def _project(path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return 200, [("Content-Type", "application/json")], PROJECT


async def test_sixteen_tasks_share_the_pool_and_reuse_its_connections() -> None:
    async with (
        KeepAlive(_project) as server,
        AsyncModrinth(user_agent=USER_AGENT, base_url=server.url + "/v2") as client,
    ):

        async def task() -> list[str]:
            return [(await client.get_project("AABBCCDD")).id for _ in range(10)]

        results = await asyncio.gather(*(task() for _ in range(16)))
    assert results == [["AABBCCDD"] * 10] * 16
    assert server.heads is not None and len(server.heads) == 160
    assert 1 <= server.connections <= 16  # every connection served several requests


async def test_the_connection_limit_holds() -> None:
    limited = AiohttpTransport(limits=httpx.Limits(max_connections=2))
    try:
        async with KeepAlive(_project) as server:
            outcomes = await asyncio.gather(*(_outcome(limited, _get(server.url + "/x")) for _ in range(12)))
    finally:
        await limited.aclose()
    assert all(isinstance(o, Ok) and o.body == PROJECT for o in outcomes), outcomes
    assert server.connections <= 2


async def test_each_url_is_its_own_and_the_parsed_urls_kept_are_bounded() -> None:
    """The transport keeps yarl's parse of the URLs it sends (one parse per distinct URL, not per
    request): every request still goes to its own path, and 300 distinct URLs keep at most 256."""
    made = AiohttpTransport()
    try:
        async with KeepAlive(_project) as server:
            for n in [*range(300), 7, 7]:
                assert isinstance(await _outcome(made, _get(f"{server.url}/p/{n}?q={n}")), Ok)
    finally:
        await made.aclose()
    assert server.heads is not None
    paths = [head.split(b" ")[1].decode() for head in server.heads]
    assert paths == [f"/p/{n}?q={n}" for n in [*range(300), 7, 7]]
    assert 1 <= len(made._urls) <= 256


async def test_cookies_are_craftapis_own_never_aiohttps() -> None:
    """A `Set-Cookie` goes into the client's jar (craftapis' `LeanCookies`), which sends it once; cleared
    there, it is gone. httpx-aiohttp's session kept a second jar of its own that sent it regardless."""

    def answer(path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        extra = [("Set-Cookie", "session=s1; Path=/")] if path.endswith("/first") else []
        return 200, [("Content-Type", "application/json"), *extra], b'{"ok": true}'

    async with KeepAlive(answer) as server:
        host = server.url.replace("127.0.0.1", "localhost")  # aiohttp's jar keeps no cookie for an IP
        async with AsyncModrinth(user_agent=USER_AGENT, base_url=host) as client:
            await client._http.get("/first")
            await client._http.get("/second")
            client._http.cookies.clear()
            await client._http.get("/third")
    assert server.heads is not None
    first, second, third = (head.decode().lower() for head in server.heads)
    assert "cookie:" not in first
    assert second.count("cookie:") == 1 and "cookie: session=s1\r\n" in second
    assert "cookie:" not in third


async def test_a_cassette_records_and_replays_through_the_default_transport(tmp_path: Path) -> None:
    """vcrpy patches `aiohttp.ClientSession._request`, which the transport calls: a default `AsyncModrinth`
    records a cassette, and replays it with no server at all."""
    cassette = tmp_path / "project.yaml"
    recorder = vcr.VCR(record_mode="all", match_on=["method", "uri"])
    async with KeepAlive(_project) as server:
        base = server.url + "/v2"
        with recorder.use_cassette(str(cassette)):
            async with AsyncModrinth(user_agent=USER_AGENT, base_url=base) as client:
                recorded = await client.get_project("AABBCCDD")
    assert server.heads is not None and len(server.heads) == 1
    assert "/v2/project/AABBCCDD" in cassette.read_text()
    player = vcr.VCR(record_mode="none", match_on=["method", "uri"])
    with player.use_cassette(str(cassette)) as played:
        async with AsyncModrinth(user_agent=USER_AGENT, base_url=base) as client:
            replayed = await client.get_project("AABBCCDD")
        assert played.play_count == 1
    assert (replayed.id, replayed.title, replayed.downloads) == (
        recorded.id,
        recorded.title,
        recorded.downloads,
    )


# -- TLS -----------------------------------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no CA signed, and its key."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "craftapis test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


async def test_tls_verifies_with_httpx_trust_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Certificates are verified (certifi's roots, as httpx does: a self-signed one is refused), and
    `SSL_CERT_FILE` names other roots, as it does for httpx."""
    import ssl

    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server = KeepAlive(_project)
    server.heads = []
    listening = await asyncio.start_server(server._handle, "127.0.0.1", 0, ssl=context)
    url = f"https://127.0.0.1:{listening.sockets[0].getsockname()[1]}/x"
    try:
        default = AiohttpTransport()
        try:
            refused = await _outcome(default, _get(url))
        finally:
            await default.aclose()
        assert isinstance(refused, Fails) and refused.error is httpx.ConnectError, refused
        assert "certificate verify failed" in refused.message
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        trusting = AiohttpTransport()
        try:
            accepted = await _outcome(trusting, _get(url))
            again = await _outcome(trusting, _get(url))
        finally:
            await trusting.aclose()
        assert isinstance(accepted, Ok) and accepted.body == PROJECT, accepted
        assert again == accepted and server.connections == 1  # the TLS connection was kept and reused
    finally:
        listening.close()


# -- secrets in aiohttp's messages ----------------------------------------------------------------------

SECRET_QUERY = "?nonce=SECRETNONCE123&api_key=KEYSECRET456"


@pytest.mark.parametrize(
    "answer",
    [
        Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"),  # mid-body
        Raw(b"NOT HTTP AT ALL\r\n\r\n"),  # the head
    ],
    ids=["a malformed chunk", "a malformed status line"],
)
async def test_a_secret_in_the_query_never_reaches_an_error_or_its_traceback(
    answer: Raw, transport: httpx.AsyncBaseTransport
) -> None:
    """aiohttp prints the request's URL, query and all, in a parser's verdict: the httpx error carries it
    redacted, and does not chain aiohttp's own (which would print beside it in every traceback)."""
    import traceback

    from craftapis import APIConnectionError, RetryPolicy
    from craftapis._async_base import AsyncAPIClient
    from craftapis._base import ApiProfile

    class Client(AsyncAPIClient):
        _profile = ApiProfile(
            name="aio", package="craftapis_generated.modrinth", base_url="http://127.0.0.1:9"
        )

    with HostileServer() as server:
        server.script(answer, answer)
        direct = await _outcome(transport, _get(server.url + "/x" + SECRET_QUERY))
        async with Client(base_url=server.url, retry=RetryPolicy(max_attempts=1)) as client:
            with pytest.raises(APIConnectionError) as caught:
                await client.request("GET", "/x" + SECRET_QUERY)
    assert isinstance(direct, Fails) and direct.error is httpx.RemoteProtocolError, direct
    assert "nonce=REDACTED" in direct.message  # the URL is still named, its secrets are not
    printed = "".join(traceback.format_exception(caught.value))
    assert "RemoteProtocolError" in printed  # the httpx error is still the cause
    for text in (direct.message, printed, repr(caught.value)):
        assert "SECRETNONCE123" not in text and "KEYSECRET456" not in text, text
