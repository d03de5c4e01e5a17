"""Every operation of every API, called through craftapis against Prism mocking the patched spec.

Prism (Stoplight's mock server, an OpenAPI validator independent of ours) runs with `--errors`:
it rejects a request that breaks the document and reports, in the `sl-violations` header, anything
wrong with the request or with its own mocked response. Each operation is called with
`Prefer: code=<lowest 2xx>` twice: with its required arguments against the static mock (the spec's
examples), and with every argument and body property against the dynamic mock (every property
faked from the schema). The test asserts Prism accepted both requests and mocked that status, and
the client parsed both bodies into models that serialize back to the same JSON.
"""

from __future__ import annotations

from collections import Counter

import pytest
from craftapis._base import operation_names

from ._runner import API_NAMES, INVALID_MOCKS, MODES, PACKAGES, STATS, ContractRun

_POSTAL_ONE_OF = (
    "specs/authored/postal-v1.yaml: the 200 response is a oneOf of MoonropeErrorEnvelope, MoonropeMessageEnvelope, "
    "MoonropeValidationEnvelope and the success envelope, but every branch allows every MoonropeStatus value and the "
    "success `data` requires nothing, so one body matches several branches and fails `oneOf` (a discriminator does "
    "not change validation). Give each branch its own `status` enum ([error]; [parameter-error, access-denied, "
    "not-found]; [validation-error]; [success])."
)
#: Operations that fail because of a bug in a spec, stated precisely. The mark is strict: once the
#: spec is fixed the test passes, strict xfail turns that into a failure, and the entry must go.
#: Never add an entry for a client bug.
KNOWN_SPEC_BUGS: dict[tuple[str, str], str] = {}


def _operations() -> list[tuple[str, str]]:
    return [
        (api, dotted)
        for api in API_NAMES
        for dotted in operation_names(f"craftapis_generated.{PACKAGES[api]}")
    ]


OPERATIONS = _operations()


def _params() -> list[object]:
    params: list[object] = []
    for api, dotted in OPERATIONS:
        reason = KNOWN_SPEC_BUGS.get((api, dotted))
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(api, dotted, id=f"{api}:{dotted}", marks=marks))
    return params


def test_every_generated_operation_is_checked() -> None:
    """The parametrization below covers all 181 generated operations (a new one is picked up by itself)."""
    assert Counter(api for api, _ in OPERATIONS) == {
        "modrinth": 77,
        "builtbybit_v2": 37,
        "builtbybit_v1": 54,
        "postal": 4,
        "railcraft": 9,
    }
    stale = set(KNOWN_SPEC_BUGS) - set(OPERATIONS)
    assert not stale, f"KNOWN_SPEC_BUGS names operations that do not exist: {sorted(stale)}"


@pytest.mark.parametrize(("api", "operation"), _params())
def test_operation_is_accepted_by_prism_and_parsed(contract: ContractRun, api: str, operation: str) -> None:
    session = contract.session(api)
    outcomes = [session.call(session.prepare(operation, mode)) for mode in MODES]
    call = outcomes[0].call
    request_problems = [p for o in outcomes for p in o.request_problems()]
    parse_problems = [p for o in outcomes if (p := o.parse_problem()) is not None]
    counts = STATS.setdefault(api, Counter())
    counts["called"] += 1
    counts["accepted"] += not request_problems
    counts["parsed"] += not parse_problems and all(o.mocked_success or o.static_unavailable for o in outcomes)
    counts["envelope error"] += any(o.envelope_error is not None for o in outcomes)
    counts["static mock unavailable"] += any(o.static_unavailable for o in outcomes)
    invalid = [o for o in outcomes if o.mock_problem is not None and not o.violations]
    counts["invalid mock"] += bool(invalid)
    INVALID_MOCKS.extend(f"{api} {o.call.label} [{o.mode}]: {o.mock_problem}" for o in invalid)

    problems = request_problems + parse_problems
    statuses = ", ".join(f"{o.mode} HTTP {o.status}" for o in outcomes)
    assert not problems, (
        f"{call.label} [{statuses}]:\n  "
        + "\n  ".join(problems)
        + f"\n(Prism log: {session.server.log_file})"
    )
