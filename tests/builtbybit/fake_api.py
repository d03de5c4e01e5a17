"""A faithful, synthetic BuiltByBit API v2 for tests: an in-memory app served on 127.0.0.1.

Shapes follow the published spec and seed 001 (envelope, `data.stats` pagination, `with` hints as
capitalised properties, `Authorization: Token|Bearer|Basic`, API events, OAuth2 token endpoints,
`&jwt=1` signing); every value is made up here. Nothing is copied from real responses.

    fake = FakeBuiltByBit()
    with serve(fake) as base_url: ...       # a ThreadingHTTPServer on 127.0.0.1:<port>
    fake.requests                            # what arrived (method, path, query, headers, body)
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# Fake secrets: tests assert none of them reaches a cassette, a repr, an error or a log.
TOKEN = "bbb-fake-api-token-1f2e3d4c"
CLIENT_ID = "fake-oauth-client-77"
CLIENT_SECRET = "fake-client-secret-a9b8c7"
AUTH_CODE = "fake-auth-code-5566"
DEPLOY_TOKEN = "fake-deploy-token-3344"
NONCE = "0123456789abcdef0123456789abcdef"
SECRETS = (TOKEN, CLIENT_SECRET, AUTH_CODE, DEPLOY_TOKEN)

NOW = 1_780_000_000  # the fake's "now" for data (Unix seconds)
MEMBER = 4242  # the member the fake's OAuth user and license checks revolve around


def _member(user_id: int) -> dict[str, Any]:
    return {
        "user_id": str(user_id),  # a string in Member, an integer elsewhere (spec quirk)
        "username": f"member{user_id}",
        "registered_at": "2021-03-04T05:06:07+00:00",
        "avatar_url": f"https://cdn.example.test/avatars/{user_id}.png",
    }


def _price(value: float) -> dict[str, Any]:
    return {"value": value, "currency": "USD", "formatted": f"${value:.2f}"}


def _version(resource_id: int, n: int) -> dict[str, Any]:
    return {
        "version_id": resource_id * 100 + n,
        "version_string": f"1.{n}.0",
        "resource_id": resource_id,
        "created_at": NOW - (10 - n) * 86400,
        "download_count": 10 * n,
        "review_count": n,
        "review_average": 4.0,
    }


def _resource(resource_id: int, own: bool) -> dict[str, Any]:
    return {
        "resource_id": resource_id,
        "title": f"Synthetic Plugin {resource_id}",
        "summary": "A made-up resource for craftapis tests.",
        "url": f"https://builtbybit.example.test/resources/{resource_id}/",
        "creator_id": 900 if own else 901,
        "published_at": NOW - 400 * 86400,
        "last_updated_at": NOW - 5 * 86400,
        "purchases": resource_id % 17,
        "downloads": resource_id % 97,
        "cover_image_url": f"https://cdn.example.test/covers/{resource_id}.png",
        "carousel_image_urls": [],
        "review_count": 2,
        "review_average": 4.5,
    }


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Override:
    """A scripted answer for the next request to `path` (any path if None)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    path: str | None = None


