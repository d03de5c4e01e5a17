"""A faithful, synthetic Railcraft pack server (seed 003's behaviour, invented values).

Quirks reproduced: every reply is JSON `{result, msg, ...}` with HTTP 200, errors included; form
bodies read the PHP way (`name[]` builds an array, a repeated plain `name` keeps the last value);
POST-only endpoints answer code 2 to a GET; session tokens that expire (code 6) or are unknown (12);
the archive download answers binary, a plain-text error for an unknown id, and can be cut off.
Scripted for restarts: cut the next `cut_downloads` answers halfway, serve `Range` (206) or ignore it
(200, the default, as a POST's Range is), send ETags, gzip the archive, change it after a cut.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import httpx

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "TOKEN_PREFIX", "FakeRailcraft", "Seen"]

# Fake secrets: tests grep every cassette, repr, error and log for them.
CLIENT_ID = "rc-client-FAKE-31d7"
CLIENT_SECRET = "rc-secret-FAKE-8c2e7b90f1"
TOKEN_PREFIX = "rc-session-FAKE-"

MEANINGS = {
    1: "SQL Error",
    2: "A POST request is required",
    3: "Client ID required",
    4: "Client secret required",
    5: "Invalid client ID or secret",
    6: "Token has expired",
    7: "Token is required",
    8: "Error during internal request",
    9: "ID is required",
    10: "Database connection failed",
    11: "No tags found",
    12: "Token is invalid",
    13: "Too many words",
    14: "Ad limit reached",
    15: "Required variable was not defined",
}
OPTIONAL_MODS = ["journeymap", "optifine", "dynmap"]
ADS = [
    {
        "id": 1,
        "created_time": 1_600_000_000,
        "bumped": None,
        "edited": None,
        "type": "sell",
        "title": "Selling rails",
        "body": "Cheap rails, any amount.",
        "minecraft_name": "Steve",
        "minecraft_uuid": "00000000-0000-4000-8000-000000000001",
    },
    {
        "id": 2,
        "created_time": 1_600_000_100,
        "bumped": 1_600_000_500,
        "edited": None,
        "type": "buy",
        "title": "Buying steam engines",
        "body": "Need three.",
        "minecraft_name": "Alex",
        "minecraft_uuid": "00000000-0000-4000-8000-000000000002",
    },
]


def php_form(body: bytes) -> dict[str, Any]:
    """Read a form body as PHP's $_POST would."""
    out: dict[str, Any] = {}
    for name, value in parse_qsl(body.decode("ascii"), keep_blank_values=True):
        if name.endswith("[]"):
            out.setdefault(name[:-2], []).append(value)
        else:
            out[name] = value
    return out


class _Encoded(httpx.Response):
    """An answer whose body goes out encoded, as given: `AppServer` sends what `read()` returns, which
    for a plain `httpx.Response` is the body its Content-Encoding already undid."""

    def __init__(self, status: int, *, raw: bytes, headers: dict[str, str]) -> None:
        self._raw = raw
        super().__init__(status, headers=headers)

    def read(self) -> bytes:
        return self._raw


@dataclass
class Seen:
    method: str
    path: str
    form: dict[str, Any]
    raw: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names


