"""Fixtures of the contract tests: the pinned Prism, one Prism per document, the session summary."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._prism import PrismError, PrismUnavailable, ensure_prism, pinned_version
from ._runner import INVALID_MOCKS, STATS, SUMMARY, ContractRun, Documents
from ._upstream import UpstreamReport


@pytest.fixture(scope="session")
def prism() -> Path:
    """The pinned Prism executable, installed with `npm ci` on first use.

    Skips only off CI when node/npm are missing; on CI (env `CI` set) that is a failure.
    """
    try:
        return ensure_prism()
    except PrismUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI is set, so the contract tests may not be skipped)")
        pytest.skip(str(exc))
    except PrismError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def spec_documents() -> Documents:
    """The patched and upstream documents, loaded once per session."""
    return Documents()


@pytest.fixture(scope="module")
def contract(
    prism: Path, spec_documents: Documents, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContractRun]:
    """Starts a Prism per document on first use; stops them at the end of the module, so none
    (~140 MB each) outlives the tests that use it in a full run."""
    run = ContractRun(prism, tmp_path_factory.mktemp("prism"), spec_documents)
    try:
        yield run
    finally:
        run.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not STATS and not SUMMARY and not INVALID_MOCKS:
        return
    terminalreporter.section("craftapis contract check (Prism)")
    for api, counts in STATS.items():
        terminalreporter.write_line(
            f"{api}: {counts['called']} operations called, {counts['accepted']} accepted by Prism, "
            f"{counts['parsed']} parsed by the client"
        )
        if counts["envelope error"]:
            terminalreporter.write_line(
                f"  {counts['envelope error']} raised the typed error for an error envelope Prism mocked in a 2xx "
                "(its code and message checked)"
            )
        if counts["static mock unavailable"]:
            terminalreporter.write_line(
                f"  {counts['static mock unavailable']} static mocks were too complex for Prism's sampler "
                "(their dynamic mocks were checked)"
            )
        if counts["invalid mock"]:
            terminalreporter.write_line(
                f"  {counts['invalid mock']} mocks Prism let through break the schema by openapi-schema-validator "
                "(a failed round trip is excused for them)"
            )
    if INVALID_MOCKS:
        terminalreporter.write_line(
            "Mocks Prism let through that break their schema by openapi-schema-validator's reading:"
        )
        for line in INVALID_MOCKS:
            terminalreporter.write_line(f"  {line[:240]}")
    for line in SUMMARY:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def upstream_report(tmp_path_factory: pytest.TempPathFactory) -> UpstreamReport:
    """The upstream report file in the session's pytest temp folder; its path is printed at the end."""
    path = tmp_path_factory.getbasetemp() / "contract-upstream-report.txt"
    header = (
        f"craftapis contract check: the requests craftapis sends, validated by Prism {pinned_version()} "
        "against the unpatched upstream documents (specs/lock.json pins them)."
    )
    SUMMARY.append(f"upstream report: {path}")
    return UpstreamReport(path, header)
