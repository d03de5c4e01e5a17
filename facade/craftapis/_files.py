"""Writing downloads safely: server-given names, file modes, leftovers of a killed run, `PartFile`,
the temporary file a download goes to before it becomes the destination, and `DownloadWatch`, which
bounds a download's time (`Limits.download_min_rate`/`download_stall_window`/`download_deadline`).

Shared by every client that saves files (Modrinth's version files, Railcraft's archives).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Final

import httpx

from ._errors import APITimeoutError, DownloadError, redact_url
from ._guards import CONTENT_ENCODING_EXTENSION, BodyReader, Limits, StepDecoder
from ._retry import RetryPolicy

__all__ = [
    "STALE_PART_AGE",
    "DownloadWatch",
    "PartFile",
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
