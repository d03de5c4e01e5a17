"""The errors a moonrope API reports, inside its envelope (with HTTP 200) and outside it.

Moonrope answers **HTTP 200** for every outcome of an action and says what happened in the envelope's
`status`; each non-`success` status has its class here. A few failures happen before an action runs and
use real HTTP codes with a small non-enveloped body (`invalid-controller-or-action`, `invalid-json`,
`http-not-supported`, `internal-server-error`), plus 503 during maintenance; they have classes too.

Every class derives from :class:`MoonropeError` *and* from the generic craftapis class with the same
meaning (`ParameterError` is a `BadRequestError`, `AccessDeniedError` a `PermissionDeniedError`, ...),
so code written against craftapis' generic errors works with any moonrope deployment.

`status: error` carries an application error code (Postal: `NoRecipients`, `UnauthenticatedFromAddress`,
...). It is raised as the class :meth:`MoonropeError.for_code` returns for that code, so one code can be
caught on its own::

    try:
        postal.send_message(...)
    except MoonropeError.for_code("UnauthenticatedFromAddress") as exc:
        ...
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, ClassVar, Unpack

from .._errors import (
    APIError,
    BadRequestError,
    ErrorFields,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    UnprocessableEntityError,
    _rebuild,
)

__all__ = [
    "AccessDeniedError",
    "HTTPNotSupportedError",
    "InvalidActionError",
    "InvalidJSONError",
    "MaintenanceError",
    "MoonropeError",
    "MoonropeNotFoundError",
    "MoonropeServerError",
    "ParameterError",
    "ValidationError",
    "define_error_code",
]


class MoonropeError(APIError):
    """A moonrope API said the action failed; raised as is for `status: error`.

    The base of every moonrope error. `status: error` is raised as ``MoonropeError.for_code(code)``, a
    subclass per application error code, so ``except MoonropeError`` catches them all and
    ``except MoonropeError.for_code("NoRecipients")`` only one.

    Attributes (besides those of :class:`~craftapis.APIError`):
        status: the moonrope status (``error``, ``parameter-error``, ``access-denied``, ``not-found``,
            ``validation-error``), or for failures outside the envelope the body's ``status``
            (``invalid-json`` ...), or ``None`` when the body had none (503).
        code: for ``status: error`` the application's error code (``NoRecipients``); otherwise the status.
        attributes: the fields of ``data`` other than ``code`` and ``message`` (e.g. Postal's ``id`` for
            ``MessageNotFound``); credentials the server echoed back are replaced by ``REDACTED``.
        data: the envelope's ``data`` (credentials redacted the same way).
        time: server time in seconds (may be ``None``); flags: the envelope's ``flags``.
    """

    hint: ClassVar[str | None] = "the action failed; see .code and .attributes for what the server reported"
    #: the application error code this class stands for (set on the classes `for_code` returns)
    error_code: ClassVar[str | None] = None

    status: str | None
    attributes: dict[str, object]
    data: object
    time: float | None
    flags: Mapping[str, object] | None

    def __init__(
        self,
        message: str | None = None,
        *,
        status: str | None = None,
        attributes: Mapping[str, object] | None = None,
        data: object = None,
        time: float | None = None,
        flags: Mapping[str, object] | None = None,
        **fields: Unpack[ErrorFields],
    ) -> None:
        super().__init__(message, **fields)
        self.status = status
        self.attributes = dict(attributes or {})
        self.data = data
        self.time = time
        self.flags = flags

    @classmethod
    def for_code(cls, code: str) -> type[MoonropeError]:
        """The class raised for ``status: error`` with this application error code.

        Always the same class for the same code (created on first use unless a deployment module
        defined it with :func:`define_error_code`), so it can be used in ``except`` clauses before
        any such error was ever raised.
        """
        klass = _BY_CODE.get(code)
        if klass is None:
            klass = define_error_code(code)
        return klass

    def _summary(self) -> str:
        if self.status_code == 200:  # in the envelope: the HTTP status says nothing
            parts = [f"moonrope status {self.status}"]
            if self.code and self.code != self.status:
                parts.append(f"[{self.code}]")
            if self.method or self.url:
                parts.append("from " + " ".join(p for p in (self.method, self.url) if p))
            return " ".join(parts)
        return super()._summary()

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", status={self.status!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self.error_code is not None and _BY_CODE.get(self.error_code) is type(self):
            # classes made by for_code are not importable by name: rebuild them through the registry
            state = {k: v for k, v in self.__dict__.items() if k != "response"}
            state["response"] = None
            return (_rebuild_for_code, (self.error_code, self.message, state))
        return super().__reduce__()


_BY_CODE: dict[str, type[MoonropeError]] = {}
_BY_CODE_LOCK = threading.Lock()


def define_error_code(
    code: str,
    *bases: type[APIError],
    name: str | None = None,
    hint: str | None = None,
    module: str | None = None,
) -> type[MoonropeError]:
    """Define (once) the class raised for ``status: error`` with ``code``.

    ``bases`` adds generic craftapis classes (e.g. :class:`~craftapis.AuthenticationError` for an
    invalid-key code) so ``except AuthenticationError`` also catches it. ``name`` is the class name
    (default ``MoonropeError[<code>]``), ``hint`` what to do about it, ``module`` where it is exported
    (for its repr; pickling goes through the registry). If the code already has a class,
    that class is returned unchanged: define deployment codes at import time.
    """
    with _BY_CODE_LOCK:
        existing = _BY_CODE.get(code)
        if existing is not None:
            return existing
        namespace: dict[str, Any] = {"error_code": code, "__module__": module or "craftapis.moonrope"}
        namespace["__doc__"] = f"The moonrope error code `{code}`" + (f": {hint}." if hint else ".")
        if hint is not None:
            namespace["hint"] = hint
        klass = type(name or f"MoonropeError[{code}]", (MoonropeError, *bases), namespace)
        _BY_CODE[code] = klass
        return klass


def _rebuild_for_code(code: str, message: str, state: dict[str, Any]) -> APIError:
    """Unpickle an error of a code-defined class (made again from the code in the process that loads it)."""
    return _rebuild(MoonropeError.for_code(code), message, state)


class ParameterError(MoonropeError, BadRequestError):
    """``status: parameter-error``: a parameter is missing or has the wrong type."""

    hint = "a parameter is missing or invalid; check the action's parameters"


class AccessDeniedError(MoonropeError, PermissionDeniedError):
    """``status: access-denied``: these credentials may not call this action."""

    hint = "access denied; check the credentials (auth headers) and what they are allowed to do"


class MoonropeNotFoundError(MoonropeError, NotFoundError):
    """``status: not-found``: the object the action works on does not exist."""

    hint = "not found; check the id you passed"


class ValidationError(MoonropeError, UnprocessableEntityError):
    """``status: validation-error``: the values were rejected; ``errors`` says why (usually a map of
    field name to a list of messages)."""

    hint = "the server rejected the values; see .errors"

    @property
    def errors(self) -> object:
        """The server's list of field errors (``data.errors``), or None when it sent none."""
        data = self.data
        return data.get("errors") if isinstance(data, Mapping) else None


class InvalidActionError(MoonropeError, BadRequestError):
    """HTTP 400 ``invalid-controller-or-action``: the server has no such controller or action."""

    hint = "no such controller/action on this server; check the name and the api_version"


class InvalidJSONError(MoonropeError, BadRequestError):
    """HTTP 400 ``invalid-json``: the server could not parse the request body (``details`` says why)."""

    hint = "the server could not parse the request body as JSON; please report it"


class HTTPNotSupportedError(MoonropeError, BadRequestError):
    """HTTP 400 ``http-not-supported``: the server requires HTTPS."""

    hint = "this server only accepts HTTPS; use an https:// base_url"


class MoonropeServerError(MoonropeError, ServerError):
    """HTTP 500 ``internal-server-error``: the action raised on the server. Actions declared safe to
    retry were already retried."""

    hint = "the server failed; retry later (actions declared safe are retried automatically)"


class MaintenanceError(MoonropeError, ServerError):
    """HTTP 503: the server is in maintenance. Actions declared safe to retry were already retried."""

    hint = "the server is in maintenance; retry later"
