"""The exception hierarchy of craftapis.

Every error raised by craftapis derives from :class:`APIError`. An error carries what
happened (``status_code``, the API's own ``code`` and ``message``), where (``method`` and
a *redacted* ``url``) and the raw material (``response``, decoded ``body``).

Secrets never reach ``str()`` or ``repr()`` of an error: request headers are never
included, user-info is stripped from URLs and query parameters named like a secret
(``token``, ``key``, ``secret``, ``password``, ``nonce``, ...) are replaced by
``REDACTED``.
"""

from __future__ import annotations

import http
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar, TypedDict, TypeVar, Unpack, cast
from urllib.parse import unquote_plus

import httpx

from ._signatures import expand_unpacked

__all__ = [
    "REDACTED",
    "APIConnectionError",
    "APIDeprecatedError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DownloadError",
    "GoneError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RedirectError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "ServerError",
    "SignatureError",
    "UnprocessableEntityError",
    "error_class_for_status",
    "is_secret_name",
    "redact_url",
]

REDACTED = "REDACTED"

#: Query-parameter names (lower-cased, ``-`` and ``.`` read as ``_``) that are secrets as a whole.
_SECRET_NAMES = frozenset(
    {
        "code",
        "apikey",
        "accesstoken",
        "refreshtoken",
        "clientsecret",
        "authorization",
        "sig",
    }
)
#: Words that make a name secret wherever they appear between ``_`` separators
#: (``access_token``, ``client_secret``, ``api_key``, ``X-Server-API-Key`` ...).
_SECRET_WORDS = frozenset(
    {
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "pwd",
        "nonce",
        "signature",
        "credential",
        "credentials",
        "auth",
    }
)
_SEPARATORS = re.compile(r"[-_.\s\[\]]+")
_MAX_MESSAGE = 500


def is_secret_name(name: str) -> bool:
    """Whether a query parameter (or header) called ``name`` holds a secret."""
    lowered = name.lower()
    if lowered in _SECRET_NAMES or lowered.replace("-", "_") in _SECRET_NAMES:
        return True
    return any(word in _SECRET_WORDS for word in _SEPARATORS.split(lowered))


def _redact_query(query: str) -> str:
    parts = query.split("&")
    for i, part in enumerate(parts):
        name, sep, _value = part.partition("=")
        if sep and is_secret_name(unquote_plus(name)):
            parts[i] = f"{name}={REDACTED}"
    return "&".join(parts)


def redact_url(url: httpx.URL | str | None) -> str | None:
    """``url`` without user-info or fragment, with secret query values replaced by ``REDACTED``.

    Never raises: a URL that cannot be parsed comes back as ``"<unparseable URL>"``.
    """
    if url is None:
        return None
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        scheme = parsed.scheme
        netloc = parsed.netloc.decode("ascii")
        raw_path = parsed.raw_path.decode("ascii")
    except (httpx.InvalidURL, UnicodeDecodeError, TypeError, ValueError):
        return "<unparseable URL>"
    path, sep, query = raw_path.partition("?")
    prefix = f"{scheme}://{netloc}" if scheme or netloc else ""
    if not sep or not query:
        return f"{prefix}{path}"
    return f"{prefix}{path}?{_redact_query(query)}"


