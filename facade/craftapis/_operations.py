"""What the generated typed operations (`client.api.<tag>.<operation>(...)`) need at runtime.

The typed layer itself is generated (`craftapis_generated.<api>.operations`, written by
`scripts/typed_ops.py` from the same parsed spec the raw client comes from). Each of its methods checks
and converts its arguments with the helpers here, then sends through the client's `call()`, so it
gets exactly the auth, retries, pacing, error mapping and envelope unwrapping of every other call.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Iterable, Mapping
from enum import Enum
from types import ModuleType
from typing import Any, Protocol, TypeVar

__all__ = [
    "AsyncCaller",
    "SyncCaller",
    "UnknownOperationError",
    "coerce_enum",
    "coerce_model",
    "given",
    "load_operation",
    "unknown_operation",
]

E = TypeVar("E", bound=Enum)
M = TypeVar("M")


class SyncCaller(Protocol):
    """A client that sends a generated operation by name (every synchronous craftapis client).

    `Any` for the keyword arguments only so that clients with extra keywords of their own (BuiltByBit's
    `jwt=`) fit; the typed methods pass exactly the operation's parameters."""

    def call(self, operation: str, /, **kwargs: Any) -> object: ...


class AsyncCaller(Protocol):
    """A client that sends a generated operation by name and is awaited (every async craftapis client)."""

    def call(self, operation: str, /, **kwargs: Any) -> Awaitable[object]: ...


class UnknownOperationError(AttributeError):
    """`client.call("tag.operation")` named an operation the API's spec does not have.

    An `AttributeError` (like a misspelt method), its message lists the closest existing names.
    """


def _is_unset(value: object) -> bool:
    # every generated package has its own `Unset` class; all are falsy singletons named "Unset"
    return type(value).__name__ == "Unset"


def given(**kwargs: object) -> dict[str, object]:
    """The arguments a typed method was given: `UNSET` ones are left out, so a client's `call()` sees
    exactly what the user passed, as it would from `call("tag.operation", **kwargs)`."""
    return {name: value for name, value in kwargs.items() if not _is_unset(value)}


def coerce_enum(cls: type[E], value: object, name: str) -> object:
    """`value` as a member of the generated enum `cls`: the member itself, or its value (`"sha1"`).

    `None` and `UNSET` pass unchanged (the generated code drops them). A value the enum does not list
    raises `ValueError` naming the parameter and the accepted values; to send a value newer than the
    spec, pass `cls("new-value")` (craftapis enums are open).
    """
    if value is None or _is_unset(value) or isinstance(value, cls):
        return value
    known = [member.value for member in cls]
    value_type = type(known[0]) if known else str
    if isinstance(value, value_type) and not isinstance(value, bool):
        for member in cls:
            if member.value == value:
                return member
        raise ValueError(
            f"{name}={value!r} is not one of {cls.__name__}'s values {known!r}; pass one of them, a "
            f"{cls.__name__} member, or {cls.__name__}({value!r}) to send a value the spec does not list"
        )
    raise TypeError(f"{name} must be a {cls.__name__} or one of {known!r}, not {type(value).__name__}")


def _close_matches(word: str, choices: Iterable[str], n: int, cutoff: float = 0.6) -> list[str]:
    """difflib's close matches, difflib imported only when a mistake needs a hint (not at import time)."""
    import difflib

    return difflib.get_close_matches(word, choices, n=n, cutoff=cutoff)


def coerce_model(cls: type[M], value: object, name: str, fill: Mapping[str, object] | None = None) -> object:
    """`value` as the generated model `cls`: the model itself, or a plain mapping converted with
    `cls.from_dict`. A mapping with a missing required field, a field the model does not have, or a
    value `from_dict` cannot read raises `TypeError` naming the parameter and the field. `fill` gives
    the fields the client supplies itself (a session's credentials) when the mapping leaves them out."""
    if value is None or _is_unset(value) or isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{name} must be a {cls.__name__} or a mapping of its fields, not {type(value).__name__}"
        )
    if fill:
        value = {**fill, **value}
    from_dict = getattr(cls, "from_dict")  # noqa: B009 - every generated model has it
    try:
        model = from_dict(dict(value))
    except KeyError as exc:
        missing = str(exc.args[0])
        typo = _close_matches(missing, [str(k) for k in value], n=1)
        hint = f" (is {typo[0]!r} a misspelling of it?)" if typo else ""
        raise TypeError(
            f"{name} is missing the required field {missing!r} of {cls.__name__}{hint}; "
            f"add it to the mapping or build a {cls.__name__}(...)"
        ) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise TypeError(
            f"{name} could not be read as a {cls.__name__} ({type(exc).__name__}: {exc}); check the "
            f"types of its fields or build a {cls.__name__}(...)"
        ) from exc
    problem = _field_type_problem(model, name)
    if problem:
        raise TypeError(f"{problem}; fix the value or build a {cls.__name__}(...)")
    extra = getattr(model, "additional_properties", None)
    if extra:
        known = sorted(set(value) - set(extra))
        unknown = sorted(extra)
        hints = "; ".join(_did_you_mean(field, known) for field in unknown)
        raise TypeError(
            f"{name} has fields {cls.__name__} does not define: {hints}. Fix the name, or build a "
            f"{cls.__name__}(...) and set .additional_properties to send extra fields on purpose"
        )
    return model


