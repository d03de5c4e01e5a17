"""A faithful fake of the Modrinth endpoints the friendly methods use, with synthetic data.

`FakeModrinth.handle(httpx.Request) -> httpx.Response` is the whole API: the cassette recorder
plugs it in with `httpx.MockTransport`, and `AppServer` serves it on 127.0.0.1 for loopback
tests. Response shapes follow Modrinth's spec and docs (`{hits, offset, limit, total_hits}`,
version files with `hashes`/`url`/`filename`/`primary`/`size`, `{error, description}` errors,
`x-ratelimit-*` headers); every value is made up. Paths under `/v2` are the API; `/updates/...`
and `/_internal/oauth/token` live at the host root as on api.modrinth.com; `/data/...` is the CDN.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx

KNOWN_VERSIONS = ("IIJJKKLL", "MMNNOOPP", "QQRRSSTT")
PROJECT_OF = {"IIJJKKLL": "AABBCCDD", "MMNNOOPP": "AABBCCDD", "QQRRSSTT": "EEFFGGHH"}
DATE = "2023-06-01T12:00:00.000000Z"


def file_bytes(version_id: str) -> bytes:
    """The synthetic content of a version's primary file (a few KiB, more than one chunk at 1 KiB)."""
    return b"".join(f"synthetic jar of version {version_id}, line {i}\n".encode() for i in range(200))


def digests(content: bytes) -> dict[str, str]:
    return {"sha1": hashlib.sha1(content).hexdigest(), "sha512": hashlib.sha512(content).hexdigest()}


@dataclass
class Seen:
    method: str
    url: httpx.URL
    headers: httpx.Headers
    body: bytes

    @property
    def path(self) -> str:
        return self.url.path

    def query(self, name: str) -> str | None:
        return self.url.params.get(name)


