"""Railcraft pack errors: every reply carries `result` (0 = success, else an error code) and `msg`.

Errors arrive with HTTP 200 (seed 003), so every reply is checked. The codes and their meanings are
seed 003's table, the same as `x-error-codes` in specs/authored/railcraft-pack.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import httpx

from .._errors import APIError, AuthenticationError, DownloadError

__all__ = [
    "AUTH_CODES",
    "ERROR_MEANINGS",
    "RENEW_CODES",
    "RailcraftAuthError",
    "RailcraftDownloadError",
    "RailcraftError",
    "decode_error",
    "error_code_of",
]

#: Seed 003's error codes and their meanings.
ERROR_MEANINGS: Final[Mapping[int, str]] = {
    1: "SQL Error",
    2: "A POST request is required",
    3: "Client ID required",
    4: "Client secret required",
    5: "Invalid client ID or secret",
    6: "Token has expired",
    7: "Token is required",
    8: "Error during internal request",
    9: "ID is required",
    10: "Database connection failed",
    11: "No tags found",
    12: "Token is invalid",
    13: "Too many words",
    14: "Ad limit reached",
    15: "Required variable was not defined",
}
#: Codes after which the client acquires a new token and retries once (expired, invalid).
RENEW_CODES: Final = frozenset({6, 12})
#: Codes about credentials or the token: raised as `RailcraftAuthError`.
AUTH_CODES: Final = frozenset({3, 4, 5, 6, 7, 12})

_HINTS: Final[Mapping[int, str]] = {
    1: "a database error on the server; retry later",
    2: "the endpoint answered as if the request were not a POST; check the paths= override for it",
    3: "pass client_id= to RailcraftPack",
    4: "pass client_secret= to RailcraftPack",
    5: "check client_id= and client_secret=",
    6: "the token expired and a fresh one failed too; check client_id= and client_secret=",
    7: "the server did not see the token; check the paths= override and array_style=",
    8: "the server failed while preparing the request; retry later",
    9: "pass the archive id from download_details()",
    10: "the server's database is down; retry later",
    11: "no pack version has been pushed yet",
    12: "the server rejected the token and a fresh one; check client_id= and client_secret=",
    15: "the server missed a field; check the arguments and array_style=",
}


def error_code_of(value: Any) -> int | None:
    """The integer code of a `result` field (PHP may send `"6"`); `None` if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


class RailcraftError(APIError):
    """The Railcraft pack server answered an error code (or a download failed: see the subclasses).

    Attributes (besides `APIError`'s):
        error_code: the `result` code as an integer (`code` holds the same as text), `None` when the
            failure has no code (e.g. a broken download).
        msg: the server's `msg` (or the `error` text older servers send).
        meaning: the code's meaning from seed 003's table, `None` for codes it does not list.
        data: the optional `data` detail (e.g. the SQL error of code 1).
    """

    error_code: int | None
    msg: str
    meaning: str | None
    data: object

    def __init__(
        self,
        message: str | None = None,
        *,
        error_code: int | None = None,
        msg: str = "",
        data: object = None,
        status_code: int | None = None,
        method: str | None = None,
        url: httpx.URL | str | None = None,
        response: httpx.Response | None = None,
        body: object = None,
    ) -> None:
        meaning = ERROR_MEANINGS.get(error_code) if error_code is not None else None
        if message is None:
            text = msg or meaning or "unknown error"
            message = f"{text} (meaning: {meaning})" if meaning and msg and msg != meaning else text
        super().__init__(
            message,
            status_code=status_code,
            code=str(error_code) if error_code is not None else None,
            method=method,
            url=url,
            response=response,
            body=body,
        )
        self.error_code = error_code
        self.msg = msg
        self.meaning = meaning
        self.data = data

    def _hint(self) -> str | None:
        if self.error_code is None:
            return self.hint
        return _HINTS.get(self.error_code, "see .meaning and .msg")

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", error_code={self.error_code!r}, meaning={self.meaning!r})"


class RailcraftAuthError(RailcraftError, AuthenticationError):
    """Codes 3, 4, 5 (client credentials) and 6, 7, 12 (token). Codes 6 and 12 reach you only after
    the one automatic renewal failed too."""


class RailcraftDownloadError(RailcraftError, DownloadError):
    """An archive download failed: the connection broke (on every attempt the retry policy allows),
    the size differs from `size_raw`, the archive changed between attempts, or the server answered a
    plain-text error. Nothing is left at the target path. A `DownloadError` too, as every download's.

    Attributes: `path` (the target), `expected_size` (bytes, if known), `received` (bytes read).
    """

    hint = "nothing was written to the target path; call download_archive() again"

    path: Path | None
    expected_size: int | None
    received: int

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        expected_size: int | None = None,
        received: int = 0,
        method: str | None = None,
        url: httpx.URL | str | None = None,
        response: httpx.Response | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message, method=method, url=url, response=response, body=body)
        self.path = path
        self.expected_size = expected_size
        self.received = received


def decode_error(response: httpx.Response, body: Any) -> RailcraftError | None:
    """The typed error of a reply whose `result` is not 0; `None` for success or a non-reply body."""
    if not isinstance(body, Mapping):
        return None
    code = error_code_of(body.get("result"))
    if code is None or code == 0:
        return None
    msg = body.get("msg") or body.get("error") or ""
    klass = RailcraftAuthError if code in AUTH_CODES else RailcraftError
    return klass(
        error_code=code,
        msg=str(msg),
        data=body.get("data"),
        response=response,
        body=body,
    )
