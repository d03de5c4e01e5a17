"""The generated Modrinth upload functions really send bytes.

A loopback HTTP server records what the generated functions send: the three raw image uploads
(``?ext=`` and the exact bytes) and the two multipart uploads (``POST /version`` and
``POST /version/{id}/file``: the JSON ``data`` part and the exact bytes of binary file parts).
These operations were dropped or could not send files before specs/patches/modrinth.overlay.yaml.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from craftapis_generated.modrinth.api.projects import add_gallery_image, change_project_icon
from craftapis_generated.modrinth.api.users import change_user_icon
from craftapis_generated.modrinth.api.versions import add_files_to_version, create_version
from craftapis_generated.modrinth.client import AuthenticatedClient
from craftapis_generated.modrinth.models import (
    AddFilesToVersionBody,
    AddFilesToVersionBodyData,
    AddFilesToVersionBodyDataFileTypes,
    AddGalleryImageExt,
    BaseVersionVersionType,
    ChangeProjectIconExt,
    ChangeUserIconExt,
    CreatableVersion,
    CreateVersionBody,
    FileType,
    Version,
)
from craftapis_generated.modrinth.types import File

TOKEN = "mrp_test_token"
# Not valid UTF-8, with NUL, CR/LF and bytes that look like the start of a multipart delimiter.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd--\r\n-\x80\x81"
JAR = b"PK\x03\x04\x14\x00\x08\x08\x00\x00\xc3\x28\xff\xfe\r\n--not-a-boundary\r\n\x00\x01\xe9\xe8"
SOURCES = bytes(range(256)) * 3


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    base_url: str
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> Recorded:
        with self.lock:
            assert len(self.requests) == 1, f"expected one request, got {len(self.requests)}"
            return self.requests.pop()


VERSION_JSON: dict[str, Any] = {
    "id": "IIJJKKLL",
    "project_id": "AABBCCDD",
    "author_id": "EEFFGGHH",
    "featured": False,
    "name": "Version 1.0.0",
    "version_number": "1.0.0",
    "changelog": None,
    "changelog_url": None,
    "date_published": "2023-01-01T00:00:00Z",
    "downloads": 0,
    "version_type": "release",
    "status": "listed",
    "requested_status": None,
    "files": [],
    "dependencies": [],
    "game_versions": ["1.20.1"],
    "loaders": ["fabric"],
}


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _record(self) -> None:
            url = urlsplit(self.path)
            with server.lock:
                server.requests.append(
                    Recorded(
                        method=self.command,
                        path=url.path,
                        query=parse_qs(url.query, keep_blank_values=True),
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=self._body(),
                    )
                )
            if self.command == "POST" and url.path == "/version":
                payload = json.dumps(VERSION_JSON).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            else:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        do_PATCH = do_POST = _record

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    state = Server(base_url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="modrinth-upload-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def client(server: Server) -> Iterator[AuthenticatedClient]:
    server.requests.clear()
    # Modrinth takes the raw token in Authorization (no "Bearer " prefix)
    with AuthenticatedClient(
        base_url=server.base_url, token=TOKEN, prefix="", raise_on_unexpected_status=True
    ) as c:
        yield c


def _parts(recorded: Recorded) -> list[EmailMessage]:
    """The parts of a multipart/form-data body, parsed by the stdlib email parser."""
    content_type = recorded.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    raw = b"Content-Type: " + content_type.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + recorded.body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    assert message.is_multipart() and not message.defects, message.defects
    parts = list(message.iter_parts())
    assert all(isinstance(p, EmailMessage) for p in parts)
    return parts  # type: ignore[return-value]


def _name(part: EmailMessage) -> str | None:
    return part.get_param("name", header="content-disposition")  # type: ignore[return-value]


def _assert_raw_upload(recorded: Recorded, method: str, path: str, ext: str) -> None:
    assert (recorded.method, recorded.path) == (method, path)
    assert recorded.query["ext"] == [ext]
    assert recorded.headers["authorization"] == TOKEN
    # the one raw-bytes body openapi-python-client 0.29 generates; Labrinth takes the type from ?ext=
    assert recorded.headers["content-type"] == "application/octet-stream"
    assert recorded.headers["content-length"] == str(len(PNG))
    assert recorded.body == PNG


# --- raw image uploads ----------------------------------------------------------------------------


def test_change_project_icon_sends_the_image_bytes(server: Server, client: AuthenticatedClient) -> None:
    response = change_project_icon.sync_detailed(
        "my_project", client=client, body=File(payload=io.BytesIO(PNG)), ext=ChangeProjectIconExt.PNG
    )
    assert response.status_code == 204
    _assert_raw_upload(server.take(), "PATCH", "/project/my_project/icon", "png")


def test_add_gallery_image_sends_the_image_bytes(server: Server, client: AuthenticatedClient) -> None:
    response = add_gallery_image.sync_detailed(
        "AABBCCDD",
        client=client,
        body=File(payload=io.BytesIO(PNG), file_name="shot.png", mime_type="image/png"),
        ext=AddGalleryImageExt.PNG,
        featured=True,
        title="My shot",
        ordering=2,
    )
    assert response.status_code == 204
    recorded = server.take()
    _assert_raw_upload(recorded, "POST", "/project/AABBCCDD/gallery", "png")
    assert recorded.query["featured"] == ["true"]
    assert recorded.query["title"] == ["My shot"]
    assert recorded.query["ordering"] == ["2"]


def test_change_user_icon_sends_the_image_bytes(server: Server, client: AuthenticatedClient) -> None:
    response = change_user_icon.sync_detailed(
        "my_user", client=client, body=File(payload=io.BytesIO(PNG)), ext=ChangeUserIconExt.WEBP
    )
    assert response.status_code == 204
    _assert_raw_upload(server.take(), "PATCH", "/user/my_user/icon", "webp")


# --- multipart uploads ----------------------------------------------------------------------------


def test_create_version_sends_the_data_part_and_binary_file_parts(
    server: Server, client: AuthenticatedClient
) -> None:
    data = CreatableVersion(
        name="Version 1.0.0",
        version_number="1.0.0",
        game_versions=["1.20.1"],
        version_type=BaseVersionVersionType.RELEASE,
        loaders=["fabric"],
        featured=True,
        dependencies=[],
        project_id="AABBCCDD",
        file_parts=["mod-jar", "sources"],
        primary_file="mod-jar",
    )
    body = CreateVersionBody(data=data)
    body["mod-jar"] = File(
        payload=io.BytesIO(JAR), file_name="mod-1.0.0.jar", mime_type="application/java-archive"
    )
    body["sources"] = File(payload=io.BytesIO(SOURCES), file_name="mod-1.0.0-sources.jar")

    response = create_version.sync_detailed(client=client, body=body)

    assert response.status_code == 200
    assert isinstance(response.parsed, Version) and response.parsed.id == "IIJJKKLL"
    recorded = server.take()
    assert (recorded.method, recorded.path) == ("POST", "/version")
    assert recorded.headers["authorization"] == TOKEN
    parts = _parts(recorded)
    assert [_name(p) for p in parts] == ["data", "mod-jar", "sources"]

    data_part, jar_part, sources_part = parts
    assert data_part.get_content_type() == "application/json"
    assert data_part.get_filename() is None
    sent = json.loads(data_part.get_payload(decode=True))
    assert sent["file_parts"] == ["mod-jar", "sources"]
    assert sent["primary_file"] == "mod-jar"
    assert sent["project_id"] == "AABBCCDD"
    assert sent["version_type"] == "release"
    assert sent["game_versions"] == ["1.20.1"] and sent["loaders"] == ["fabric"]

    assert jar_part.get_filename() == "mod-1.0.0.jar"
    assert jar_part.get_content_type() == "application/java-archive"
    assert jar_part.get_payload(decode=True) == JAR
    assert sources_part.get_filename() == "mod-1.0.0-sources.jar"
    assert sources_part.get_payload(decode=True) == SOURCES


def test_add_files_to_version_sends_the_data_part_and_binary_file_parts(
    server: Server, client: AuthenticatedClient
) -> None:
    file_types = AddFilesToVersionBodyDataFileTypes()
    file_types["sources"] = FileType.SOURCES_JAR
    file_types["extra"] = None
    body = AddFilesToVersionBody(data=AddFilesToVersionBodyData(file_types=file_types))
    body["extra"] = File(payload=io.BytesIO(JAR), file_name="extra.jar", mime_type="application/java-archive")
    body["sources"] = File(payload=io.BytesIO(SOURCES), file_name="mod-sources.jar")

    response = add_files_to_version.sync_detailed("IIJJKKLL", client=client, body=body)

    assert response.status_code == 204
    recorded = server.take()
    assert (recorded.method, recorded.path) == ("POST", "/version/IIJJKKLL/file")
    parts = _parts(recorded)
    assert [_name(p) for p in parts] == ["data", "extra", "sources"]
    assert parts[0].get_content_type() == "application/json"
    assert json.loads(parts[0].get_payload(decode=True)) == {
        "file_types": {"sources": "sources-jar", "extra": None}
    }
    assert parts[1].get_filename() == "extra.jar" and parts[1].get_payload(decode=True) == JAR
    assert parts[2].get_filename() == "mod-sources.jar" and parts[2].get_payload(decode=True) == SOURCES


def test_add_files_to_version_without_data_sends_only_file_parts(
    server: Server, client: AuthenticatedClient
) -> None:
    body = AddFilesToVersionBody()
    body["file"] = File(payload=io.BytesIO(JAR), file_name="mod.jar")

    assert add_files_to_version.sync_detailed("IIJJKKLL", client=client, body=body).status_code == 204

    parts = _parts(server.take())
    assert [_name(p) for p in parts] == ["file"]
    assert parts[0].get_payload(decode=True) == JAR


def test_a_file_containing_the_stock_boundary_is_sent_intact(
    server: Server, client: AuthenticatedClient
) -> None:
    # openapi-python-client's stock template fixes the boundary to "+++"; a jar holding "\r\n--+++"
    # would then end its part early. specs/templates/endpoint_module.py.jinja lets httpx pick one.
    tricky = b'PK\x03\x04\r\n--+++\r\nContent-Disposition: form-data; name="x"\r\n\r\n--+++--\r\n\xff'
    data = CreatableVersion(
        name="v",
        version_number="1",
        game_versions=["1.20.1"],
        version_type=BaseVersionVersionType.RELEASE,
        loaders=["fabric"],
        featured=False,
        dependencies=[],
        project_id="AABBCCDD",
        file_parts=["jar"],
    )
    body = CreateVersionBody(data=data)
    body["jar"] = File(payload=io.BytesIO(tricky), file_name="tricky.jar")
    create_version.sync_detailed(client=client, body=body)
    recorded = server.take()
    assert "boundary=+++" not in recorded.headers["content-type"]
    parts = _parts(recorded)
    assert [_name(p) for p in parts] == ["data", "jar"]
    assert parts[1].get_payload(decode=True) == tricky
