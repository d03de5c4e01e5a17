"""The same requests against Prism serving the *unpatched* upstream documents: a report, not a verdict.

Upstream's descriptions are wrong in places (that is what specs/patches/ fixes), so this test does
not fail on a finding. It fails when the report is not produced, when a request never reached
Prism, or when a disagreement we know of (each one the reason for a patch) is missing from it, which
would mean the check has gone blind.
"""

from __future__ import annotations

import pytest
from craftapis._base import operation_names

from ._runner import MODES, PACKAGES, SUMMARY, UPSTREAM_APIS, ContractRun
from ._scripts import specs_script
from ._upstream import Finding, UpstreamReport, classify

#: (operationId, kind, text of the finding) the report must list, per upstream API
KNOWN_FINDINGS: dict[str, list[tuple[str, str, str]]] = {
    "modrinth": [
        # The three image uploads send application/octet-stream (the only raw body the generator
        # supports; Labrinth reads the type from ?ext=); upstream lists only image/* types.
        ("changeProjectIcon", "request", "Supported content types: image/png"),
        ("changeUserIcon", "request", "Supported content types: image/png"),
        ("addGalleryImage", "request", "Supported content types: image/png"),
        # Upstream's createProject `icon` part is an enum of file-name globs; the patch makes it a File.
        ("createProject", "request", "icon must be equal to one of the allowed values: *.png"),
        # Upstream's addFilesToVersion `data` part is `enum: [{}]`; the patch describes `file_types`.
        ("addFilesToVersion", "request", "multipart JSON part 'data' does not match its schema"),
        # Upstream declares UserPayoutData.balance an integer, its own example is 10.11...; patched to number.
        ("modifyUser", "request", "payout_data.balance must be integer"),
        ("getUserFromAuth", "response", "payout_data.balance must be integer"),
    ],
    "builtbybit_v2": [
        # Upstream's `with` of discover/categories is a closed enum without `Children`; the patch
        # makes it the comma-separated list the operation documents.
        ("get-v2-resources-discover-categories", "request", "query parameter with must be equal to one of"),
        # Upstream's cart/add `add` is a list of lists, its own example an object; the patch follows the example.
        ("post-v2-resources-discover-cart-add", "request", "body property add must be array"),
    ],
}
#: path templates Prism cannot route upstream (the patch renames them for openapi-python-client too)
KNOWN_RENAMED = {
    "modrinth": {"/project/{id|slug}": "/project/{id_slug}", "/user/{id|username}": "/user/{id_username}"}
}


@pytest.mark.parametrize("api", UPSTREAM_APIS)
def test_upstream_document_report(contract: ContractRun, upstream_report: UpstreamReport, api: str) -> None:
    session = contract.session(api, upstream=True)
    findings: list[Finding] = []
    operations = list(operation_names(f"craftapis_generated.{PACKAGES[api]}"))
    for dotted in operations:
        for mode in MODES:
            outcome = session.send(session.prepare(dotted, mode))
            assert outcome.status is not None, f"{outcome.call.label} never reached Prism: {outcome.error!r}"
            findings += classify(outcome)
    entry = next(a for a in specs_script.apis(specs_script.load_lock()) if a.name == api)
    title = f"{entry.title}, {entry.entry['url']} (sha256 {entry.entry['sha256']})"
    summary = upstream_report.add(
        api,
        title,
        len(operations),
        findings,
        session.served.renamed_paths,
        session.builder.sampler.bad_examples,
    )
    SUMMARY.append(summary)

    text = upstream_report.path.read_text(encoding="utf-8")
    assert f"== {api}: " in text
    for operation_id, kind, fragment in KNOWN_FINDINGS[api]:
        matching = [
            f for f in findings if f.operation_id == operation_id and f.kind == kind and fragment in f.detail
        ]
        assert matching, (
            f"the upstream report misses the known {kind} finding of {operation_id}: {fragment!r}"
        )
        assert f"({operation_id}) -> HTTP {matching[0].status}" in text
    for old, new in KNOWN_RENAMED.get(api, {}).items():
        assert session.served.renamed_paths.get(old) == new
        assert f"  {old} -> {new}" in text
