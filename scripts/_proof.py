"""Prove a candidate regeneration before anything is written: real payloads, cassettes, imports, requests.

`prove()` generates the patched candidate document into a temporary folder and, in a subprocess that
imports only that candidate (`_proof_worker.py`), checks that:

1. every recorded real payload (`../shared/real-responses/<api>/*.json`, or the folder given) parses
   with the operation's generated `_parse_response`; which operation answered a file is said by
   `payloads.json` in the folder ({"file.json": "operationId"}) or by the file-name rules below;
2. every cassette body (tests/**/cassettes/**/*.yaml) answered by this API's server parses the same way;
3. every generated name the facade and the tests import still exists (a missing one is named with
   its likely successors);
4. no operation called with only its required arguments sends a query parameter (a spec `default`
   would otherwise be sent on every call).

A payload that stops parsing is named with the field the failure names (the generated code's
exception, and JSON-schema validation of the body against the candidate schema) and the upstream
changes of the report touching that field.
"""

from __future__ import annotations

import ast
import base64
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _diff import HTTP_METHODS, Report
from _specs import ROOT, Api, generate, write_root_package

__all__ = ["PAYLOAD_RULES", "Proof", "default_payloads", "prove"]

# Which operation answered a recorded body, by file name (first match wins); payloads.json overrides.
PAYLOAD_RULES: dict[str, list[tuple[str, str]]] = {
    "modrinth": [
        (r"dependencies", "getDependencies"),
        (r"search", "searchProjects"),
        (r"versions", "getProjectVersions"),
        (r"^projects", "getProjects"),
        (r"user", "getUser"),
        (r"project", "getProject"),
    ],
}


@dataclass
class Proof:
    """What the candidate proved: `errors` block a re-pin, `notes` say what was checked."""

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    candidate: Path | None = None  # the generated package folder (inside a temporary directory)


def default_payloads() -> Path:
    return Path(os.environ.get("CRAFTAPIS_REAL_RESPONSES") or ROOT.parent / "shared" / "real-responses")