@dataclass
class FakeModrinth:
    cdn_base: str = "https://cdn.modrinth.com"
    search_total: int = 150
    clamp: int = 100
    client_id: str = "FAKEclientID"
    client_secret: str = "FAKEclientSECRET_9876543210"
    oauth_code: str = "FAKEoauthCODE_abcdef"
    access_token: str = "mro_FAKEaccessTOKEN_fedcba"
    redirect_uri: str = "https://app.example.invalid/callback"
    corrupt_downloads: bool = False
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.by_hash: dict[str, str] = {}
        for version_id in KNOWN_VERSIONS:
            for value in digests(file_bytes(version_id)).values():
                self.by_hash[value] = version_id

    # -- synthetic payloads ----------------------------------------------------------------------

    def project(self, id_or_slug: str) -> dict[str, Any]:
        return {
            "id": id_or_slug if id_or_slug.isupper() else "AABBCCDD",
            "slug": id_or_slug.lower(),
            "title": f"Project {id_or_slug}",
            "description": "A synthetic project",
            "categories": ["utility"],
            "client_side": "required",
            "server_side": "optional",
            "body": "Synthetic body",
            "status": "approved",
            "requested_status": None,
            "additional_categories": [],
            "issues_url": None,
            "source_url": None,
            "wiki_url": None,
            "discord_url": None,
            "donation_urls": [],
            "project_type": "mod",
            "downloads": 1234,
            "icon_url": None,
            "color": None,
            "thread_id": "TTHHRREE",
            "monetization_status": "monetized",
            "team": "TTEEAAMM",
            "body_url": None,
            "moderator_message": None,
            "published": DATE,
            "updated": DATE,
            "approved": DATE,
            "queued": None,
            "followers": 42,
            "license": {"id": "MIT", "name": "MIT License", "url": None},
            "versions": list(KNOWN_VERSIONS[:2]),
            "game_versions": ["1.20.1"],
            "loaders": ["fabric"],
            "gallery": [],
        }

    def version(
        self, version_id: str, *, number: str = "1.0.0", loaders: list[str] | None = None
    ) -> dict[str, Any]:
        project_id = PROJECT_OF.get(version_id, "AABBCCDD")
        content = file_bytes(version_id)
        filename = f"{version_id.lower()}-{number}.jar"
        return {
            "id": version_id,
            "project_id": project_id,
            "author_id": "UUSSEERR",
            "name": f"Version {number}",
            "version_number": number,
            "changelog": "Synthetic changes",
            "changelog_url": None,
            "dependencies": [],
            "game_versions": ["1.20.1"],
            "version_type": "release",
            "loaders": loaders or ["fabric"],
            "featured": True,
            "status": "listed",
            "requested_status": None,
            "date_published": DATE,
            "downloads": 99,
            "files": [
                {
                    "hashes": digests(content),
                    "url": f"{self.cdn_base}/data/{project_id}/versions/{version_id}/{filename}",
                    "filename": filename,
                    "primary": True,
                    "size": len(content),
                    "file_type": None,
                }
            ],
        }

    def user(self, id_or_name: str) -> dict[str, Any]:
        return {
            "id": id_or_name if id_or_name.isupper() else "UUSSEERR",
            "username": id_or_name.lower(),
            "name": None,
            "email": None,
            "bio": "Synthetic user",
            "payout_data": None,
            "avatar_url": None,
            "created": DATE,
            "role": "developer",
            "badges": 0,
            "auth_providers": None,
            "email_verified": None,
            "has_password": None,
            "has_totp": None,
            "github_id": None,
        }

    def hit(self, n: int) -> dict[str, Any]:
        return {
            "project_id": f"P{n:07d}",
            "project_type": "mod",
            "slug": f"project-{n}",
            "author": "someone",
            "title": f"Project number {n}",
            "description": "A synthetic search hit",
            "categories": ["utility"],
            "display_categories": ["utility"],
            "versions": ["1.20.1"],
            "downloads": 1000 - n % 1000,
            "follows": n % 50,
            "icon_url": None,
            "date_created": DATE,
            "date_modified": DATE,
            "latest_version": "1.20.1",
            "license": "mit",
            "client_side": "required",
            "server_side": "optional",
            "gallery": [],
            "featured_gallery": None,
            "color": None,
        }

    # -- the API ---------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        with self.lock:
            self.requests.append(Seen(request.method, request.url, request.headers, body))
        path = request.url.path
        if path.startswith("/data/"):
            return self._cdn(path)
        if path.startswith("/updates/") and path.endswith("/forge_updates.json"):
            return self._json(
                {
                    "homepage": "https://modrinth.com/mod/synthetic",
                    "promos": {"1.20.1-latest": "1.0.0", "1.20.1-recommended": "1.0.0"},
                }
            )
        if path == "/_internal/oauth/token" and request.method == "POST":
            return self._token(request, body)
        if not path.startswith("/v2/"):
            return httpx.Response(404)
        return self._api(request.method, path[3:], request.url.params, request.headers, body)

    def _json(self, payload: Any, status: int = 200) -> httpx.Response:
        return httpx.Response(
            status,
            content=json.dumps(payload).encode(),
            headers={
                "content-type": "application/json",
                "x-ratelimit-limit": "300",
                "x-ratelimit-remaining": "299",
                "x-ratelimit-reset": "59",
            },
        )

    def _error(self, status: int, code: str, description: str) -> httpx.Response:
        return self._json({"error": code, "description": description}, status)

    def _api(
        self, method: str, path: str, params: httpx.QueryParams, headers: httpx.Headers, body: bytes
    ) -> httpx.Response:
        parts = path.strip("/").split("/")
        if method == "GET" and parts == ["search"]:
            offset = int(params.get("offset", "0"))
            limit = min(int(params.get("limit", "10")), self.clamp)
            end = min(offset + limit, self.search_total)
            hits = [self.hit(n) for n in range(offset, end)]
            return self._json(
                {"hits": hits, "offset": offset, "limit": limit, "total_hits": self.search_total}
            )
        if method == "GET" and len(parts) == 2 and parts[0] == "project":
            if parts[1] == "missing":
                return httpx.Response(404)
            return self._json(self.project(parts[1]))
        if method == "GET" and parts == ["projects"]:
            return self._json([self.project(i) for i in self._ids(params)])
        if method == "GET" and len(parts) == 3 and parts[0] == "project" and parts[2] == "version":
            versions = [
                self.version("IIJJKKLL", number="1.0.0"),
                self.version("MMNNOOPP", number="1.1.0", loaders=["forge"]),
            ]
            if "loaders" in params:
                wanted = json.loads(params["loaders"])
                versions = [v for v in versions if set(v["loaders"]) & set(wanted)]
            if "game_versions" in params:
                wanted = json.loads(params["game_versions"])
                versions = [v for v in versions if set(v["game_versions"]) & set(wanted)]
            return self._json(versions)
        if method == "GET" and len(parts) == 2 and parts[0] == "version":
            return self._json(self.version(parts[1]))
        if method == "GET" and parts == ["versions"]:
            return self._json([self.version(i) for i in self._ids(params)])
        if method == "GET" and parts == ["user"]:  # the token's own account: private fields filled
            me = self.user("UUSSEERR")
            me.update(email="tests@example.invalid", email_verified=True, has_password=True, has_totp=False)
            return self._json(me)
        if method == "GET" and parts == ["users"]:
            return self._json([self.user(i) for i in self._ids(params)])
        if method == "GET" and parts == ["tag", "category"]:
            return self._json(
                [{"icon": "<svg/>", "name": "utility", "project_type": "mod", "header": "categories"}]
            )
        if method == "GET" and len(parts) == 2 and parts[0] == "version_file":
            found = self.by_hash.get(parts[1])
            return self._json(self.version(found)) if found else httpx.Response(404)
        if method == "POST" and len(parts) == 3 and parts[0] == "version_file" and parts[2] == "update":
            found = self.by_hash.get(parts[1])
            if not found:
                return httpx.Response(404)
            request = json.loads(body or b"{}")
            loaders = request.get("loaders")
            if loaders is not None and not loaders:
                return httpx.Response(404)  # an empty filter matches nothing
            return self._json(self.version("MMNNOOPP", number="1.1.0", loaders=loaders or ["fabric"]))
        if method == "POST" and parts == ["version_files"]:
            request = json.loads(body)
            found = {h: self.version(self.by_hash[h]) for h in request["hashes"] if h in self.by_hash}
            return self._json(found)
        if method == "DELETE" and len(parts) == 2 and parts[0] == "version":
            return httpx.Response(204)
        if method == "POST" and parts == ["version"]:
            return self._create_version(headers, body)
        return self._error(404, "not_found", f"the requested route {path} does not exist")

    @staticmethod
    def _ids(params: httpx.QueryParams) -> list[str]:
        ids = json.loads(params["ids"])
        assert isinstance(ids, list) and len(ids) <= 100, "more than 100 ids in one request"
        return ids

    def _create_version(self, headers: httpx.Headers, body: bytes) -> httpx.Response:
        parts = multipart_parts(headers["content-type"], body)
        if not parts or parts[0][0] != "data":
            return self._error(400, "invalid_input", "Error while parsing multipart payload")
        data = json.loads(parts[0][2])
        files = {name: (filename, content) for name, filename, content in parts[1:]}
        if sorted(files) != sorted(data["file_parts"]):
            return self._error(400, "invalid_input", "file parts do not match file_parts")
        version = self.version("NEWVERS1", number=data["version_number"], loaders=data["loaders"])
        version["project_id"] = data["project_id"]
        version["name"] = data["name"]
        version["files"] = [
            {
                "hashes": digests(content),
                "url": f"{self.cdn_base}/data/{data['project_id']}/versions/NEWVERS1/{filename}",
                "filename": filename,
                "primary": name == data.get("primary_file"),
                "size": len(content),
                "file_type": None,
            }
            for name, (filename, content) in files.items()
        ]
        return self._json(version)

    def _token(self, request: httpx.Request, body: bytes) -> httpx.Response:
        if request.headers.get("authorization") != self.client_secret:
            return self._error(401, "unauthorized", "Invalid client secret")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        expected = {
            "grant_type": "authorization_code",
            "code": self.oauth_code,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
        }
        if form != expected:
            return self._error(400, "invalid_request", "the authorization code is invalid or expired")
        return self._json({"access_token": self.access_token, "token_type": "Bearer", "expires_in": 3600})

    def _cdn(self, path: str) -> httpx.Response:
        parts = path.strip("/").split("/")  # data/{project}/versions/{version}/{filename}
        if len(parts) != 5:
            return httpx.Response(404)
        content = file_bytes(parts[3])
        if self.corrupt_downloads:
            content = content[:-1] + b"!"
        return httpx.Response(200, content=content, headers={"content-type": "application/java-archive"})


def multipart_parts(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """(name, filename, content) of every part of a multipart/form-data body, in order."""
    raw = b"Content-Type: " + content_type.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    out = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        out.append((str(name), part.get_filename(), part.get_payload(decode=True) or b""))
    return out


class AppServer:
    """Serves an `httpx.Request -> httpx.Response` app over real HTTP on 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        self.app = app
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _handle(self) -> None:
                body = self._body()
                headers = [
                    (k, v)
                    for k, v in self.headers.items()
                    if k.lower() not in ("transfer-encoding", "content-length")
                ]
                request = httpx.Request(self.command, outer.url + self.path, headers=headers, content=body)
                response = outer.app.handle(request)
                content = response.read()
                self.send_response(response.status_code)
                for name, value in response.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> AppServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve(app: Any) -> Iterator[AppServer]:
    with AppServer(app) as server:
        yield server
