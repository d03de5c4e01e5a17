"""Bounds a hostile server cannot talk craftapis out of: body size, total time, redirects.

Three pieces, used by the policy transports (`_transport.py`) for every request a client sends,
whichever inner transport or user-supplied `httpx.Client` does the I/O:

* :class:`BodyReader` reads a buffered response (every JSON call) itself, decoding
  ``Content-Encoding`` (gzip, deflate) incrementally with a cap on the *decoded* size
  (:attr:`Limits.max_body_size`, 64 MiB by default) and a check of the call's total deadline
  between chunks, so neither a gzip bomb nor a body dripping two bytes a second can outlast the
  call's budget. A corrupt encoding becomes :class:`~craftapis.ResponseParseError`, never
  ``httpx.DecodingError``.
* :func:`redirect_request` is craftapis' redirect policy (the transports follow redirects
  themselves; httpx's own following is always off, also on a user's client, because the
  transports send with ``follow_redirects=False``): same-origin redirects are followed (at most
  :attr:`Limits.max_redirects`, then :class:`RedirectError`); a redirect to another origin
  (scheme, host or port) is followed only by a ``GET``/``HEAD``, stripped of every credential
  header; any other request redirected to another origin (its body may hold a refresh token, an
  authorization code or a client secret) raises :class:`RedirectError` naming the target.
* :class:`Limits`, the knobs, with safe defaults.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import httpx

from ._errors import (
    APITimeoutError,
    RedirectError,
    ResponseParseError,
    ResponseTooLargeError,
    is_secret_name,
    redact_url,
)
from ._http import header_index, header_list

__all__ = [
    "CONTENT_ENCODING_EXTENSION",
    "DECODE_STEP",
    "REDIRECTS_EXTENSION",
    "BodyReader",
    "Limits",
    "RedirectError",
    "ResponseTooLargeError",
    "StepDecoder",
    "deadline_timeout",
    "origin",
    "redirect_request",
    "same_origin",
]

#: Response extension: the ``Content-Encoding`` the server sent (the transport decoded it).
CONTENT_ENCODING_EXTENSION: Final = "craftapis.content_encoding"
#: Response extension: the URLs (redacted) the call was redirected through, in order.
REDIRECTS_EXTENSION: Final = "craftapis.redirects"

_MiB = 1024 * 1024
#: The largest piece `StepDecoder` inflates at a time (a download chunk).
DECODE_STEP: Final = 64 * 1024
#: `BodyReader._length` when `replay` must build a new response (its headers change): no body size
_CHANGED: Final = b"changed"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Headers that carry credentials whatever their name says.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True, slots=True)
class Limits:
    """What one call may consume, whatever the server sends. Pass ``limits=`` to a client.

    ``max_body_size=64 MiB``
        Largest *decoded* body of a buffered response (every JSON call): a gzip body that expands
        past it raises :class:`ResponseTooLargeError` as soon as it does, without holding more.
        Modrinth's largest version lists are a few MB. Streaming downloads are bounded by the
        size the API lists for the file instead.
    ``max_redirects=10``
        Redirects followed in one call before :class:`RedirectError` (a loop).
    ``download_min_rate=1024`` / ``download_stall_window=30.0``
        A streamed download (``download_version_file``, ``download_archive`` ...) that receives
        fewer than ``download_min_rate`` bytes per second over ``download_stall_window`` seconds
        is stalled: :class:`~craftapis.APITimeoutError`, nothing written (curl's
        ``--speed-limit``/``--speed-time``). ``download_min_rate=0`` turns the check off.
    ``download_deadline=None``
        Seconds a whole download (restarts included) may take; None: no total bound, the stall
        bound alone ends a dripping server. A large file over a slow link legitimately outlasts
        ``RetryPolicy.deadline``, which bounds only the time a download is not receiving its body
        (waiting for an answer, between restarts of a transfer that broke off).

    The total time of a call, body included, is bounded by ``RetryPolicy.deadline`` (downloads:
    see above).
    """

    max_body_size: int = 64 * _MiB
    max_redirects: int = 10
    download_min_rate: float = 1024.0
    download_stall_window: float = 30.0
    download_deadline: float | None = None

    def __post_init__(self) -> None:
        if not self.max_body_size >= 1:
            raise ValueError(f"Limits.max_body_size must be at least 1 byte, got {self.max_body_size!r}")
        if not self.max_redirects >= 0:
            raise ValueError(f"Limits.max_redirects must be >= 0, got {self.max_redirects!r}")
        if not self.download_min_rate >= 0:  # also rejects NaN
            raise ValueError(f"Limits.download_min_rate must be >= 0 bytes/s, got {self.download_min_rate!r}")
        if not self.download_stall_window > 0:
            raise ValueError(
                f"Limits.download_stall_window must be > 0 seconds, got {self.download_stall_window!r}"
            )
        if self.download_deadline is not None and not self.download_deadline > 0:
            raise ValueError(
                f"Limits.download_deadline must be None or > 0 seconds, got {self.download_deadline!r}"
            )


# -- time ------------------------------------------------------------------------------------------


def deadline_timeout(timeout: dict[str, float | None], remaining: float) -> dict[str, float | None]:
    """The request's timeout extension with every phase capped at the time left in the call."""
    capped = max(remaining, 0.001)
    return {k: capped if v is None or v > capped else v for k, v in timeout.items()}