def snake(name: str) -> str:
    try:
        from openapi_python_client.utils import snake_case
    except ImportError:  # pragma: no cover - the regen group always has it
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").lower()
    return str(snake_case(name))


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    out = []
    for path, item in (doc.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                out.append((method.upper(), path, item, item[method]))
    return out


def _module_of(pkg_dir: Path, package: str, operation_id: str) -> str | None:
    hits = sorted(pkg_dir.glob(f"api/*/{snake(operation_id)}.py"))
    if not hits:
        return None
    rel = hits[0].relative_to(pkg_dir).with_suffix("")
    return ".".join(["craftapis_generated", package, *rel.parts])


def _payload_cases(
    folder: Path, api: Api, doc: dict[str, Any], pkg_dir: Path, proof: Proof
) -> list[dict[str, Any]]:
    if (folder / api.name).is_dir():
        folder = folder / api.name
    files = sorted(folder.glob("*.json"))
    files = [f for f in files if f.name != "payloads.json"]
    if not files:
        proof.notes.append(f"no real payloads for {api.name} in {folder}")
        return []
    manifest: dict[str, str] = {}
    if (folder / "payloads.json").exists():
        manifest = json.loads((folder / "payloads.json").read_text(encoding="utf-8"))
    rules = PAYLOAD_RULES.get(api.name, [])
    cases = []
    for file in files:
        op_id = manifest.get(file.name) or next(
            (op for pattern, op in rules if re.search(pattern, file.stem)), None
        )
        if op_id is None:
            proof.errors.append(
                f"real payload {file.name}: no rule says which operation answered it; add it to "
                f'{folder / "payloads.json"} as {{"{file.name}": "operationId"}}'
            )
            continue
        module = _module_of(pkg_dir, api.package, op_id)
        if module is None:
            proof.errors.append(f"real payload {file.name}: the candidate has no operation {op_id}")
            continue
        cases.append(
            {
                "label": f"real payload {file.name} ({op_id} 200)",
                "module": module,
                "operation": op_id,
                "status": 200,
                "body_b64": base64.b64encode(file.read_bytes()).decode(),
                "file": str(file),
            }
        )
    return cases


def _match_operation(doc: dict[str, Any], method: str, url: str) -> dict[str, Any] | None:
    parts = urlsplit(url)
    for op_method, path, item, op in _operations(doc):
        if op_method != method.upper():
            continue
        servers = op.get("servers") or item.get("servers") or doc.get("servers") or []
        for server in servers:
            base = urlsplit(str(server.get("url", "")))
            if base.netloc != parts.netloc or not parts.path.startswith(base.path.rstrip("/")):
                continue
            rest = parts.path[len(base.path.rstrip("/")) :]
            pattern = "^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$"
            if re.match(pattern, rest):
                return op
    return None


def _cassette_cases(
    api: Api, doc: dict[str, Any], pkg_dir: Path, proof: Proof, folder: Path
) -> list[dict[str, Any]]:
    import yaml

    hosts = {urlsplit(str(s.get("url", ""))).netloc for s in doc.get("servers") or []}
    cases = []
    for file in sorted(folder.glob("**/cassettes/**/*.yaml")):
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        for index, interaction in enumerate(data.get("interactions") or []):
            request, response = interaction.get("request") or {}, interaction.get("response") or {}
            url = str(request.get("uri", ""))
            if urlsplit(url).netloc not in hosts:
                continue
            op = _match_operation(doc, str(request.get("method", "GET")), url)
            rel = file.relative_to(ROOT) if file.is_relative_to(ROOT) else file
            if op is None or not op.get("operationId"):
                proof.notes.append(
                    f"cassette {rel} #{index}: {request.get('method')} {urlsplit(url).path} is no operation "
                    f"of the spec (not parsed)"
                )
                continue
            module = _module_of(pkg_dir, api.package, op["operationId"])
            if module is None:
                continue
            body = (response.get("body") or {}).get("string", "")
            raw = body if isinstance(body, bytes) else str(body).encode()
            headers = {str(k).lower(): v for k, v in (response.get("headers") or {}).items()}
            content_type = headers.get("content-type", ["application/json"])
            cases.append(
                {
                    "label": f"cassette {rel} #{index} ({op['operationId']} {response['status']['code']})",
                    "module": module,
                    "operation": op["operationId"],
                    "status": int(response["status"]["code"]),
                    "body_b64": base64.b64encode(raw).decode(),
                    "content_type": content_type[0] if isinstance(content_type, list) else content_type,
                    "method": str(request.get("method", "GET")),
                    "url": url,
                }
            )
    return cases


def _imports(package: str, sources: list[Path]) -> list[dict[str, Any]]:
    """Every generated name of `package` that the sources import (or reach as `module.Name`)."""
    prefix = f"craftapis_generated.{package}"
    out: list[dict[str, Any]] = []
    for top in sources:
        for file in sorted(top.rglob("*.py")):
            try:
                tree = ast.parse(file.read_text(encoding="utf-8"))
            except SyntaxError:
                continue
            aliases: dict[str, str] = {}
            where = str(file.relative_to(ROOT)) if file.is_relative_to(ROOT) else str(file)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefix):
                    for alias in node.names:
                        out.append(
                            {"module": node.module, "name": alias.name, "where": f"{where}:{node.lineno}"}
                        )
                        if alias.name[:1].islower():  # a module: `module.Name` below is a generated name too
                            aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.name.startswith(prefix):
                            out.append({"module": alias.name, "name": "", "where": f"{where}:{node.lineno}"})
                            if alias.asname:
                                aliases[alias.asname] = alias.name
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id in aliases
                    and node.attr[:1].isupper()
                ):
                    out.append(
                        {
                            "module": aliases[node.value.id],
                            "name": node.attr,
                            "where": f"{where}:{node.lineno}",
                        }
                    )
    return out


def _successors(name: str, candidates: list[str]) -> list[str]:
    ends = sorted(
        (c for c in candidates if len(c) >= 6 and c != name and name.endswith(c)), key=len, reverse=True
    )
    starts = sorted(
        (c for c in candidates if len(c) >= 4 and c != name and name.startswith(c)), key=len, reverse=True
    )
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.72)
    return list(dict.fromkeys([*ends[:2], *close, *starts[:1]]))[:3]


