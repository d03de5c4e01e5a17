"""BuiltByBit v1 credentials: a `Private` or a `Shared` token in the `Authorization` header.

A Shared token is meant to ship inside a plugin: BuiltByBit lets it call only the version check and
license validation of your own resources. The client refuses every other operation *before* sending,
so a plugin never burns its (shared) rate limit on a request that can only fail.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from .._errors import PermissionDeniedError
from .._secret import AuthorizationHeader

__all__ = [
    "SHARED_OPERATIONS",
    "SharedTokenError",
    "TokenAuth",
    "TokenKind",
    "shared_path_allowed",
]

TokenKind = Literal["Private", "Shared"]

#: The operations whose `security` in specs/authored/builtbybit-v1.yaml lists `SharedToken` (a test keeps
#: this in step with the spec): public version checks and license validation (api-facts §3, seed 000).
SHARED_OPERATIONS: Final = frozenset(
    {
        "licenses.get_resource_license_by_member",
        "versions.get_latest_resource_version",
    }
)
# The same two operations as raw paths, for `request()` / `raw()` (GET only).
_SHARED_PATH: Final = re.compile(r"/resources/[^/]+/(?:versions/latest|licenses/members/[^/]+)/?")


def shared_path_allowed(method: str, path: str) -> bool:
    """Whether a Shared token may send `method path` (a path relative to the base URL, query allowed)."""
    return method.upper() == "GET" and _SHARED_PATH.fullmatch(path.split("?", 1)[0]) is not None


class SharedTokenError(PermissionDeniedError):
    """A client holding a Shared token was asked for an operation only a Private token may call.

    Raised before anything is sent, so ``status_code`` is ``None``.
    """

    hint = (
        "Shared tokens only serve latest_version() and validate_license(); create the client with "
        "private_token= for this operation"
    )

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.status_code = None  # nothing was sent: no HTTP status, not PermissionDeniedError's 403


class TokenAuth(AuthorizationHeader):
    """Sets `Authorization: <kind> <token>`; its repr never shows the token."""

    def __init__(self, kind: TokenKind, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError(f"the {kind} token must be a non-empty string")
        if any(c in token for c in "\r\n"):
            raise ValueError(f"the {kind} token must not contain line breaks")
        if token.strip().lower().startswith(("private ", "shared ", "token ", "bearer ")):
            raise ValueError(
                f"pass the {kind.lower()}_token alone, without its scheme: craftapis adds '{kind} ' itself"
            )
        self.kind: TokenKind = kind
        super().__init__(f"{kind} {token.strip()}")

    def __repr__(self) -> str:
        return f"TokenAuth(kind={self.kind!r}, token='<redacted>')"