@dataclass
class FakeRailcraft:
    paths: dict[str, str] = field(default_factory=dict)  # endpoint name -> path, overriding api/<name>/
    seen: list[Seen] = field(default_factory=list)
    acquisitions: int = 0
    archives: dict[int, bytes] = field(default_factory=dict)
    archive_size: int = 150_000
    cut_downloads: int = 0  # the next this many archive answers are cut off halfway
    honour_range: bool = False  # answer `Range: bytes=N-` with a 206 (else ignore it: a 200)
    wrong_range: bool = False  # a 206 whose Content-Range starts one byte later than asked
    etags: bool = False  # send a strong ETag of the archive (and judge If-Range against it)
    gzip_archives: bool = False  # send the archive Content-Encoding: gzip
    #: after a cut, archive id -> its new content (the archive changed between attempts)
    change_after_cut: dict[int, bytes] = field(default_factory=dict)
    expire_after_cut: bool = False  # after a cut, every token issued so far expires
    sent: list[int] = field(default_factory=list)  # bytes of archive body sent per get_file answer
    text_error_next_download: bool = False
    expire_on_issue: bool = False  # every token is expired as soon as it is issued
    _expired: set[str] = field(default_factory=set)
    _valid: set[str] = field(default_factory=set)
    _barrier: threading.Barrier | None = None
    _joined: int = 0
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- scripting --------------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        """Every token issued so far now answers code 6 (the hour ran out)."""
        with self._lock:
            self._expired |= self._valid
            self._valid.clear()

    def hold_authenticated(self, parties: int) -> None:
        """The next authenticated requests wait until `parties` of them have arrived (concurrency)."""
        with self._lock:
            self._barrier = threading.Barrier(parties, timeout=10)
            self._joined = 0

    def forms(self, endpoint: str) -> list[dict[str, Any]]:
        return [s.form for s in self.seen if s.path == self._path_of(endpoint)]

    def _path_of(self, endpoint: str) -> str:
        return "/" + self.paths.get(endpoint, f"api/{endpoint}/")

    # -- the app ----------------------------------------------------------------------------------
    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/railcraftpack"):
            path = path[len("/railcraftpack") :]
        form = php_form(request.content) if request.method == "POST" else dict(request.url.params)
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.seen.append(Seen(request.method, path, form, request.content, headers))
        endpoint = next((name for name in self._HANDLERS if self._path_of(name) == path), None)
        if endpoint is None:
            return httpx.Response(
                404, text="<html><body>404 Not Found</body></html>", headers={"Content-Type": "text/html"}
            )
        handler, post_only, authenticated = self._HANDLERS[endpoint]
        if post_only and request.method != "POST":
            return self._reply(2)
        if authenticated:
            with self._lock:  # exactly `parties` requests join the barrier; later ones pass freely
                barrier = self._barrier
                if barrier is not None:
                    self._joined += 1
                    if self._joined == barrier.parties:
                        self._barrier = None
            if barrier is not None:  # held before the token is judged: all parties see the same state
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()
            problem = self._check_credentials(form)
            if problem:
                return self._reply(problem)
        if handler == "_file":
            return self._file(form, headers)
        result: httpx.Response = getattr(self, handler)(form)
        return result

    def file_headers(self) -> list[dict[str, str]]:
        """The headers of every archive request, in order."""
        return [s.headers for s in self.seen if s.path == self._path_of("get_file")]

    def _check_credentials(self, form: dict[str, Any]) -> int:
        if not form.get("client_id"):
            return 3
        if not form.get("client_secret"):
            return 4
        if (form["client_id"], form["client_secret"]) != (CLIENT_ID, CLIENT_SECRET):
            return 5
        token = form.get("token")
        if not token:
            return 7
        with self._lock:
            if token in self._expired:
                return 6
            if token not in self._valid:
                return 12
        return 0

    @staticmethod
    def _reply(code: int = 0, **fields: Any) -> httpx.Response:
        body = {"result": code, "msg": MEANINGS.get(code, "") if code else "", **fields}
        # PHP's default Content-Type: the server sets none of its own.
        return httpx.Response(
            200, content=json.dumps(body).encode(), headers={"Content-Type": "text/html; charset=UTF-8"}
        )

    _HANDLERS: ClassVar[dict[str, tuple[str, bool, bool]]] = {
        "get_tag": ("_tag", False, False),
        "auth": ("_auth", True, False),
        "get_download_url": ("_download_url", True, True),
        "get_file": ("_file", True, True),
        "get_server_message": ("_server_message", False, False),
        "test_token": ("_test_token", True, True),
        "get_optional_mods": ("_optional_mods", False, False),
        "get_error_message": ("_error_message", False, False),
        "get_ads": ("_ads", True, True),
    }

    def _tag(self, form: dict[str, Any]) -> httpx.Response:
        return self._reply(major="1.12.2-5", minor="1.12.2-5.3")

    def _auth(self, form: dict[str, Any]) -> httpx.Response:
        if not form.get("client_id"):
            return self._reply(3)
        if not form.get("client_secret"):
            return self._reply(4)
        if (form["client_id"], form["client_secret"]) != (CLIENT_ID, CLIENT_SECRET):
            return self._reply(5)
        with self._lock:
            self.acquisitions += 1
            token = f"{TOKEN_PREFIX}{next(self._counter)}-{hashlib.sha1(str(self.acquisitions).encode()).hexdigest()[:12]}"
            (self._expired if self.expire_on_issue else self._valid).add(token)
        return self._reply(token=token)

    def _download_url(self, form: dict[str, Any]) -> httpx.Response:
        mods = form.get("opt_mods", [])
        if isinstance(mods, str):  # a plain (non-array) field: PHP sees a string
            mods = [mods]
        unknown = [m for m in mods if m not in OPTIONAL_MODS]
        if unknown:
            return self._reply(8, data=f"unknown optional mods: {unknown}")
        patch = form.get("patch_from") or None
        seed = f"{patch}|{','.join(mods)}".encode()
        size = self.archive_size // (4 if patch else 1)
        content = (hashlib.sha256(seed).digest() * (size // 32 + 1))[:size]
        with self._lock:
            archive_id = 100 + len(self.archives)
            self.archives[archive_id] = content
        return self._reply(
            id=archive_id,
            filename=f"Railcraft-{'patch-' + patch if patch else 'full'}.zip",
            is_patch=1 if patch else 0,
            size_raw=len(content),
            size=f"{len(content) / 1000:.1f}KB",
            mod_count=120,
            mod_count_opt=len(mods),
            res_count=2,
        )

    def _file(self, form: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        if not form.get("id"):
            return self._reply(9)
        archive_id = int(form["id"])
        content = self.archives.get(archive_id)
        if content is None or self.text_error_next_download:
            self.text_error_next_download = False
            return httpx.Response(
                200, text="File not found", headers={"Content-Type": "text/html; charset=UTF-8"}
            )
        etag = f'"{hashlib.sha1(content).hexdigest()}"' if self.etags else None
        fields = {
            "Content-Type": "application/octet-stream",
            "Content-Disposition": 'attachment; filename="pack.zip"',
        }
        if etag is not None:
            fields["ETag"] = etag
        status, body = 200, content
        asked = headers.get("range", "")
        if_range = headers.get("if-range")
        ranged = asked.startswith("bytes=") and asked.endswith("-")
        if self.honour_range and ranged and (if_range is None or if_range == etag):
            start = int(asked[len("bytes=") : -1])
            first = start + 1 if self.wrong_range else start
            status, body = 206, content[first:]
            fields["Content-Range"] = f"bytes {first}-{len(content) - 1}/{len(content)}"
        if self.gzip_archives:
            body = gzip.compress(body)
            fields["Content-Encoding"] = "gzip"
            response: httpx.Response = _Encoded(status, raw=body, headers=fields)
        else:
            response = httpx.Response(status, content=body, headers=fields)
        sent = len(body)
        if self.cut_downloads:
            self.cut_downloads -= 1
            sent = len(body) // 2
            response.extensions["cut_after"] = sent
            if archive_id in self.change_after_cut:
                self.archives[archive_id] = self.change_after_cut.pop(archive_id)
            if self.expire_after_cut:
                self.expire_tokens()
        self.sent.append(sent)
        return response

    def _server_message(self, form: dict[str, Any]) -> httpx.Response:
        return self._reply(color="gold", text="Remember to oil your rails.")

    def _test_token(self, form: dict[str, Any]) -> httpx.Response:
        return self._reply()

    def _optional_mods(self, form: dict[str, Any]) -> httpx.Response:
        return self._reply(mods=OPTIONAL_MODS)

    def _error_message(self, form: dict[str, Any]) -> httpx.Response:
        if form.get("error_code"):
            return self._reply(error_message=MEANINGS.get(int(form["error_code"]), "Unknown error"))
        return self._reply(error_message={str(k): v for k, v in MEANINGS.items()})

    def _ads(self, form: dict[str, Any]) -> httpx.Response:
        kind = form.get("type", "any")
        ads = [a for a in ADS if kind == "any" or a["type"] == kind]
        limit = int(form.get("limit", "-1"))
        if limit >= 0:
            ads = ads[:limit]
        return self._reply(ads=ads)
