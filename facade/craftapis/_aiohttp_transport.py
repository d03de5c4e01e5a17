"""`AiohttpTransport`: the async clients' fallback inner transport, an httpx transport over aiohttp.

Since `_aiowire.AsyncWireTransport` became the default (issue 12, J4: aiohttp's own layer was the cost
left), this transport serves where httptools cannot be imported (`_http.AsyncDefaultTransport`), and
every request sent while a mock patches `aiohttp.ClientSession._request` (vcrpy, aioresponses): the
wire hands those requests here. It stays a supported transport (`transport=AiohttpTransport()`).

aiohttp frames every response with llhttp (a maintained C HTTP/1.1 parser); this module only carries
an `httpx.Request` to `aiohttp.ClientSession._request` and the aiohttp response back as an
`httpx.Response` whose stream is the body as llhttp hands it over. It replaces httpx-aiohttp's
`AiohttpTransport` (issue 12, J4), which did the same with more work per request: an exception-mapping
context manager around every call and every chunk, a `_RequestContextManager`, the URL rendered to a
string and parsed again, the headers re-normalised both ways and a `ClientTimeout` built each time, and
it mapped some failures wrongly (a connection broken mid-response was a `ConnectTimeout`).

What stays as it was: `ClientSession._request` is what vcrpy patches, so cassettes record and replay;
the timeouts come from `request.extensions["timeout"]` per phase (connect, read, pool: the policy caps
them at the call's deadline); `auto_decompress=False`, because the policy's `BodyReader` decodes with a
bound on the decoded size; 100 connections at most, kept alive 5 s (httpx's `Limits` defaults); TLS
from `httpx.create_ssl_context()` (certifi, `SSL_CERT_FILE`/`SSL_CERT_DIR`), made on the first https
request and shared by the process's transports (`_tls`); no proxy and no netrc
(`trust_env=False`: craftapis routes the proxy environment through an httpx client instead, see
`_http.py`). Cookies are craftapis' own (`LeanCookies` on the httpx client): the session's jar is
aiohttp's `DummyCookieJar`, so aiohttp neither stores a `Set-Cookie` nor sends a cookie of its own.

One bound is craftapis' own, as on the sync side (`_wire.py`): the response head. aiohttp's `sock_read`
restarts with every chunk that arrives, and `total` would also run over the body (a large download
legitimately takes longer than a read timeout), so a server dripping the status line and headers two
bytes at a time held a call for minutes past `RetryPolicy.deadline`. Here the whole head (any 1xx
answers before it included) must arrive within the request's read timeout, counted from the moment the
request is sent (`_HeadBoundResponse`, aiohttp's `response_class`; the policy caps that timeout at the
time left before the deadline); past it the call fails with httpx's `ReadTimeout`, worded as the sync
transport words it. Body reads keep the per-read timeout (`_guards.BodyReader` checks the deadline
between chunks).

The verdicts are h11's (`httpx.AsyncHTTPTransport`'s), as tests/speed/test_wire_async.py shows over
the raw-socket corpus of the sync wire: where aiohttp's parser is lenient, h11's rules refuse the head
here (`_refused`: a `Transfer-Encoding` other than one `chunked`, a 101 nobody asked for); a server closing (not resetting) the connection before the answer or within
its body is a `RemoteProtocolError`; the HTTP version and an empty reason phrase are passed on as
received; and aiohttp's own resend of an idempotent request whose connection broke is off, so a call
makes the attempts its `RetryPolicy` allows, no more. Where aiohttp stays stricter (a header line over
8190 bytes, bytes after a complete answer) or more lenient (a space before a header's colon) or
unfolds an obs-fold differently, that test's `DIFFERS` says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import math
import ssl
from typing import Any, NoReturn

import aiohttp
import httpx
from aiohttp import ClientTimeout
from aiohttp.http import HttpVersion10, HttpVersion11
from aiohttp.http_exceptions import PayloadEncodingError
from yarl import URL

from ._errors import redact_url
from ._httpx_glue import default_ssl_context as _tls
from ._httpx_glue import fill_headers as _fill

__all__ = ["AiohttpTransport", "aiohttp_error"]

#: Every aiohttp (and asyncio) failure the request or the body can raise.
_FAILURES = (TimeoutError, OSError, aiohttp.ClientError)
#: The response's HTTP version as httpx names it (a vcrpy replay has none: HTTP/1.1); others, such as
#: the HTTP/0.9 h11 also takes, are added as they are seen (`_version`).
_VERSIONS: dict[object, bytes] = {HttpVersion11: b"HTTP/1.1", HttpVersion10: b"HTTP/1.0"}


def aiohttp_error(exc: BaseException, url: object = None) -> BaseException:
    """The httpx error an aiohttp failure stands for, as httpx's own transport would raise it: connect
    failures, timeouts, broken connections and malformed responses (llhttp's verdicts) each become
    their httpx class; anything else is returned as it is.

    aiohttp puts the request's whole URL in some messages (a parser's verdict, a connect timeout), and
    a query can hold a secret (BuiltByBit's `nonce`): `url` (the request's) appears redacted there, and
    the error is then raised `from None` (`_raise`), so aiohttp's own text is not printed beside it."""
    if isinstance(exc, _HeadTimeout):  # no URL in it; the sync transport's words (`_wire.py`)
        return httpx.ReadTimeout(str(exc))
    if isinstance(exc, _WriteStalled):
        return httpx.WriteTimeout(str(exc))
    message = _redacted(f"{type(exc).__name__}: {exc}", url)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(exc, aiohttp.ServerDisconnectedError) or _truncated(exc):
        # closed (not reset) before the answer or its body was whole: h11's verdict, a protocol error
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return httpx.ReadError(message)
    if isinstance(exc, aiohttp.ClientResponseError):  # the response could not be parsed
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, aiohttp.InvalidUrlClientError | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(_redacted(str(exc), url))
    return exc


