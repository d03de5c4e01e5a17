"""`craftapis modrinth ...` through the CLI runner against the loopback Modrinth fake."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from .conftest import MODRINTH_TOKEN, Modrinth, cli


def test_search_table_and_json(runner: CliRunner, modrinth: Modrinth) -> None:
    code, out, _ = cli(runner, "modrinth", "--base-url", modrinth.base, "search", "shaders", "--limit", "3")
    assert code == 0
    assert "3 result(s) for 'shaders'" in out and "project-0" in out and "project-2" in out
    assert "project-3" not in out
    code, out, _ = cli(
        runner, "modrinth", "--base-url", modrinth.base, "search", "x", "-n", "2", "--type", "mod",
        "--loader", "fabric", "-g", "1.20.1", "--json",
    )  # fmt: skip
    assert code == 0
    hits = json.loads(out)
    assert [h["slug"] for h in hits] == ["project-0", "project-1"]
    sent = [s for s in modrinth.fake.requests if s.path == "/v2/search"][-1]
    assert json.loads(sent.query("facets") or "") == [
        ["project_type:mod"],
        ["categories:fabric"],
        ["versions:1.20.1"],
    ]


def test_search_refuses_an_unknown_type(runner: CliRunner, modrinth: Modrinth) -> None:
    code, _, err = cli(runner, "modrinth", "--base-url", modrinth.base, "search", "x", "--type", "car")
    assert code == 2 and "--type must be one of" in err
    assert modrinth.fake.requests == []


def test_info_and_versions(runner: CliRunner, modrinth: Modrinth) -> None:
    code, out, _ = cli(runner, "modrinth", "--base-url", modrinth.base, "info", "mod-001")
    assert code == 0 and "Mod 001" in out and "mod-001" in out
    code, out, _ = cli(runner, "modrinth", "--base-url", modrinth.base, "versions", "mod-001", "-g", "1.20.1")
    assert code == 0
    assert "2 version(s) of mod-001" in out and "1.1.0" in out and "2.0.0" not in out
    code, out, _ = cli(runner, "modrinth", "--base-url", modrinth.base, "versions", "mod-001", "--json")
    assert [v["version_number"] for v in json.loads(out)] == ["2.0.0", "1.1.0", "1.0.0"]


def test_info_of_a_missing_project_is_an_api_error(runner: CliRunner, modrinth: Modrinth) -> None:
    code, _, err = cli(runner, "modrinth", "--base-url", modrinth.base, "info", "missing")
    assert code == 1 and "error:" in err and "404" in err


def test_download_newest_compatible_verified(runner: CliRunner, modrinth: Modrinth, tmp_path: Path) -> None:
    code, out, _ = cli(
        runner, "modrinth", "--base-url", modrinth.base, "download", "mod-002",
        "--loader", "fabric", "--game-version", "1.20.1", "--dest", str(tmp_path), "--json",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["version_number"] == "1.1.0"
    path = Path(result["path"])
    assert path == tmp_path / "mod-002-1.1.0.jar"
    assert path.read_bytes() == modrinth.fake.jar_bytes("mod-002", "1.1.0")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod-002-1.1.0.jar"]


def test_download_a_corrupted_file_writes_nothing(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path
) -> None:
    modrinth.fake.corrupt_downloads = True
    code, _, err = cli(
        runner, "modrinth", "--base-url", modrinth.base, "download", "mod-002", "-d", str(tmp_path)
    )
    assert code == 1 and "sha512" in err
    assert list(tmp_path.iterdir()) == []


def test_identify_one_bulk_lookup_and_newer_versions(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path
) -> None:
    jars = modrinth.mods_folder(tmp_path / "mods", 3)
    current = tmp_path / "mods" / "mod-009-1.1.0.jar"
    current.write_bytes(modrinth.fake.jar_bytes("mod-009", "1.1.0"))
    code, out, _ = cli(
        runner, "modrinth", "--base-url", modrinth.base, "identify", str(tmp_path / "mods"),
        "--loader", "fabric", "--game-version", "1.20.1", "--json",
    )  # fmt: skip
    assert code == 3  # newer versions exist
    rows = {Path(r["path"]).name: r for r in json.loads(out)}
    assert rows["homemade.jar"]["version_id"] is None
    assert rows[jars[0].name]["version_number"] == "1.0.0"
    assert rows[jars[0].name]["newer_version_number"] == "1.1.0"
    assert rows["mod-009-1.1.0.jar"]["newer_version_id"] is None
    bulk = [s.path for s in modrinth.fake.requests if s.method == "POST"]
    assert bulk == ["/v2/version_files", "/v2/version_files/update"]
    code, out, _ = cli(
        runner, "modrinth", "--base-url", modrinth.base, "identify", str(current), "-g", "1.20.1"
    )
    assert code == 0 and "mod-009-1.1.0.jar" in out


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_update_dry_run_changes_nothing(runner: CliRunner, modrinth: Modrinth, tmp_path: Path) -> None:
    folder = tmp_path / "mods"
    modrinth.mods_folder(folder, 4)
    before = _folder_state(folder)
    code, out, _ = cli(
        runner, "modrinth", "--base-url", modrinth.base, "update", str(folder),
        "--loader", "fabric", "--game-version", "1.20.1", "--dry-run",
    )  # fmt: skip
    assert code == 3
    assert "4 update(s) for fabric 1.20.1" in out and "mod-000-1.1.0.jar" in out
    assert "would update 4, up to date 0, unknown 1, failed 0" in out
    assert "left alone" in out and "homemade.jar" in out
    assert _folder_state(folder) == before
    assert [s.path for s in modrinth.fake.requests] == ["/v2/version_files/update"]


def test_update_replaces_each_jar_and_keeps_backups(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path
) -> None:
    folder = tmp_path / "mods"
    old = modrinth.mods_folder(folder, 5)
    code, out, _ = cli(
        runner, "modrinth", "--base-url", modrinth.base, "update", str(folder),
        "-l", "fabric", "-g", "1.20.1", "--yes", "--keep-backups", "--json",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert sorted(u["new_file"] for u in result["updated"]) == [f"mod-{n:03d}-1.1.0.jar" for n in range(5)]
    assert result["unknown"] == ["homemade.jar"] and result["failed"] == []
    jars = sorted(p.name for p in folder.glob("*.jar"))
    assert jars == ["homemade.jar"] + [f"mod-{n:03d}-1.1.0.jar" for n in range(5)]
    for n in range(5):
        assert (folder / f"mod-{n:03d}-1.1.0.jar").read_bytes() == modrinth.fake.jar_bytes(
            f"mod-{n:03d}", "1.1.0"
        )
    (backups,) = (folder / ".craftapis-backups").iterdir()
    assert sorted(p.name for p in backups.iterdir()) == sorted(p.name for p in old)
    assert not (folder / ".craftapis-update").exists()
    assert [s.path for s in modrinth.fake.requests if s.method == "POST"] == ["/v2/version_files/update"]
    # a second run has nothing to do
    code, out, _ = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "update",
        str(folder),
        "-l",
        "fabric",
        "-g",
        "1.20.1",
        "--yes",
    )
    assert code == 0 and "updated 0, up to date 5, unknown 1, failed 0" in out


def test_update_without_yes_refuses_when_nobody_can_answer(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path
) -> None:
    folder = tmp_path / "mods"
    modrinth.mods_folder(folder, 2)
    before = _folder_state(folder)
    code, _, err = cli(
        runner, "modrinth", "--base-url", modrinth.base, "update", str(folder), "-l", "fabric", "-g", "1.20.1"
    )
    assert code == 2 and "--yes" in err
    assert _folder_state(folder) == before


def test_update_a_bad_download_leaves_the_old_jar(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path
) -> None:
    folder = tmp_path / "mods"
    modrinth.mods_folder(folder, 2)
    before = _folder_state(folder)
    modrinth.fake.corrupt_downloads = True
    code, out, _ = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "update",
        str(folder),
        "-l",
        "fabric",
        "-g",
        "1.20.1",
        "-y",
    )
    assert code == 4  # partly failed
    assert "FAILED mod-000-1.0.0.jar" in out and "failed 2" in out
    assert _folder_state(folder) == before


def test_update_usage_errors(runner: CliRunner, modrinth: Modrinth, tmp_path: Path) -> None:
    code, _, err = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "update",
        str(tmp_path / "nope"),
        "-l",
        "fabric",
        "-g",
        "1.20.1",
    )
    assert code == 2 and "is not a folder" in err
    code, _, err = cli(runner, "modrinth", "update", str(tmp_path), "-g", "1.20.1")
    assert code == 2 and "--loader" in err
    code, _, err = cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "update",
        str(tmp_path),
        "-l",
        "fabric",
        "-g",
        "1",
        "--version-type",
        "stable",
    )
    assert code == 2 and "release, beta, alpha" in err
    assert modrinth.fake.requests == []


def test_token_from_env_is_sent_and_never_printed(
    runner: CliRunner, modrinth: Modrinth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODRINTH_TOKEN", MODRINTH_TOKEN)
    modrinth.fake.corrupt_downloads = True  # an error message too
    for args in (["info", "mod-001"], ["info", "missing"], ["download", "mod-001", "-d", str(tmp_path)]):
        _, out, err = cli(runner, "modrinth", "--base-url", modrinth.base, *args, "--verbose")
        assert MODRINTH_TOKEN not in out + err, args
    api = [s for s in modrinth.fake.requests if s.path.startswith("/v2/")]
    assert api and all(s.headers.get("authorization") == MODRINTH_TOKEN for s in api)
    # the CDN is another origin in real life; here the same port, so only check the API got it


def test_config_file_supplies_the_base_url_and_token(
    runner: CliRunner, modrinth: Modrinth, clean_env: Path
) -> None:
    clean_env.write_text(f'[modrinth]\nbase_url = "{modrinth.base}"\ntoken = "{MODRINTH_TOKEN}"\n')
    code, out, err = cli(runner, "modrinth", "info", "mod-003")
    assert code == 0 and "mod-003" in out and MODRINTH_TOKEN not in out + err
    assert modrinth.fake.requests[-1].headers.get("authorization") == MODRINTH_TOKEN


def test_a_broken_config_file_is_a_usage_error(runner: CliRunner, clean_env: Path) -> None:
    clean_env.write_text("[modrinth\n")
    code, _, err = cli(runner, "modrinth", "info", "x")
    assert code == 2 and "not valid TOML" in err


def test_verbose_shows_retries(runner: CliRunner, modrinth: Modrinth) -> None:
    """A 429 from the fake: --verbose shows the retry and its wait on stderr."""
    original = modrinth.fake.handle
    answered: list[int] = []

    def flaky(request):  # type: ignore[no-untyped-def]
        if request.url.path == "/v2/project/mod-001" and not answered:
            answered.append(429)
            import httpx

            return httpx.Response(
                429, json={"error": "ratelimit_error", "description": "retry after 10 milliseconds"}
            )
        return original(request)

    modrinth.fake.handle = flaky  # type: ignore[method-assign]
    code, _, err = cli(runner, "modrinth", "--base-url", modrinth.base, "info", "mod-001", "--verbose")
    assert code == 0 and answered == [429]
    assert "craftapis:" in err and ("retry" in err.lower() or "wait" in err.lower())


def test_help_has_examples_and_exit_codes(runner: CliRunner) -> None:
    for args in (
        [],
        ["modrinth"],
        ["bbb"],
        ["postal"],
        ["railcraft"],
        ["modrinth", "update"],
        ["bbb", "events", "listen"],
    ):
        code, out, _ = cli(runner, *args, "--help")
        assert code == 0, args
        assert "Example" in out, args
    code, out, _ = cli(runner, "--help")
    assert "Exit codes" in out and "--install-completion" in out


def test_sha512_of_files_is_what_is_sent(runner: CliRunner, modrinth: Modrinth, tmp_path: Path) -> None:
    folder = tmp_path / "mods"
    jars = modrinth.mods_folder(folder, 1)
    cli(
        runner,
        "modrinth",
        "--base-url",
        modrinth.base,
        "update",
        str(folder),
        "-l",
        "fabric",
        "-g",
        "1.20.1",
        "--dry-run",
    )
    body = json.loads(modrinth.fake.requests[0].body)
    assert body["algorithm"] == "sha512"
    assert sorted(body["hashes"]) == sorted(
        hashlib.sha512(p.read_bytes()).hexdigest() for p in [*jars, folder / "homemade.jar"]
    )
    assert body["loaders"] == ["fabric"] and body["game_versions"] == ["1.20.1"]
