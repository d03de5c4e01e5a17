"""A faithful, synthetic BuiltByBit API v1 (shapes from the authored spec, values invented).

Reproduces the quirks the client must handle: the `{result, data}` / `{result: error, error: {code,
message}}` envelope, error envelopes inside HTTP 200 (`fail_next_with_200`), 429 with `Retry-After`
in milliseconds (`throttle`), 20 objects per page (fixed), `format=xml|yaml`, Private and Shared
tokens (a Shared token only reaches the two Shared endpoints, with nonce and timestamp).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import httpx
import yaml

__all__ = ["PRIVATE_TOKEN", "SHARED_TOKEN", "FakeBuiltByBit", "Seen"]

# Fake secrets: a test greps every cassette, repr, error and log for them.
PRIVATE_TOKEN = "bbb-private-FAKE-9f3a1c7e5d"
SHARED_TOKEN = "bbb-shared-FAKE-2b8d4e6f0a"
NONCE = 7312456

PAGE = 20
NOW = 1_700_000_000


def _resources(n: int) -> list[dict[str, Any]]:
    return [
        {
            "resource_id": 1000 + i,
            "author_id": 77,
            "title": f"Synthetic Resource {i:02d}",
            "tag_line": f"tag line {i}",
            "price": 0 if i % 3 == 0 else 4.99,
            "currency": None if i % 3 == 0 else "USD",
        }
        for i in range(n)
    ]


def _versions(n: int) -> list[dict[str, Any]]:
    return [
        {
            "version_id": 9000 + i,
            "update_id": 8000 + i if i % 2 else None,
            "name": f"1.{i}.0",
            "release_date": NOW + i * 86400,
            "download_count": 10 * i,
        }
        for i in range(n)
    ]


LICENSES: dict[int, dict[str, Any]] = {
    501: {
        "license_id": 1,
        "purchaser_id": 501,
        "validated": True,
        "permanent": True,
        "active": True,
        "start_date": 0,
        "end_date": 0,
        "previous_end_date": None,
    },
    502: {
        "license_id": 2,
        "purchaser_id": 502,
        "validated": True,
        "permanent": True,
        "active": False,
        "start_date": 0,
        "end_date": 0,
        "previous_end_date": None,
    },
    503: {
        "license_id": 3,
        "purchaser_id": 503,
        "validated": True,
        "permanent": False,
        "active": True,
        "start_date": NOW - 86400 * 60,
        "end_date": NOW - 86400 * 30,
        "previous_end_date": None,
    },
}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None


def _xml(value: Any, tag: str) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml(v, k) for k, v in value.items())
    elif isinstance(value, list):
        inner = "".join(_xml(v, "item") for v in value)
    elif value is None:
        inner = ""
    else:
        inner = escape(str(value).lower() if isinstance(value, bool) else str(value))
    return f"<{tag}>{inner}</{tag}>"


@dataclass
class FakeBuiltByBit:
    resources: list[dict[str, Any]] = field(default_factory=lambda: _resources(45))
    versions: list[dict[str, Any]] = field(default_factory=lambda: _versions(25))
    seen: list[Seen] = field(default_factory=list)
    _throttles: list[int] = field(default_factory=list)
    _fail_200: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- scripting --------------------------------------------------------------------------------
    def throttle(self, millis: int, times: int = 1) -> None:
        """The next `times` requests get 429 with `Retry-After: <millis>` (milliseconds)."""
        with self._lock:
            self._throttles.extend([millis] * times)

    def fail_next_with_200(self, code: str, message: str) -> None:
        """The next request gets the error envelope with HTTP 200."""
        with self._lock:
            self._fail_200.append((code, message))

    def count(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path == path)

    # -- the app ----------------------------------------------------------------------------------
    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/v1"):
            path = path[3:]
        query = dict(request.url.params)
        auth = request.headers.get("authorization")
        with self._lock:
            self.seen.append(Seen(request.method, path, query, auth))
            throttle = self._throttles.pop(0) if self._throttles else None
            fail = self._fail_200.pop(0) if self._fail_200 else None
        if throttle is not None:
            return self._error(
                429, "RateLimitError", "You are being rate limited.", {"Retry-After": str(throttle)}
            )
        if auth is None:
            return self._error(401, "HeaderMissingError", "The 'Authorization' header was not present.")
        kind, _, token = auth.partition(" ")
        if (kind, token) not in (("Private", PRIVATE_TOKEN), ("Shared", SHARED_TOKEN)):
            return self._error(401, "InvalidTokenError", "The token is not valid.")
        if fail is not None:
            return self._error(200, *fail)
        route = self._route(request.method, path)
        if route is None:
            return self._error(404, "NotFoundError", f"No route for {request.method} {path}.")
        handler, shared_ok, args = route
        if kind == "Shared" and not shared_ok:
            return self._error(403, "TokenTypeError", "This endpoint does not accept Shared tokens.")
        try:
            status, data = handler(request, query, kind, *args)
        except LookupError as exc:
            return self._error(404, "NotFoundError", str(exc))
        if status != 200:
            return self._error(status, data[0], data[1])
        return self._render({"result": "success", "data": data}, query)

    def _render(self, envelope: dict[str, Any], query: dict[str, str]) -> httpx.Response:
        fmt = query.get("format", "json")
        if fmt == "xml":
            return httpx.Response(
                200,
                text='<?xml version="1.0"?>' + _xml(envelope, "response"),
                headers={"Content-Type": "application/xml"},
            )
        if fmt == "yaml":
            return httpx.Response(200, text=yaml.safe_dump(envelope), headers={"Content-Type": "text/yaml"})
        pretty = query.get("pretty") == "true"
        return httpx.Response(
            200,
            content=json.dumps(envelope, indent=2 if pretty else None).encode(),
            headers={"Content-Type": "application/json"},
        )

    @staticmethod
    def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.Response(
            status,
            json={"result": "error", "error": {"code": code, "message": message}},
            headers=headers,
        )

    # -- routes -----------------------------------------------------------------------------------
    def _route(
        self, method: str, path: str
    ) -> tuple[Callable[..., tuple[int, Any]], bool, tuple[str, ...]] | None:
        for verb, pattern, handler, shared_ok in self._ROUTES:
            if verb == method:
                match = re.fullmatch(pattern, path)
                if match:
                    return getattr(self, handler), shared_ok, match.groups()
        return None

    _ROUTES: tuple[tuple[str, str, str, bool], ...] = (
        ("GET", r"/health", "_health", False),
        ("GET", r"/resources", "_list_resources", False),
        ("GET", r"/resources/owned", "_owned", False),
        ("GET", r"/resources/(\d+)/versions/latest", "_latest_version", True),
        ("GET", r"/resources/(\d+)/versions", "_list_versions", False),
        ("GET", r"/resources/(\d+)/licenses/members/(\d+)", "_license_of", True),
        ("GET", r"/resources/(\d+)/licenses", "_list_licenses", False),
        ("GET", r"/resources/(\d+)/purchases", "_purchases", False),
        ("GET", r"/resources/(\d+)/reviews", "_reviews", False),
        ("GET", r"/resources/(\d+)/updates", "_updates", False),
        ("GET", r"/resources/(\d+)/downloads", "_downloads", False),
        ("GET", r"/resources/(\d+)/downloads/members/(\d+)", "_downloads_by_member", False),
        ("GET", r"/resources/(\d+)/downloads/versions/(\d+)", "_downloads_by_version", False),
        ("GET", r"/conversations", "_conversations", False),
        ("GET", r"/alerts", "_alerts", False),
        ("GET", r"/threads", "_threads", False),
        ("POST", r"/conversations", "_start_conversation", False),
    )

    @staticmethod
    def _page(items: list[dict[str, Any]], query: dict[str, str]) -> tuple[int, Any]:
        sort = query.get("sort")
        if sort:
            items = sorted(items, key=lambda item: (item.get(sort) is None, item.get(sort)))
        if query.get("order") == "desc":
            items = list(reversed(items))
        page = int(query.get("page", "1"))
        if page < 1:
            return 400, ("InvalidParameterError", "page must be >= 1")
        return 200, items[(page - 1) * PAGE : page * PAGE]

    def _health(self, request: httpx.Request, query: dict[str, str], kind: str) -> tuple[int, Any]:
        return 200, "ok"

    def _list_resources(self, request: httpx.Request, query: dict[str, str], kind: str) -> tuple[int, Any]:
        return self._page(self.resources, query)

    def _owned(self, request: httpx.Request, query: dict[str, str], kind: str) -> tuple[int, Any]:
        return self._page(self.resources[:3], query)

    def _list_versions(
        self, request: httpx.Request, query: dict[str, str], kind: str, rid: str
    ) -> tuple[int, Any]:
        return self._page(self.versions, query)

    def _latest_version(
        self, request: httpx.Request, query: dict[str, str], kind: str, rid: str
    ) -> tuple[int, Any]:
        if rid not in {str(r["resource_id"]) for r in self.resources[:3]}:  # the owned ones
            raise LookupError(f"Resource {rid} not found or not yours.")
        return 200, self.versions[-1]

    def _license_of(
        self, request: httpx.Request, query: dict[str, str], kind: str, rid: str, member: str
    ) -> tuple[int, Any]:
        if kind == "Shared" and ("nonce" not in query or "timestamp" not in query):
            return 400, ("ParameterMissingError", "nonce and timestamp are required with a Shared token.")
        if rid != "1001" or int(member) not in LICENSES:
            raise LookupError(f"No license found for member {member} on resource {rid}.")
        return 200, LICENSES[int(member)]

    def _list_licenses(
        self, request: httpx.Request, query: dict[str, str], kind: str, rid: str
    ) -> tuple[int, Any]:
        return self._page(list(LICENSES.values()), query)

    def _purchases(
        self, request: httpx.Request, query: dict[str, str], kind: str, rid: str
    ) -> tuple[int, Any]:
        return self._page(
            [
                {
                    "purchase_id": 600 + i,
                    "purchaser_id": 500 + i,
                    "license_id": i + 1,
                    "renewal": False,
                    "status": "completed",
                    "price": 4.99,
                    "currency": "USD",
                    "purchase_date": NOW + i,
                    "validation_date": NOW + i + 60,
                }
                for i in range(3)
            ],
            query,
        )

    def _reviews(self, request: httpx.Request, query: dict[str, str], kind: str, rid: str) -> tuple[int, Any]:
        return self._page(
            [
                {
                    "review_id": 70 + i,
                    "reviewer_id": 500 + i,
                    "rating": 5 - i,
                    "message": f"review {i}",
                    "response": None,
                }
                for i in range(2)
            ],
            query,
        )

    def _updates(self, request: httpx.Request, query: dict[str, str], kind: str, rid: str) -> tuple[int, Any]:
        return self._page(
            [
                {"update_id": 8000 + i, "title": f"Update {i}", "message": "changes", "update_date": NOW + i}
                for i in range(4)
            ],
            query,
        )

    def _downloads(
        self, request: httpx.Request, query: dict[str, str], kind: str, rid: str
    ) -> tuple[int, Any]:
        return self._page(
            [
                {
                    "download_id": 300 + i,
                    "version_id": 9000 + i % 2,
                    "downloader_id": 500 + i,
                    "download_date": NOW + i,
                }
                for i in range(5)
            ],
            query,
        )

    def _downloads_by_member(
        self, request: httpx.Request, query: dict[str, str], kind: str, rid: str, member: str
    ) -> tuple[int, Any]:
        return self._page(
            [{"download_id": 300, "version_id": 9000, "downloader_id": int(member), "download_date": NOW}],
            query,
        )

    def _downloads_by_version(
        self, request: httpx.Request, query: dict[str, str], kind: str, rid: str, version: str
    ) -> tuple[int, Any]:
        return self._page(
            [
                {
                    "download_id": 301 + i,
                    "version_id": int(version),
                    "downloader_id": 510 + i,
                    "download_date": NOW,
                }
                for i in range(2)
            ],
            query,
        )

    def _conversations(self, request: httpx.Request, query: dict[str, str], kind: str) -> tuple[int, Any]:
        return self._page(
            [
                {
                    "conversation_id": 40,
                    "title": "Hello",
                    "creation_date": NOW,
                    "creator_id": 500,
                    "last_message_date": NOW + 5,
                    "last_read_date": None,
                    "open": True,
                    "reply_count": 1,
                    "recipient_ids": [77],
                }
            ],
            query,
        )

    def _alerts(self, request: httpx.Request, query: dict[str, str], kind: str) -> tuple[int, Any]:
        return self._page(
            [
                {
                    "caused_member_id": 500 + i,
                    "content_type": "resource",
                    "content_id": 1001,
                    "alert_type": "review",
                    "alert_date": NOW + i,
                }
                for i in range(2)
            ],
            query,
        )

    def _threads(self, request: httpx.Request, query: dict[str, str], kind: str) -> tuple[int, Any]:
        return self._page(
            [
                {
                    "thread_id": 20 + i,
                    "title": f"Thread {i}",
                    "reply_count": i,
                    "view_count": 10 * i,
                    "creation_date": NOW,
                    "last_message_date": NOW,
                }
                for i in range(3)
            ],
            query,
        )

    def _start_conversation(
        self, request: httpx.Request, query: dict[str, str], kind: str
    ) -> tuple[int, Any]:
        body = json.loads(request.content or b"{}")
        if not body.get("recipient_ids"):
            return 400, ("InvalidParameterError", "recipient_ids is required.")
        return 200, 41
