"""What `AsyncMoonrope` (`_async_client.py`, written once) and `Moonrope` (`_sync_client.py`, generated from
it) share: the clients for any moonrope RPC API (Postal is one deployment).

Moonrope exposes each action at `POST {base_url}/api/v{N}/{controller}/{action}` with the parameters
as a JSON body, and answers HTTP 200 with `{status, time, flags, data}` whatever happened. These
clients send the action, raise the typed error of any status other than `success` (see
`craftapis.moonrope` errors) and return `data`.

Retries: moonrope does not check the HTTP method and every action is a POST, so the method cannot
say which calls are safe to send twice. Each client therefore keeps a set of ``safe_actions``
(``"controller/action"``, reads such as Postal's ``messages/message``): those are retried on 5xx,
timeouts and broken connections; every other action (``send/message`` ...) is sent once, except when
the request certainly never reached the server. ``client.options(idempotent=True)`` overrides it for
the calls inside a ``with`` block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any, ClassVar

import httpx

from .._base import ApiProfile, _ClientCore
from .._context import IDEMPOTENT_EXTENSION
from ._auth import HeaderAuth
from ._envelope import Envelope, envelope_error_decoder, unwrap_success
from ._paging import MoonropePaging, check_per_page

__all__ = ["api_path"]

_VERSION = re.compile(r"v?(\d+)")


def api_path(api_version: int | str) -> str:
    """``1``, ``"1"``, ``"v1"`` -> ``/api/v1``; a path (``"/api/v1"``, ``"/rpc/v2"``) is kept as is."""
    if isinstance(api_version, bool):
        raise TypeError("api_version must be an int (1), 'v1' or a path such as '/api/v1'")
    if isinstance(api_version, int):
        if api_version < 1:
            raise ValueError(f"api_version must be >= 1, got {api_version}")
        return f"/api/v{api_version}"
    text = api_version.strip()
    if text.startswith("/"):
        return text.rstrip("/")
    match = _VERSION.fullmatch(text)
    if match is None:
        raise ValueError(f"api_version must be like 1, 'v1' or '/api/v1', got {api_version!r}")
    return f"/api/v{int(match.group(1))}"


_NAME = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")


def _action_path(controller: str, action: str) -> str:
    """`controller/action`, refused unless both are moonrope names: `../../admin` would post the key to
    another path, and `message?x=1#f` would add a query; neither may reach the server."""
    controller = controller.strip("/")
    action = action.strip("/")
    if not _NAME.fullmatch(controller) or not _NAME.fullmatch(action):
        raise ValueError(
            "controller and action must be moonrope names (letters, digits, '_' and '-', segments "
            f"joined by '/'), got {controller!r} and {action!r}; nothing was sent"
        )
    return f"{controller}/{action}"


class _MoonropeCore(_ClientCore):
    """What the sync and async moonrope clients share: configuration and every pure decision."""

    #: set by a client for one deployment (Postal): its name, generated package and safe reads
    _deployment: ClassVar[str] = "moonrope"
    _generated_package: ClassVar[str | None] = None
    _default_safe_actions: ClassVar[frozenset[str]] = frozenset()

    server_url: str
    api_path: str
    safe_actions: frozenset[str]

    def _configure(
        self,
        base_url: str,
        api_version: int | str,
        auth_headers: Mapping[str, str] | None,
        safe_actions: Iterable[str] | None,
    ) -> HeaderAuth | None:
        """Build this instance's ApiProfile; return the auth to give the base client."""
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise ValueError(
                f"base_url must be the server's https:// URL, such as 'https://postal.example.com', got {base_url!r}"
            )
        prefix = api_path(api_version)
        server = base_url.rstrip("/")
        if server.endswith(prefix):  # the URL of the API was given: accept it, it is unambiguous
            server = server[: -len(prefix)]
        auth = HeaderAuth(auth_headers) if auth_headers else None
        self.server_url = server
        self.api_path = prefix
        actions = self._default_safe_actions if safe_actions is None else safe_actions
        self.safe_actions = frozenset(a.strip("/") for a in actions)
        self._profile = ApiProfile(
            name=self._deployment,
            package=self._generated_package or "",
            base_url=server + prefix,
            decode_error=envelope_error_decoder(auth.secrets if auth is not None else ()),
            errors_in_success=True,
            unwrap=unwrap_success,
        )
        return auth

    def _redirect_guard(self) -> Callable[[httpx.Request], None] | None:
        """The hook that keeps the credential headers on this server (see `HeaderAuth.redirect_guard`)."""
        return self._auth.redirect_guard(self.server_url) if isinstance(self._auth, HeaderAuth) else None

    # -- requests ---------------------------------------------------------------------------------
    def _extensions(self, path: str) -> dict[str, Any]:
        # an explicit False also protects unsafe actions from a RetryPolicy whose safe_methods has POST
        return {IDEMPOTENT_EXTENSION: path in self.safe_actions}

    def _action_request(
        self, controller: str, action: str, params: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        path = _action_path(controller, action)
        return {
            "method": "POST",
            "url": "/" + path,
            "json": dict(params) if params else {},
            "extensions": self._extensions(path),
        }

    def _kwargs(self, module: ModuleType, kwargs: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = module._get_kwargs(**kwargs)
        request["extensions"] = self._extensions(request["url"].strip("/"))
        return request

    @staticmethod
    def _result(body: Any, envelope: bool) -> Any:
        return Envelope.from_body(body) if envelope else body.get("data")

    def _paging(
        self, params: Mapping[str, Any] | None, per_page: int
    ) -> tuple[MoonropePaging, dict[str, Any]]:
        merged = dict(params or {})
        size = check_per_page(merged.get("per_page", per_page))
        merged.setdefault("per_page", size)
        return MoonropePaging(page_size=size), merged

    # -- generated operations ---------------------------------------------------------------------
    def _module(self, dotted: str) -> ModuleType:
        if not self._profile.package:
            raise TypeError(
                f"this {type(self).__name__} client has no generated operations; "
                "use call_action(controller, action, params)"
            )
        return super()._module(dotted)

    @property
    def api(self) -> object:
        """The generated operations of this deployment: `client.api.<controller>.<operation>(**kwargs)`."""
        if not self._profile.package:
            raise AttributeError(
                f"a generic {type(self).__name__} client has no generated operations; "
                "use call_action(controller, action, params)"
            )
        return super().api

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.server_url!r}, api_path={self.api_path!r}, "
            f"auth={self._auth!r})"
        )


_DOC_ARGS = """
    Args:
        base_url: scheme and host of the server, e.g. ``https://postal.example.com`` (HTTPS: moonrope
            may redirect or refuse plain HTTP).
        api_version: ``1`` (the default), ``"v1"`` or a path such as ``"/api/v1"``.
        auth_headers: credential headers sent with every request, e.g. ``{"X-Server-API-Key": key}``
            (Postal) or ``{"X-Auth-Token": token, "X-Auth-Secret": secret}``. Their values never appear
            in reprs, error messages or logs.
        safe_actions: ``"controller/action"`` names that are safe to send twice (reads); they are
            retried on 5xx and connection errors. Every other action is sent once. Default: none (the
            deployment's reads for a deployment client such as Postal).
        **options: as every client (``AsyncClientOptions``). Headers are not secret; the default retry
            makes 4 attempts with jittered backoff, safe actions only; the default rate limiter is none
            (moonrope does not rate limit).
"""