def _truncated(exc: BaseException) -> bool:
    """Whether `exc` is aiohttp's verdict on a body the server ended (closed, not reset) before its
    `Content-Length` or last chunk: a `ClientPayloadError` caused by the parser's length error, whose
    message then ends with that error (aiohttp appends the connection's error to it after a reset)."""
    cause = exc.__cause__
    return (
        isinstance(exc, aiohttp.ClientPayloadError)
        and isinstance(cause, PayloadEncodingError)
        and str(exc).endswith(repr(cause))
    )


def _refused(response: aiohttp.ClientResponse, request: httpx.Request) -> str:
    """Why h11 would refuse this response head, where aiohttp's parser takes it ("" if it would not):
    a `Transfer-Encoding` other than one `chunked` (aiohttp takes a repeated one, and reads any other
    coding's body to EOF), a 101 to a request that proposed no upgrade. The rules the sync llhttp wire
    keeps too (`_llhttp.py`). One lookup in aiohttp's parsed headers per answer (about 1.4k instructions,
    callgrind) where an answer has no `Transfer-Encoding`; checking every header name as h11 does
    would cost ten times that, see test_wire_async.py's `DIFFERS` for what it leaves."""
    headers = response.headers
    if "Transfer-Encoding" in headers:
        codings = headers.getall("Transfer-Encoding")
        if len(codings) > 1:
            return "multiple Transfer-Encoding headers"
        if codings[0].strip(" \t").lower() != "chunked":
            return "Only Transfer-Encoding: chunked is supported"
    if response.status == 101 and "upgrade" not in request.headers:
        return "a 101 (Switching Protocols) answer to a request that proposed no upgrade"
    return ""


def _version(version: Any) -> bytes:
    """`response.version` as httpx names HTTP versions (b"HTTP/1.1")."""
    named = _VERSIONS.get(version)
    if named is None:
        named = b"HTTP/1.1" if version is None else b"HTTP/%d.%d" % (version.major, version.minor)
        if len(_VERSIONS) < 16:
            _VERSIONS[version] = named
    return named


