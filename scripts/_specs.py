"""Shared machinery of the regeneration scripts: the lock, fetching, patching, validating, generating.

Every script in this folder is a thin command line over these functions, so `fetch`, `regenerate`,
`update` and `coverage` agree on what a spec is and how it is patched.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE",
    "GENERATED",
    "ROOT",
    "Api",
    "GenerationError",
    "PatchError",
    "SpecError",
    "SpecHashMismatch",
    "apply_patch",
    "check_patch",
    "fetch",
    "generate",
    "iter_operations",
    "load_document",
    "load_lock",
    "mirror_from",
    "patched_document",
    "validate",
]

ROOT = Path(__file__).resolve().parent.parent
LOCK = Path(os.environ.get("CRAFTAPIS_SPEC_LOCK") or ROOT / "specs" / "lock.json")
CACHE = Path(os.environ.get("CRAFTAPIS_SPEC_CACHE") or ROOT / "specs" / ".cache")
GENERATED = ROOT / "generated" / "craftapis_generated"
MIRROR_ENV = "CRAFTAPIS_SPEC_MIRROR"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class SpecError(Exception):
    """A pinned spec could not be fetched, patched, validated or generated. The message says what to do."""


class SpecHashMismatch(SpecError):
    pass


class PatchError(SpecError):
    pass


class GenerationError(SpecError):
    pass


@dataclass(frozen=True)
class Api:
    name: str
    entry: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.entry["kind"])

    @property
    def package(self) -> str:
        return str(self.entry["package"])

    @property
    def patch(self) -> Path | None:
        patch = self.entry.get("patch")
        return ROOT / patch if patch else None

    @property
    def title(self) -> str:
        return str(self.entry.get("title", self.name))


def load_lock(path: Path = LOCK) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def apis(lock: dict[str, Any], only: list[str] | None = None) -> list[Api]:
    names = list(lock["apis"])
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise SpecError(f"unknown API {', '.join(unknown)}; the lock knows {', '.join(names)}")
        names = [n for n in names if n in only]
    return [Api(n, lock["apis"][n]) for n in names]


def mirror_from(option: str | None) -> Path | None:
    """The local mirror folder: the --mirror option, else $CRAFTAPIS_SPEC_MIRROR, else none."""
    value = option or os.environ.get(MIRROR_ENV)
    return Path(value).expanduser().resolve() if value else None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "craftapis-spec-fetcher"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return bytes(response.read())
    except OSError as exc:
        raise SpecError(
            f"could not download {url}: {exc}. Without internet, point the fetch at a folder holding "
            f"the documents with --mirror DIR or {MIRROR_ENV}=DIR."
        ) from exc


def fetch(api: Api, mirror: Path | None = None, *, log: bool = True) -> bytes:
    """The bytes of the document the lock pins for `api`, verified against its sha256.

    Upstream documents come from the mirror folder when one is given and holds the file, else from
    the pinned URL; either way they are cached (git-ignored) in specs/.cache/. Authored documents
    are read from specs/authored/.
    """
    if api.kind == "authored":
        return (ROOT / api.entry["path"]).read_bytes()
    expected = api.entry["sha256"]
    cached = CACHE / f"{api.name}.yaml"
    if cached.exists() and sha256(cached.read_bytes()) == expected:
        return cached.read_bytes()
    source: str
    if mirror is not None and (mirror / api.entry["mirror_name"]).exists():
        source = str(mirror / api.entry["mirror_name"])
        data = Path(source).read_bytes()
    else:
        if mirror is not None and log:
            print(
                f"[fetch] {api.name}: mirror {mirror} has no {api.entry['mirror_name']}; using the pinned URL",
                file=sys.stderr,
            )
        source = api.entry["url"]
        data = _download(source)
    actual = sha256(data)
    if actual != expected:
        raise SpecHashMismatch(
            f"{api.name}: the document from {source} has sha256 {actual}, but specs/lock.json pins {expected}. "
            f"Upstream changed or the mirror holds another version. Review the change with "
            f"`python scripts/update.py --api {api.name}`, then re-pin with `--write` once the patches apply."
        )
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    if log:
        print(f"[fetch] {api.name}: {len(data)} bytes from {source}, sha256 verified", file=sys.stderr)
    return data


def load_document(data: bytes | str) -> dict[str, Any]:
    import yaml

    try:
        loader = yaml.CSafeLoader  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - libyaml missing
        loader = yaml.SafeLoader
    doc = yaml.load(data, Loader=loader)
    if not isinstance(doc, dict):
        raise SpecError("the document is not a mapping")
    return doc


def iter_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of an OpenAPI document."""
    for path, item in (doc.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item, dict) and method in item:
                yield method.upper(), path, item[method]