def _names(pkg_dir: Path) -> list[str]:
    init = pkg_dir / "models" / "__init__.py"
    if not init.exists():
        return []
    tree = ast.parse(init.read_text(encoding="utf-8"))
    found = {
        a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 for a in n.names
    }
    return sorted(found)


def _schema_errors(doc: dict[str, Any], operation_id: str, status: int, body: bytes) -> list[tuple[str, str]]:
    """(field, message) of the JSON-schema violations of a body against the candidate's response schema."""
    try:
        from openapi_schema_validator import OAS30Validator
    except ImportError:  # pragma: no cover
        return []
    schema = None
    for _m, _p, _item, op in _operations(doc):
        if op.get("operationId") == operation_id:
            responses = op.get("responses") or {}
            response = responses.get(str(status)) or responses.get(status) or {}
            media = (response.get("content") or {}).get("application/json") or {}
            schema = media.get("schema")
    if schema is None:
        return []
    try:
        payload = json.loads(body)
    except ValueError:
        return []
    validator = OAS30Validator({"allOf": [schema], "components": doc.get("components") or {}})
    out = []
    for error in sorted(validator.iter_errors(payload), key=lambda e: list(map(str, e.absolute_path))):
        names = [str(p) for p in error.absolute_path if isinstance(p, str)]
        if error.validator == "required":
            match = re.match(r"'([^']+)' is a required property", error.message)
            names.append(match.group(1) if match else "?")
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        out.append((names[-1] if names else "", f"{path or '$'}: {error.message[:160]}"))
    return out


def _blame(report: Report | None, field_name: str, operation_id: str = "") -> list[str]:
    """The report's changes touching `field_name`, within what `operation_id` receives when it is known."""
    if report is None or not field_name:
        return []
    reached: set[str] | None = None
    for op in report.operations_changed:
        if op.operation_id == operation_id:
            reached = set()
            for _location, name, side in op.schemas:
                if side == "response":
                    reached |= report.closure.get(name, {name})
    lines = []
    for name, changes in report.schema_changes.items():
        if reached is not None and name not in reached:
            continue
        for change in changes:
            last = change.path.replace("[]", "").replace("{}", "").rsplit(".", 1)[-1]
            if last == field_name:
                lines.append(f"{name}.{change.path}: {change.message}")
    for op in report.operations_changed:
        for change in op.changes:
            if change.where.endswith(f" {field_name}"):
                lines.append(f"{op.label} {change.where}: {change.message}")
    return lines


def _camel_to_field(cls: str, fields: set[str]) -> str | None:
    """`ProjectRequestedStatus` -> `requested_status` when that field is one the errors name."""
    snake_cls = snake(cls)
    for f in sorted(fields, key=len, reverse=True):
        if snake_cls.endswith(f):
            return f
    return None


def _baseline_requests(package: str, modules: list[str], job: Path) -> dict[str, dict[str, str]]:
    """What the *pinned* generated package already sends unasked (a default upstream had before)."""
    pinned = ROOT / "generated"
    if not (pinned / "craftapis_generated" / package).is_dir():
        return {}
    base_job = job.with_name("baseline.json")
    base_job.write_text(json.dumps({"package": package, "requests": modules}), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_proof_worker.py")), str(base_job)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(pinned)},
        cwd=job.parent,
        check=False,
    )
    if proc.returncode != 0:
        return {}
    return {item["module"]: item["params"] for item in json.loads(proc.stdout)["requests"]}


