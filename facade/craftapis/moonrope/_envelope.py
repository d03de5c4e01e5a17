"""Reading moonrope's answers: the `{status, time, flags, data}` envelope and the failures outside it.

Pure functions over a response and its decoded body, shared by the sync and async clients.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .._errors import REDACTED, APIError, ResponseParseError
from ._errors import (
    AccessDeniedError,
    HTTPNotSupportedError,
    InvalidActionError,
    InvalidJSONError,
    MaintenanceError,
    MoonropeError,
    MoonropeNotFoundError,
    MoonropeServerError,
    ParameterError,
    ValidationError,
)

__all__ = ["SUCCESS", "Envelope", "envelope_error_decoder", "unwrap_success"]

SUCCESS = "success"

#: status inside the envelope (HTTP 200) -> class; `error` is looked up by its code instead
_BY_STATUS: dict[str, type[MoonropeError]] = {
    "parameter-error": ParameterError,
    "access-denied": AccessDeniedError,
    "not-found": MoonropeNotFoundError,
    "validation-error": ValidationError,
}
#: `status` of the bodies moonrope sends outside the envelope, with real HTTP codes
_BY_FAILURE: dict[str, type[MoonropeError]] = {
    "invalid-controller-or-action": InvalidActionError,
    "invalid-json": InvalidJSONError,
    "http-not-supported": HTTPNotSupportedError,
    "internal-server-error": MoonropeServerError,
}
_FAILURE_MESSAGES = {
    "invalid-controller-or-action": "the server has no such controller or action",
    "invalid-json": "the server could not parse the request body as JSON",
    "http-not-supported": "the server refuses plain HTTP",
    "internal-server-error": "the action raised an unhandled exception on the server",
}


@dataclass(frozen=True, slots=True)
class Envelope:
    """A whole successful moonrope answer: `data` plus what the envelope says about it.

    Attributes:
        status: always ``"success"`` here (failures are raised).
        data: the action's result (decoded JSON).
        flags: extra information, e.g. ``{"paginated": {"page", "per_page", "total_pages",
            "total_records"}, "sorted": {...}}``; ``{}`` when the server sent none.
        time: seconds the server spent, or ``None`` (moonrope may send ``null``).
    """

    status: str
    data: object
    flags: Mapping[str, object] = field(default_factory=dict)
    time: float | None = None

    @classmethod
    def from_body(cls, body: Mapping[str, object]) -> Envelope:
        """The envelope of a decoded moonrope answer (`status`, `data`, `flags`, `time`)."""
        flags = body.get("flags")
        time = body.get("time")
        return cls(
            status=str(body.get("status")),
            data=body.get("data"),
            flags=flags if isinstance(flags, Mapping) else {},
            time=float(time) if isinstance(time, int | float) and not isinstance(time, bool) else None,
        )


def _scrub(value: Any, secrets: Collection[str]) -> Any:
    """``value`` with every occurrence of a secret replaced (servers echo credentials in errors:
    Postal's InvalidServerAPIKey carries the key it was given)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret and secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def _scrub_error(error: APIError, secrets: Collection[str]) -> None:
    """Every secret out of what an error keeps and shows: message, args, body, text."""
    error.message = _scrub(error.message, secrets)
    error.args = (error.message,)
    error.body = _scrub(error.body, secrets)
    text = getattr(error, "text", None)
    if isinstance(text, str):
        error.text = _scrub(text, secrets)  # type: ignore[attr-defined]


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _envelope_error(response: httpx.Response, body: Mapping[str, Any], status: str) -> MoonropeError:
    data = body.get("data")
    data_map: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    time = body.get("time")
    flags = body.get("flags")
    message = _str_or_none(data_map.get("message"))
    if status == "error":
        code = _str_or_none(data_map.get("code")) or "error"
        klass = MoonropeError.for_code(code)
        message = message or f"the action failed with error code {code}"
    else:
        code = status
        klass = _BY_STATUS.get(status, MoonropeError)
        if message is None:
            message = f"the server answered status {status!r}"
            if status == "validation-error":
                message = f"the server rejected the values: {data_map.get('errors')!r}"
    return klass(
        message,
        status=status,
        code=code,
        attributes={k: v for k, v in data_map.items() if k not in ("code", "message")},
        data=data,
        time=float(time) if isinstance(time, int | float) and not isinstance(time, bool) else None,
        flags=flags if isinstance(flags, Mapping) else None,
        response=response,
        body=body,
    )


def _failure_error(response: httpx.Response, body: Any) -> APIError | None:
    """The error for a non-2xx answer, or None to let craftapis map it by HTTP status."""
    failure = body.get("status") if isinstance(body, Mapping) else None
    klass = _BY_FAILURE.get(failure) if isinstance(failure, str) else None
    if klass is None:
        if response.status_code == 503:
            klass = MaintenanceError
        elif response.status_code == 500:
            klass = MoonropeServerError
        else:
            return None  # e.g. a proxy's 502: the generic mapping fits
    details = body.get("details") if isinstance(body, Mapping) else None
    if isinstance(failure, str):
        message = _FAILURE_MESSAGES.get(failure, f"the server answered {failure!r}")
        # development servers add the exception's class and message: worth showing
        extra = details or (body.get("message") if isinstance(body, Mapping) else None)
        if isinstance(extra, str) and extra:
            message = f"{message}: {extra}"
    elif response.status_code == 503:
        message = "the server is in maintenance (HTTP 503)"
    else:
        message = "the server failed with an internal error (HTTP 500)"
    return klass(
        message,
        status=failure if isinstance(failure, str) else None,
        code=failure if isinstance(failure, str) else None,
        attributes={k: v for k, v in body.items() if k != "status"} if isinstance(body, Mapping) else {},
        response=response,
        body=body,
    )


def envelope_error_decoder(
    secrets: Collection[str] = (),
) -> Callable[[httpx.Response, Any], APIError | None]:
    """An `ApiProfile.decode_error` for moonrope: the typed error a response stands for, or None.

    ``secrets`` (the auth header values) are redacted from everything an error keeps.
    """
    frozen = tuple(s for s in secrets if s)

    def decode_error(response: httpx.Response, body: Any) -> APIError | None:
        if response.status_code < 300:
            # the hot path: one dict lookup for every successful call
            status = body.get("status") if isinstance(body, Mapping) else None
            if status == SUCCESS:
                return None
            error: APIError | None
            if not isinstance(status, str):
                error = ResponseParseError.from_response(
                    response,
                    message=(
                        "the server's answer is not a moonrope envelope ({status, time, flags, data}); "
                        "check base_url and api_version (a proxy or login page may be answering)"
                    ),
                    body=_scrub(body, frozen),
                )
            else:
                error = _envelope_error(response, _scrub(body, frozen), status)
        else:
            scrubbed = _scrub(body, frozen)
            error = _failure_error(response, scrubbed)
            if error is None and frozen:
                # a proxy's or a plain error page: mapped by status here, so that its body, message and
                # text lose the key too (a server may echo it: "Invalid API key KEY")
                error = APIError.from_response(response, body=scrubbed)
        if error is not None and frozen:
            _scrub_error(error, frozen)
        return error

    return decode_error


def unwrap_success(parsed: Any) -> Any:
    """A generated `*Success` envelope model -> its `data` (None when the server sent none)."""
    data = getattr(parsed, "data", parsed)
    # generated models mark absent fields with the falsy `Unset` sentinel
    return None if type(data).__name__ == "Unset" else data
