"""No `Any` in a public signature of craftapis: every public function, class, method and property of
`craftapis` and its API packages (and the typed operations `client.api` returns), walked with
`typing.get_type_hints`, must say what it takes and returns. `object` is the honest type of a value
craftapis does not know (JSON of unspecified shape): a checker makes the user narrow it, `Any` would not."""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from _hints import (
    resolved_hints,  # tests/typing has no __init__.py: a package named typing would shadow the stdlib
)

PUBLIC_MODULES = [
    "craftapis",
    "craftapis.modrinth",
    "craftapis.builtbybit",
    "craftapis.builtbybit_v1",
    "craftapis.moonrope",
    "craftapis.postal",
    "craftapis.railcraft",
]
OPERATIONS_MODULES = [
    f"craftapis_generated.{p}.operations"
    for p in ("modrinth", "builtbybit_v2", "builtbybit_v1", "postal", "railcraft")
]


#: Protocols not looked into: `craftapis._operations`' `SyncCaller`/`AsyncCaller` are what every client
#: satisfies for the typed operations (`client.api` builds them; users never pass one), and their
#: `call(**kwargs: Any)` is deliberate, so that BuiltByBit's `call(..., jwt: bool | None)` fits (see there).
_PLUMBING_PROTOCOLS = {"craftapis._operations"}


def _has_any(annotation: object, seen: frozenset[int] = frozenset()) -> bool:
    """Whether `annotation` is or holds `Any`, looking into the fields of a TypedDict (`Unpack[...]` of
    `**kwargs`) and the methods of a craftapis Protocol (what a structural parameter type demands)."""
    if annotation is Any:
        return True
    if id(annotation) in seen:
        return False
    seen = seen | {id(annotation)}
    if isinstance(annotation, type) and typing.is_typeddict(annotation):
        return any(_has_any(hint, seen) for hint in resolved_hints(annotation).values())
    if (
        isinstance(annotation, type)
        and getattr(annotation, "_is_protocol", False)
        and annotation.__module__.startswith("craftapis")
        and annotation.__module__ not in _PLUMBING_PROTOCOLS
    ):
        for _, func in _members(annotation):
            if any(_has_any(hint, seen) for hint in resolved_hints(func).values()):
                return True
    return any(_has_any(arg, seen) for arg in typing.get_args(annotation))


def _members(cls: type) -> Iterator[tuple[str, object]]:
    for name, value in vars(cls).items():
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(value, property):
            yield name, value.fget
        elif isinstance(value, staticmethod | classmethod):
            yield name, value.__func__
        elif inspect.isfunction(value):
            yield name, value


def _public_objects() -> Iterator[tuple[str, object]]:
    seen: set[int] = set()
    seen_classes: set[int] = set()
    for module_name in PUBLIC_MODULES + OPERATIONS_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if id(value) in seen:
                continue
            seen.add(id(value))
            where = f"{module_name}.{name}"
            if inspect.isclass(value):
                for klass in value.__mro__:
                    if klass.__module__.startswith("craftapis") and id(klass) not in seen_classes:
                        seen_classes.add(id(klass))
                        for member, func in _members(klass):
                            yield f"{where}.{member}", func
            elif inspect.isfunction(value) or isinstance(value, types.BuiltinFunctionType):
                yield where, value


def _offences() -> list[str]:
    offences = []
    for where, func in _public_objects():
        try:
            hints = resolved_hints(func)
        except Exception as exc:  # an annotation that cannot even be evaluated is an offence too
            offences.append(f"{where}: annotations cannot be evaluated ({type(exc).__name__}: {exc})")
            continue
        bad = sorted(name for name, hint in hints.items() if _has_any(hint))
        if bad:
            offences.append(f"{where}: Any in {', '.join(bad)}")
    return sorted(set(offences))


def test_no_any_in_public_signatures() -> None:
    offences = _offences()
    assert not offences, f"{len(offences)} public signatures use Any:\n" + "\n".join(offences)


class _Loose(typing.TypedDict, total=False):
    value: Any


class _LooseProtocol(typing.Protocol):
    def run(self, value: Any) -> None: ...


_LooseProtocol.__module__ = "craftapis._probe"  # as if craftapis declared it


def test_the_walk_finds_any_wherever_a_signature_hides_it() -> None:
    """The detector itself: `Any` directly, nested in a union or a generic, in the fields of an
    `Unpack[TypedDict]` and in a Protocol's methods is found; honest types are not flagged."""

    def direct(x: Any) -> None: ...
    def nested(x: dict[str, list[Any]] | None) -> None: ...
    def unpacked(**kw: typing.Unpack[_Loose]) -> None: ...
    def structural(x: _LooseProtocol) -> None: ...
    def honest(x: dict[str, object], **kw: typing.Unpack[typing.TypedDict("_T", {"n": int})]) -> object: ...  # type: ignore[misc]

    for func in (direct, nested, unpacked, structural):
        hints = typing.get_type_hints(func, localns={"_Loose": _Loose, "_LooseProtocol": _LooseProtocol})
        assert any(_has_any(h) for h in hints.values()), func.__name__
    hints = typing.get_type_hints(honest)
    assert not any(_has_any(h) for h in hints.values())


@pytest.mark.parametrize("module_name", OPERATIONS_MODULES)
def test_typed_operations_have_no_any(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        value = getattr(module, name)
        if not inspect.isclass(value):
            continue
        for member, func in _members(value):
            hints = resolved_hints(func)
            assert not any(_has_any(h) for h in hints.values()), f"{name}.{member}: {hints}"