def load_patch(path: Path) -> dict[str, Any]:
    overlay = load_document(path.read_text(encoding="utf-8"))
    if not str(overlay.get("overlay", "")).startswith("1."):
        raise PatchError(f"{path}: not an OpenAPI Overlay document (missing `overlay: 1.x`)")
    for index, action in enumerate(overlay.get("actions") or []):
        if not action.get("description"):
            raise PatchError(
                f"{path}: action {index} ({action.get('target')}) says no reason in `description`"
            )
    return overlay


def _matches(doc: dict[str, Any], target: str) -> int:
    from jsonpath_ng.ext import parse

    return len(parse(target).find(doc))


def check_patch(doc: dict[str, Any], patch: Path, api_name: str) -> list[str]:
    """Every problem applying `patch` to `doc` would meet, as messages naming the action and its reason."""
    problems: list[str] = []
    try:
        apply_patch(copy.deepcopy(doc), patch, api_name, collect=problems)
    except PatchError as exc:
        problems.append(str(exc))
    return problems


def apply_patch(
    doc: dict[str, Any], patch: Path, api_name: str, *, collect: list[str] | None = None
) -> dict[str, Any]:
    """Apply an OpenAPI Overlay (1.0 update/remove, 1.1 copy) with oas-patch, one action at a time.

    oas-patch silently skips an action whose target matches nothing; a patch that no longer applies
    must be loud, so each target is checked first and a miss names the action and why it was written.
    """
    from oas_patch.overlay import apply_overlay

    overlay = load_patch(patch)
    for index, action in enumerate(overlay.get("actions") or []):
        target = action["target"]
        if _matches(doc, target) == 0:
            message = (
                f"{api_name}: patch {patch.relative_to(ROOT)} action #{index} no longer applies: target "
                f"{target} matches nothing. It was written because: {action['description'].strip()}"
            )
            if collect is None:
                raise PatchError(message)
            collect.append(message)
            continue
        if "copy" in action and _matches(doc, action["copy"]) == 0:
            message = (
                f"{api_name}: patch {patch.relative_to(ROOT)} action #{index} copies from {action['copy']}, "
                f"which matches nothing. It was written because: {action['description'].strip()}"
            )
            if collect is None:
                raise PatchError(message)
            collect.append(message)
            continue
        doc = apply_overlay(doc, {"actions": [action]})
    return doc


def patched_document(api: Api, mirror: Path | None = None, *, log: bool = True) -> dict[str, Any]:
    doc = load_document(fetch(api, mirror, log=log))
    if api.patch is not None:
        doc = apply_patch(doc, api.patch, api.name)
    return doc


def validate(doc: dict[str, Any], api_name: str) -> None:
    from openapi_spec_validator import validate as _validate

    try:
        _validate(doc)
    except Exception as exc:  # the validator raises several unrelated types
        raise SpecError(f"{api_name}: the patched document is not valid OpenAPI: {exc}") from exc


# Lines of openapi-python-client's output that mean something was not generated. It exits 0 and
# only warns when it drops an operation or a model, so its output is the only signal.
_BAD_OUTPUT = re.compile(r"WARNING|will not be generated|Unable to|Could not|Error|error:", re.IGNORECASE)