def _reason(status: int | None) -> str:
    if status is None:
        return ""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _decode_body(response: httpx.Response) -> object:
    """The decoded JSON body, else the text, else ``None`` if the body was not read."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return None
    if not content:
        return None
    text = response.text
    stripped = text.lstrip()
    if stripped[:1] in ("{", "[", '"') or "json" in response.headers.get("content-type", ""):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the stack allows
            return text
    return text


def _as_str(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _guess_code_message(body: object) -> tuple[str | None, str | None]:
    """Best-effort (code, message) from common error shapes; adapters pass exact values."""
    if not isinstance(body, Mapping):
        return None, None
    error = body.get("error")
    if isinstance(error, Mapping):  # {"result":"error","error":{"code","message"}}
        return _as_str(error.get("code")), _as_str(error.get("message"))
    message = _as_str(body.get("description")) or _as_str(body.get("message")) or _as_str(body.get("msg"))
    if isinstance(error, str):  # {"error": "invalid_input", "description": "..."}
        return error, message
    return _as_str(body.get("code")), message


def _request_of(response: httpx.Response) -> httpx.Request | None:
    try:
        return response.request
    except RuntimeError:
        return None


#: Headers that carry credentials whatever their name says.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def _redacted_request(request: httpx.Request) -> httpx.Request:
    """A copy of `request` fit to travel with an error: credential headers and secret-named ones
    replaced by REDACTED, secret query values redacted, and no body (form bodies carry secrets)."""
    headers = httpx.Headers(
        [
            (name, REDACTED if name.lower() in _CREDENTIAL_HEADERS or is_secret_name(name) else value)
            for name, value in request.headers.multi_items()
        ]
    )
    return httpx.Request(request.method, redact_url(request.url) or "", headers=headers)


_E = TypeVar("_E", bound="APIError")


def _rebuild(cls: type[APIError], message: str, state: dict[str, Any]) -> APIError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class ErrorFields(TypedDict, total=False):
    """What every error takes besides its message (see :class:`APIError`), declared once for the errors
    that add their own: ``**fields: Unpack[ErrorFields]`` (their signatures list these keywords)."""

    status_code: int | None
    code: str | None
    method: str | None
    url: httpx.URL | str | None
    response: httpx.Response | None
    body: object


class APIError(Exception):
    """Base class of every craftapis error.

    Attributes:
        status_code: HTTP status, or ``None`` when there was no response.
        code: the API's own error code (Modrinth ``invalid_input``, BuiltByBit
            ``HeaderMissingError``, moonrope ``parameter-error`` ...), if any.
        message: the human-readable message (the API's, or a generic one).
        method: HTTP method of the failed request.
        url: the request URL with secrets redacted.
        response: the :class:`httpx.Response`, if any.
        body: the decoded JSON body, else its text, else ``None``.
    """

    default_status: ClassVar[int | None] = None
    hint: ClassVar[str | None] = None

    status_code: int | None
    code: str | None
    message: str
    method: str | None
    url: str | None
    response: httpx.Response | None
    body: object

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:
            expand_unpacked(init)  # `**fields: Unpack[ErrorFields]` shows as the keywords it takes

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        code: str | None = None,
        method: str | None = None,
        url: httpx.URL | str | None = None,
        response: httpx.Response | None = None,
        body: object = None,
    ) -> None:
        request = _request_of(response) if response is not None else None
        if status_code is None:
            status_code = response.status_code if response is not None else self.default_status
        if method is None and request is not None:
            method = request.method
        if url is None and request is not None:
            url = request.url
        if not message:
            message = _reason(status_code) or type(self).__name__
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.method = method
        self.url = redact_url(url)
        if response is not None and request is not None:
            # exc.response.request must not hand the token (or a form body's secret) to whoever logs
            # or inspects the error; the response itself is unchanged
            response.request = _redacted_request(request)
        self.response = response
        self.body = body

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_response(
        cls: type[_E],
        response: httpx.Response,
        *,
        code: str | None = None,
        message: str | None = None,
        body: object = None,
        retry_after: float | None = None,
    ) -> _E:
        """Build the error for ``response``.

        Called on :class:`APIError` itself it picks the subclass from the status
        (:func:`error_class_for_status`); called on a subclass it builds that subclass.
        ``body`` defaults to the decoded response body (if it was read); ``code`` and
        ``message`` default to a best-effort reading of common error shapes.
        ``retry_after`` (seconds) is used by :class:`RateLimitError`; it defaults to the
        wait hint the policy transport recorded on the response.
        """
        klass: type[APIError] = error_class_for_status(response.status_code) if cls is APIError else cls
        if body is None:
            body = _decode_body(response)
        if code is None or message is None:
            guessed_code, guessed_message = _guess_code_message(body)
            code = code if code is not None else guessed_code
            message = message if message is not None else guessed_message
        kwargs: dict[str, Any] = {}
        if issubclass(klass, RateLimitError):
            if retry_after is None:
                hint = response.extensions.get("craftapis.retry_after")
                retry_after = float(hint) if isinstance(hint, int | float) else None
            kwargs["retry_after"] = retry_after
        return cast(_E, klass(message, code=code, response=response, body=body, **kwargs))

    # -- presentation ---------------------------------------------------------------------------

    def _hint(self) -> str | None:
        return self.hint

    def _summary(self) -> str:
        parts: list[str] = []
        if self.status_code is not None:
            reason = _reason(self.status_code)
            parts.append(f"HTTP {self.status_code}" + (f" {reason}" if reason else ""))
        if self.code:
            parts.append(f"[{self.code}]")
        if self.method or self.url:
            parts.append("from " + " ".join(p for p in (self.method, self.url) if p))
        return " ".join(parts)

    def __str__(self) -> str:
        message = self.message
        if len(message) > _MAX_MESSAGE:
            message = message[:_MAX_MESSAGE] + "…"
        summary = self._summary()
        text = f"{summary}: {message}" if summary else message
        hint = self._hint()
        return f"{text} ({hint})" if hint else text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, code={self.code!r}, "
            f"message={self.message!r}, method={self.method!r}, url={self.url!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        state = {k: v for k, v in self.__dict__.items() if k != "response"}
        state["response"] = None
        return (_rebuild, (type(self), self.message, state))


class BadRequestError(APIError):
    """400: the API rejected the request as malformed."""

    default_status = 400
    hint = "the request was rejected as invalid; check the arguments"


class AuthenticationError(APIError):
    """401: missing, invalid or expired credentials (Modrinth also answers 401 for a missing scope)."""

    default_status = 401
    hint = "authentication failed; check the token and its scopes"


class PermissionDeniedError(APIError):
    """403: the credentials are valid but not allowed to do this."""

    default_status = 403
    hint = "not allowed; check the token's scopes and the account's permissions"


class NotFoundError(APIError):
    """404: no such resource."""

    default_status = 404
    hint = "not found; check the id, slug or path"


class ConflictError(APIError):
    """409: the request conflicts with the current state of the resource."""

    default_status = 409
    hint = "conflict with the current state; re-read the resource and try again"


class GoneError(APIError):
    """410: the resource or the API version is gone (Modrinth: ``api_deprecated``)."""

    default_status = 410
    hint = "this API version is deprecated; upgrade craftapis"


APIDeprecatedError = GoneError


class UnprocessableEntityError(APIError):
    """422: the request was well-formed but semantically invalid."""

    default_status = 422
    hint = "the server could not process the request; check the arguments"


class RateLimitError(APIError):
    """429, or a client-side wait longer than the retry policy allows.

    ``retry_after`` is the number of seconds the server (or the client-side limiter)
    asked to wait, when known.
    """

    default_status = 429

    retry_after: float | None

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        **fields: Unpack[ErrorFields],
    ) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after

    def _hint(self) -> str:
        response = self.response
        reason = response.extensions.get("craftapis.retry_reason") if response is not None else None
        if isinstance(reason, str) and "max_retry_after" in reason:
            # The server asked for more than the cap: say both, and which knob moves the cap.
            asked = reason.split("; ", 1)[-1]
            waited = f"retry after {self.retry_after:.3g} s; " if self.retry_after is not None else ""
            return (
                f"rate limited; {waited}{asked}, so it was not waited; raise "
                "RetryPolicy(max_retry_after=...) to wait that long"
            )
        if self.retry_after is not None:
            return f"rate limited; retry after {self.retry_after:.3g} s"
        return "rate limited; slow down and retry later"

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", retry_after={self.retry_after!r})"


class ServerError(APIError):
    """5xx: the server failed (idempotent requests were already retried)."""

    default_status = 500
    hint = "the server failed; retry later"


class APIConnectionError(APIError):
    """No response was received: DNS, refused or reset connection, protocol error.

    The original :mod:`httpx` exception is the ``__cause__`` (raise it ``from`` the
    original, as :meth:`from_httpx` callers should).
    """

    hint = "could not talk to the server; check the network and the base URL"

    @classmethod
    def from_httpx(cls, exc: httpx.RequestError) -> APIConnectionError:
        """Wrap an httpx transport error; a timeout becomes :class:`APITimeoutError`."""
        klass = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        try:
            request: httpx.Request | None = exc.request
        except RuntimeError:
            request = None
        detail = str(exc)
        if request is not None:
            raw = str(request.url)
            if raw in detail:
                detail = detail.replace(raw, redact_url(request.url) or "")
        message = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return klass(
            message,
            method=request.method if request is not None else None,
            url=request.url if request is not None else None,
        )


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""

    hint = "the request timed out; retry later or raise the timeout"


class ResponseParseError(APIError):
    """The body is not valid JSON, or does not match the model. ``text`` keeps the raw body.

    Raised by the call, or by the first read of a field a response model builds on first access (a
    nested model, a date: see docs/errors.md): then ``model`` and ``field`` name it (``Version``,
    ``files``) and ``body`` is the raw JSON value the server sent for it."""

    hint = "the response was not what craftapis expects; the API may have changed: upgrade craftapis or report it"

    text: str | None
    model: str | None
    field: str | None

    def __init__(
        self,
        message: str | None = None,
        *,
        text: str | None = None,
        model: str | None = None,
        field: str | None = None,
        **fields: Unpack[ErrorFields],
    ) -> None:
        super().__init__(message, **fields)
        self.model = model
        self.field = field
        response = fields.get("response")
        if text is None and response is not None:
            try:
                text = response.text
            except httpx.ResponseNotRead:
                text = None
        self.text = text


class ResponseTooLargeError(APIError):
    """The response body (decoded) grew past ``Limits.max_body_size``; reading stopped there."""

    hint = "raise Limits(max_body_size=...) on the client if such a large body is expected"


class RedirectError(APIError):
    """A redirect craftapis refused to follow (another origin for a request with a body, a loop,
    a non-HTTP target). ``location`` is the (redacted) target."""

    hint = (
        "if the target is trustworthy, set base_url to it; a loop or a long chain can be allowed "
        "with Limits(max_redirects=...)"
    )

    location: str | None = None


class DownloadError(APIError):
    """A download that could not be written safely: a file name from the server that is not a plain
    file name (NUL, path separators, a dotfile, too long), more bytes than the API lists for the file,
    or a local failure (a full disk, a destination that is a directory). Nothing is left at the
    destination; the `OSError`, if any, is the ``__cause__``."""

    hint = (
        "nothing was written; check the destination (free space, permissions) or report the file to the API"
    )


class SignatureError(APIError):
    """A JWT-signed response or a webhook payload failed signature verification."""

    hint = "signature verification failed; check the public key or secret and that the payload is unmodified"


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class_for_status(status: int) -> type[APIError]:
    """The :class:`APIError` subclass for an HTTP status (``APIError`` itself if none fits)."""
    klass = _BY_STATUS.get(status)
    if klass is not None:
        return klass
    if 500 <= status <= 599:
        return ServerError
    return APIError
