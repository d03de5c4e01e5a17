"""Run inside a subprocess whose import path holds only the *candidate* generated package (see `_proof.py`).

    python _proof_worker.py JOB.json   ->  prints one JSON document with the results

JOB.json: {"package": "modrinth", "responses": [{label, module, status, body_b64, content_type,
method, url}], "imports": [{module, name, where}], "requests": [module, ...]}.

* responses: each body is handed to the operation's generated `_parse_response`, exactly as the
  generated client would; an exception is a failure (its type, message and the field it names).
* imports: every `from craftapis_generated... import NAME` the facade and tests make must resolve
  (in a typing-only stub, `calls.pyi`, as a name the stub defines).
* requests: every operation called with only its required arguments must send no query parameter
  (a spec default like `include_changelog=true` would otherwise be sent on every call).
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import re
import sys
import traceback
from typing import Any

SENTINEL = "craftapis-required-argument"


def _field(exc: BaseException) -> str | None:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    match = re.search(r"is not a valid (\w+)", str(exc))
    if match:
        return match.group(1)
    return None


def _responses(package: str, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import httpx

    client_mod = importlib.import_module(f"craftapis_generated.{package}.client")
    client = client_mod.Client(base_url="https://candidate.invalid", raise_on_unexpected_status=False)
    out = []
    for case in cases:
        result: dict[str, Any] = {"label": case["label"], "ok": True}
        try:
            module = importlib.import_module(case["module"])
            response = httpx.Response(
                case["status"],
                content=base64.b64decode(case["body_b64"]),
                headers={"content-type": case.get("content_type") or "application/json"},
                request=httpx.Request(
                    case.get("method", "GET"), case.get("url", "https://candidate.invalid/")
                ),
            )
            module._parse_response(client=client, response=response)
        except Exception as exc:  # every failure is reported, whatever its type
            frames = traceback.extract_tb(exc.__traceback__)
            result.update(
                ok=False,
                error=f"{type(exc).__name__}: {exc}",
                field=_field(exc),
                at=f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "",
            )
        out.append(result)
    return out


def _stub_names(dotted: str) -> set[str] | None:
    """The top-level names of a typing-only stub module (`calls.pyi`, nothing to import at run time),
    or None when `dotted` is not one."""
    import ast
    import importlib.util
    from pathlib import Path

    parent, _, last = dotted.rpartition(".")
    try:
        spec = importlib.util.find_spec(parent) if parent else None
    except ImportError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        stub = Path(folder) / f"{last}.pyi"
        if stub.is_file() and not stub.with_suffix(".py").exists():
            tree = ast.parse(stub.read_text(encoding="utf-8"))
            names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
            return names | {
                a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names
            }
    return None


def _imports(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        ok = True
        stub = _stub_names(item["module"])
        if stub is not None:
            out.append({**item, "ok": not item.get("name") or item["name"] in stub})
            continue
        try:
            module = importlib.import_module(item["module"])
            if item.get("name") and not hasattr(module, item["name"]):
                try:
                    importlib.import_module(f"{item['module']}.{item['name']}")
                except ImportError:
                    ok = False
        except ImportError:
            ok = False
        out.append({**item, "ok": ok})
    return out


def _requests(package: str, modules: list[str]) -> list[dict[str, Any]]:
    types = importlib.import_module(f"craftapis_generated.{package}.types")
    out = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:  # the baseline run meets operations only the candidate has
            continue
        signature = inspect.signature(module._get_kwargs)
        args: dict[str, Any] = {}
        for param in signature.parameters.values():
            if param.default is inspect.Parameter.empty:
                if param.name == "body":
                    args = {}
                    break
                args[param.name] = SENTINEL
        else:
            kwargs = module._get_kwargs(**args)
            params = {
                k: v
                for k, v in (kwargs.get("params") or {}).items()
                if v is not types.UNSET and v != SENTINEL
            }
            if params:
                out.append({"module": name, "params": {k: repr(v) for k, v in params.items()}})
    return out


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as fh:
        job = json.load(fh)
    result = {
        "responses": _responses(job["package"], job.get("responses") or []),
        "imports": _imports(job.get("imports") or []),
        "requests": _requests(job["package"], job.get("requests") or []),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
