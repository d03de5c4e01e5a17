"""The recording command's rules: credentials from the environment only, nothing recorded without
them, no recording in CI unless asked, writes only with `--writes` and a safe target."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from .cassettes import KEY
from .livelike import serve_all
from .recorder import main
from .scenarios import APIS

ALL_VARIABLES = sorted({v for api in APIS.values() for v in (*api.env, *api.params, *api.write_env)})


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in [*ALL_VARIABLES, "CI"]:
        monkeypatch.delenv(variable, raising=False)


def record(*argv: str, answer: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdin=io.StringIO(answer), out=out)
    return code, out.getvalue()


@pytest.mark.parametrize("api", [*APIS, "all"])
def test_without_the_variables_it_names_them_and_records_nothing(api: str, tmp_path: Path) -> None:
    code, said = record("--api", api, "--out", str(tmp_path))
    assert code == 2
    needed = [v for spec in (APIS.values() if api == "all" else [APIS[api]]) for v in spec.env]
    assert said.count("set these environment variables first") == 1
    for variable in needed:
        assert variable in said
    assert not list(tmp_path.rglob("*"))


def test_names_only_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAILCRAFT_URL", "https://towerofawesome.org/railcraftpack")
    code, said = record("--api", "railcraft", "--out", str(tmp_path))
    assert (
        code == 2 and "RAILCRAFT_CLIENT_ID, RAILCRAFT_CLIENT_SECRET" in said and "RAILCRAFT_URL" not in said
    )


def test_refuses_in_ci_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_all(["builtbybit_v1"]) as (env, args, servers):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CI", "true")
        code, said = record("--api", "builtbybit_v1", "--out", str(tmp_path), *args)
        assert code == 2 and "refusing to record in CI" in said and "--allow-ci" in said
        assert not list(tmp_path.rglob("*.yaml")) and servers["builtbybit_v1"].sent == 0
        code, said = record("--api", "builtbybit_v1", "--out", str(tmp_path), "--allow-ci", *args)
        assert code == 0, said
    assert len(list(tmp_path.rglob("*.yaml"))) == len(APIS["builtbybit_v1"].scenarios)


def test_only_reads_by_default(tmp_path: Path) -> None:
    code, said = record("--api", "all", "--synthetic", "--out", str(tmp_path))
    assert code == 0, said
    recorded = {(p.parent.name, p.stem) for p in tmp_path.rglob("*.yaml")}
    writes = {(api.name, s.name) for api in APIS.values() for s in api.scenarios if s.write}
    assert writes and not recorded & writes
    for cassette in tmp_path.rglob("*.yaml"):
        for interaction in yaml.safe_load(cassette.read_text())["interactions"]:
            method, uri = interaction["request"]["method"], interaction["request"]["uri"]
            # the only POSTs of the read scenarios: reads by POST (moonrope, Railcraft, hash lookups)
            assert method in ("GET", "POST"), (cassette, method)
            if method == "POST":
                assert uri.endswith(("/version_files", "/messages/message", "/messages/deliveries", "/")), uri


def test_writes_need_their_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODRINTH_TOKEN", "mrp_whatever_0123456789")
    code, said = record("--api", "modrinth", "--writes", "--out", str(tmp_path))
    assert code == 2 and "MODRINTH_WRITE_PROJECT" in said and not list(tmp_path.rglob("*"))


def test_modrinth_writes_go_to_staging_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODRINTH_TOKEN", "mrp_whatever_0123456789")
    monkeypatch.setenv("MODRINTH_WRITE_PROJECT", "AABBCCDD")
    code, said = record(
        "--api", "modrinth", "--writes", "--base-url", "https://api.modrinth.com/v2", "--out", str(tmp_path)
    )
    assert code == 2 and "staging-api.modrinth.com" in said and not list(tmp_path.rglob("*.yaml"))
    code, said = record(
        "--api",
        "modrinth",
        "--writes",
        "--synthetic",
        "--scenario",
        "create_and_delete_version",
        "--out",
        str(tmp_path),
    )
    assert code == 0, said
    cassette = yaml.safe_load((tmp_path / "modrinth" / "create_and_delete_version.yaml").read_text())
    requests = [(i["request"]["method"], i["request"]["uri"]) for i in cassette["interactions"]]
    assert [m for m, _ in requests] == ["POST", "DELETE"]
    assert all(uri.startswith("https://staging-api.modrinth.com/v2/version") for _, uri in requests)
    assert cassette["metadata"][KEY]["base_url"] == "https://staging-api.modrinth.com/v2"


def test_other_writes_warn_and_wait_for_yes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_all(["postal"]) as (env, _args, servers):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        # no --base-url: to the recorder this is the real server named by POSTAL_URL
        code, said = record("--api", "postal", "--writes", "--out", str(tmp_path), answer="no\n")
        assert code == 1 and "WARNING" in said and "sends one real e-mail" in said and "declined" in said
        assert servers["postal"].sent == 0 and not list(tmp_path.rglob("*.yaml"))
        code, said = record("--api", "postal", "--writes", "--out", str(tmp_path), answer="yes\n")
        assert code == 0, said
    sent = yaml.safe_load((tmp_path / "postal" / "send_message.yaml").read_text())
    assert sent["metadata"][KEY]["source"] == "live"
    assert all(i["request"]["uri"].startswith("https://postal.example.com/") for i in sent["interactions"])


def test_apis_without_writes_say_so(tmp_path: Path) -> None:
    code, said = record("--api", "railcraft", "--writes", "--synthetic", "--out", str(tmp_path))
    assert code == 0 and "railcraft defines no write scenario" in said


def test_a_failing_scenario_leaves_the_cassette_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "builtbybit_v1" / "health.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("the previous cassette\n")
    with serve_all(["builtbybit_v1"]) as (env, args, _servers):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("BUILTBYBIT_V1_TOKEN", "not-the-token-the-server-wants")  # every call: 401
        code, said = record("--api", "builtbybit_v1", "--scenario", "health", "--out", str(tmp_path), *args)
    assert code == 1 and "health: FAILED, cassette left unchanged" in said
    assert "not-the-token-the-server-wants" not in said
    assert target.read_text() == "the previous cassette\n" and not list(tmp_path.rglob(".*"))


def test_list_and_unknown_scenarios() -> None:
    code, said = record("--api", "all", "--list")
    assert code == 0
    for api in APIS.values():
        for scenario in api.scenarios:
            assert f"{api.name:14} {scenario.name:26}" in said
    code, said = record("--api", "modrinth", "--scenario", "nope")
    assert code == 2 and "no scenario named nope" in said


def test_base_url_needs_a_name_with_all() -> None:
    with pytest.raises(SystemExit, match="API=URL"):
        record("--api", "all", "--synthetic", "--base-url", "http://127.0.0.1:1")
