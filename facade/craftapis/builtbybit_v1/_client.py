"""What `AsyncBuiltByBitV1` (`_async_client.py`, written once) and `BuiltByBitV1` (`_sync_client.py`,
generated from it) share: the BuiltByBit API v1 clients' token, guards and request shapes.

Both are thin: the policy (retries, READ/WRITE pacing, `Retry-After` in milliseconds, envelope errors)
comes from `ApiProfile` and the base clients; this module adds the token, the Shared-token guard,
pagination and the two Shared-token jobs. Every decision that does not send is `_V1Core`'s.

Formats: BuiltByBit can answer in JSON, XML or YAML (`format=`). The parsed operations always ask for
JSON: the generated models, the envelope check (`result: error` inside an HTTP 200) and the error
mapping all read JSON, and XML/YAML are unconfirmed in practice (no known client uses them; seed 000
only names them). `raw()` sends any request with any format and returns the body text, unparsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from ._auth import SHARED_OPERATIONS, SharedTokenError, TokenAuth, TokenKind, shared_path_allowed

__all__ = ["RawFormat"]

RawFormat = Literal["json", "xml", "yaml"]
_RAW_FORMATS: Final = frozenset({"json", "xml", "yaml"})
_LICENSE_BY_MEMBER: Final = "licenses.get_resource_license_by_member"
_LATEST_VERSION: Final = "versions.get_latest_resource_version"


def _token_auth(private_token: str | None, shared_token: str | None) -> TokenAuth:
    if (private_token is None) == (shared_token is None):
        raise TypeError(
            "pass exactly one of private_token= (every endpoint; keep it secret) or shared_token= "
            "(only latest_version() and validate_license(); safe to ship in a plugin)"
        )
    if private_token is not None:
        return TokenAuth("Private", private_token)
    assert shared_token is not None
    return TokenAuth("Shared", shared_token)


def _downloads_operation(member_id: int | None, version_id: int | None) -> tuple[str, dict[str, int]]:
    if member_id is not None and version_id is not None:
        raise TypeError("pass member_id= or version_id= (or neither), not both")
    if member_id is not None:
        return "downloads.list_resource_downloads_by_member", {"member_id": member_id}
    if version_id is not None:
        return "downloads.list_resource_downloads_by_version", {"version_id": version_id}
    return "downloads.list_resource_downloads", {}


class _V1Core:
    """What the sync and async clients share: the token, the guards, request shapes."""

    _token_kind: TokenKind
    _shared: bool
    base_url: str

    def _set_token(self, auth: TokenAuth) -> TokenAuth:
        self._token_kind = auth.kind
        self._shared = auth.kind == "Shared"
        return auth

    @property
    def token_kind(self) -> TokenKind:
        """`"Private"` or `"Shared"`: which kind of token this client holds (never the token itself)."""
        return self._token_kind

    def _guard(self, operation: str, kwargs: Mapping[str, Any] | None = None) -> None:
        if self._shared and operation not in SHARED_OPERATIONS:
            raise SharedTokenError(
                f"{operation} needs a Private token, but this client holds a Shared token "
                "(BuiltByBit serves Shared tokens only the version check and license validation); "
                "nothing was sent"
            )
        if kwargs:
            fmt = kwargs.get("format_")
            if fmt is not None and getattr(fmt, "value", fmt) != "json":
                raise ValueError(
                    f"{operation} parses JSON only (format_={getattr(fmt, 'value', fmt)!r} was asked); "
                    "use client.raw(method, path, format=...) to get XML or YAML text"
                )

    def _guard_request(self, kwargs: Mapping[str, Any]) -> None:
        url = str(kwargs["url"])
        if url.startswith(self.base_url):  # an absolute URL on this API
            url = url[len(self.base_url) :]
        if not shared_path_allowed(str(kwargs["method"]), url):
            raise SharedTokenError(
                f"{str(kwargs['method']).upper()} {kwargs['url']} needs a Private token, but this client "
                "holds a Shared token (only GET /resources/{id}/versions/latest and "
                "/resources/{id}/licenses/members/{member} accept one); nothing was sent"
            )

    def _license_kwargs(
        self, resource_id: int, member_id: int, nonce: int | str | None, timestamp: int | str | None
    ) -> dict[str, Any]:
        if self._shared and (nonce is None or timestamp is None):
            raise ValueError(
                "with a Shared token BuiltByBit requires the download's nonce= and timestamp= "
                "(the values BuiltByBit injected into your plugin's jar)"
            )
        kwargs: dict[str, Any] = {"resource_id": resource_id, "member_id": member_id}
        if nonce is not None:
            kwargs["nonce"] = nonce
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        return kwargs

    @staticmethod
    def _raw_params(format: str, pretty: bool | None, params: Mapping[str, Any] | None) -> dict[str, Any]:
        if format not in _RAW_FORMATS:
            raise ValueError(f"format must be one of json, xml, yaml; got {format!r}")
        out = dict(params or {})
        out["format"] = format
        if pretty is not None:
            out["pretty"] = "true" if pretty else "false"
        return out

    @staticmethod
    def _raw_headers(content_type: str | None) -> dict[str, str] | None:
        return {"Content-Type": content_type} if content_type else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, token_kind={self._token_kind!r})"
