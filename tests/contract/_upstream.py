"""The upstream report: what Prism says about craftapis' requests when it serves the *unpatched* documents.

The requests are exactly those of the contract test (built from the patched document, sent by the
generated code); only the document Prism validates them against changes. A finding is not a
failure: it shows where upstream's description and what craftapis sends (or what upstream's own
examples contain) disagree, which is what the patches are for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ._runner import Outcome, describe

__all__ = ["Finding", "UpstreamReport", "classify"]

#: finding kinds, in report order
KINDS = {
    "request": "Request violations (what craftapis sends breaks the upstream document)",
    "response": "Response violations (Prism's mock from the upstream document breaks the document's own schemas)",
    "unmockable": "Request accepted, but Prism could not mock a response from the upstream document",
}


@dataclass(frozen=True)
class Finding:
    operation_id: str
    label: str
    kind: str
    status: int | None
    mode: str
    detail: str


def classify(outcome: Outcome) -> list[Finding]:
    """The findings of one upstream exchange (none when Prism accepted it and mocked the asked status)."""
    call = outcome.call
    request = [v for v in outcome.violations if (v.get("location") or ["?"])[0] == "request"]
    response = [v for v in outcome.violations if (v.get("location") or ["?"])[0] == "response"]
    other = [v for v in outcome.violations if v not in request and v not in response]

    def finding(kind: str, detail: str) -> Finding:
        return Finding(call.spec.operation_id, call.label, kind, outcome.status, outcome.mode, detail)

    found: list[Finding] = []
    if request or outcome.part_problems:
        found.append(finding("request", "; ".join(filter(None, [describe(request), *outcome.part_problems]))))
    if response:
        found.append(finding("response", describe(response + other)))
    elif other:
        found.append(finding("request" if request else "response", describe(other)))
    if not outcome.violations and outcome.status != call.expected_status and call.expected_status is not None:
        found.append(
            finding("unmockable", f"HTTP {outcome.status}: {outcome.body[:240].decode(errors='replace')}")
        )
    return found


@dataclass
class UpstreamReport:
    """The report file, rewritten as each API's section is added."""

    path: Path
    header: str
    sections: dict[str, str] = field(default_factory=dict)
    findings: dict[str, list[Finding]] = field(default_factory=dict)

    def add(
        self,
        api: str,
        title: str,
        called: int,
        findings: list[Finding],
        renamed_paths: dict[str, str],
        bad_examples: list[tuple[str, object, str]] = (),  # type: ignore[assignment]
    ) -> str:
        """Add (or replace) the section of `api`, write the file, return a one-line summary."""
        self.findings[api] = findings
        kinds = Counter(f.kind for f in findings)
        failing_ops = len({f.operation_id for f in findings})
        summary = (
            f"{api}: {called} requests, {called - failing_ops} without findings, "
            + ", ".join(f"{kinds[k]} {k}" for k in KINDS)
            + (f"; {len(renamed_paths)} paths renamed for Prism" if renamed_paths else "")
        )
        lines = [f"== {api}: {title} ==", summary, ""]
        if renamed_paths:
            lines.append(
                "Paths served to Prism under renamed template variables (Prism 5.14 cannot route a variable "
                "like `{id|slug}`: served verbatim, every request to them is 404 NO_PATH_MATCHED):"
            )
            lines += [f"  {old} -> {new}" for old, new in renamed_paths.items()]
            lines.append("")
        for kind, heading in KINDS.items():
            of_kind = [f for f in findings if f.kind == kind]
            if not of_kind:
                continue
            lines.append(f"{heading}: {len(of_kind)}")
            for f in sorted(of_kind, key=lambda f: f.label):
                lines.append(f"  {f.label} -> HTTP {f.status} [{f.mode}]: {f.detail}")
            lines.append("")
        unique: dict[tuple[str, str], tuple[str, object]] = {}
        for (
            where,
            value,
            reason,
        ) in bad_examples:  # one line per parameter/property, naming its first operation
            unique.setdefault((where.split(" ", 1)[-1], reason), (where, value))
        if unique:
            lines.append(
                "Examples in the patched document that contradict their own schema (craftapis sends synthetic "
                f"values instead; the generated docstrings repeat them): {len(unique)}"
            )
            lines += [
                f"  {where}: {value!r} ({reason})" for (_, reason), (where, value) in sorted(unique.items())
            ]
            lines.append("")
        self.sections[api] = "\n".join(lines)
        self.path.write_text(self.header + "\n\n" + "\n".join(self.sections.values()), encoding="utf-8")
        return summary