def _deadline_error(request: httpx.Request, deadline: float, received: int) -> APITimeoutError:
    url = redact_url(request.url)
    return APITimeoutError(
        f"{request.method} {url} passed the call's {deadline:g} s deadline while the body was still "
        f"arriving ({received} bytes received); the server is too slow: raise RetryPolicy(deadline=...) "
        "if it is known to be",
        method=request.method,
        url=url,
    )


# -- bodies ----------------------------------------------------------------------------------------


class _Inflater:
    """One zlib-based decoder (gzip or deflate) whose output per call is capped."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._first = True
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding != "deflate" else zlib.MAX_WBITS)

    def decode(self, data: bytes, room: int) -> bytes:
        """Up to ``room + 1`` decoded bytes of ``data`` (one more than room means: too large)."""
        if self._z.eof:  # trailing bytes after the stream ended: ignored, as httpx does
            return b""
        try:
            out = self._z.decompress(data, room + 1)
        except zlib.error:
            if not (self.encoding == "deflate" and self._first):
                raise
            # "deflate" is often sent raw, without the zlib wrapper (httpx tries both too)
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, room + 1)
        finally:
            self._first = False
        return out

    @property
    def pending(self) -> bytes:
        return self._z.unconsumed_tail

    def flush(self, room: int) -> bytes:
        try:
            return self._z.flush(room + 1) if not self._z.eof else b""
        except zlib.error:  # a truncated stream: keep what decoded, as httpx does
            return b""


def _decoders(response: httpx.Response) -> list[_Inflater]:
    chain: list[_Inflater] = []
    for value in response.headers.get_list("content-encoding", split_commas=True):
        name = value.strip().lower()
        if name in ("gzip", "x-gzip", "deflate"):
            chain.append(_Inflater("deflate" if name == "deflate" else "gzip"))
        elif name in ("br", "zstd"):
            raise ResponseParseError.from_response(
                response,
                message=(
                    f"the server sent a {name!r}-encoded body although craftapis asks only for gzip or "
                    "deflate (Accept-Encoding); it cannot be read safely"
                ),
                body=None,
            )
        # identity and unknown names: the bytes as they are (what httpx does with them too)
    chain.reverse()  # listed in the order they were applied; undone last first
    return chain


def _corrupt(response: httpx.Response, decoder: _Inflater, exc: zlib.error) -> ResponseParseError:
    return ResponseParseError.from_response(
        response,
        message=(
            f"the server sent a corrupt {decoder.encoding} body (zlib: {exc}); the response "
            "cannot be read. A proxy or the server is broken: retry later or report it"
        ),
        body=None,
    )


class StepDecoder:
    """Undoes a streamed response's ``Content-Encoding`` (gzip, deflate, stacked) in bounded steps:
    every piece :meth:`decode` and :meth:`flush` give is at most ``step`` bytes, however far the raw
    chunk expands (a gzip bomb inflates about 1000:1; httpx's own decoders inflate a whole received
    chunk at once). ``br``/``zstd`` are refused as :class:`BodyReader` refuses them; a corrupt
    encoding is :class:`~craftapis.ResponseParseError`. ``decoded`` counts the bytes given so far."""

    def __init__(self, response: httpx.Response, *, step: int = DECODE_STEP) -> None:
        self.response = response
        self.encoding = response.headers.get("content-encoding", "")
        self._chain = _decoders(response)
        self._step = step
        self.decoded = 0

    def _stage(self, index: int, data: bytes, final: bool) -> Iterator[bytes]:
        if index == len(self._chain):
            if data:
                self.decoded += len(data)
                yield data
            return
        decoder = self._chain[index]
        room = self._step - 1  # `decode` gives up to room + 1 bytes
        try:
            while True:
                piece = decoder.decode(data, room)
                yield from self._stage(index + 1, piece, False)
                data = decoder.pending
                # a full piece may leave output inside zlib although all input was taken: ask again
                if not data and len(piece) <= room:
                    break
            if final:
                yield from self._stage(index + 1, decoder.flush(room), True)
        except zlib.error as exc:
            raise _corrupt(self.response, decoder, exc) from exc

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        """The decoded pieces of one raw chunk off the wire."""
        return self._stage(0, chunk, False)

    def flush(self) -> Iterator[bytes]:
        """What is left once the raw body ended."""
        return self._stage(0, b"", True)


class BodyReader:
    """Reads one response body: decoded, bounded in size and by the call's deadline.

    Feed it the raw chunks (:meth:`feed`), then :meth:`finish`; or :meth:`of_content` for a
    response already read in memory (a ``MockTransport``). :meth:`replay` gives the response
    craftapis returns: the decoded bytes, ``Content-Encoding`` removed (kept in the
    ``craftapis.content_encoding`` extension) so httpx decodes nothing again.
    """

    def __init__(
        self,
        request: httpx.Request,
        response: httpx.Response,
        *,
        limit: int,
        deadline: float,
        deadline_at: float,
        clock: Callable[[], float],
    ) -> None:
        self.request = request
        self.response = response
        self.limit = limit
        self._deadline = deadline
        self._deadline_at = deadline_at
        self._clock = clock
        # One pass over the raw header list for the three framing headers, no decoding: most bodies
        # are identity-encoded with a Content-Length, and then nothing about the response changes
        # (`replay` can hand back this same response). Any Content-Encoding takes `_decoders`.
        headers = response.headers
        index = header_index(headers)  # built once per response, for the limiter and cookies too
        coded = b"content-encoding" in index
        chunked = b"transfer-encoding" in index
        length = index.get(b"content-length")
        lengths = 0 if length is None else 1
        if lengths and len(index) != len(items := header_list(headers)):  # a name is repeated: which?
            lengths = sum(1 for _, name, _ in items if name == b"content-length")
        self._chain = _decoders(response) if coded else []
        #: the Content-Length to compare the body with when nothing else would change in `replay`
        self._length = length if lengths <= 1 and not (coded or chunked) else _CHANGED
        self._parts: list[bytes] = []
        self._size = 0
        self._received = 0

    def _too_large(self) -> ResponseTooLargeError:
        encoding = self.response.headers.get("content-encoding")
        what = f" ({encoding}-encoded, {self._received} bytes on the wire)" if self._chain else ""
        return ResponseTooLargeError.from_response(
            self.response,
            message=(
                f"the response body{what} is larger than Limits.max_body_size ({self.limit} bytes); "
                "reading stopped there"
            ),
            body=None,
        )

    def _keep(self, data: bytes) -> None:
        if not data:
            return
        self._size += len(data)
        if self._size > self.limit:
            raise self._too_large()
        self._parts.append(data)

    def _through(self, data: bytes, final: bool = False) -> None:
        for decoder in self._chain:
            out: list[bytes] = []
            room = self.limit - self._size
            try:
                if data:
                    piece = decoder.decode(data, room)
                    out.append(piece)
                    room -= len(piece)
                while decoder.pending and room >= 0:
                    piece = decoder.decode(decoder.pending, room)
                    out.append(piece)
                    room -= len(piece)
                if final and room >= 0:
                    out.append(decoder.flush(room))
            except zlib.error as exc:
                raise _corrupt(self.response, decoder, exc) from exc
            data = b"".join(out)
            if len(data) > self.limit - self._size:
                raise self._too_large()
        self._keep(data)

    def feed(self, chunk: bytes) -> None:
        """One raw chunk off the wire."""
        self._received += len(chunk)
        if self._clock() > self._deadline_at:
            raise _deadline_error(self.request, self._deadline, self._received)
        if not self._chain:
            self._keep(chunk)
        else:
            self._through(chunk)

    def finish(self) -> bytes:
        if self._chain:
            self._through(b"", final=True)
        return b"".join(self._parts)

    def of_content(self, content: bytes) -> bytes:
        """The body of a response httpx already read and decoded in memory."""
        self._chain = []
        self.feed(content)
        return self.finish()

    def replay(self, body: bytes, extensions: dict[str, object] | None = None) -> httpx.Response:
        """A response over the decoded body, unread: the same response when its headers would not
        change (identity-encoded, no Transfer-Encoding, a Content-Length of the body's size or none),
        its stream replaced by the body (no second `Response` and two `Headers` copies per call), else
        a fresh one, ``Content-Encoding`` removed and ``Content-Length`` set to the decoded size."""
        length = self._length
        if extensions is None and (length is None or length == b"%d" % len(body)):
            response = self.response
            response.stream = httpx.ByteStream(body)
            response.is_stream_consumed = response.is_closed = False
            response.request = self.request
            return response
        headers = self.response.headers.copy()
        encoding = headers.get("content-encoding")
        ext = dict(self.response.extensions if extensions is None else extensions)
        if encoding is not None:
            del headers["content-encoding"]
            ext[CONTENT_ENCODING_EXTENSION] = encoding
        if "content-length" in headers or encoding is not None:
            headers["content-length"] = str(len(body))
        if "transfer-encoding" in headers:
            del headers["transfer-encoding"]
        return httpx.Response(
            self.response.status_code,
            headers=headers,
            stream=httpx.ByteStream(body),
            request=self.request,
            extensions=ext,
        )


# -- redirects -------------------------------------------------------------------------------------


def origin(url: httpx.URL | str) -> tuple[str, str, int | None]:
    """The origin of ``url``: scheme, host and port (the scheme's default port when none is given)."""
    url = httpx.URL(url)
    return (
        url.scheme,
        url.host,
        url.port if url.port is not None else {"http": 80, "https": 443}.get(url.scheme),
    )


def same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    """Same scheme, host and (default-normalised) port."""
    return origin(a) == origin(b)


def is_redirect(response: httpx.Response) -> bool:
    return response.status_code in _REDIRECT_STATUSES and "location" in response.headers


def _refuse(
    request: httpx.Request, response: httpx.Response, location: str | None, why: str
) -> RedirectError:
    error = RedirectError.from_response(
        response,
        message=f"{request.method} {redact_url(request.url)} was redirected to {location}: {why}",
        body=None,
    )
    error.location = location
    return error


def redirect_request(
    request: httpx.Request, response: httpx.Response, *, hops: int, limits: Limits
) -> httpx.Request:
    """The next request of a redirect chain under craftapis' policy (see the module docstring),
    or :class:`RedirectError`. ``hops`` counts the redirects already followed in this call."""
    raw_location = response.headers["location"]
    try:
        url = request.url.join(raw_location)
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError):
        raise _refuse(request, response, "<unparseable URL>", "the Location header is not a URL") from None
    location = redact_url(url)
    if url.scheme not in ("http", "https"):
        raise _refuse(
            request, response, location, f"craftapis follows only http(s) redirects, not {url.scheme!r}"
        )
    if hops >= limits.max_redirects:
        raise _refuse(
            request,
            response,
            location,
            f"stopped after {hops} redirects (Limits.max_redirects={limits.max_redirects}); the server loops",
        )
    status = response.status_code
    method = request.method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    keeps_body = method == request.method and status in (307, 308)
    cross = not same_origin(request.url, url)
    if cross and method not in ("GET", "HEAD"):
        raise _refuse(
            request,
            response,
            location,
            "another origin, and the request carries a body (credentials such as a refresh token, "
            "an authorization code, a client secret or an API key may be in it), so craftapis does "
            "not send it there",
        )
    if cross and request.url.scheme == "https" and url.scheme == "http":
        raise _refuse(request, response, location, "a downgrade from https to http")
    headers = request.headers.copy()
    if cross:
        for name in list(headers.keys()):
            if name.lower() in _CREDENTIAL_HEADERS or is_secret_name(name):
                del headers[name]
    headers["Host"] = url.netloc.decode("ascii")
    if not keeps_body:
        for name in ("content-length", "content-type", "transfer-encoding"):
            headers.pop(name, None)
        return httpx.Request(method, url, headers=headers, extensions=dict(request.extensions))
    return httpx.Request(
        method,
        url,
        headers=headers,
        stream=request.stream,
        extensions=dict(request.extensions),
    )