_SIMPLE: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "None": (type(None),),
    "list": (list, tuple),
    "dict": (dict, Mapping),
}


def _split_union(annotation: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in annotation:
        depth += ch in "[("
        depth -= ch in "])"
        if ch == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    return [*parts, current.strip()]


def _accepted(part: str, module: ModuleType) -> tuple[type, ...] | None:
    """The classes a value of annotation `part` may be, or None when this check cannot tell."""
    base = part.split("[", 1)[0].strip()
    if base in _SIMPLE:
        return _SIMPLE[base]
    if base == "Unset":
        return (type(getattr(module, "UNSET", None)),) if hasattr(module, "UNSET") else None
    found = getattr(module, base, None)
    if found is None and module.__package__:
        try:
            found = getattr(importlib.import_module(f"{module.__package__}"), base, None)
        except ImportError:
            found = None
    return (found,) if isinstance(found, type) else None


def _field_type_problem(model: object, name: str) -> str | None:
    """The first field of a model built from a mapping whose value its annotation does not allow
    (`from_dict` copies most values unchecked, and a wrong one would be sent as it is)."""
    import attrs

    cls = type(model)
    if not attrs.has(cls):
        return None
    module = importlib.import_module(cls.__module__)
    for field in attrs.fields(cls):
        if field.name == "additional_properties" or not isinstance(field.type, str):
            continue
        value = getattr(model, field.name)
        allowed: list[type] = []
        for part in _split_union(field.type):
            classes = _accepted(part, module)
            if classes is None:
                allowed = []
                break
            allowed.extend(classes)
        if allowed and not isinstance(value, tuple(allowed)):
            wanted = " | ".join(p for p in _split_union(field.type) if p != "Unset")
            return f"{name}.{field.name} must be {wanted}, not {type(value).__name__} ({value!r})"
        if isinstance(value, bool) and bool not in allowed and int in allowed:
            return f"{name}.{field.name} must be a number, not a bool ({value!r})"
        if attrs.has(type(value)):
            nested = _field_type_problem(value, f"{name}.{field.name}")
            if nested:
                return nested
    return None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = _close_matches(word, list(choices), n=3)
    return f"{word!r} (did you mean {' or '.join(repr(c) for c in close)}?)" if close else repr(word)


#: operation modules already imported, by (package, `tag.operation`): every call looks its module up,
#: and `importlib.import_module` of an imported module still walks the import machinery (about 1 us)
_LOADED: dict[tuple[str, str], ModuleType] = {}


def load_operation(package: str, dotted: str, api_name: str) -> ModuleType:
    """The generated module of operation `tag.operation` of `package`; an unknown name raises
    `UnknownOperationError` listing the closest names (never a bare `ModuleNotFoundError`)."""
    module = _LOADED.get((package, dotted))
    if module is not None:
        return module
    try:
        module = _LOADED[package, dotted] = importlib.import_module(f"{package}.api.{dotted}")
        return module
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(f"{package}.api"):
            raise  # something the generated module itself imports is missing: not a typo
    names: tuple[str, ...] = getattr(importlib.import_module(f"{package}.operations"), "OPERATIONS", ())
    raise unknown_operation(api_name, dotted, names)


def unknown_operation(api_name: str, dotted: str, names: Iterable[str]) -> UnknownOperationError:
    """The error for an operation (`tag.operation`) or a tag that `names` does not hold, naming the
    closest existing ones."""
    names = tuple(names)
    close = _close_matches(dotted, names, n=5, cutoff=0.5)
    if not close:  # the right operation under a wrong tag, or a tag alone, still deserves a hint
        op = dotted.rpartition(".")[2]
        tags = sorted({n.partition(".")[0] for n in names})
        close = [n for n in names if n.rpartition(".")[2] == op]
        close += _close_matches(dotted.partition(".")[0], tags, n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UnknownOperationError(
        f"{api_name} has no operation {dotted!r}{hint} Operations are named 'tag.operation' as in "
        f"client.api.<tag>.<operation>; dir(client.api) lists the tags ({len(names)} operations in all)"
    )
