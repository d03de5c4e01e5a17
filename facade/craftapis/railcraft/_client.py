"""`RailcraftPack` and `AsyncRailcraftPack`: the Railcraft modpack server's API.

What makes this API unusual, and what the clients do about it:

* Paths are mostly unknown (seed 003 lost them): the base URL and every path can be overridden.
* Requests are form-encoded POSTs (the one method every endpoint accepts); arrays follow `array_style`.
* Credentials travel in the body: authenticated requests carry `client_id`, `client_secret` and a
  session `token`, which the client acquires, shares, and renews (see `_session.py`).
* Errors come with HTTP 200 as `{"result": <code>, "msg": ...}`: `result != 0` raises `RailcraftError`.
* The archive download is binary: streamed to disk, verified, written atomically (see `_download.py`).

`AsyncRailcraftPack` is written once (`_async_client.py`); `RailcraftPack` is generated from it
(`_sync_client.py`, by `scripts/unasync.py`). What they share, and does not send, is here.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import httpx

from .._base import ApiProfile
from .._context import IDEMPOTENT_EXTENSION
from .._errors import ResponseParseError
from .._ratelimit import NoRateLimiter
from .._retry import RetryPolicy
from .._secret import Secret
from ._errors import decode_error
from ._form import ARRAY_STYLES, FORM_CONTENT_TYPE, ArrayStyle, encode_form
from ._paths import resolve_paths

__all__ = ["DEFAULT_BASE_URL", "RAILCRAFT", "AdKind"]

#: The site root; paths (`api/get_file/`) are relative to it, as the server's documentation writes them.
DEFAULT_BASE_URL: Final = "https://towerofawesome.org/railcraftpack"
AdKind = Literal["any", "buy", "sell"]

RAILCRAFT: Final = ApiProfile(
    name="Railcraft pack",
    package="craftapis_generated.railcraft",
    base_url=DEFAULT_BASE_URL,
    make_limiter=NoRateLimiter,
    decode_error=decode_error,
    errors_in_success=True,
    # Every endpoint only reads (or prepares an archive, which is idempotent) but must be called with
    # POST, so POSTs are as safe to resend as GETs here.
    default_retry=RetryPolicy(safe_methods=frozenset({"GET", "HEAD", "OPTIONS", "POST"})),
    # client_id, client_secret and token travel in the form body, which httpx would re-send to
    # whatever origin a 307/308 points at: never follow; a redirect raises, naming its target.
    follow_redirects=False,
)


def _error_messages(value: Any) -> str | list[str] | dict[str, str]:
    extra = getattr(value, "additional_properties", None)
    if isinstance(extra, dict):  # the object variant: a PHP array keyed by code
        return {str(k): str(v) for k, v in extra.items()}
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value
    return ""  # absent (None, or the generated models' falsy UNSET)


def _expected(operation: str, response: httpx.Response, parsed: Any, body: Any) -> Any:
    """The parsed reply, unless a status other than 200 left only the generic `Reply` (the spec's
    `default` response): the friendly methods read the operation's own fields, so that is a bad reply."""
    if response.status_code != 200 and type(parsed).__name__ == "Reply":
        raise ResponseParseError.from_response(
            response,
            message=(
                f"the Railcraft server answered {operation} with HTTP {response.status_code} and no "
                "error code craftapis knows, where it answers HTTP 200; the raw body is on .body"
            ),
            body=body,
        )
    return parsed


class _RailcraftCore:
    """Configuration and request shapes the sync and async clients share."""

    base_url: str
    _client_id: str | None
    #: a `Secret`: `vars(client)` and reprs show `Secret('***')`
    _client_secret: Secret | None

    def _configure(
        self,
        client_id: str | None,
        client_secret: str | None,
        paths: Mapping[str, str] | None,
        array_style: ArrayStyle,
    ) -> None:
        if array_style not in ARRAY_STYLES:
            raise ValueError(f"array_style must be 'brackets', 'repeat' or 'comma', got {array_style!r}")
        if (client_id is None) != (client_secret is None):
            raise TypeError("pass both client_id= and client_secret= (or neither, for public endpoints only)")
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{name} must be a non-empty string")
        self._client_id = client_id
        self._client_secret = Secret(client_secret) if client_secret is not None else None
        self._paths = resolve_paths(paths)
        self._array_style: ArrayStyle = array_style

    @property
    def paths(self) -> Mapping[str, str]:
        """The path of every operation (`"pack.get_current_tag"` → `"api/get_tag/"`), overrides applied."""
        return types.MappingProxyType(self._paths)

    @property
    def array_style(self) -> ArrayStyle:
        """How lists are sent in form bodies (`brackets`, `repeat` or `comma`)."""
        return self._array_style

    def _form_request(self, operation: str, fields: Mapping[str, Any], token: str | None) -> dict[str, Any]:
        form = dict(fields)
        if token is not None:
            form.update(self._credentials(), token=token)
        return {
            "method": "POST",
            "url": self._paths[operation],
            "content": encode_form(form, self._array_style),
            "headers": {"Content-Type": FORM_CONTENT_TYPE},
            # every endpoint only reads, so resending is safe whatever RetryPolicy the user passes
            "extensions": {IDEMPOTENT_EXTENSION: True},
        }

    def _credentials(self) -> dict[str, str | None]:
        """The form fields that authenticate (the token request's, and every authenticated call's)."""
        secret = self._client_secret.get() if self._client_secret is not None else None
        return {"client_id": self._client_id, "client_secret": secret}

    def _acquire_request(self) -> dict[str, Any]:
        return self._form_request("auth.acquire_token", self._credentials(), None)

    @staticmethod
    def _token_of(response: httpx.Response, body: Any) -> str:
        token = body.get("token") if isinstance(body, Mapping) else None
        if not isinstance(token, str) or not token:
            raise ResponseParseError.from_response(
                response,
                message="the Railcraft token reply (result 0) carried no `token`; check the paths= override "
                "for 'auth' (it may point at another endpoint)",
                body=None,
            )
        return token

    @staticmethod
    def _generated_fields(module: types.ModuleType, kwargs: dict[str, Any]) -> dict[str, Any]:
        data = module._get_kwargs(**kwargs).get("data")
        return dict(data) if data else {}

    def _no_credentials(self, operation: str) -> TypeError:
        return TypeError(
            f"{operation} needs credentials: create the client with client_id= and client_secret="
        )

    @staticmethod
    def _download_fields(patch_from: str | None, opt_mods: Sequence[str] | None) -> dict[str, Any]:
        return {"patch_from": patch_from, "opt_mods": list(opt_mods) if opt_mods is not None else None}

    @staticmethod
    def _ads_fields(type: AdKind | None, limit: int | None) -> dict[str, Any]:
        if type is not None and type not in ("any", "buy", "sell"):
            raise ValueError(f"type must be 'any', 'buy' or 'sell', got {type!r}")
        return {"type": type, "limit": limit}

    def _describe(self, generation: int | None) -> str:
        token = "none" if not generation else f"#{generation}"
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, authenticated={self._client_id is not None}, "
            f"array_style={self._array_style!r}, token=<{token}>)"
        )
