"""The public API, as data: every public name of `craftapis` and its client packages, with `dir()` and the
`inspect.signature` of every public function, method and constructor (sync and async twins alike).

`tests/public_api.json` was taken from main before the clients were rewritten as one async source and a
generated sync twin; this test proves that rewrite (and any later change) keeps the surface users see.
A deliberate change to the public API regenerates the snapshot and commits it with the change:

    PYTHONPATH=facade:generated python -m tests.test_public_api_snapshot --write

Keyword-only parameters are compared as a set (their order is not part of a call's meaning), every
other parameter in order.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("public_api.json")
MODULES = [
    "craftapis",
    "craftapis.modrinth",
    "craftapis.builtbybit",
    "craftapis.builtbybit_v1",
    "craftapis.moonrope",
    "craftapis.postal",
    "craftapis.railcraft",
]
#: dunders that are part of how a client is used (context managers, iteration, calling)
DUNDERS = (
    "__init__",
    "__enter__",
    "__exit__",
    "__aenter__",
    "__aexit__",
    "__iter__",
    "__aiter__",
    "__call__",
)


def _param(p: inspect.Parameter) -> str:
    if isinstance(p.default, (set, frozenset)):  # str hashing is salted per process: sort the members
        p = p.replace(default=_Sorted(p.default))
    return str(p)


class _Sorted:
    def __init__(self, items: set[Any] | frozenset[Any]) -> None:
        self.text = f"{type(items).__name__}({sorted(items, key=repr)!r})"

    def __repr__(self) -> str:
        return self.text


def _signature(obj: Any) -> str | None:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    ordered = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword_only = sorted(
        (p for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY), key=lambda p: p.name
    )
    # positional parameters (and *args / **kwargs) keep their order; keyword-only ones are a set
    head = [_param(p) for p in ordered if p.kind is not inspect.Parameter.VAR_KEYWORD]
    tail = [_param(p) for p in ordered if p.kind is inspect.Parameter.VAR_KEYWORD]
    if keyword_only and not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in ordered):
        head.append("*")
    rendered = ", ".join([*head, *(_param(p) for p in keyword_only), *tail])
    ret = sig.return_annotation
    arrow = (
        ""
        if ret is inspect.Signature.empty
        else f" -> {ret if isinstance(ret, str) else inspect.formatannotation(ret)}"
    )
    # a default's repr may carry a memory address (`<function f at 0x7f...>`): not part of the API
    return re.sub(r" at 0x[0-9a-f]+>", ">", f"({rendered}){arrow}")


def _member(cls: type, name: str) -> dict[str, Any]:
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, property):
        return {"kind": "property"}
    if isinstance(raw, staticmethod):
        return {"kind": "staticmethod", "signature": _signature(raw.__func__)}
    if isinstance(raw, classmethod):
        return {"kind": "classmethod", "signature": _signature(getattr(cls, name))}
    if inspect.isfunction(raw):
        kind = "async method" if inspect.iscoroutinefunction(raw) else "method"
        if inspect.isasyncgenfunction(raw):
            kind = "async generator method"
        return {"kind": kind, "signature": _signature(raw)}
    return {"kind": "attribute", "type": type(raw).__name__}


def _describe(value: Any) -> dict[str, Any]:
    if inspect.isclass(value):
        names = [
            n for n in dir(value) if not n.startswith("_") or (n in DUNDERS and n in _own_dunders(value))
        ]
        return {
            "kind": "class",
            "bases": [b.__name__ for b in value.__mro__[1:] if b.__module__.split(".")[0] != "craftapis"]
            if not issubclass(value, BaseException)
            else [b.__name__ for b in value.__mro__[1:] if not b.__name__.startswith("_")],
            "init": _signature(value) if not issubclass(value, BaseException) else None,
            "members": {n: _member(value, n) for n in sorted(names)},
        }
    if inspect.isfunction(value):
        return {"kind": "function", "signature": _signature(value)}
    return {"kind": "value", "type": type(value).__name__}


def _own_dunders(cls: type) -> set[str]:
    return {n for klass in cls.__mro__ if klass.__module__.startswith("craftapis") for n in vars(klass)}


def public_api() -> dict[str, Any]:
    """The public surface as JSON-able data."""
    out: dict[str, Any] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        out[name] = {attr: _describe(getattr(module, attr)) for attr in sorted(module.__all__)}
    return out


def test_public_api_is_unchanged() -> None:
    expected = json.loads(SNAPSHOT.read_text())
    actual = json.loads(json.dumps(public_api()))
    for module, names in expected.items():
        assert sorted(actual[module]) == sorted(names), f"public names of {module} changed"
        for attr, description in names.items():
            assert actual[module][attr] == description, f"{module}.{attr} changed"
    assert sorted(actual) == sorted(expected)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        SNAPSHOT.write_text(json.dumps(public_api(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {SNAPSHOT}")
    else:
        print(json.dumps(public_api(), indent=1, sort_keys=True))