def prove(
    api: Api,
    doc: dict[str, Any],
    lock: dict[str, Any],
    *,
    payloads: Path | None,
    report: Report | None = None,
    keep: Path | None = None,
    sources: list[Path] | None = None,
    cassettes: Path | None = None,
) -> Proof:
    """Generate `doc` (the patched candidate) into a temporary folder and prove it (see the module docstring)."""
    proof = Proof()
    tmp_ctx = tempfile.TemporaryDirectory(prefix=f"craftapis-candidate-{api.name}-")
    tmp = Path(tmp_ctx.name) if keep is None else keep
    root = tmp / "craftapis_generated"
    write_root_package(root, lock)
    generate(api, doc, root / api.package, lock)
    # the typed operations layer is part of the generated package (regenerate.py writes it too)
    from typed_ops import write as write_typed_operations

    write_typed_operations(api, doc, root / api.package, lock)
    pkg_dir = root / api.package
    proof.candidate = pkg_dir
    cases = _payload_cases(payloads, api, doc, pkg_dir, proof) if payloads is not None else []
    n_payloads = len(cases)
    cases += _cassette_cases(api, doc, pkg_dir, proof, cassettes or ROOT / "tests")
    imports = _imports(api.package, sources if sources is not None else [ROOT / "facade", ROOT / "tests"])
    requests = sorted(
        {
            m
            for op in _operations(doc)
            if (m := _module_of(pkg_dir, api.package, str(op[3].get("operationId", ""))))
        }
    )
    job = Path(tmp) / "job.json"
    job.write_text(
        json.dumps({"package": api.package, "responses": cases, "imports": imports, "requests": requests}),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(tmp)}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_proof_worker.py")), str(job)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        check=False,
    )
    if proc.returncode != 0:
        proof.errors.append(f"the candidate could not be imported: {proc.stderr.strip()[-2000:]}")
        tmp_ctx.cleanup() if keep is None else None
        return proof
    result = json.loads(proc.stdout)
    failed = 0
    for case, outcome in zip(cases, result["responses"], strict=True):
        if outcome["ok"]:
            continue
        failed += 1
        body = base64.b64decode(case["body_b64"])
        errors = _schema_errors(doc, case["operation"], case["status"], body)
        fields = {f for f, _ in errors if f}
        field_name = outcome.get("field") or ""
        if field_name and field_name[:1].isupper():
            field_name = _camel_to_field(field_name, fields) or field_name
        lines = [f"{case['label']} no longer parses: {outcome['error']}"]
        if field_name:
            lines.append(f"field {field_name!r}")
        if errors:
            lines.append("schema says " + "; ".join(m for _, m in errors[:3]))
        op_id = case["operation"]
        blamed = _blame(report, field_name, op_id) or [
            b for f in sorted(fields) for b in _blame(report, f, op_id)
        ]
        lines.append(
            ("caused by " + "; ".join(dict.fromkeys(blamed)))
            if blamed
            else "no upstream change names this field: check the patch actions touching it"
        )
        proof.errors.append(" — ".join(lines))
    proof.notes.append(
        f"{n_payloads} real payloads and {len(cases) - n_payloads} cassette bodies parsed with the candidate "
        f"({failed} failed)"
    )
    names = _names(pkg_dir)
    missing = [i for i in result["imports"] if not i["ok"]]
    for item in missing:
        succ = _successors(item["name"], names) if item["name"] else []
        hint = f"; likely successor {', '.join(succ)}" if succ else "; no close name in the candidate"
        target = f"{item['module']}.{item['name']}" if item["name"] else item["module"]
        proof.errors.append(f"{item['where']} imports {target}, which the candidate no longer has{hint}")
    proof.notes.append(
        f"{len(result['imports'])} generated names imported by facade/ and tests/ checked ({len(missing)} missing)"
    )
    baseline = _baseline_requests(api.package, requests, job)
    already: list[str] = []
    for item in result["requests"]:
        if item["module"] in baseline and baseline[item["module"]] == item["params"]:
            already.append(item["module"].rsplit(".", 1)[-1])
            continue
        sent = ", ".join(f"{k}={v}" for k, v in item["params"].items())
        proof.errors.append(
            f"{item['module']} sends {sent} when called with only its required arguments (a spec default); "
            f"patch the default away so only what the caller asks for is sent"
        )
    proof.notes.append(
        f"{len(requests)} operations called with only their required arguments"
        + (
            f" ({len(already)} send the same defaults as the pinned client: {', '.join(already)})"
            if already
            else ""
        )
    )
    if keep is None:
        tmp_ctx.cleanup()
        proof.candidate = None
    return proof
