"""Writing downloads safely: server-given names, file modes, leftovers of a killed run, `PartFile`,
the temporary file a download goes to before it becomes the destination, `DownloadWatch`, which
bounds a download's time (`Limits.download_min_rate`/`download_stall_window`/`download_deadline`),
and `Transfer`, which restarts (or resumes, with `Range`) a body that broke off mid-transfer.

Shared by every client that saves files (Modrinth's version files, Railcraft's archives); the loop
that drives a `Transfer` is `_async_download.py` (and its sync twin).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Final

import httpx

from ._base import content_length
from ._context import IDEMPOTENT_EXTENSION, OPTIONS_EXTENSION, current_call_options
from ._errors import APITimeoutError, DownloadError, redact_url
from ._guards import CONTENT_ENCODING_EXTENSION, BodyReader, Limits, StepDecoder
from ._retry import RetryPolicy

__all__ = [
    "STALE_PART_AGE",
    "DownloadWatch",
    "PartFile",
    "Progress",
    "Transfer",
    "clean_stale_parts",
    "error_reader",
    "file_mode",
    "safe_filename",
]

#: A `.part` file of the same destination untouched this long is a leftover of a killed run.
STALE_PART_AGE: Final = 3600.0
#: The longest file name written (bytes, UTF-8): most file systems' NAME_MAX.
_NAME_MAX: Final = 255
_UMASK_LOCK = threading.Lock()
#: `Content-Range: bytes <first>-<last>/<size>` of a 206 (RFC 9110 section 14.4)
_CONTENT_RANGE: Final = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})", re.ASCII)

logger = logging.getLogger("craftapis")

#: `progress(bytes written, total or None)`, called after every chunk of a download
Progress = Callable[[int, int | None], object]


def file_mode() -> int:
    """The mode a new file gets under the process umask (read by setting it and putting it back, under
    a lock): 0644 under 022, where `mkstemp` gives 0600."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def safe_filename(name: str, *, url: str | None) -> str:
    """The last component of a server-given file name, refused (`DownloadError`) unless it is a plain,
    visible file name: no NUL or control character, not a dotfile (`.bashrc`), at most 255 bytes."""
    given = name
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # its last component: no "../" escapes
    problem = None
    if not name or name in (".", ".."):
        problem = "is empty"
    elif any(ord(c) < 32 or c == "\x7f" for c in name):
        problem = "contains a control character (NUL, newline ...)"
    elif name.startswith("."):
        problem = "is a dotfile (it would be hidden, or overwrite e.g. .bashrc)"
    elif len(name.encode("utf-8", "surrogatepass")) > _NAME_MAX:
        problem = f"is longer than {_NAME_MAX} bytes"
    if problem is not None:
        raise DownloadError(
            f"the server names the file {given[:80]!r}, which {problem}; nothing was written. Pass a "
            "file path (not a folder) as the destination to choose the name yourself",
            method="GET",
            url=url,
        )
    return name


