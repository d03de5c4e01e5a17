"""The fetcher verifies every pinned document by sha256 and says what to do when one differs."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import ROOT, pinned_modrinth_name, run_script


def test_fetch_from_mirror_verifies_every_upstream_spec(mirror: Path, tmp_path: Path) -> None:
    result = run_script("fetch.py", env={"CRAFTAPIS_SPEC_CACHE": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    lock = json.loads((ROOT / "specs" / "lock.json").read_text())
    for name, entry in lock["apis"].items():
        if entry["kind"] == "upstream":
            assert f"{name}: " in result.stderr and "sha256 verified" in result.stderr
            assert (tmp_path / f"{name}.yaml").read_bytes() == (mirror / entry["mirror_name"]).read_bytes()


def test_hash_mismatch_names_the_api_both_hashes_and_the_remedy(mirror: Path, tmp_path: Path) -> None:
    fake_mirror = tmp_path / "mirror"
    fake_mirror.mkdir()
    original = (mirror / pinned_modrinth_name()).read_bytes()
    (fake_mirror / pinned_modrinth_name()).write_bytes(original + b"\n# tampered\n")
    result = run_script(
        "fetch.py",
        "--api",
        "modrinth",
        "--mirror",
        str(fake_mirror),
        env={"CRAFTAPIS_SPEC_CACHE": str(tmp_path / "c")},
    )
    assert result.returncode == 1
    lock = json.loads((ROOT / "specs" / "lock.json").read_text())
    assert "modrinth" in result.stderr
    assert lock["apis"]["modrinth"]["sha256"] in result.stderr
    import hashlib

    assert hashlib.sha256(original + b"\n# tampered\n").hexdigest() in result.stderr
    assert "scripts/update.py" in result.stderr
    assert not (tmp_path / "c" / "modrinth.yaml").exists(), "a mismatching document must not be cached"


def test_missing_mirror_file_without_network_fails_with_a_hint(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    # A proxy on a closed loopback port stands in for "no internet": nothing leaves the machine.
    result = run_script(
        "fetch.py",
        "--api",
        "modrinth",
        "--mirror",
        str(empty),
        env={
            "CRAFTAPIS_SPEC_CACHE": str(tmp_path / "c"),
            "https_proxy": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "no_proxy": "",
            "NO_PROXY": "",
        },
    )
    assert result.returncode == 1
    assert "--mirror" in result.stderr or "CRAFTAPIS_SPEC_MIRROR" in result.stderr
