"""Prism, Stoplight's OpenAPI mock server, installed from tests/contract/package-lock.json and run per spec.

`ensure_prism()` installs the pinned Prism with `npm ci` when `node_modules` is missing or holds
another version; `PrismServer` runs `prism mock --errors` on one document on a free loopback port,
waits until the port answers and kills the whole process group on `stop()`. Prism's output goes to
a log file, which a failing start quotes.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopback import unused_port

from ._scripts import coverage_script

__all__ = [
    "HERE",
    "JsonParts",
    "PrismError",
    "PrismServer",
    "PrismUnavailable",
    "ServedDocument",
    "ensure_prism",
    "pinned_version",
]

HERE = Path(__file__).resolve().parent
#: `npm ci` of ~185 packages; generous for a cold cache on a slow CI runner.
INSTALL_TIMEOUT = 300.0
#: Prism parses and dereferences the document before it listens; Modrinth's takes ~3 s on 2 cores.
START_TIMEOUT = 90.0
#: Dynamic mocks (`Prefer: dynamic=true`) are faked from the schema; a fixed seed makes them repeatable.
SEED = "craftapis"


class PrismError(RuntimeError):
    """Prism could not be installed or started. The message says why and where its log is."""


class PrismUnavailable(PrismError):
    """`node` or `npm` is not installed, so Prism cannot be installed at all."""


def pinned_version() -> str:
    """The exact @stoplight/prism-cli version tests/contract/package.json pins."""
    manifest = json.loads((HERE / "package.json").read_text(encoding="utf-8"))
    return str(manifest["devDependencies"]["@stoplight/prism-cli"])


def _installed_version() -> str | None:
    manifest = HERE / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if not manifest.exists():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8")).get("version"))


def _executable() -> Path:
    return HERE / "node_modules" / ".bin" / ("prism.cmd" if os.name == "nt" else "prism")


def ensure_prism() -> Path:
    """The path of the pinned `prism` executable, running `npm ci` first when it is missing or stale.

    Raises `PrismUnavailable` without node/npm and `PrismError` when `npm ci` fails. Test sessions
    running side by side take turns (a file lock), since `npm ci` first deletes `node_modules`.
    """
    wanted = pinned_version()
    if _installed_version() == wanted and _executable().exists():
        return _executable()
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if path is None)
        raise PrismUnavailable(
            f"{missing} not found on PATH: the contract tests run Prism {wanted} (a Node.js program). "
            "Install Node.js 18.20+ with npm to run them."
        )
    with _install_lock():
        if _installed_version() == wanted and _executable().exists():
            return _executable()  # another session installed it meanwhile
        _npm_ci(npm, wanted)
    return _executable()


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    lock_file = Path(tempfile.gettempdir()) / "craftapis-contract-npm-ci.lock"
    with lock_file.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: no lock; run one session at a time there
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _npm_ci(npm: str, wanted: str) -> None:
    try:
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PrismError(
            f"`npm ci` in {HERE} did not finish in {INSTALL_TIMEOUT:.0f} s; check access to the npm registry"
        ) from exc
    if proc.returncode != 0 or _installed_version() != wanted:
        output = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
        raise PrismError(
            f"`npm ci` in {HERE} failed (exit {proc.returncode}) to install @stoplight/prism-cli {wanted}; "
            "check access to the npm registry and that package-lock.json matches package.json:\n"
            + "\n".join(output)
        )


#: (METHOD, path shape) -> {multipart part name: the part's real schema} for the parts Prism is not given
JsonParts = dict[tuple[str, str], dict[str, Any]]
_TEMPLATE_VARIABLE = re.compile(r"\{([^}]*)\}")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass
class ServedDocument:
    """A document as Prism is given it, and what had to differ from the original for Prism's sake.

    Two Prism 5.14 limits, and nothing else, make the served copy differ:

    * Prism reads every part of a multipart/form-data body as a string (its validator keeps
      `part.data.toString()` and deserializes only `encoding.style` parts), so a JSON part such as
      Modrinth's `data` always fails `type: object`. Such parts are declared `type: string` here and
      listed in `json_parts` with their real schema, for the caller to validate itself.
    * Prism cannot route a path whose template variable is not a plain name (Modrinth's upstream
      `/project/{id|slug}` answers 404 NO_PATH_MATCHED for every request). Such variables are renamed
      (`id|slug` -> `id_slug`, in the path and its parameters) and listed in `renamed_paths`.
    """

    document: dict[str, Any]
    json_parts: JsonParts = field(default_factory=dict)
    #: original path -> the path Prism serves it under
    renamed_paths: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, document: dict[str, Any]) -> ServedDocument:
        served = cls(copy.deepcopy(document))
        served._rename_path_variables()
        served._relax_json_parts()
        return served

    def _rename_path_variables(self) -> None:
        paths: dict[str, Any] = self.document.get("paths") or {}
        for path in list(paths):
            names = [n for n in _TEMPLATE_VARIABLE.findall(path) if not _IDENTIFIER.match(n)]
            if not names:
                continue
            renames = {name: re.sub(r"[^A-Za-z0-9_.-]", "_", name) for name in names}
            new_path = path
            for old, new in renames.items():
                new_path = new_path.replace("{" + old + "}", "{" + new + "}")
            item = paths.pop(path)
            paths[new_path] = item
            self.renamed_paths[path] = new_path
            operations = [op for op in item.values() if isinstance(op, dict)]
            for holder in [item, *operations]:
                for parameter in holder.get("parameters") or []:
                    parameter = _resolve(self.document, parameter)  # components are shared: renamed once
                    if parameter.get("in") == "path" and parameter.get("name") in renames:
                        parameter["name"] = renames[parameter["name"]]

    def _relax_json_parts(self) -> None:
        for path, item in (self.document.get("paths") or {}).items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "requestBody" not in operation:
                    continue
                body = _resolve(self.document, operation["requestBody"])
                media = (body.get("content") or {}).get("multipart/form-data")
                if not media or "schema" not in media:
                    continue
                schema = copy.deepcopy(_resolve(self.document, media["schema"]))
                parts: dict[str, Any] = {}
                for name, part in (schema.get("properties") or {}).items():
                    if _resolve(self.document, part).get("type") != "string":
                        parts[name] = copy.deepcopy(part)
                        schema["properties"][name] = {
                            "type": "string",
                            "description": "a JSON part (ServedDocument)",
                        }
                if parts:
                    self.json_parts[(method.upper(), coverage_script.shape(path))] = parts
                    content = {**body["content"], "multipart/form-data": {**media, "schema": schema}}
                    operation["requestBody"] = {**body, "content": content}


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in str(node["$ref"])[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


class PrismServer:
    """One `prism mock --errors` process serving one OpenAPI document on 127.0.0.1.

    `--errors` makes Prism answer an invalid request with an error (422, or 401 for missing
    credentials) instead of a mock; either way it lists what it found in the `sl-violations`
    response header, for the request and for its own mocked response.
    """

    def __init__(self, executable: Path, document: dict[str, Any], *, name: str, workdir: Path) -> None:
        self.executable = executable
        self.name = name
        self.spec_file = workdir / f"{name}.json"
        self.log_file = workdir / f"{name}.prism.log"
        self.spec_file.write_text(json.dumps(document), encoding="utf-8")
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PrismServer:
        """Start Prism and return once its port accepts connections (retries a port taken meanwhile)."""
        for _attempt in range(3):
            self.port = unused_port()
            with self.log_file.open("wb") as log:
                command = [str(self.executable), "mock", "-h", "127.0.0.1", "-p", str(self.port)]
                self._proc = subprocess.Popen(
                    [*command, "--errors", "--seed", SEED, str(self.spec_file)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # its own process group: stop() ends node and its children
                )
            if self._wait_ready():
                return self
            if b"EADDRINUSE" not in self.log_file.read_bytes():
                break
        raise PrismError(
            f"Prism did not start for {self.name} within {START_TIMEOUT:.0f} s "
            f"(log: {self.log_file}):\n{self.log_tail()}"
        )

    def _wait_ready(self) -> bool:
        assert self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.1)
        self.stop()
        return False

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate Prism's process group, then kill it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