def clean_stale_parts(dest: Path) -> None:
    """Remove `.part` files of `dest` that a killed run left behind (untouched for `STALE_PART_AGE`)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for part in dest.parent.glob(f".{dest.name}.*.part"):
            with contextlib.suppress(OSError):
                if now - part.stat().st_mtime > STALE_PART_AGE:
                    part.unlink()


class PartFile:
    """A temporary file beside `target` (`.<name>.<random>.part`, so `os.replace` is an atomic rename)
    that becomes `target` only on `commit()` and vanishes on `discard()`. `write()` stops past `total`
    bytes (`total_from` says who announced them). Every failure is a `DownloadError` (`_error`: a
    subclass adds what it knows) and leaves nothing behind."""

    def __init__(self, target: Path, total: int | None, total_from: str) -> None:
        self.target = target
        self.total = total
        self._total_from = total_from
        self.received = 0
        self._committed = False
        if target.is_dir():  # found before a byte is downloaded, not after the first chunk
            raise self._error(
                f"the destination {target} is a directory: pass a file path; nothing was downloaded"
            )
        clean_stale_parts(target)
        try:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        except OSError as exc:
            raise self._local_error(exc, "could not create the temporary file") from exc
        self.temp_path = Path(name)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        # mkstemp makes 0600; the file gets what the umask gives any new file (0644 under 022), so a
        # game server running as another user can read it
        with contextlib.suppress(OSError):
            os.chmod(fd, file_mode())

    def _error(self, message: str) -> DownloadError:
        return DownloadError(message)

    def _local_error(self, exc: OSError, what: str) -> DownloadError:
        detail = f"{type(exc).__name__}: {exc.strerror or exc}"
        return self._error(f"{what} for {self.target} ({detail}); nothing was written")

    def fail(self, message: str) -> DownloadError:
        """The error `message` for this download; the temporary file is removed."""
        self.discard()
        return self._error(message)

    def too_much(self, total: int, what: str = "") -> DownloadError:
        """The error for a body past `total` bytes (`what`: how it came, e.g. gzip-encoded)."""
        return self.fail(
            f"the server sent more than the {total} bytes {self._total_from}{what}; the download was "
            "stopped there and nothing was written"
        )

    def write(self, chunk: bytes) -> None:
        """Append a chunk; past `total` bytes or on a full disk, `DownloadError` and nothing left."""
        if self.total is not None and self.received + len(chunk) > self.total:
            raise self.too_much(self.total)
        try:
            self._file.write(chunk)
        except OSError as exc:
            self.discard()
            raise self._local_error(exc, "writing failed") from exc
        self.received += len(chunk)

    def restart(self) -> None:
        """Begin again from byte 0 (the server sent the whole file again): the file is truncated."""
        try:
            self._file.seek(0)
            self._file.truncate()
        except OSError as exc:
            self.discard()
            raise self._local_error(exc, "writing failed") from exc
        self.received = 0

    def close(self) -> None:
        """Flush the file to disk and close it."""
        try:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
        except OSError as exc:
            self.discard()
            raise self._local_error(exc, "writing failed") from exc

    def commit(self) -> Path:
        """Move the complete file into place (atomically) and return its path."""
        self.close()
        try:
            os.replace(self.temp_path, self.target)
        except OSError as exc:
            self.discard()
            raise self._local_error(exc, "moving the file into place failed") from exc
        self._committed = True
        return self.target

    def discard(self) -> None:
        """Remove the temporary file (nothing once committed)."""
        if self._committed:
            return
        with contextlib.suppress(OSError):
            self._file.close()
        self.temp_path.unlink(missing_ok=True)


class DownloadWatch:
    """Bounds one download by time, whatever the server sends: every chunk off the wire is seen here
    (before httpx gathers chunks of the size the caller iterates by), so a body dripping a byte per
    read timeout ends within `download_stall_window` plus one read timeout, with `APITimeoutError`.

    Create one per download (its total deadline counts from then, restarts included) and `attach`
    each streamed response of it (a restart begins a new stall window). The stall bound is curl's
    `--speed-limit`: fewer than `download_min_rate` bytes per second over a window is a stall.
    """

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = limits.download_min_rate
        self._window = limits.download_stall_window
        self._deadline = limits.download_deadline
        self.max_body_size = limits.max_body_size
        self._clock = clock
        self.started = clock()
        self.received = 0
        self._window_start = self.started
        self._window_bytes = 0
        self._flowed = 0.0  # seconds the bodies of earlier attempts were arriving
        self._attached = self._last = self.started

    @property
    def flowing(self) -> float:
        """Seconds this download's bodies have been arriving, over all attempts: time that is not
        the call's (`RetryPolicy.deadline` bounds the rest: waiting for answers, between restarts)."""
        return self._flowed + (self._last - self._attached)

    def attach(self, response: httpx.Response, sink: PartFile) -> None:
        """Watch `response`'s body, written to `sink`, from now on (its stream is wrapped; nothing is
        read here). A ``Content-Encoding`` the server sent anyway is undone here, in steps of at most
        64 KiB (`StepDecoder`), never a whole received chunk at once (a gzip bomb expands 1000:1): the
        decoded body may not pass `sink.total` (the size the API lists), or `Limits.max_body_size`
        when none is listed. ``Content-Encoding`` and the (encoded) ``Content-Length`` are removed
        from the response (the encoding stays in its ``craftapis.content_encoding`` extension), so
        httpx decodes nothing again."""
        now = self._clock()
        self._flowed, self._attached, self._last = self.flowing, now, now
        self._window_start = now
        self._window_bytes = 0
        self.received = 0
        self._check_deadline(response.request, now)
        decoder = None
        if "content-encoding" in response.headers:
            decoder = StepDecoder(response)
            response.extensions = {**response.extensions, CONTENT_ENCODING_EXTENSION: decoder.encoding}
            del response.headers["content-encoding"]
            response.headers.pop("content-length", None)
        response.stream = _WatchedStream(response.stream, self, response.request, decoder, sink)

    def _check_deadline(self, request: httpx.Request, now: float) -> None:
        if self._deadline is not None and now - self.started > self._deadline:
            raise self._error(
                request,
                f"passed Limits.download_deadline ({self._deadline:g} s) with {self.received} bytes received",
                "raise Limits(download_deadline=...) for a file this large on this link (None: no total "
                "bound; the stall bound, Limits.download_min_rate, still ends a stalled server)",
            )

    def see(self, size: int, request: httpx.Request) -> None:
        """`size` more bytes arrived: raise `APITimeoutError` past the deadline or below the rate."""
        now = self._last = self._clock()
        self.received += size
        self._window_bytes += size
        self._check_deadline(request, now)
        elapsed = now - self._window_start
        if elapsed < self._window:
            return
        if self._window_bytes < self._rate * elapsed:
            raise self._error(
                request,
                f"stalled: {self._window_bytes} bytes in the last {elapsed:.1f} s, below "
                f"Limits.download_min_rate ({self._rate:g} bytes/s over download_stall_window="
                f"{self._window:g} s), {self.received} bytes received",
                "the server or the link is too slow: retry later, or lower Limits(download_min_rate=...) "
                "for a link known to be this slow (0 turns the check off)",
            )
        self._window_start = now
        self._window_bytes = 0

    @staticmethod
    def _error(request: httpx.Request, what: str, todo: str) -> APITimeoutError:
        url = redact_url(request.url)
        return APITimeoutError(
            f"{request.method} {url}: the download {what}; it was stopped and nothing was written: {todo}",
            method=request.method,
            url=url,
        )