class FakeBuiltByBit:
    def __init__(self, *, resources: int = 7, events: int = 0, access_ttl: int = 3600) -> None:
        self.lock = threading.Lock()
        self.requests: list[Seen] = []
        self.overrides: deque[Override] = deque()
        self.clock: Callable[[], float] = time.time
        self.access_ttl = access_ttl
        self.rotate_refresh_tokens = True
        self.refresh_calls = 0
        self.revoked: list[str] = []
        self.completed_batches: list[list[int]] = []
        self.on_request: Callable[[Seen], None] | None = None
        # OAuth2 state: access token -> expiry (fake clock), valid refresh tokens
        self.access_tokens: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self._serial = 0
        # JWT signing (`&jwt=1`): a private key PEM, and hooks to break things on purpose
        self.jwt_key: bytes | None = None
        self.jwt_claims: Callable[[dict[str, Any]], dict[str, Any]] = lambda claims: claims
        self.jwt_token: Callable[[str], str] = lambda token: token
        # data
        ids = [1000 + i for i in range(resources)]
        self.resources = {rid: _resource(rid, own=i % 2 == 0) for i, rid in enumerate(ids)}
        self.own = [rid for i, rid in enumerate(ids) if i % 2 == 0]
        self.purchases = [
            {
                "purchase_id": 5000 + n,
                "content_type": "resource",
                "content_id": self.own[n % len(self.own)],
                "buyer_id": MEMBER if n % 3 == 0 else 7000 + n,
                "seller_id": 900,
                "created_at": NOW - n * 3600,
                "validated_at": NOW - n * 3600 + 60,
                "bundle_id": None,
                "sale_event_id": None,
                "external_tid": f"TX-{n:04d}",
                "gateway": "paypal",
            }
            for n in range(9)
        ]
        first = self.own[0]
        self.licenses = (
            [
                # the member's expired temporary license, then an inactive permanent one, then a valid one
                {
                    "content_type": "resource",
                    "content_id": first,
                    "buyer_id": MEMBER,
                    "permanent": False,
                    "start_date": NOW - 90 * 86400,
                    "end_date": NOW - 30 * 86400,
                },
                {
                    "content_type": "resource",
                    "content_id": first,
                    "buyer_id": MEMBER + 1,
                    "permanent": True,
                    "active": False,
                },
                {
                    "content_type": "addon",
                    "content_id": first,
                    "buyer_id": MEMBER,
                    "permanent": True,
                    "active": True,
                },
            ]
            + [
                {
                    "content_type": "resource",
                    "content_id": rid,
                    "buyer_id": 7000 + n,
                    "permanent": True,
                    "active": True,
                }
                for n, rid in enumerate(self.own * 3)
            ]
            + [
                {
                    "content_type": "resource",
                    "content_id": first,
                    "buyer_id": MEMBER,
                    "permanent": True,
                    "active": True,
                },
            ]
        )
        self.reviews = [
            {
                "review_id": 300 + n,
                "resource_id": rid,
                "reviewer_id": 7100 + n,
                "version_id": rid * 100 + 1,
                "stars": 5 - n % 2,
                "message": f"Synthetic review {n}",
                "created_at": NOW - n * 7200,
                "response": None,
            }
            for n, rid in enumerate(self.own)
        ]
        self.updates = [
            {
                "update_id": 400 + n,
                "resource_id": rid,
                "created_at": NOW - n * 86400,
                "title": f"Update {n} of {rid}",
            }
            for n, rid in enumerate(self.own)
        ]
        self.versions = [_version(rid, n) for rid in self.own for n in (1, 2)]
        self.events: OrderedDict[int, dict[str, Any]] = OrderedDict()
        for _ in range(events):
            self.add_event()

    # -- helpers for tests ------------------------------------------------------------------------

    def add_event(self, trigger_type: str = "new_purchase") -> int:
        with self.lock:
            event_id = 800 + len(self.events) + sum(len(b) for b in self.completed_batches)
            while event_id in self.events:
                event_id += 1
            self.events[event_id] = {
                "event_id": event_id,
                "listener_id": 12,
                "created_at": NOW + event_id,
                "trigger_type": trigger_type,
                "trigger_data": {
                    "resource_id": self.own[0],
                    "buyer_id": MEMBER,
                    "purchase_id": 5000 + event_id,
                },
            }
            return event_id

    def issue_tokens(self, ttl: int | None = None) -> dict[str, Any]:
        """A fresh token set, as the token endpoint answers it."""
        with self.lock:
            self._serial += 1
            serial = self._serial
        access, refresh = f"fake-access-{serial}-e1", f"fake-refresh-{serial}-r1"
        ttl = self.access_ttl if ttl is None else ttl
        self.access_tokens[access] = self.clock() + ttl
        self.refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "expires_in": ttl,
            "refresh_token": refresh,
            "scope": "read",
            "token_type": "Bearer",
        }

    def paths(self, method: str | None = None) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    # -- the app --------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        seen = Seen(
            method, parts.path, query, {k.lower(): v for k, v in headers.items()}, body, time.monotonic()
        )
        with self.lock:
            self.requests.append(seen)
            override = None
            for candidate in self.overrides:
                if candidate.path is None or candidate.path == parts.path:
                    override = candidate
                    break
            if override is not None:
                self.overrides.remove(override)
        if self.on_request is not None:
            self.on_request(seen)
        if override is not None:
            payload = (
                override.body if isinstance(override.body, bytes) else json.dumps(override.body).encode()
            )
            return override.status, {"Content-Type": "application/json", **override.headers}, payload
        status, payload = self._route(seen)
        if status != 401 and query.get("jwt") == ["1"] and self.jwt_key is not None:
            # seed 001: the outer answer succeeds, the inner one may be an error; only errors
            # raised before the endpoint (auth, rate limiting) come back unsigned
            status, payload = 200, self._signed(target, payload)
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    def _signed(self, target: str, inner: Any) -> dict[str, Any]:
        import jwt

        now = int(self.clock())
        claims = self.jwt_claims(
            {"request": target, "response": json.dumps(inner), "iat": now, "exp": now + 86400}
        )
        token = jwt.encode(claims, self.jwt_key, algorithm="ES256")
        return {"result": "success", "data": self.jwt_token(token)}

    @staticmethod
    def _error(status: int, code: str, message: str) -> tuple[int, Any]:
        return status, {"result": "error", "error": {"code": code, "message": message}}

    @staticmethod
    def _ok(data: Any) -> tuple[int, Any]:
        return 200, {"result": "success", "data": data}

    def _auth(self, seen: Seen) -> str | None:
        """None if authorised, else an error code."""
        header = seen.headers.get("authorization")
        if not header:
            return "HeaderMissingError"
        kind, _, value = header.partition(" ")
        if kind == "Token" and value in (TOKEN, DEPLOY_TOKEN):
            return None
        if kind == "Bearer":
            expiry = self.access_tokens.get(value)
            if expiry is not None and self.clock() < expiry:
                return None
        return "TokenInvalidError"

    def _basic_ok(self, seen: Seen) -> bool:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return seen.headers.get("authorization") == expected

    def _page(self, seen: Seen, name: str, items: list[dict[str, Any]]) -> tuple[int, Any]:
        page = int(seen.query.get("page", ["1"])[0])
        per_page = min(100, int(seen.query.get("per_page", ["25"])[0]))
        total = len(items)
        max_page = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        return self._ok(
            {name: chunk, "stats": {"total": total, "page": page, "per_page": per_page, "max_page": max_page}}
        )

    def _ids(self, seen: Seen, name: str) -> set[int] | None:
        values = seen.query.get(name)
        if not values:
            return None
        return {int(part) for part in values[0].split(",") if part}

    def _hints(self, seen: Seen) -> set[str]:
        values = seen.query.get("with")
        return {h for h in values[0].split(",") if h} if values else set()

    def _hinted_resource(self, rid: int, hints: set[str], prefix: str = "") -> dict[str, Any]:
        item = dict(self.resources[rid])
        if f"{prefix}Creator" in hints:
            item["Creator"] = _member(item["creator_id"])
        if f"{prefix}ListPrice" in hints:
            item["ListPrice"] = None if rid % 3 == 0 else _price(4.99)  # free content: null (spec quirk)
        if f"{prefix}LatestVersion" in hints:
            item["LatestVersion"] = _version(rid, 2)
        return item

    def _route(self, seen: Seen) -> tuple[int, Any]:
        path, method = seen.path, seen.method
        if path == "/oauth2/token" and method == "POST":
            return self._token(seen)
        if path == "/oauth2/token/revoke" and method == "POST":
            if not self._basic_ok(seen):
                return self._error(401, "InvalidClientError", "Bad client credentials.")
            form = parse_qs(seen.body.decode())
            token = form.get("token", [""])[0]
            self.revoked.append(token)
            self.refresh_tokens.discard(token)
            self.access_tokens.pop(token, None)
            return self._ok("ok")
        problem = self._auth(seen)
        if problem == "HeaderMissingError":
            return self._error(401, problem, "The 'Authorization' header was not present.")
        if problem is not None:
            return self._error(401, problem, "The provided token is not valid.")
        hints = self._hints(seen)
        if path == "/v2/health":
            return self._ok("ok")
        if path == "/v2/resources/discover/resources":
            wanted = self._ids(seen, "resource_ids")
            items = [
                self._hinted_resource(rid, hints) for rid in self.resources if wanted is None or rid in wanted
            ]
            return self._page(seen, "resources", items)
        if path == "/v2/resources/creator/resources":
            wanted = self._ids(seen, "resource_ids")
            items = [self._hinted_resource(rid, hints) for rid in self.own if wanted is None or rid in wanted]
            return self._page(seen, "resources", items)
        if path == "/v2/resources/creator/purchases":
            rids, buyers = self._ids(seen, "resource_ids"), self._ids(seen, "buyer_ids")
            tids = set(seen.query["external_tids"][0].split(",")) if "external_tids" in seen.query else None
            items = []
            for purchase in self.purchases:
                if rids is not None and purchase["content_id"] not in rids:
                    continue
                if buyers is not None and purchase["buyer_id"] not in buyers:
                    continue
                if tids is not None and purchase["external_tid"] not in tids:
                    continue
                item = dict(purchase)
                if "Buyer" in hints:
                    item["Buyer"] = _member(item["buyer_id"])
                if "FinalPrice" in hints:
                    item["FinalPrice"] = _price(3.99)
                items.append(item)
            return self._page(seen, "purchases", items)
        if path == "/v2/resources/creator/licenses":
            rids = self._ids(seen, "resource_ids")
            items = [dict(lic) for lic in self.licenses if rids is None or lic["content_id"] in rids]
            if "Buyer" in hints:
                for item in items:
                    item["Buyer"] = _member(item["buyer_id"])
            return self._page(seen, "licenses", items)
        if path == "/v2/resources/discover/licenses":
            items = [dict(lic) for lic in self.licenses if lic["buyer_id"] == MEMBER]
            if "Resource" in hints:
                for item in items:
                    item["Resource"] = self._hinted_resource(item["content_id"], set())
            return self._page(seen, "licenses", items)
        for name, source in (
            ("reviews", self.reviews),
            ("updates", self.updates),
            ("versions", self.versions),
        ):
            if path == f"/v2/resources/creator/{name}":
                rids = self._ids(seen, "resource_ids")
                items = [dict(x) for x in source if rids is None or x["resource_id"] in rids]
                if "Resource" in hints:
                    for item in items:
                        item["Resource"] = self._hinted_resource(item["resource_id"], set())
                if name == "reviews" and "Reviewer" in hints:
                    for item in items:
                        item["Reviewer"] = _member(item["reviewer_id"])
                return self._page(seen, name, items)
        if path == "/v2/resources/buyer/latest":
            if seen.query.get("nonce") != [NONCE]:
                return self._error(404, "NonceNotFoundError", "Unknown nonce.")
            rid = self.own[0]
            return self._ok(
                {"current": _version(rid, 1), "latest": _version(rid, 2), "has_usage_rights": True}
            )
        if path == "/v2/analytics":
            return self._ok(
                {
                    "analytics": {
                        "purchases": {
                            "label": "Purchases",
                            "desc": "Purchases of your content",
                            "graph": True,
                            "single": True,
                            "filters": {"resource": {"desc": "A resource", "type": "resource"}},
                            "periods": ["last_7_days", "custom_range"],
                        },
                        "revenue": {
                            "label": "Revenue",
                            "desc": "Revenue",
                            "graph": True,
                            "single": True,
                            "filters": None,
                            "periods": ["last_7_days"],
                        },
                    }
                }
            )
        if path in ("/v2/analytics/graph", "/v2/analytics/single"):
            names = seen.query.get("analytics", [""])[0].split(",")
            period = {
                "period": seen.query.get("period", ["last_7_days"])[0],
                "period_display": "Last 7 days",
                "start_date": seen.query.get("start_date", ["2026-05-01"])[0],
                "end_date": seen.query.get("end_date", ["2026-05-07"])[0],
            }
            if path.endswith("single"):
                return self._ok({"analytics": {n: float(len(n)) for n in names}, "period": period})
            points = {
                str(day): {
                    "label": f"2026-05-0{day}",
                    "count": day,
                    "ts": NOW + day * 86400,
                    "days": 1,
                    "values": {n: float(day * len(n)) for n in names},
                }
                for day in (1, 2, 3)
            }
            return self._ok({"data": points, "grouping": "day", "label": "Purchases", "period": period})
        if path == "/v2/events" and method == "GET":
            with self.lock:
                items = list(self.events.values())
            return self._page(seen, "events", items)
        if path == "/v2/events/complete" and method == "POST":
            ids = [int(i) for i in json.loads(seen.body or b"{}").get("event_ids", [])]
            with self.lock:
                self.completed_batches.append(ids)
                for event_id in ids:
                    self.events.pop(event_id, None)
            return self._ok("ok")
        if path == "/v2/deployments/upgrade" and method == "POST":
            options = json.loads(seen.body or b"{}")
            data: dict[str, Any] = {
                "token": "fake-upgraded-token-99",
                "oauth2_client": CLIENT_ID,
                "oauth2_secret": CLIENT_SECRET,
                "preauthorize": None,
            }
            if options.get("preauthorize"):
                data["preauthorize"] = self.issue_tokens()
                data["preauthorize"]["scope"] = options.get("scopes")
            return self._ok(data)
        return self._error(404, "EndpointNotFoundError", f"No endpoint at {path}.")

    def _token(self, seen: Seen) -> tuple[int, Any]:
        if not self._basic_ok(seen):
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed."}
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if form.get("code") != AUTH_CODE:
                return 400, {"error": "invalid_grant", "error_description": "The code is invalid or used."}
            return 200, self.issue_tokens()
        if grant == "refresh_token":
            with self.lock:
                self.refresh_calls += 1
            refresh = form.get("refresh_token", "")
            if refresh not in self.refresh_tokens:
                return 400, {"error": "invalid_grant", "error_description": "The refresh token is invalid."}
            tokens = self.issue_tokens()
            if self.rotate_refresh_tokens:
                self.refresh_tokens.discard(refresh)
            else:
                self.refresh_tokens.discard(tokens["refresh_token"])
                del tokens["refresh_token"]
            return 200, tokens
        return 400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type."}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.app.handle(
            self.command, self.path, dict(self.headers.items()), body
        )
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: FakeBuiltByBit


@contextmanager
def serve(app: FakeBuiltByBit) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) for the duration of the block; yields the base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
