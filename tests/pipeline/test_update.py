"""`scripts/update.py` reports upstream changes the way a maintainer reads them and guards the patches."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import yaml

from .conftest import ROOT, pinned_modrinth_name, run_script


def _modified_modrinth(mirror: Path, dest: Path) -> Path:
    doc = yaml.safe_load((mirror / pinned_modrinth_name()).read_text())
    # one operation added
    doc["paths"]["/craftapis/ping"] = {
        "get": {"operationId": "craftapisPing", "responses": {"200": {"description": "pong"}}}
    }
    # one operation removed (the whole path item of a single-operation path)
    removed = "/tag/category"
    assert list(doc["paths"][removed]) == ["get"]
    del doc["paths"][removed]
    # one field made required
    user = doc["components"]["schemas"]["User"]
    assert "bio" not in (user.get("required") or [])
    user.setdefault("required", []).append("bio")
    # one patch target renamed: the path the overlay renames from {id|slug} disappears under another name
    doc["paths"]["/project/{id|slug}/iconography"] = doc["paths"].pop("/project/{id|slug}/icon")
    out = dest / "modrinth-latest.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def test_update_reports_changes_and_the_patch_that_no_longer_applies(mirror: Path, tmp_path: Path) -> None:
    latest = _modified_modrinth(mirror, tmp_path)
    lock_before = (ROOT / "specs" / "lock.json").read_bytes()
    result = run_script(
        "update.py",
        "--api",
        "modrinth",
        "--latest-file",
        str(latest),
        env={"CRAFTAPIS_SPEC_CACHE": str(tmp_path / "c")},
    )
    out = result.stdout
    assert "operations added (3)" in out and "GET /craftapis/ping (craftapisPing)" in out
    assert (
        "operations removed (3)" in out
    )  # /tag/category, and the two operations under the renamed /icon path
    assert "GET /tag/category (categoryList)" in out
    assert "     User (response):\n         [compatible] bio: became required\n" in out
    # the overlay action that renames /project/{id|slug}/icon no longer finds its target
    assert "no longer applies" in result.stderr
    assert "/project/{id|slug}/icon" in result.stderr
    assert "It was written because:" in result.stderr
    assert result.returncode == 1
    assert (ROOT / "specs" / "lock.json").read_bytes() == lock_before, (
        "the lock must be untouched without --write"
    )


def test_update_refuses_to_repin_while_a_patch_fails(mirror: Path, tmp_path: Path) -> None:
    latest = _modified_modrinth(mirror, tmp_path)
    lock = tmp_path / "lock.json"
    shutil.copy(ROOT / "specs" / "lock.json", lock)
    before = lock.read_bytes()
    result = run_script(
        "update.py",
        "--api",
        "modrinth",
        "--latest-file",
        str(latest),
        "--write",
        "--lock",
        str(lock),
        env={"CRAFTAPIS_SPEC_CACHE": str(tmp_path / "c")},
    )
    assert result.returncode == 1
    assert "not re-pinned" in result.stderr
    assert lock.read_bytes() == before


def test_update_write_repins_a_compatible_change(mirror: Path, tmp_path: Path) -> None:
    doc = yaml.safe_load((mirror / pinned_modrinth_name()).read_text())
    doc["components"]["schemas"]["GalleryImage"]["properties"]["pronouns"] = {
        "type": "string",
        "nullable": True,
    }
    latest = tmp_path / "latest.yaml"
    latest.write_text(yaml.safe_dump(doc, sort_keys=False))
    lock = tmp_path / "lock.json"
    shutil.copy(ROOT / "specs" / "lock.json", lock)
    unchanged = run_script(
        "update.py",
        "--api",
        "modrinth",
        "--latest-file",
        str(latest),
        "--lock",
        str(lock),
        env={"CRAFTAPIS_SPEC_CACHE": str(tmp_path / "c")},
    )
    assert unchanged.returncode == 3, unchanged.stderr  # changes found, patches apply
    assert (
        "     GalleryImage (response):\n         [compatible] pronouns: added (optional)\n"
        in unchanged.stdout
    )
    written = run_script(
        "update.py",
        "--api",
        "modrinth",
        "--latest-file",
        str(latest),
        "--lock",
        str(lock),
        "--write",
        "--pin-url",
        "https://example.invalid/openapi.yaml",
        "--latest-url",
        "https://example.invalid/main/openapi.yaml",
        "--out",
        str(tmp_path / "gen"),
        env={"CRAFTAPIS_SPEC_CACHE": str(tmp_path / "c")},
    )
    assert written.returncode == 3, written.stderr
    entry = json.loads(lock.read_text())["apis"]["modrinth"]
    assert entry["sha256"] == hashlib.sha256(latest.read_bytes()).hexdigest()
    assert entry["url"] == "https://example.invalid/openapi.yaml"
    assert entry["latest_url"] == "https://example.invalid/main/openapi.yaml"
    assert entry["mirror_name"] == "latest.yaml"  # the name fetch looks for in a mirror folder
    assert (tmp_path / "c" / "modrinth.yaml").read_bytes() == latest.read_bytes()
    assert "pronouns" in (tmp_path / "gen" / "modrinth" / "models" / "gallery_image.py").read_text()

    # A fresh clone: an empty cache, the lock as written, a mirror holding the document under its
    # mirror_name. fetch verifies the sha256, and regenerate reproduces the installed candidate exactly.
    fresh = {
        "CRAFTAPIS_SPEC_CACHE": str(tmp_path / "fresh-cache"),
        "CRAFTAPIS_SPEC_LOCK": str(lock),
        "CRAFTAPIS_SPEC_MIRROR": str(tmp_path),
    }
    fetched = run_script("fetch.py", "--api", "modrinth", env=fresh)
    assert fetched.returncode == 0, fetched.stderr
    assert "sha256 verified" in fetched.stderr
    regenerated = run_script(
        "regenerate.py", "--api", "modrinth", "--out", str(tmp_path / "again"), env=fresh
    )
    assert regenerated.returncode == 0, regenerated.stderr
    for file in sorted((tmp_path / "gen" / "modrinth").rglob("*.py")):
        rel = file.relative_to(tmp_path / "gen")
        assert (tmp_path / "again" / rel).read_bytes() == file.read_bytes(), rel