class _WatchedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response stream whose every raw chunk `DownloadWatch.see`s first (sync or async)."""

    def __init__(
        self,
        stream: httpx.SyncByteStream | httpx.AsyncByteStream,
        watch: DownloadWatch,
        request: httpx.Request,
        decoder: StepDecoder | None,
        sink: PartFile,
    ) -> None:
        self._stream = stream
        self._watch = watch
        self._request = request
        self._decoder = decoder
        self._sink = sink
        self._cap = sink.total if sink.total is not None else watch.max_body_size

    def _decoded(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        decoder = self._decoder
        assert decoder is not None
        for piece in pieces:
            if decoder.decoded > self._cap:
                raise self._too_large(decoder)
            yield piece

    def _too_large(self, decoder: StepDecoder) -> DownloadError:
        what = f" ({decoder.encoding}-encoded, {self._watch.received} bytes on the wire)"
        if self._sink.total is not None:
            return self._sink.too_much(self._cap, what)
        return self._sink.fail(
            f"the {decoder.encoding}-encoded download decodes to more than Limits.max_body_size "
            f"({self._cap} bytes), and no size is listed for it ({self._watch.received} bytes on the "
            "wire); it was stopped there and nothing was written. Pass the expected size, or raise "
            "Limits(max_body_size=...) for a server known to send such files encoded"
        )

    def __iter__(self) -> Iterator[bytes]:
        decoder = self._decoder
        for chunk in self._stream:  # type: ignore[union-attr]
            self._watch.see(len(chunk), self._request)
            if decoder is None:
                yield chunk
            else:
                yield from self._decoded(decoder.decode(chunk))
        if decoder is not None:
            yield from self._decoded(decoder.flush())

    async def __aiter__(self) -> AsyncIterator[bytes]:
        decoder = self._decoder
        async for chunk in self._stream:  # type: ignore[union-attr]
            self._watch.see(len(chunk), self._request)
            if decoder is None:
                yield chunk
            else:
                for piece in self._decoded(decoder.decode(chunk)):
                    yield piece
        if decoder is not None:
            for piece in self._decoded(decoder.flush()):
                yield piece

    def close(self) -> None:
        self._stream.close()  # type: ignore[union-attr]

    async def aclose(self) -> None:
        await self._stream.aclose()  # type: ignore[union-attr]


class _Identity:
    """What says an answer is the same file as the first one: its validators (`ETag`,
    `Last-Modified`) and its full size (the `Content-Length` of a whole, unencoded body, or the total
    of a `Content-Range`)."""

    __slots__ = ("etag", "last_modified", "size")

    def __init__(self, response: httpx.Response, size: int | None) -> None:
        self.etag: str | None = response.headers.get("etag")
        self.last_modified: str | None = response.headers.get("last-modified")
        self.size = size

    def changes(self, other: _Identity) -> list[str]:
        """What differs from `other` (the first answer), named; only what both answers say counts."""
        found = []
        for name, mine, theirs in (
            ("ETag", self.etag, other.etag),
            ("Last-Modified", self.last_modified, other.last_modified),
        ):
            if mine is not None and theirs is not None and mine != theirs:
                found.append(f"{name} {theirs!r} became {mine!r}")
        if self.size is not None and other.size is not None and self.size != other.size:
            found.append(f"its size {other.size} became {self.size} bytes")
        return found

    def if_range(self) -> str | None:
        """The validator an `If-Range` can carry: a strong ETag, else the Last-Modified date."""
        if self.etag is not None and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified


def _textual(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    return content_type.startswith("text/") or "json" in content_type


class Transfer:
    """One download over its attempts: the headers each attempt sends, what each answer means for the
    bytes already written to `sink`, and whether a body that broke off is fetched again.

    The first attempt asks for the whole file. When its body breaks off (an `httpx.TransportError`
    mid-body) and the retry policy allows another attempt (`RetryPolicy.max_attempts`; its `deadline`
    counts the time not spent receiving, `DownloadWatch.flowing`; a request marked not idempotent is
    never repeated), the next attempt asks for the rest: `Range: bytes=<received>-`, with `If-Range`
    (the first answer's strong ETag, else its Last-Modified) so a changed file comes whole. Only when
    the first answer was not Content-Encoded (a range of encoded bytes cannot continue a decoder) and
    the file's size is known (its Content-Length, else the size the API lists, `sink.total`);
    otherwise it asks for the whole file again. Each answer decides:

    * 206 whose `Content-Range` is exactly `bytes <received>-<size - 1>/<size>`, unencoded: appended.
    * 200 (the server ignored `Range`, as one must for a POST, or none was asked): `sink` is
      truncated and the file is written again from byte 0.
    * an answer whose ETag, Last-Modified or size differs from the first's, or any other 206: the
      file changed between attempts (or the server cannot serve ranges): `DownloadError` (the sink's
      `_error`) naming what changed, and nothing is written. With `replies_in_body` (an API that
      answers errors with HTTP 200 in a text or JSON body, as Railcraft's), a textual answer is not
      a changed file but the server's answer: `sink` is truncated and the body read, for the caller
      to judge.

    The size limits hold across attempts: `PartFile.write` counts every byte of `sink`, whatever
    attempt sent it, against `sink.total`; a Content-Encoded answer is only ever written from byte 0
    (`DownloadWatch.attach` decodes it in steps, capped as a first answer is).
    """

    def __init__(
        self,
        sink: PartFile,
        *,
        limits: Limits,
        retry: RetryPolicy,
        give_up: Callable[[httpx.Request, httpx.TransportError], Exception],
        progress: Progress | None = None,
        replies_in_body: bool = False,
    ) -> None:
        self.sink = sink
        self.watch = DownloadWatch(limits)
        self.attempt = 0
        self._retry = retry
        self._give_up = give_up
        self._progress = progress
        self._replies_in_body = replies_in_body
        self._first: _Identity | None = None
        self._encoded = False
        self._foreign = False  # the sink holds the server's answer, not the file
        self._asked: int | None = None  # the first byte the current attempt asked for

    def headers(self) -> dict[str, str]:
        """The headers of the next attempt (counted): identity encoding, and the range to resume."""
        self.attempt += 1
        headers = {"Accept-Encoding": "identity"}
        first, received = self._first, self.sink.received
        self._asked = None
        size = first.size if first is not None and not (self._encoded or self._foreign) else None
        if first is not None and size is not None and 0 < received < size:
            self._asked = received
            headers["Range"] = f"bytes={received}-"
            validator = first.if_range()
            if validator is not None:
                headers["If-Range"] = validator
        return headers

    def begin(self, response: httpx.Response) -> None:
        """Judge an answer's head before its body is read (see the class), then watch its body."""
        sink = self.sink
        encoded = "content-encoding" in response.headers
        if response.status_code == 206:
            identity = self._resumed(response, encoded)
        else:
            identity = _Identity(response, None if encoded else content_length(response))
            # a textual answer of an API that answers errors in the body is the server's answer, not
            # the file: read whole, for the caller to judge, and never continued with a range
            self._foreign = self._replies_in_body and _textual(response) and self._first is not None
            if self._first is None:
                if identity.size is None and not encoded:
                    identity.size = sink.total  # no Content-Length (chunked): the size the API lists
                self._first, self._encoded = identity, encoded
            elif not self._foreign:
                self._unchanged(identity)
            if sink.received:
                sink.restart()
        if sink.total is None:
            sink.total = identity.size
        self.watch.attach(response, sink)

    def _resumed(self, response: httpx.Response, encoded: bool) -> _Identity:
        """The identity of a 206, which must be the very range asked for, of the same file."""
        value = response.headers.get("content-range", "")
        match = _CONTENT_RANGE.fullmatch(value.strip())
        asked, first = self._asked, self._first
        if asked is None or first is None or match is None or encoded:
            got = f"Content-Range {value!r}" + (", Content-Encoded" if encoded else "")
            wanted = f"bytes={asked}-" if asked is not None else "the whole file"
            raise self.sink.fail(
                f"the server answered 206 ({got}) where craftapis asked for {wanted}; the download was "
                "stopped and nothing was written"
            )
        start, last, size = (int(group) for group in match.groups())
        identity = _Identity(response, size)
        self._unchanged(identity)
        if start != asked or last != size - 1:
            raise self.sink.fail(
                f"the server answered bytes {start}-{last}/{size} where craftapis asked for bytes "
                f"{asked}-{size - 1}; the download was stopped and nothing was written"
            )
        return identity

    def _unchanged(self, identity: _Identity) -> None:
        assert self._first is not None
        changes = identity.changes(self._first)
        if changes:
            raise self.sink.fail(
                f"the file changed between attempts of its download ({'; '.join(changes)}); nothing was "
                f"written (of the {self.sink.received} bytes received before the connection broke). "
                "Fetch its details again and download the new file"
            )

    def write(self, chunk: bytes) -> None:
        """Append a chunk of the body to the sink; `progress(received, total)` after it."""
        if not chunk:
            return
        self.sink.write(chunk)
        if self._progress is not None:
            self._progress(self.sink.received, self.sink.total)

    def broke(self, exc: httpx.TransportError, request: httpx.Request) -> float:
        """The wait before the next attempt of a body that broke off after `sink.received` bytes;
        raises `give_up(request, exc)` when the retry policy allows no other attempt."""
        # the options the transport resolved for this request (client, call_options, with_options)
        options = request.extensions.get(OPTIONS_EXTENSION) or current_call_options()
        policy = options.retry if options.retry is not None else self._retry
        idempotent = options.idempotent
        if idempotent is None and request.extensions.get(IDEMPOTENT_EXTENSION) is not None:
            idempotent = bool(request.extensions[IDEMPOTENT_EXTENSION])
        # the time the body flowed is not the call's: a 2 GB file that broke off after 10 minutes
        # is restarted as one that broke off at once
        decision = policy.decide(
            attempt=self.attempt,
            method=request.method,
            idempotent=idempotent,
            response=None,
            error=exc,
            elapsed=time.monotonic() - self.watch.started - self.watch.flowing,
            wait_hint=None,
        )
        if not decision.retry:
            raise self._give_up(request, exc) from exc
        logger.debug(
            "restarting download %s after %d bytes: %s",
            redact_url(request.url),
            self.sink.received,
            decision.reason,
        )
        return decision.wait


def error_reader(response: httpx.Response, limits: Limits, policy: RetryPolicy, started: float) -> BodyReader:
    """How a download's error answer (a 404 from the CDN ...) is read: like every buffered body, decoded
    with a cap of `Limits.max_body_size` and within the call's `RetryPolicy.deadline` from `started`
    (`time.monotonic()`), so an endless or dripping error body is an `APIError`, not all of memory."""
    return BodyReader(
        response.request,
        response,
        limit=limits.max_body_size,
        deadline=policy.deadline,
        deadline_at=started + policy.deadline,
        clock=time.monotonic,
    )
