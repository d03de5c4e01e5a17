"""`FolderFake`: `FakeModrinth` with real project histories, for mods folders and modpacks.

`FakeModrinth` answers with a fixed handful of versions; updating a folder needs projects whose
versions differ by loader, Minecraft version and version type, and files whose bytes the CDN
serves and whose hashes the bulk endpoints know. `add_project()` builds such a project (every
version has one primary jar of unique synthetic bytes), `add_blob()` serves any bytes from the CDN
(a `.mrpack` for instance), and the endpoints below answer from them, falling back to
`FakeModrinth` for everything else:

- `POST /v2/version_files` (the version each hash is) and `POST /v2/version_files/update` (the
  newest version of each hash's project for `loaders`, `game_versions`, `version_types`);
- `GET /v2/project/{id|slug}`, `GET /v2/project/{id|slug}/version` (filters as Modrinth's),
  `GET /v2/version/{id}`;
- the CDN (`/data/...`), optionally slowed down by `cdn_delay` seconds per file.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from .fake_modrinth import FakeModrinth, Seen, digests


@dataclass
class Release:
    """One version of a fake project: its number, loaders, Minecraft versions and type."""

    number: str
    loaders: list[str] = field(default_factory=lambda: ["fabric"])
    game_versions: list[str] = field(default_factory=lambda: ["1.20.1"])
    version_type: str = "release"


def _short_id(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:8].upper()


@dataclass
class FolderFake(FakeModrinth):
    cdn_delay: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.projects: dict[str, dict[str, Any]] = {}
        self.slugs: dict[str, str] = {}
        #: project id -> its versions, newest first
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.versions_by_id: dict[str, dict[str, Any]] = {}
        self.folder_hashes: dict[str, str] = {}
        self.blobs: dict[str, bytes] = {}
        self.blob_lock = threading.Lock()

    # -- building data ---------------------------------------------------------------------------

    def add_blob(self, path: str, content: bytes) -> str:
        """Serve `content` from the CDN at `path` (`/data/...`); returns its full URL."""
        with self.blob_lock:
            self.blobs[path] = content
        return self.cdn_base + path

    def jar_bytes(self, slug: str, number: str) -> bytes:
        """The synthetic jar of `slug` at version `number` (unique per version)."""
        return b"".join(f"{slug} {number} line {i}\n".encode() for i in range(64))

    def add_project(
        self, slug: str, releases: list[Release], *, project_type: str = "mod", extension: str = "jar"
    ) -> str:
        """A project with these versions (oldest first, as published); returns its id."""
        project_id = _short_id("project", slug)
        project = self.project(project_id)
        project.update(
            id=project_id, slug=slug, title=slug.replace("-", " ").title(), project_type=project_type
        )
        versions = []
        for n, release in enumerate(releases):
            version_id = _short_id("version", slug, release.number)
            content = self.jar_bytes(slug, release.number)
            filename = f"{slug}-{release.number}.{extension}"
            path = f"/data/{project_id}/versions/{version_id}/{filename}"
            self.blobs[path] = content
            version = self.version(version_id, number=release.number, loaders=list(release.loaders))
            version.update(
                project_id=project_id,
                game_versions=list(release.game_versions),
                version_type=release.version_type,
                date_published=f"2024-01-{n + 1:02d}T12:00:00.000000Z",
            )
            version["files"][0].update(
                hashes=digests(content), url=self.cdn_base + path, filename=filename, size=len(content)
            )
            for value in digests(content).values():
                self.folder_hashes[value] = version_id
            self.versions_by_id[version_id] = version
            versions.append(version)
        versions.reverse()
        project["versions"] = [v["id"] for v in reversed(versions)]
        project["game_versions"] = sorted({g for v in versions for g in v["game_versions"]})
        project["loaders"] = sorted({x for v in versions for x in v["loaders"]})
        self.projects[project_id] = project
        self.slugs[slug] = project_id
        self.history[project_id] = versions
        return project_id

    def set_cdn_base(self, base: str) -> None:
        """Point every file URL at another CDN origin (after the server's port is known)."""
        old = self.cdn_base
        self.cdn_base = base
        for version in self.versions_by_id.values():
            for file in version["files"]:
                file["url"] = file["url"].replace(old, base, 1)

    # -- matching ----------------------------------------------------------------------------------

    def project_id_of(self, id_or_slug: str) -> str | None:
        return id_or_slug if id_or_slug in self.projects else self.slugs.get(id_or_slug)

    @staticmethod
    def matches(version: dict[str, Any], filters: dict[str, Any]) -> bool:
        loaders, games, types = (
            filters.get("loaders"),
            filters.get("game_versions"),
            filters.get("version_types"),
        )
        return (
            (loaders is None or bool(set(version["loaders"]) & set(loaders)))
            and (games is None or bool(set(version["game_versions"]) & set(games)))
            and (types is None or version["version_type"] in types)
        )

    def newest(self, project_id: str, filters: dict[str, Any]) -> dict[str, Any] | None:
        return next((v for v in self.history[project_id] if self.matches(v, filters)), None)

    # -- the API -----------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/data/") and path in self.blobs:
            body = request.read()
            with self.lock:
                self.requests.append(_seen(request, body))
            if self.cdn_delay:
                time.sleep(self.cdn_delay)
            content = self.corrupted(self.blobs[path]) if self.corrupt_downloads else self.blobs[path]
            return httpx.Response(200, content=content, headers={"content-type": "application/octet-stream"})
        answer = self._folder_api(request)
        return answer if answer is not None else super().handle(request)

    @staticmethod
    def corrupted(content: bytes) -> bytes:
        return content[:-1] + b"!"

    def _folder_api(self, request: httpx.Request) -> httpx.Response | None:
        method, path = request.method, request.url.path
        if not path.startswith("/v2/"):
            return None
        parts = path[4:].strip("/").split("/")
        if method == "POST" and parts in (["version_files"], ["version_files", "update"]):
            body = request.read()
            with self.lock:
                self.requests.append(_seen(request, body))
            payload = json.loads(body or b"{}")
            if payload.get("algorithm") not in ("sha1", "sha512"):
                return self._error(400, "invalid_input", "algorithm must be sha1 or sha512")
            if len(parts) == 1:
                mine = {
                    h: self.versions_by_id[self.folder_hashes[h]]
                    for h in payload["hashes"]
                    if h in self.folder_hashes
                }
                theirs = {h: self.version(self.by_hash[h]) for h in payload["hashes"] if h in self.by_hash}
                return self._json({**theirs, **mine})
            answer = {}
            for digest in payload["hashes"]:
                version_id = self.folder_hashes.get(digest)
                if version_id is None:
                    continue
                newest = self.newest(self.versions_by_id[version_id]["project_id"], payload)
                if newest is not None:
                    answer[digest] = newest
            return self._json(answer)
        if method == "GET" and parts[0] == "project" and len(parts) in (2, 3):
            project_id = self.project_id_of(parts[1])
            if project_id is None:
                return None
            request.read()
            with self.lock:
                self.requests.append(_seen(request, b""))
            if len(parts) == 2:
                return self._json(self.projects[project_id])
            if parts[2] != "version":
                return None
            params = request.url.params
            filters = {k: json.loads(params[k]) for k in ("loaders", "game_versions") if k in params}
            return self._json([v for v in self.history[project_id] if self.matches(v, filters)])
        if method == "GET" and parts[0] == "version" and len(parts) == 2 and parts[1] in self.versions_by_id:
            request.read()
            with self.lock:
                self.requests.append(_seen(request, b""))
            return self._json(self.versions_by_id[parts[1]])
        return None


def _seen(request: httpx.Request, body: bytes) -> Seen:
    return Seen(request.method, request.url, request.headers, body)
