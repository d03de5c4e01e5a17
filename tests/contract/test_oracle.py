"""The contract check can fail: Prism and our own checks catch requests and responses that break the spec.

Without these, a Prism that accepted everything (or a harness that dropped its verdict) would
leave every contract test green.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from craftapis import APIError, AuthenticationError, ResponseParseError
from craftapis._errors import UnprocessableEntityError

from . import _prism
from ._prism import PrismUnavailable, ServedDocument
from ._runner import ContractRun, Outcome, _violations


def test_a_body_of_the_wrong_type_is_rejected(contract: ContractRun) -> None:
    session = contract.session("modrinth")
    call = session.prepare("projects.modify_project", "minimal")
    call.kwargs["body"].title = 5  # the spec says string
    outcome = session.call(call)
    assert outcome.status == 422
    assert any("title" in v.get("message", "") for v in outcome.violations), outcome.violations
    assert outcome.request_problems()
    assert isinstance(outcome.error, UnprocessableEntityError)


def test_missing_credentials_are_rejected_and_mapped(contract: ContractRun) -> None:
    session = contract.session("modrinth")
    call = session.prepare("users.get_user_from_auth", "minimal")
    call.headers.pop("Authorization", None)
    # the facade client authenticates every request itself: take its credentials away for this call
    saved, session.client._auth = session.client._auth, None
    try:
        outcome = session.call(call)
    finally:
        session.client._auth = saved
    assert outcome.status == 401
    assert outcome.request_problems()
    assert isinstance(outcome.error, AuthenticationError)
    assert outcome.parse_problem() is None  # a 401 raised as AuthenticationError is the right handling


def test_a_missing_required_query_parameter_is_rejected(contract: ContractRun) -> None:
    session = contract.session("modrinth")
    call = session.prepare("projects.get_projects", "minimal")
    call.kwargs["ids"] = ""  # sent as `ids=`, which Prism (like the server) reads as missing
    outcome = session.call(call)
    assert outcome.request_problems(), (outcome.status, outcome.violations)


def test_a_multipart_json_part_that_breaks_its_schema_is_caught(contract: ContractRun) -> None:
    session = contract.session("modrinth")
    call = session.prepare("versions.create_version", "minimal")
    call.kwargs["body"].data.name = 5  # Prism sees only a string part; our own check must catch it
    outcome = session.call(call)
    assert any("'data'" in p and "name" in p for p in outcome.part_problems), outcome.part_problems
    assert outcome.request_problems()


def test_the_asked_status_is_what_prism_mocks(contract: ContractRun) -> None:
    session = contract.session("modrinth")
    call = session.prepare("projects.get_project", "minimal")
    call.headers["Prefer"] = "code=404"
    outcome = session.call(call)
    assert outcome.status == 404
    assert outcome.request_problems(), "a status other than the asked 2xx must be reported"


@pytest.fixture
def outcome_parts(contract: ContractRun) -> Iterator[tuple[Any, httpx.Response]]:
    session = contract.session("modrinth")
    call = session.prepare("projects.get_project", "minimal")
    response = httpx.Response(200, json={"id": 1}, request=httpx.Request("GET", "http://127.0.0.1/project/x"))
    yield call, response


def test_a_parse_error_is_a_problem(outcome_parts: tuple[Any, httpx.Response]) -> None:
    call, response = outcome_parts
    error = ResponseParseError.from_response(response, message="did not match")
    outcome = Outcome(call, "minimal", 200, [], error=error, body=response.content)
    assert outcome.parse_problem() is not None


def test_a_json_body_parsed_to_nothing_is_a_problem(outcome_parts: tuple[Any, httpx.Response]) -> None:
    call, response = outcome_parts
    outcome = Outcome(call, "minimal", 200, [], result=None, body=response.content)
    assert "parsed to None" in (outcome.parse_problem() or "")


def test_a_field_the_model_drops_is_a_problem(outcome_parts: tuple[Any, httpx.Response]) -> None:
    call, _ = outcome_parts
    body = b'{"id": "AABBCCDD", "title": "x"}'
    outcome = Outcome(call, "minimal", 200, [], result={"id": "AABBCCDD"}, body=body)
    assert ".title dropped" in (outcome.roundtrip_problem() or "")
    assert "does not serialize back" in (outcome.parse_problem() or "")
    unwrapped = Outcome(
        call, "minimal", 200, [], result={"id": 1}, body=b'{"result": "success", "data": {"id": 1}}'
    )
    assert unwrapped.roundtrip_problem() is None  # a facade that returns the envelope's data


def test_a_cut_violation_header_still_counts() -> None:
    header = 'Too many violations! [{"location":["response","body","a"],"severity":"Error","code":"type","message":"x"},{"loc'
    response = httpx.Response(500, headers={"sl-violations": header})
    found = _violations(response)
    assert found[0]["location"] == ["response", "body", "a"]
    assert found[-1]["message"] == "(Prism cut the list short)"


def test_the_served_document_differs_only_where_prism_needs_it(contract: ContractRun) -> None:
    patched = contract.document("modrinth", upstream=False)
    served = ServedDocument.of(patched)
    assert served.renamed_paths == {}
    assert set(served.json_parts) == {
        ("POST", "/project"),
        ("POST", "/version"),
        ("POST", "/version/{}/file"),
    }
    assert all(set(parts) == {"data"} for parts in served.json_parts.values())
    restored = copy.deepcopy(served.document)
    for path, method in (("/project", "post"), ("/version", "post"), ("/version/{id}/file", "post")):
        restored["paths"][path][method]["requestBody"] = patched["paths"][path][method]["requestBody"]
    assert restored == patched

    upstream = ServedDocument.of(contract.document("modrinth", upstream=True))
    assert len(upstream.renamed_paths) == 18
    assert all("|" in old and "|" not in new for old, new in upstream.renamed_paths.items())


def test_without_node_prism_is_unavailable_with_a_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_prism, "_installed_version", lambda: None)
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(PrismUnavailable, match=r"node and npm not found on PATH.*Install Node\.js"):
        _prism.ensure_prism()


def test_the_installed_prism_is_the_pinned_one() -> None:
    manifest = json.loads((_prism.HERE / "package-lock.json").read_text(encoding="utf-8"))
    pinned = _prism.pinned_version()
    assert manifest["packages"]["node_modules/@stoplight/prism-cli"]["version"] == pinned
    assert _prism._installed_version() in (None, pinned)  # None: not installed yet (the fixture runs npm ci)


@pytest.mark.parametrize(
    ("api", "operation", "body"),
    [
        (
            "builtbybit_v2",
            "analytics.get_v2_analytics",
            {"result": "error", "error": {"code": "X", "message": "m"}},
        ),
        ("postal", "messages.get_message", {"status": "error", "data": {"code": "X", "message": "m"}}),
        ("railcraft", "pack.get_current_tag", {"result": 7, "msg": "m"}),
    ],
)
def test_an_error_envelope_in_a_2xx_must_raise_its_typed_error(
    contract: ContractRun, api: str, operation: str, body: dict[str, Any]
) -> None:
    session = contract.session(api)
    call = session.prepare(operation, "minimal")
    raw = json.dumps(body).encode()
    returned = Outcome(call, "minimal", 200, [], result={"ok": True}, body=raw)
    assert "should raise" in (returned.parse_problem() or "")  # returning a value is wrong
    request = httpx.Request("POST", "http://127.0.0.1/x")
    wrong = APIError.from_response(httpx.Response(200, request=request), code="Y", message="m")
    assert "error envelope" in (
        Outcome(call, "minimal", 200, [], error=wrong, body=raw).parse_problem() or ""
    )
    # the right error: what the facade client itself raises for this body
    right = session.client._profile.decode_error(httpx.Response(200, json=body, request=request), body)
    assert right is not None
    assert Outcome(call, "minimal", 200, [], error=right, body=raw).parse_problem() is None


def test_facade_clients_reach_prism_with_their_own_paths_and_credentials(contract: ContractRun) -> None:
    for api, operation in (("postal", "messages.get_message"), ("railcraft", "pack.get_download_details")):
        session = contract.session(api)
        outcome = session.call(session.prepare(operation, "minimal"))
        assert outcome.request_problems() == [], outcome.violations
        assert outcome.parse_problem() is None
        assert session.recorder.request is not None
        assert session.recorder.request.url.path.startswith({"postal": "/api/v1/", "railcraft": "/api/"}[api])
