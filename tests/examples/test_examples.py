"""Every script in examples/ runs as written (a subprocess, as a user runs it) against loopback fakes.

Each example reads its credentials and base URL from the environment, so the test points it at a
fake on 127.0.0.1 and asserts what it printed, its exit code, and what reached the fake.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.appserver import AppServer
from tests.builtbybit import fake_api as bbb_fake
from tests.builtbybit_v1 import fake as v1_fake
from tests.modrinth.fake_folder import FolderFake, Release
from tests.modrinth.fake_modrinth import AppServer as ModrinthServer
from tests.modrinth.fake_modrinth import FakeModrinth
from tests.moonrope.moonrope_fake import MoonropeServer
from tests.postal.postal_fake import API_KEY, FakePostal

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def run(
    script: str, *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MODRINTH_", "BUILTBYBIT_", "POSTAL_"))}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env={
            **clean,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "facade"), str(ROOT / "generated"), str(ROOT)]),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_every_example_is_tested() -> None:
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    tested = {
        "async_crawl.py",
        "license_check.py",
        "mods_update_check.py",
        "postal_mail.py",
        "postal_webhook_receiver.py",
        "publish_version.py",
        "purchase_notifier.py",
    }
    assert set(scripts) == tested, "an example without a test (or a test without an example)"


# -- Modrinth ------------------------------------------------------------------------------------


@pytest.fixture
def folder() -> Iterator[tuple[FolderFake, str]]:
    fake = FolderFake()
    fake.add_project("alpha", [Release("1.0.0"), Release("1.1.0"), Release("2.0.0", game_versions=["1.21"])])
    fake.add_project("beta", [Release("3.0.0")])
    with ModrinthServer(fake) as server:
        fake.set_cdn_base(server.url)
        yield fake, server.url


def test_mods_update_check_downloads_what_is_newer(folder: tuple[FolderFake, str], tmp_path: Path) -> None:
    fake, url = folder
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "alpha-1.0.0.jar").write_bytes(fake.jar_bytes("alpha", "1.0.0"))
    (mods / "beta-3.0.0.jar").write_bytes(fake.jar_bytes("beta", "3.0.0"))
    (mods / "local-only.jar").write_bytes(b"a jar Modrinth never saw")
    args = ("--loader", "fabric", "--game-version", "1.20.1")
    env = {"MODRINTH_BASE_URL": f"{url}/v2"}

    dry = run("mods_update_check.py", str(mods), *args, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "alpha-1.0.0.jar: 1.1.0 is newer (alpha-1.1.0.jar)" in dry.stdout
    assert "beta-3.0.0.jar: up to date (3.0.0)" in dry.stdout
    assert "local-only.jar: not on Modrinth" in dry.stdout
    assert "3 jars, 1 with a newer version" in dry.stdout
    bulk = [s for s in fake.requests if s.path == "/v2/version_files/update"]
    assert len(bulk) == 1, "one request for the whole folder"

    done = run("mods_update_check.py", str(mods), *args, "--download", env=env)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in mods.iterdir()) == ["alpha-1.1.0.jar", "beta-3.0.0.jar", "local-only.jar"]
    assert (mods / "alpha-1.1.0.jar").read_bytes() == fake.jar_bytes("alpha", "1.1.0")


def test_publish_version_from_ci(tmp_path: Path) -> None:
    fake = FakeModrinth()
    jar = tmp_path / "myplugin-1.4.0.jar"
    jar.write_bytes(b"PK\x03\x04 a plugin jar")
    with ModrinthServer(fake) as server:
        missing = run(
            "publish_version.py",
            "AABBCCDD",
            "1.4.0",
            str(jar),
            "--loader",
            "paper",
            "--game-version",
            "1.21.1",
            env={"MODRINTH_BASE_URL": f"{server.url}/v2"},
        )
        assert missing.returncode == 2 and "MODRINTH_TOKEN" in missing.stderr
        assert not [s for s in fake.requests if s.method == "POST"]
        result = run(
            "publish_version.py",
            "AABBCCDD",
            "1.4.0",
            str(jar),
            "--loader",
            "paper",
            "--game-version",
            "1.21.1",
            env={"MODRINTH_BASE_URL": f"{server.url}/v2", "MODRINTH_TOKEN": "mrp_example_token"},
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("published 1.4.0 as ")
    posted = [s for s in fake.requests if s.method == "POST" and s.path == "/v2/version"]
    assert len(posted) == 1
    assert b"PK\x03\x04 a plugin jar" in posted[0].body
    assert posted[0].headers["authorization"] == "mrp_example_token"
    assert "mrp_example_token" not in result.stdout + result.stderr


def test_async_crawl_with_progress() -> None:
    fake = FakeModrinth(search_total=30)
    with ModrinthServer(fake) as server:
        result = run(
            "async_crawl.py",
            "fabric",
            "--limit",
            "25",
            "--concurrency",
            "4",
            env={"MODRINTH_BASE_URL": f"{server.url}/v2"},
        )
    assert result.returncode == 0, result.stderr
    assert "25 projects," in result.stdout
    searches = [s for s in fake.requests if s.path == "/v2/search"]
    versions = [s for s in fake.requests if s.path.endswith("/version")]
    assert len(searches) >= 1 and len(versions) == 25


# -- BuiltByBit ----------------------------------------------------------------------------------


def test_license_check_v2_and_v1() -> None:
    with bbb_fake.serve(bbb_fake.FakeBuiltByBit()) as url:
        own = bbb_fake.FakeBuiltByBit().own[0]
        ok = run(
            "license_check.py",
            str(own),
            str(bbb_fake.MEMBER),
            env={"BUILTBYBIT_TOKEN": bbb_fake.TOKEN, "BUILTBYBIT_BASE_URL": url},
        )
        nobody = run(
            "license_check.py",
            str(own),
            "1",
            env={"BUILTBYBIT_TOKEN": bbb_fake.TOKEN, "BUILTBYBIT_BASE_URL": url},
        )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("v2: valid")
    assert nobody.returncode == 1 and nobody.stdout.startswith("v2: no_license")
    assert bbb_fake.TOKEN not in ok.stdout + ok.stderr

    fake = v1_fake.FakeBuiltByBit()
    with AppServer(fake) as app:
        env = {
            "BUILTBYBIT_SHARED_TOKEN": v1_fake.SHARED_TOKEN,
            "BUILTBYBIT_V1_BASE_URL": f"{app.url}/v1",
            "NONCE": str(v1_fake.NONCE),
            "TIMESTAMP": str(v1_fake.NOW),
        }
        licensed = run("license_check.py", "1001", "501", env=env)
        inactive = run("license_check.py", "1001", "502", env=env)
    assert licensed.returncode == 0, licensed.stdout + licensed.stderr
    assert licensed.stdout.startswith("v1: licensed")
    assert inactive.returncode == 1 and inactive.stdout.startswith("v1: not licensed")


def test_purchase_notifier_announces_and_completes() -> None:
    fake = bbb_fake.FakeBuiltByBit(events=3)
    with bbb_fake.serve(fake) as url:
        result = run(
            "purchase_notifier.py",
            "--once",
            env={"BUILTBYBIT_TOKEN": bbb_fake.TOKEN, "BUILTBYBIT_BASE_URL": url},
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("new purchase:") == 3
    assert "handled 3, completed 3" in result.stdout
    assert sorted(i for batch in fake.completed_batches for i in batch) == [800, 801, 802]


# -- Postal --------------------------------------------------------------------------------------


def test_postal_mail_with_attachment(tmp_path: Path) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.7 an invoice")
    app = FakePostal()
    with MoonropeServer(app) as server:
        result = run(
            "postal_mail.py",
            "--from",
            "shop@example.com",
            "--to",
            "buyer@example.org",
            "--subject",
            "Your invoice",
            "--attach",
            str(invoice),
            env={"POSTAL_URL": server.url, "POSTAL_KEY": API_KEY},
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sent ")
    assert "buyer@example.org: message " in result.stdout
    stored = list(app.messages.values())
    assert [m.rcpt_to for m in stored] == ["buyer@example.org"]
    assert stored[0].attachments[0][0] == "invoice.pdf"
    assert stored[0].attachments[0][2] == b"%PDF-1.7 an invoice"
    assert API_KEY not in result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_postal_webhook_receiver_accepts_signed_and_rejects_forged() -> None:
    pytest.importorskip("cryptography", reason="webhook verification needs craftapis[crypto]")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body = json.dumps(
        {
            "event": "MessageSent",
            "timestamp": 1700000000.5,
            "uuid": "u-1",
            "payload": {
                "status": "Sent",
                "details": "ok",
                "output": "250 OK",
                "time": 0.1,
                "sent_with_ssl": True,
                "timestamp": 1700000000.4,
                "message": {
                    "id": 7,
                    "token": "t",
                    "direction": "outgoing",
                    "message_id": "m@example.com",
                    "to": "a@example.org",
                    "from": "shop@example.com",
                    "subject": "hi",
                    "timestamp": 1700000000.0,
                    "spam_status": "NotChecked",
                    "tag": None,
                },
            },
        }
    ).encode()
    signature = base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "postal_webhook_receiver.py"), "--port", str(port)],
        env={
            **os.environ,
            "POSTAL_PUBLIC_KEY": public.decode(),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "facade"), str(ROOT / "generated")]),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on http://127.0.0.1:")

        def post(data: bytes, signature: str) -> int:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/",
                data=data,
                method="POST",
                headers={"X-Postal-Signature-256": signature},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        assert post(body, signature) == 200
        assert post(body.replace(b'"Sent"', b'"Held"'), signature) == 403
        assert proc.stdout.readline().startswith("verified MessageSent")
        assert proc.stdout.readline().startswith("rejected:")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