def _redacted(text: str, url: object) -> str:
    """`text` with `url` (as httpx and as yarl spell it) replaced by `redact_url(url)`."""
    if url is None:
        return text
    shown = redact_url(str(url)) or ""
    spellings = {str(url)}
    with contextlib.suppress(ValueError):  # a URL yarl cannot parse: aiohttp did not print its form
        spellings.add(str(URL(str(url))))
    for spelling in spellings:
        if spelling != shown and spelling in text:
            text = text.replace(spelling, shown)
    return text


def _raise(exc: BaseException, url: object) -> NoReturn:
    """Raise `aiohttp_error(exc, url)`: chained to `exc`, unless `exc`'s text holds the URL, which it
    then must not print (see `aiohttp_error`)."""
    error = aiohttp_error(exc, url)
    if error is exc:
        raise exc
    if url is not None and _redacted(str(exc), url) != str(exc):
        raise error from None
    raise error from exc


class _HeadTimeout(aiohttp.ServerTimeoutError):
    """The response head did not arrive within its budget (`_HeadBoundResponse`). A `ClientError` and a
    `TimeoutError`: aiohttp re-raises it as it is, without retrying the request."""


class _HeadWatch:
    """The response heads being received through one transport (one event loop): each connection's
    protocol with the loop time its head must have arrived by, and one loop timer for the earliest.

    One timer per transport, not one per request: asyncio keeps its timers in a heap of handles compared
    in Python, cancelled ones included until they come due, so a timer armed and cancelled per request
    cost about 17k instructions of a 650k GET on loopback (callgrind); a dict entry costs a few hundred.
    When it runs out for a head, the error is set on the protocol (whose `read()` the head is waiting in)
    as aiohttp's own `sock_read` does it, so aiohttp closes the connection as for any failed head, and no
    task is cancelled (an `asyncio.timeout` block costs twice the timer, and a cancel must not be
    swallowed)."""

    __slots__ = ("_at", "_loop", "_pending", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: dict[Any, tuple[float, float, bool]] = {}  # protocol -> (until, budget, postponed)
        self._timer: asyncio.TimerHandle | None = None
        self._at = math.inf  # when the timer runs out (inf: not armed)

    def add(self, protocol: Any, budget: float) -> None:
        until = self._loop.time() + budget
        self._pending[protocol] = (until, budget, False)
        if until < self._at:
            self._arm(until)

    def discard(self, protocol: Any) -> None:
        self._pending.pop(protocol, None)

    def _arm(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._at = at
        self._timer = self._loop.call_at(at, self._sweep)

    def _sweep(self) -> None:
        self._timer, self._at = None, math.inf
        now = self._loop.time() + 0.001  # asyncio runs a timer up to its clock resolution early
        earliest = math.inf
        for protocol, (until, budget, postponed) in list(self._pending.items()):
            if until > now:
                earliest = min(earliest, until)
            elif protocol.exception() is not None:  # `sock_read` ran out first, or the connection broke
                del self._pending[protocol]
            elif len(protocol) and not postponed:
                # a message parsed, not yet taken: look again once it has been (next turn), once only: a
                # server streaming `100 Continue` answers always has one parsed, none of them the head
                self._pending[protocol] = (until, budget, True)
                earliest = min(earliest, now)
            else:
                del self._pending[protocol]
                protocol.set_exception(
                    _HeadTimeout(
                        "the response head (status line and headers) did not arrive within the "
                        f"{budget:g} s read timeout"
                    )
                )
        if earliest < math.inf:
            self._arm(earliest)


class _WriteStalled(aiohttp.ServerTimeoutError):
    """The server took none of the request body for a whole write timeout (`_WriteWatch`)."""


#: The write timeout of the request being sent in this task, for its response's `start` (`_WriteWatch`):
#: aiohttp's `ClientTimeout` has no write phase to carry it.
_WRITE_BUDGET: contextvars.ContextVar[float | None] = contextvars.ContextVar("_WRITE_BUDGET", default=None)


class _WriteWatch:
    """httpx's write timeout for a request body aiohttp is writing: aiohttp has none, so a server that
    stops reading held an upload forever (past `RetryPolicy.deadline`: the policy bounds the read
    timeout, which starts only once the body is sent). Every quarter of the budget, while the body is
    being written, the connection's unsent buffer is looked at; when it has stayed the same, and not
    empty, for the whole budget (nothing reached the socket: the server reads nothing), the request
    fails with httpx's `WriteTimeout` and the connection is dropped with its unsent bytes. httpcore
    bounds each write call instead, so a body given as one piece must be sent whole within the
    timeout there; here, as for a body streamed in pieces there, only a stall is one. A slow producer
    (a streamed upload) is not a stall: its buffer empties."""

    __slots__ = ("_budget", "_loop", "_protocol", "_since", "_size", "_timer", "_writer")

    def __init__(self, protocol: Any, writer: asyncio.Future[Any], budget: float) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._protocol = protocol
        self._writer = writer
        self._budget = budget
        self._size = 0
        self._since = loop.time()
        self._timer = loop.call_later(budget / 4, self._check)
        writer.add_done_callback(self._stop)

    def _stop(self, _: object) -> None:
        self._timer.cancel()

    def _check(self) -> None:
        protocol = self._protocol
        transport = protocol.transport
        if self._writer.done() or transport is None or protocol.exception() is not None:
            return
        now = self._loop.time()
        size = transport.get_write_buffer_size()
        if size != self._size or not size:
            self._size, self._since = size, now
        elif now - self._since >= self._budget - 0.001:  # asyncio runs a timer up to its resolution early
            protocol.set_exception(
                _WriteStalled(
                    f"the server took none of the request body within the {self._budget:g} s write timeout"
                )
            )
            self._loop.call_soon(transport.abort)  # after the request has heard: drop the unsent bytes
            return
        self._timer = self._loop.call_later(self._budget / 4, self._check)


class _HeadBoundResponse(aiohttp.ClientResponse):
    """aiohttp's response, whose head (`start`: the status line, the headers, any 1xx answers before
    them) must arrive within the request's read timeout in all, not per chunk: the budget is the
    connection's `sock_read` (`protocol.read_timeout`, set from this request's `ClientTimeout` just
    before the request was sent), counted from when the request's body has been written (as aiohttp
    starts `sock_read`, and as the sync transport counts from its first read), watched by the transport's `_HeadWatch` (each transport's session has
    a subclass of its own, `_watch` set). vcrpy's replayed responses are its own and never start.
    While the body is being written, its writes are bound by the write timeout (`_WriteWatch`)."""

    _watch: _HeadWatch

    async def start(self, connection: Any) -> _HeadBoundResponse:
        protocol = connection.protocol
        writer = self._writer
        if writer is not None and protocol is not None:  # a body still being written: bound its writes
            write_budget = _WRITE_BUDGET.get()
            if write_budget:
                _WriteWatch(protocol, writer, write_budget)
        budget = protocol.read_timeout if protocol is not None else None
        if not budget:  # no read timeout: nothing to bound the head by
            await super().start(connection)
            return self
        watch = self._watch
        started = False  # True once the head is in (or failed): a late `sent` must not watch it
        if writer is None:  # the request is sent: its head is due from now
            watch.add(protocol, budget)
        else:  # a body still being written: the head is due from when it is sent, as `sock_read` counts

            def sent(_: object) -> None:
                if not started:
                    watch.add(protocol, budget)

            writer.add_done_callback(sent)
        try:
            await super().start(connection)
        finally:
            started = True
            watch.discard(protocol)
        return self


class _Body(httpx.AsyncByteStream):
    """An aiohttp response's body, chunk by chunk as llhttp hands it over (`readany`), errors mapped.

    Its own async iterator rather than an async generator: asyncio registers every async generator it
    sees started (a weak set, a finaliser), once per response here, for nothing."""

    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        content = self._response.content
        if content.at_eof():  # all of it handed over: no `readany` coroutine only to hear b"" (issue 12)
            raise StopAsyncIteration
        try:
            chunk = await content.readany()
        except _FAILURES as exc:
            _raise(exc, self._response.url)
        if not chunk:
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        try:
            await self._response.__aexit__(None, None, None)  # release the connection (or close it)
        except _FAILURES as exc:
            _raise(exc, self._response.url)


def _request_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """`headers.multi_items()`: httpx's lower-case names, each occurrence on its own. Without its cost
    for ASCII headers (httpx evaluates its `encoding` property twice per header, each time over all)."""
    try:
        return [(key.decode("ascii"), value.decode("ascii")) for _, key, value in headers._list]
    except UnicodeDecodeError:
        return headers.multi_items()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's transport interface over one `aiohttp.ClientSession`, opened on the first request (in the
    event loop that sends it) and closed by `aclose`."""

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        self._limits = limits if limits is not None else httpx.Limits(max_connections=100)
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None  # `_tls()`, on the first https request
        self._timeouts: dict[tuple[Any, Any, Any], ClientTimeout] = {}
        self._urls: dict[str, URL] = {}  # `_url`

    def _open(self) -> aiohttp.ClientSession:
        limit = self._limits.max_connections
        connector = aiohttp.TCPConnector(
            limit=limit if limit is not None else 0,
            keepalive_timeout=self._limits.keepalive_expiry,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
            response_class=type(
                "_HeadBoundResponse",
                (_HeadBoundResponse,),
                {"_watch": _HeadWatch(asyncio.get_running_loop())},
            ),
        )
        # aiohttp sends an idempotent request again, once, when its connection closes or resets before
        # the answer, fresh connections included, and has no public switch for it (aio-libs/aiohttp
        # #10790): retries are the policy's (`RetryPolicy.max_attempts`), as on the sync wire
        self._session._retry_connection = False
        return self._session

    def _tls(self) -> ssl.SSLContext:
        self._ssl = _tls()
        return self._ssl

    def _timeout(self, timeout: Any) -> ClientTimeout:
        """The aiohttp timeouts of httpx's per-phase ones (connect, read; pool is aiohttp's `connect`:
        getting a connection from the pool, a new one included), one object per distinct triple."""
        key = (timeout.get("connect"), timeout.get("read"), timeout.get("pool")) if timeout else (None,) * 3
        made = self._timeouts.get(key)
        if made is None:
            if len(self._timeouts) > 64:  # deadline-capped values vary: keep the table small
                self._timeouts.clear()
            made = self._timeouts[key] = ClientTimeout(sock_connect=key[0], sock_read=key[1], connect=key[2])
        return made

    def _url(self, url: httpx.URL) -> URL:
        """yarl's parse of `url`, one per distinct URL string: a client sends the same few URLs over and
        over, and yarl parsing one again cost about 1.3 us a request (a dict lookup: 0.2 us)."""
        text = str(url)
        parsed = self._urls.get(text)
        if parsed is None:
            if len(self._urls) >= 256:  # many distinct URLs (ids, queries): keep the table small
                self._urls.clear()
            parsed = self._urls[text] = URL(text)
        return parsed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        extensions = request.extensions
        try:
            data: Any = request.content or None
        except httpx.RequestNotRead:  # a streamed upload: aiohttp sends it chunked
            data = request.stream
            request.headers.pop("transfer-encoding", None)
        url = request.url
        timeout = extensions.get("timeout")
        writing = _WRITE_BUDGET.set(timeout.get("write") if timeout and data is not None else None)
        try:
            response = await session._request(
                request.method,
                self._url(url),
                headers=_request_headers(request.headers),
                data=data,
                allow_redirects=False,
                compress=False,
                timeout=self._timeout(timeout),
                ssl=(self._ssl or self._tls()) if url.scheme == "https" else True,  # True: no TLS, unused
                server_hostname=extensions.get("sni_hostname"),
            )
        except _FAILURES as exc:
            _raise(exc, url)
        finally:
            _WRITE_BUDGET.reset(writing)
        refused = _refused(response, request)
        if refused:
            response.close()  # the connection cannot be trusted for another request
            raise httpx.RemoteProtocolError(refused)
        reply: dict[str, Any] = {"http_version": _version(response.version)}
        if response.reason is not None:  # an empty one too, as h11 hands it over (httpx's default: "OK")
            reply["reason_phrase"] = response.reason.encode()
        made = httpx.Response(response.status, stream=_Body(response), request=request, extensions=reply)
        _fill(made.headers, response.raw_headers)
        return made

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
