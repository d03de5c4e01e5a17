"""`modrinth mrpack install`: verified downloads, sides and overrides, hostile paths, a killed install."""

from __future__ import annotations

import hashlib
import io
import json
import signal
import stat
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.modrinth.fake_folder import FolderFake, Release
from tests.modrinth.fake_modrinth import AppServer

from .conftest import Modrinth, build_fake, cli, start_cli, subprocess_env


def pack_entry(fake: FolderFake, path: str, content: bytes, **env: str) -> dict[str, Any]:
    url = fake.add_blob(
        f"/data/PACKFILE/{hashlib.sha1(path.encode()).hexdigest()[:8]}/{Path(path).name}", content
    )
    entry: dict[str, Any] = {
        "path": path,
        "hashes": {"sha1": hashlib.sha1(content).hexdigest(), "sha512": hashlib.sha512(content).hexdigest()},
        "downloads": [url],
        "fileSize": len(content),
    }
    if env:
        entry["env"] = env
    return entry


def make_pack(
    files: list[dict[str, Any]],
    overrides: dict[str, bytes] | None = None,
    *,
    symlink: str | None = None,
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        index = {
            "formatVersion": 1,
            "game": "minecraft",
            "versionId": "1.0.0",
            "name": "Test Pack",
            "files": files,
            "dependencies": {"minecraft": "1.20.1", "fabric-loader": "0.15.0"},
        }
        archive.writestr("modrinth.index.json", json.dumps(index))
        for name, content in (overrides or {}).items():
            archive.writestr(name, content)
        if symlink is not None:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc")
    return buffer.getvalue()


def standard_pack(fake: FolderFake, count: int = 4) -> bytes:
    files = [pack_entry(fake, f"mods/mod-{n}.jar", f"pack mod {n}\n".encode() * 50) for n in range(count)]
    files.append(
        pack_entry(fake, "mods/client-only.jar", b"client only", client="required", server="unsupported")
    )
    files.append(
        pack_entry(fake, "mods/server-only.jar", b"server only", client="unsupported", server="required")
    )
    return make_pack(
        files,
        {
            "overrides/config/a.toml": b"a = 1\n",
            "overrides/config/b.toml": b"b = 1\n",
            "server-overrides/config/b.toml": b"b = 2 # server\n",
            "client-overrides/options.txt": b"fov:90\n",
        },
    )


def test_server_install_downloads_verified_files_and_overrides(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path
) -> None:
    pack = tmp_path / "test.mrpack"
    pack.write_bytes(standard_pack(modrinth.fake))
    dest = tmp_path / "server"
    code, out, err = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "mrpack",
        "install",
        str(pack),
        "--dest",
        str(dest),
        "--server",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert sorted(report["downloaded"]) == sorted(
        [f"mods/mod-{n}.jar" for n in range(4)] + ["mods/server-only.jar"]
    )
    assert report["dependencies"] == {"minecraft": "1.20.1", "fabric-loader": "0.15.0"}
    assert (dest / "mods" / "mod-2.jar").read_bytes() == b"pack mod 2\n" * 50
    assert not (dest / "mods" / "client-only.jar").exists()
    assert (dest / "config" / "b.toml").read_bytes() == b"b = 2 # server\n"  # server-overrides win
    assert (dest / "config" / "a.toml").read_bytes() == b"a = 1\n"
    assert not (dest / "options.txt").exists()
    # again: everything is already there
    code, out, _ = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "mrpack",
        "install",
        str(pack),
        "-d",
        str(dest),
        "--server",
    )
    assert code == 0 and "0 downloaded, 5 already there" in out


def test_client_install_takes_the_client_side(runner: CliRunner, modrinth: Modrinth, tmp_path: Path) -> None:
    pack = tmp_path / "test.mrpack"
    pack.write_bytes(standard_pack(modrinth.fake, 1))
    dest = tmp_path / "client"
    code, out, _ = cli(
        runner, "modrinth", "--base-url", modrinth.base, "mrpack", "install", str(pack), "-d", str(dest)
    )
    assert code == 0
    assert (dest / "mods" / "client-only.jar").exists() and not (dest / "mods" / "server-only.jar").exists()
    assert (dest / "options.txt").read_bytes() == b"fov:90\n"
    assert "installed Test Pack 1.0.0" in out and "needs minecraft 1.20.1, fabric-loader 0.15.0" in out


def test_install_by_project_downloads_the_pack_first(runner: CliRunner, tmp_path: Path) -> None:
    fake = FolderFake()
    fake.add_project("the-pack", [Release("1.0.0")], project_type="modpack", extension="mrpack")
    with AppServer(fake) as server:
        fake.set_cdn_base(server.url)
        version = fake.versions_by_id[fake.history[fake.slugs["the-pack"]][0]["id"]]
        content = standard_pack(fake, 2)
        path = "/data/" + version["files"][0]["url"].split("/data/", 1)[1]
        fake.add_blob(path, content)
        version["files"][0]["hashes"] = {
            "sha1": hashlib.sha1(content).hexdigest(),
            "sha512": hashlib.sha512(content).hexdigest(),
        }
        version["files"][0]["size"] = len(content)
        dest = tmp_path / "srv"
        code, out, err = cli(
            runner,
            "modrinth",
            "--base-url",
            f"{server.url}/v2",
            "mrpack",
            "install",
            "the-pack",
            "-d",
            str(dest),
            "--server",
        )
    assert code == 0, err
    assert (dest / "mods" / "mod-1.jar").exists() and "installed Test Pack" in out