def _tool(name: str) -> str:
    """A console script of the running interpreter's environment (nox sessions put it first on PATH)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def header(api: Api, lock: dict[str, Any]) -> str:
    source = (
        f"{api.entry['url']} (sha256 {api.entry['sha256']})"
        if api.kind == "upstream"
        else f"{api.entry['path']} (authored by craftapis)"
    )
    patch = f", patched by {api.entry['patch']}" if api.entry.get("patch") else ""
    gen = lock["generator"]
    return (
        f"# Generated by craftapis `python scripts/regenerate.py` with openapi-python-client "
        f"{gen['openapi-python-client']} and ruff {gen['ruff']}\n"
        f"# from {api.title}: {source}{patch}.\n"
        f"# Do not edit: change the spec patch or the templates in specs/ and regenerate.\n"
    )


def generate(api: Api, doc: dict[str, Any], out: Path, lock: dict[str, Any]) -> list[str]:
    """Generate the raw client of `api` into `out` (a package folder). Returns the generator's output lines.

    Fails when the generator drops or warns about anything: a silently missing endpoint is a bug.
    """
    gen = lock["generator"]
    with tempfile.TemporaryDirectory(prefix=f"craftapis-{api.name}-") as tmp:
        spec_file = Path(tmp) / "openapi.json"
        spec_file.write_text(json.dumps(doc), encoding="utf-8")
        config_file = Path(tmp) / "config.json"
        config_file.write_text(json.dumps(gen["config"]), encoding="utf-8")
        pkg = Path(tmp) / api.package
        cmd = [
            _tool("openapi-python-client"),
            "generate",
            "--path",
            str(spec_file),
            "--meta",
            "none",
            "--output-path",
            str(pkg),
            "--config",
            str(config_file),
            "--custom-template-path",
            str(ROOT / gen["templates"]),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        output = (proc.stdout + proc.stderr).splitlines()
        bad = [line for line in output if _BAD_OUTPUT.search(line)]
        if proc.returncode != 0 or bad or not pkg.exists():
            detail = "\n".join(output[-60:])
            raise GenerationError(
                f"{api.name}: openapi-python-client did not generate everything (exit {proc.returncode}). "
                f"Fix the spec with a patch in {api.entry.get('patch') or api.entry.get('path')}.\n{detail}"
            )
        text = header(api, lock)
        for file in sorted(pkg.rglob("*.py")):
            file.write_text(text + file.read_text(encoding="utf-8"), encoding="utf-8")
        (pkg / "py.typed").write_text("", encoding="utf-8")
        ruff = _tool("ruff")
        for args in (
            ["check", "--isolated", "--fix-only", "--select", "F401,I", "--target-version", "py311", "-q"],
            ["format", "--isolated", "--line-length", "120", "--target-version", "py311", "-q"],
        ):
            subprocess.run([ruff, *args, str(pkg)], check=True)
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(pkg, out)
    return output


def write_root_package(dest: Path, lock: dict[str, Any]) -> None:
    """generated/craftapis_generated/__init__.py: names the raw clients, imports none of them."""
    lines = [
        '"""Raw clients generated from the API descriptions pinned in specs/lock.json.',
        "",
        "Generated by craftapis `python scripts/regenerate.py`. Do not edit. Each subpackage is one API;",
        "none is imported here, so `import craftapis` stays fast. Use them through `craftapis`.",
        '"""',
        "",
        "PACKAGES = {",
    ]
    for name, entry in lock["apis"].items():
        lines.append(f"    {name!r}: {entry['package']!r},")
    lines += ["}", "", '__all__ = ["PACKAGES"]', ""]
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "__init__.py").write_text("\n".join(lines), encoding="utf-8")
    (dest / "py.typed").write_text("", encoding="utf-8")
