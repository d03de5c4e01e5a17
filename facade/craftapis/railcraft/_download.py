"""Saving a Railcraft archive: streamed, checked against `size_raw`, written atomically.

The body goes to a temporary file next to the target (same directory, so `os.replace` is an atomic
rename on the same file system) and replaces the target only once complete and verified. A broken
connection the retry policy gives up on, a short body, a size that differs from `size_raw`, an
error reply or even Ctrl-C leaves the target as it was (absent, or the previous archive) and removes
the temporary file.

A body that breaks off mid-transfer is fetched again (`Transfer`, `_files.py`, as Modrinth's files
are). Repeating the download is safe: `api/get_file/` only reads the archive of an id that
`api/get_download_url/` prepared, and the session token it carries is not consumed by it (seed 003:
a token is "valid for up to 1 hour after request", for any number of requests), so the same request,
with the session's current token, asks for the same bytes again. The attempt asks for the rest
(`Range`), and the bytes are appended only on a 206 whose Content-Range is exactly that rest of a
file of the same size (and ETag/Last-Modified, when the server sends them). Seed 003 says nothing
of ranges, and a POST's Range is one a server must ignore (RFC 9110 section 14.2), so the usual
answer is a 200 with the whole archive again: the temporary file is truncated and rewritten. An
archive whose size or validators differ from the first answer's is an error naming what changed.

The server's failure answer is not pinned down (seed 003: "the error is returned as a plaintext
string"; errors 2/5 may come as the JSON reply), and its Content-Type is unknown. So the body is
judged by content too: a small body that parses as a `{"result": ...}` reply is that reply's error,
and a small text body where an archive of another size was expected is the server's error text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import httpx

from .._errors import DownloadError
from .._files import PartFile, Progress
from ._errors import RailcraftDownloadError, decode_error

__all__ = ["DEFAULT_CHUNK_SIZE", "ArchiveFile", "Progress", "archive_target", "broken", "judge_body"]

DEFAULT_CHUNK_SIZE: Final = 64 * 1024
# Error replies are tiny; a body this small is read back to see whether it is one.
_SNIFF_LIMIT: Final = 64 * 1024


def archive_target(archive: Any, expected_size: int | None) -> tuple[int, int | None]:
    """(archive id, expected size) from an id or a `download_details()` reply (its `id`, `size_raw`)."""
    if isinstance(archive, int) and not isinstance(archive, bool):
        return archive, expected_size
    archive_id = getattr(archive, "id", None)
    if not isinstance(archive_id, int) or isinstance(archive_id, bool):
        raise TypeError(
            "download_archive() takes the archive id or the reply of download_details() (which carries "
            f"`id` and `size_raw`), got {type(archive).__name__}"
        )
    if expected_size is None:
        size = getattr(archive, "size_raw", None)
        expected_size = size if isinstance(size, int) and not isinstance(size, bool) else None
    return archive_id, expected_size


class ArchiveFile(PartFile):
    """A temporary file beside `target` that becomes `target` on `commit()`, or vanishes on `discard()`;
    its failures are `RailcraftDownloadError`s."""

    def __init__(self, target: Path, *, total: int | None) -> None:
        self.expected = total  # size_raw (or expected_size=): `total` may become the Content-Length
        super().__init__(target, total, f"announced (size_raw) for {target}")

    def _error(self, message: str) -> DownloadError:
        return RailcraftDownloadError(
            message, path=self.target, expected_size=self.expected, received=self.received
        )

    def head(self) -> bytes | None:
        """The whole (closed) file when it is small enough to be an error reply, else `None`."""
        if self.received > _SNIFF_LIMIT:
            return None
        return self.temp_path.read_bytes()


def _reply_of(head: bytes) -> Any:
    stripped = head.lstrip()
    if not stripped.startswith(b"{"):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def judge_body(response: httpx.Response, sink: ArchiveFile, expected: int | None, archive_id: int) -> None:
    """Raise if what was received is not the archive; return quietly if it is (then commit)."""
    received = sink.received
    if expected is not None and received == expected:
        return
    head = sink.head()
    if head is not None:
        reply = _reply_of(head)
        error = decode_error(response, reply) if isinstance(reply, dict) else None
        if error is not None:
            raise error
        content_type = response.headers.get("content-type", "")
        textual = content_type.startswith("text/") or "json" in content_type
        if expected is not None or textual:
            text = head.decode("utf-8", "replace").strip() or "(empty body)"
            raise RailcraftDownloadError(
                f"the server answered instead of archive {archive_id}: {text[:300]}",
                path=sink.target,
                expected_size=expected,
                received=received,
                response=response,
                body=text,
            )
    if expected is not None:
        raise RailcraftDownloadError(
            f"archive {archive_id} has {received} bytes, but download_details() announced size_raw "
            f"{expected}; the file was not saved",
            path=sink.target,
            expected_size=expected,
            received=received,
            response=response,
        )


def broken(
    exc: BaseException, sink: ArchiveFile, expected: int | None, archive_id: int, request: httpx.Request
) -> RailcraftDownloadError:
    """The error for a download whose connection failed after `sink.received` bytes, on the last
    attempt the retry policy allows."""
    of = f" of {expected}" if expected is not None else ""
    return RailcraftDownloadError(
        f"the download of archive {archive_id} broke after {sink.received}{of} bytes "
        f"({type(exc).__name__}) on its last attempt (RetryPolicy.max_attempts, deadline); nothing "
        f"was written to {sink.target}",
        path=sink.target,
        expected_size=expected,
        received=sink.received,
        method=request.method,
        url=request.url,
    )