HOSTILE = [
    "../evil.jar",
    "mods/../../evil.jar",
    "/tmp/evil.jar",
    "C:/evil.jar",
    "mods\\..\\..\\evil.jar",
    "mods//evil.jar",
    "./evil.jar",
    "",
]


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_file_paths_refuse_the_whole_pack(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path, bad: str
) -> None:
    files = [pack_entry(modrinth.fake, "mods/fine.jar", b"fine"), pack_entry(modrinth.fake, bad, b"evil")]
    pack = tmp_path / "bad.mrpack"
    pack.write_bytes(make_pack(files))
    dest = tmp_path / "dest" / "inner"
    code, _, err = cli(
        runner, "modrinth", "--base-url", modrinth.base, "mrpack", "install", str(pack), "-d", str(dest)
    )
    assert code == 1 and "refused" in err and "nothing was installed" in err
    assert list(dest.iterdir()) == []
    assert not list(tmp_path.rglob("evil.jar"))
    assert not any(r.path.startswith("/data/") for r in modrinth.fake.requests)


@pytest.mark.parametrize(
    "name", ["overrides/../evil.txt", "server-overrides/../../evil.txt", "overrides//etc/evil.txt"]
)
def test_hostile_override_names_are_refused(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path, name: str
) -> None:
    pack = tmp_path / "bad.mrpack"
    pack.write_bytes(make_pack([], {name: b"evil"}))
    dest = tmp_path / "dest"
    code, _, err = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "mrpack",
        "install",
        str(pack),
        "-d",
        str(dest),
        "--server",
    )
    assert code == 1 and "refused" in err
    assert not list(tmp_path.rglob("evil.txt"))


def test_symlinks_in_the_pack_or_the_destination_are_refused(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path
) -> None:
    pack = tmp_path / "link.mrpack"
    pack.write_bytes(make_pack([], symlink="overrides/config"))
    code, _, err = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "mrpack",
        "install",
        str(pack),
        "-d",
        str(tmp_path / "d1"),
    )
    assert code == 1 and "symbolic link" in err
    # a symlink already in --dest pointing outside it
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "d2"
    dest.mkdir()
    (dest / "mods").symlink_to(outside)
    pack.write_bytes(make_pack([pack_entry(modrinth.fake, "mods/x.jar", b"x")]))
    code, _, err = cli(
        runner, "modrinth", "--base-url", modrinth.base, "mrpack", "install", str(pack), "-d", str(dest)
    )
    assert code == 1 and "outside" in err
    assert list(outside.iterdir()) == []


def test_a_corrupted_download_fails_that_file_only(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path
) -> None:
    pack = tmp_path / "test.mrpack"
    pack.write_bytes(standard_pack(modrinth.fake, 2))
    modrinth.fake.corrupt_downloads = True
    dest = tmp_path / "srv"
    code, out, _ = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "mrpack",
        "install",
        str(pack),
        "-d",
        str(dest),
        "--server",
    )
    assert code == 4 and "FAILED mods/mod-0.jar" in out
    assert not list((dest / "mods").glob("*.jar"))


def test_not_a_pack(runner: CliRunner, modrinth: Modrinth, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mrpack"
    junk.write_bytes(b"not a zip")
    code, _, err = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "mrpack",
        "install",
        str(junk),
        "-d",
        str(tmp_path / "d"),
    )
    assert code == 1 and "not a zip" in err
    empty = tmp_path / "empty.mrpack"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "hi")
    code, _, err = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "mrpack",
        "install",
        str(empty),
        "-d",
        str(tmp_path / "d"),
    )
    assert code == 1 and "modrinth.index.json" in err


def test_killed_install_leaves_only_complete_files_and_resumes(tmp_path: Path) -> None:
    fake = build_fake(0)
    fake.cdn_delay = 0.2
    with AppServer(fake) as server:
        fake.set_cdn_base(server.url)
        files = [pack_entry(fake, f"mods/m{n}.jar", f"mod {n}\n".encode() * 2000) for n in range(8)]
        pack = tmp_path / "p.mrpack"
        pack.write_bytes(make_pack(files))
        dest = tmp_path / "srv"
        args = [
            "modrinth",
            "--base-url",
            f"{server.url}/v2",
            "mrpack",
            "install",
            str(pack),
            "-d",
            str(dest),
            "--server",
        ]
        env = subprocess_env(CRAFTAPIS_CONFIG=str(tmp_path / "none.toml"))
        process = start_cli(*args, env=env)
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and len(list((dest / "mods").glob("*.jar")) if (dest / "mods").exists() else []) < 2
        ):
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        expected = {f["path"]: f["hashes"]["sha512"] for f in files}
        present = list((dest / "mods").glob("*.jar"))
        assert 2 <= len(present) < 8, "not killed mid-install"
        for jar in present:  # every file at its final path is complete and verified
            assert hashlib.sha512(jar.read_bytes()).hexdigest() == expected[f"mods/{jar.name}"]
        fake.cdn_delay = 0
        process = start_cli(*args, "--json", env=env)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        report = json.loads(out)
        assert len(report["kept"]) == len(present) and len(report["downloaded"]) == 8 - len(present)
        for path, digest in expected.items():
            assert hashlib.sha512((dest / path).read_bytes()).hexdigest() == digest
