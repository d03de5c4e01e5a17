"""Issue 9 item 9: every friendly method of every client, sync and async, refuses a wrong type with
TypeError or ValueError before anything is sent (a loopback server counts what reaches it: nothing).

"Wrong" is decided here from the annotation's text, independently of the checker in
`craftapis._validate`: None where the annotation has no None, an int where it names no int/float, a str
where it names no str (or string literal), a dict where it names no Mapping, a list where it names no
iterable, bytes where it names no bytes.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
import typing
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from craftapis import RetryPolicy
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis.moonrope import AsyncMoonrope, Moonrope
from craftapis.postal import AsyncPostal, Postal
from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WRONG: dict[str, st.SearchStrategy[Any]] = {
    "None": st.none(),
    "int": st.integers(),
    "str": st.text(max_size=20),
    "dict": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    "list": st.lists(st.integers(), max_size=3),
    "bytes": st.binary(max_size=20),
}
ACCEPTS = {
    "None": ("None", "Optional"),
    "int": ("int", "float"),
    "str": ("str", "Literal", "'"),
    "dict": ("Mapping", "dict", "Any"),
    "list": ("Iterable", "Sequence", "list", "Collection", "Any"),
    "bytes": ("bytes", "Any"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request (it must receive none)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _any(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _any

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _clients(url: str) -> list[Any]:
    ua = "craftapis-tests/validation/1.0 (tests@example.invalid)"
    once = RetryPolicy(max_attempts=1)  # a request that does get out fails fast (and is reported)
    return [
        Modrinth(user_agent=ua, token="mrp_x", base_url=f"{url}/v2", retry=once),
        AsyncModrinth(user_agent=ua, token="mrp_x", base_url=f"{url}/v2", retry=once),
        BuiltByBit(token="t", base_url=url, retry=once),
        AsyncBuiltByBit(token="t", base_url=url, retry=once),
        BuiltByBitV1(private_token="t", base_url=f"{url}/v1", retry=once),
        AsyncBuiltByBitV1(private_token="t", base_url=f"{url}/v1", retry=once),
        Moonrope(base_url=url, auth_headers={"X-Auth-Token": "k"}, retry=once),
        AsyncMoonrope(base_url=url, auth_headers={"X-Auth-Token": "k"}, retry=once),
        Postal(base_url=url, api_key="key", retry=once),
        AsyncPostal(base_url=url, api_key="key", retry=once),
        RailcraftPack(client_id="i", client_secret="s", base_url=url, retry=once),
        AsyncRailcraftPack(client_id="i", client_secret="s", base_url=url, retry=once),
    ]


def _friendly(client: Any) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every method the argument check wraps (the friendly methods), by name."""
    for klass in type(client).__mro__:
        for name, member in vars(klass).items():
            if not name.startswith("_") and hasattr(member, "__wrapped__") and inspect.isfunction(member):
                yield name, getattr(client, name)


def _sample(annotation: str) -> Any:
    """A valid value for a required parameter (so that the wrong one is the only wrong argument)."""
    for marker, value in (("Literal[", None), ("str", "x"), ("int", 1), ("float", 1.0), ("bool", True)):
        if marker in annotation and value is not None:
            return value
    if "Iterable" in annotation or "Sequence" in annotation:
        return ["x"]
    if "Mapping" in annotation:
        return {}
    raise LookupError(annotation)


def _resolved_text(annotation: str, module: str) -> str:
    """The annotation with the module's aliases spelled out (FacetsLike, Hints, IdList, AdKind, ...)."""
    namespace = {**vars(typing), **vars(sys.modules[module])}
    parts = []
    for part in annotation.split("|"):
        name = part.strip()
        value = namespace.get(name)
        parts.append(str(value) if value is not None and not isinstance(value, type) else name)
    return " | ".join(parts)


def _cases(clients: list[Any]) -> list[tuple[Any, str, str, dict[str, Any], str]]:
    cases = []
    for client in clients:
        for name, method in _friendly(client):
            signature = inspect.signature(method)
            required: dict[str, Any] = {}
            try:
                for p in signature.parameters.values():
                    if p.default is inspect.Parameter.empty and p.kind not in (
                        p.VAR_POSITIONAL,
                        p.VAR_KEYWORD,
                    ):
                        required[p.name] = _sample(str(p.annotation))
            except LookupError:
                continue  # a required model argument: no plain sample value to build around
            module = inspect.unwrap(method).__module__
            for p in signature.parameters.values():
                if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.annotation is inspect.Parameter.empty:
                    continue
                text = _resolved_text(str(p.annotation), module)
                if "object" in text or text == "Any":
                    continue
                for kind, markers in ACCEPTS.items():
                    if not any(marker in text for marker in markers):
                        cases.append((client, name, p.name, required, kind))
    return cases


FIXED: dict[str, Any] = {"None": None, "int": 7, "str": "x", "dict": {"a": 1}, "list": [1], "bytes": b"x"}


def _refused(case: tuple[Any, str, str, dict[str, Any], str], wrong: Any) -> str | None:
    """None when the call raised TypeError/ValueError naming the method or parameter, else what happened."""
    client, name, parameter, required, _ = case
    try:
        outcome = getattr(client, name)(**{**required, parameter: wrong})
        if inspect.isawaitable(outcome):
            asyncio.run(outcome)
    except (TypeError, ValueError) as exc:
        return None if parameter in str(exc) or name in str(exc) else f"message names neither: {exc}"
    except BaseException as exc:
        return f"raised {exc!r:.200}"
    return "accepted it"


@pytest.fixture(scope="module")
def cases(server: tuple[str, list[str]]) -> list[tuple[Any, str, str, dict[str, Any], str]]:
    found = _cases(_clients(server[0]))
    methods = {(type(c).__name__, n) for c, n, *_ in found}
    assert len(methods) >= 100, sorted(methods)  # every client's friendly methods, both twins
    return found


def test_every_friendly_method_refuses_each_wrong_type(
    cases: list[tuple[Any, str, str, dict[str, Any], str]], server: tuple[str, list[str]]
) -> None:
    failures = []
    for case in cases:
        problem = _refused(case, FIXED[case[4]])
        if problem is not None:
            failures.append(f"{type(case[0]).__name__}.{case[1]}({case[2]}=<{case[4]}>): {problem}")
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} of {len(cases)} cases)"
    assert server[1] == [], f"requests reached the loopback server: {server[1][:10]}"


def test_wrong_values_drawn_by_hypothesis_are_refused_before_sending(
    cases: list[tuple[Any, str, str, dict[str, Any], str]], server: tuple[str, list[str]]
) -> None:
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(cases))
        wrong = data.draw(WRONG[case[4]])
        problem = _refused(case, wrong)
        assert problem is None, f"{type(case[0]).__name__}.{case[1]}({case[2]}={wrong!r}): {problem}"

    check()
    assert server[1] == [], f"requests reached the loopback server: {server[1][:10]}"
