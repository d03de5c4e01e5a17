"""A loopback HTTP/1.1 keep-alive server for the benchmarks, in its own process.

It serves Modrinth-shaped JSON from bytes prepared once at start-up, through a bare
``asyncio.Protocol``, so a request costs the server a few microseconds and the clients
being measured are the bottleneck (check with ``python bench/_server.py --selftest``):

    GET /v2/project/{id|slug}           a ~23 KB project (like fabric-api)
    GET /v2/project/{id|slug}/version   a ~1 MB version list
    GET /v2/search                      a search page of 20 hits
    anything else                       404 with Modrinth's error body

Payloads are synthetic, with the shape and size of the real responses. When
``../shared/real-responses/modrinth/project-fabric-api.json`` exists (it does on the
project's machines) the project is that real document, read at run time, never copied
into the repository; otherwise a synthetic project of the same shape and size is used.

``--gzip`` compresses bodies for clients that send ``Accept-Encoding: gzip`` (Modrinth
does behind its CDN); by default bodies are sent as they are, so the numbers measure
the clients' HTTP and parsing work rather than zlib.

Usage from Python::

    with BenchServer() as server:   # starts the subprocess, stops it on exit
        server.url                  # "http://127.0.0.1:PORT/v2"
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["BenchServer", "project_payload", "search_payload", "versions_payload"]

#: ../shared/real-responses beside the checkout (or $CRAFTAPIS_REAL_RESPONSES): read at run time, never copied.
_REAL = (
    Path(
        os.environ.get("CRAFTAPIS_REAL_RESPONSES")
        or Path(__file__).resolve().parents[2] / "shared" / "real-responses"
    )
    / "modrinth"
)
_REAL_PROJECT = _REAL / "project-fabric-api.json"
#: 1.46 MB, 886 versions: the large list of the benchmarks
_REAL_VERSIONS = _REAL / "project-viaversion-versions.json"
_REAL_SEARCH = _REAL / "search_projects_response.json"
#: total_hits of every search page: enough for the memory job's 100,000 paginated hits
SEARCH_TOTAL = 100_000
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(n))


def _game_versions(count: int) -> list[str]:
    """Minecraft-looking version names, oldest first, as Modrinth lists them."""
    names: list[str] = []
    minor = 0
    while len(names) < count:
        names.append(f"1.{minor}")
        names.extend(f"1.{minor}.{patch}" for patch in range(1, 6))
        names.extend(f"{20 + minor // 10}w{week:02d}a" for week in range(10, 14))
        minor += 1
    return names[:count]


def project_payload(*, real: bool = True) -> dict[str, Any]:
    """A project document: the real fabric-api when available (``real=True``), else synthetic."""
    if real and _REAL_PROJECT.is_file():
        loaded: dict[str, Any] = json.loads(_REAL_PROJECT.read_bytes())
        return loaded
    rng = random.Random(1)
    project_id = _base62(rng)
    return {
        "client_side": "optional",
        "server_side": "optional",
        "game_versions": _game_versions(315),
        "id": project_id,
        "slug": "bench-api",
        "project_type": "mod",
        "team": _base62(rng),
        "organization": None,
        "title": "Bench API",
        "description": "A synthetic library mod whose document has the shape and size of a popular Modrinth project.",
        "body": "# Bench API\n\n"
        + "A long form description with **markdown** and [links](https://example.invalid). " * 14,
        "body_url": None,
        "published": "2021-01-22T11:04:41.419169Z",
        "updated": "2025-08-08T13:30:53.673725Z",
        "approved": "2021-01-22T11:04:41.419169Z",
        "queued": None,
        "status": "approved",
        "requested_status": None,
        "moderator_message": None,
        "license": {"id": "Apache-2.0", "name": "Apache License 2.0", "url": None},
        "downloads": 68102105,
        "followers": 21168,
        "categories": ["library"],
        "additional_categories": [],
        "loaders": ["fabric"],
        "versions": [_base62(rng) for _ in range(998)],
        "icon_url": f"https://cdn.example.invalid/data/{project_id}/icon.png",
        "issues_url": "https://example.invalid/bench/issues",
        "source_url": "https://example.invalid/bench",
        "wiki_url": "https://example.invalid/wiki/",
        "discord_url": "https://example.invalid/discord",
        "donation_urls": [],
        "gallery": [],
        "color": 12367004,
        "thread_id": project_id,
        "monetization_status": "monetized",
    }


def _version(rng: random.Random, project_id: str, number: int, game_versions: list[str]) -> dict[str, Any]:
    version_id = _base62(rng)
    name = f"bench-{number // 100}.{number // 10 % 10}.{number % 10}"
    files = []
    for index in range(1 + number % 2):
        blob = f"{version_id}-{index}".encode()
        filename = f"{name}{'-sources' if index else ''}.jar"
        files.append(
            {
                "id": _base62(rng),
                "hashes": {
                    "sha512": hashlib.sha512(blob).hexdigest(),
                    "sha1": hashlib.sha1(blob).hexdigest(),
                },
                "url": f"https://cdn.example.invalid/data/{project_id}/versions/{version_id}/{filename}",
                "filename": filename,
                "primary": index == 0,
                "size": 100_000 + rng.randrange(10_000_000),
                "file_type": None,
            }
        )
    return {
        "game_versions": game_versions[-(20 + number % 50) :],
        "loaders": ["bukkit", "folia", "paper", "purpur", "spigot"][: 1 + number % 5],
        "id": version_id,
        "project_id": project_id,
        "author_id": _base62(rng),
        "featured": number % 7 == 0,
        "name": f"Bench {name}",
        "version_number": name,
        "changelog": "# Fixes\n" + f"- fixed a thing that was broken (#{number})\n" * (1 + number % 6),
        "changelog_url": None,
        "date_published": f"2025-{1 + number % 12:02d}-{1 + number % 28:02d}T15:44:42.218301Z",
        "downloads": rng.randrange(100_000),
        "version_type": ("release", "beta", "alpha")[number % 3],
        "status": "listed",
        "requested_status": None,
        "files": files,
        "dependencies": [
            {"version_id": None, "project_id": _base62(rng), "file_name": None, "dependency_type": "optional"}
            for _ in range(number % 3)
        ],
    }


def versions_payload(size: int = 1_000_000) -> list[dict[str, Any]]:
    """Synthetic versions of one project, enough to make at least ``size`` bytes of JSON."""
    rng = random.Random(2)
    project_id = _base62(rng)
    game_versions = _game_versions(315)
    versions: list[dict[str, Any]] = []
    total = 2
    while total < size:
        version = _version(rng, project_id, len(versions), game_versions)
        versions.append(version)
        total += len(json.dumps(version)) + 2
    return versions


def real_search_hits(count: int = 100) -> list[dict[str, Any]] | None:
    """``count`` hits made of the real search response's (trimmed to 3 by its recorder), cycled with
    distinct ids and slugs; None when the recorded file is absent."""
    if not _REAL_SEARCH.is_file():
        return None
    real = json.loads(_REAL_SEARCH.read_bytes())["hits"]
    hits = []
    for number in range(count):
        hit = dict(real[number % len(real)])
        hit["project_id"] = f"{hit['project_id'][:4]}{number:04d}"
        hit["slug"] = f"{hit['slug']}-{number}"
        hits.append(hit)
    return hits


def search_payload(hits: int = 20) -> dict[str, Any]:
    """A search page of ``hits`` synthetic results (Modrinth's default page is 10, max 100)."""
    rng = random.Random(3)
    game_versions = _game_versions(315)
    results = []
    for number in range(hits):
        project_id = _base62(rng)
        results.append(
            {
                "project_id": project_id,
                "project_type": "mod",
                "slug": f"bench-mod-{number}",
                "author": f"author{number}",
                "title": f"Bench Mod {number}",
                "description": "A synthetic search hit with the fields Modrinth's search returns.",
                "categories": ["library", "fabric"],
                "display_categories": ["library", "fabric"],
                "versions": game_versions[-(5 + number * 3) :],
                "downloads": rng.randrange(10_000_000),
                "follows": rng.randrange(10_000),
                "icon_url": f"https://cdn.example.invalid/data/{project_id}/icon.png",
                "date_created": "2021-01-22T11:04:41.419169Z",
                "date_modified": "2025-07-03T13:58:41.940812Z",
                "latest_version": game_versions[-1],
                "license": "Apache-2.0",
                "client_side": "optional",
                "server_side": "optional",
                "gallery": [],
                "featured_gallery": None,
                "color": rng.randrange(1 << 24),
            }
        )
    return {"hits": results, "offset": 0, "limit": hits, "total_hits": 13560}


# -- the server (runs in the child process) ------------------------------------------------------

# What Modrinth sends behind its CDN, minus cookies: a realistic number of headers to parse.
_HEADERS = (
    b"date: Sat, 23 Nov 2025 10:00:00 GMT\r\n"
    b"content-type: application/json\r\n"
    b"connection: keep-alive\r\n"
    b"vary: accept-encoding\r\n"
    b"access-control-allow-origin: *\r\n"
    b"cache-control: public, max-age=60\r\n"
    # Modrinth's names; a limit so high that a craftapis HeaderRateLimiter never waits: the
    # benchmark measures the cost of reading the headers on every response, not the pacing.
    b"x-ratelimit-limit: 1000000\r\n"
    b"x-ratelimit-remaining: 999999\r\n"
    b"x-ratelimit-reset: 59\r\n"
    b"cf-cache-status: DYNAMIC\r\n"
    b"server: cloudflare\r\n"
    b"cf-ray: 8e5f2c1a3b4d5e6f-FRA\r\n"
)


def _response(status: bytes, body: bytes, *, gzipped: bool = False) -> bytes:
    encoding = b"content-encoding: gzip\r\n" if gzipped else b""
    length = b"content-length: %d\r\n" % len(body)
    return b"HTTP/1.1 " + status + b"\r\n" + _HEADERS + encoding + length + b"\r\n" + body


class _Routes:
    """Every response, serialized once: answering is a dictionary lookup."""

    def __init__(self, *, use_gzip: bool, real: bool) -> None:
        hits = (real_search_hits(100) if real else None) or search_payload(100)["hits"]
        # one serialized hit list per page size; a page is that list plus its offset (see _search)
        self._hits = {n: json.dumps(hits[:n]).encode() for n in range(1, 101)}
        versions = (
            _REAL_VERSIONS.read_bytes()
            if real and _REAL_VERSIONS.is_file()
            else json.dumps(versions_payload()).encode()
        )
        bodies = {
            # indented like the ~23 KB document the reference measurement used (compact it is ~16 KB)
            "project": json.dumps(project_payload(real=real), indent=2).encode(),
            "versions": versions,
            "search": self._search_body(20, 0),
            "missing": json.dumps(
                {"error": "not_found", "description": "the requested route does not exist"}
            ).encode(),
        }
        self.sizes = {name: len(body) for name, body in bodies.items()}
        status = {"missing": b"404 Not Found"}
        self.plain = {k: _response(status.get(k, b"200 OK"), v) for k, v in bodies.items()}
        self.gzip = (
            {
                k: _response(status.get(k, b"200 OK"), gzip.compress(v, 6), gzipped=True)
                for k, v in bodies.items()
            }
            if use_gzip
            else self.plain
        )

    def answer(self, head: bytes) -> bytes:
        line, _, headers = head.partition(b"\r\n")
        parts = line.split(b" ")
        target = parts[1] if len(parts) == 3 else b"/"
        path = target.split(b"?", 1)[0].rstrip(b"/")
        segments = path.split(b"/")  # b"", b"v2", b"project", id, [b"version"]
        name = "missing"
        if len(segments) == 4 and segments[2] == b"project":
            name = "project"
        elif len(segments) == 5 and segments[2] == b"project" and segments[4] == b"version":
            name = "versions"
        elif path == b"/v2/search":
            return self._search(target)
        table = self.gzip if b"gzip" in headers.lower() else self.plain
        return table[name]

    def _search_body(self, limit: int, offset: int) -> bytes:
        count = max(0, min(limit, 100, SEARCH_TOTAL - offset))
        hits = self._hits[count] if count else b"[]"
        return b'{"hits":%s,"offset":%d,"limit":%d,"total_hits":%d}' % (hits, offset, limit, SEARCH_TOTAL)

    def _search(self, target: bytes) -> bytes:
        """Modrinth's paging: `limit` (default 10, clamped to 100) hits from `offset`."""
        limit, offset = 10, 0
        for pair in target.partition(b"?")[2].split(b"&"):
            key, _, value = pair.partition(b"=")
            if key == b"limit" and value.isdigit():
                limit = min(int(value), 100)
            elif key == b"offset" and value.isdigit():
                offset = int(value)
        return _response(b"200 OK", self._search_body(limit, offset))


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


class _Connection(asyncio.Protocol):
    def __init__(self, routes: _Routes) -> None:
        self._routes = routes
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        transport = self._transport
        assert transport is not None
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            # The benchmarks send GETs; a body announced by Content-Length is skipped whole.
            length = _content_length(head) if b"ength:" in head else 0
            if len(buffer) < end + 4 + length:
                break
            buffer = buffer[end + 4 + length :]
            transport.write(self._routes.answer(head))
        self._buffer = buffer


async def _serve(port: int, routes: _Routes) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(routes), "127.0.0.1", port, backlog=128)
    sock_port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": sock_port, "sizes": routes.sizes}), flush=True)
    async with server:
        # The parent stops us by closing our stdin (or killing us): exit when it is gone.
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await reader.read()


class BenchServer:
    """Starts ``_server.py`` in a subprocess; ``url`` is its Modrinth-like base URL."""

    def __init__(self, *, use_gzip: bool = False, real: bool = True) -> None:
        self._args = [sys.executable, os.path.abspath(__file__)]
        if use_gzip:
            self._args.append("--gzip")
        if not real:
            self._args.append("--synthetic")
        self._process: subprocess.Popen[str] | None = None
        self.port = 0
        self.sizes: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def start(self) -> BenchServer:
        self._process = subprocess.Popen(self._args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the benchmark server did not start (exit code {self._process.wait()})")
        info = json.loads(line)
        self.port, self.sizes = info["port"], info["sizes"]
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _selftest(requests: int = 20_000) -> None:
    """How many requests per second the server answers to a raw-socket client (no HTTP library)."""
    import socket
    import time

    with BenchServer() as server:
        size = server.sizes["project"]
        request = b"GET /v2/project/fabric-api HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            file = sock.makefile("rb")
            start = time.perf_counter()
            for _ in range(requests):
                sock.sendall(request)
                while file.readline() != b"\r\n":
                    pass
                file.read(size)
            elapsed = time.perf_counter() - start
    print(
        f"{requests / elapsed:,.0f} requests/s, {elapsed / requests * 1e6:.1f} us per request (raw socket client)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--gzip", action="store_true", help="gzip bodies for clients that accept it")
    parser.add_argument("--synthetic", action="store_true", help="never read the real project document")
    parser.add_argument("--selftest", action="store_true", help="measure the server alone and exit")
    args = parser.parse_args()
    if args.selftest:
        _selftest()
        return
    routes = _Routes(use_gzip=args.gzip, real=not args.synthetic)
    asyncio.run(_serve(args.port, routes))


if __name__ == "__main__":
    main()
