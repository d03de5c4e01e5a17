"""Every friendly method checks its arguments against its own annotations before anything is sent.

`_ClientCore.__init_subclass__` wraps each public method a client class defines (not `call`, `request`
and the other seams, which take any keyword): a wrong type raises `TypeError` naming the method, the
parameter, what it accepts and what it got (the type only: an argument may be a secret). Annotations are
the single source of truth, so a new method is checked without code. A name the checker cannot resolve
at run time (a generated model imported only for type checkers) is accepted as is: the method's own
checks, and the model's `from_dict`, still apply.
"""

from __future__ import annotations

import builtins
import collections.abc as abc
import functools
import inspect
import os
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["validating"]

F = TypeVar("F", bound=Callable[..., Any])

_SEAMS = frozenset({"call", "request", "close", "aclose", "with_options", "options"})
_ITERABLES = (abc.Iterable, abc.Collection, abc.Sequence, list, tuple, set, frozenset)
_ACCEPT = object()  # an annotation (or part of one) that cannot be resolved at run time: anything goes


class _Lenient(dict[str, Any]):
    """Names an annotation uses that do not exist at run time (imported for type checkers only, such as
    generated models) read as `Any`: the shape around them (a list of ..., or None) is still checked."""

    def __missing__(self, key: str) -> Any:
        return getattr(builtins, key, Any)


def _resolve(text: str, namespace: dict[str, Any]) -> Any:
    """The annotation as a typing object, or `_ACCEPT` when it cannot be evaluated at all."""
    resolved = []
    for part in _split_union(text):
        try:
            resolved.append(eval(part, {"__builtins__": __builtins__}, _Lenient(namespace)))
        except Exception:
            return _ACCEPT
    return resolved[0] if len(resolved) == 1 else tuple(resolved)


def _split_union(text: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "|" and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return out


def _matches(value: Any, tp: Any) -> bool:
    if tp is _ACCEPT or tp is Any or tp is object or isinstance(tp, TypeVar):
        return True
    if isinstance(tp, tuple):  # a `|` union whose parts resolved separately
        return any(_matches(value, t) for t in tp)
    if tp is None or tp is type(None):
        return value is None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, t) for t in args)
    if origin is typing.Literal:
        # the right type but not one of the values: the method's own check says which (ValueError)
        return any(isinstance(value, type(a)) for a in args)
    if tp is float:
        return isinstance(value, int | float)  # bool is an int to Python, and to these checks
    if origin in _ITERABLES or tp in _ITERABLES:
        # one string where a list is wanted, and the items, are the method's own checks (they say more)
        return isinstance(value, abc.Iterable) and not isinstance(value, abc.Mapping | bytes | bytearray)
    if origin in (abc.Mapping, dict) or tp in (abc.Mapping, dict):
        return isinstance(value, abc.Mapping)
    if origin is abc.Callable or tp is abc.Callable:
        return callable(value)
    if origin is os.PathLike or tp is os.PathLike:
        return isinstance(value, os.PathLike)
    if isinstance(tp, type):
        return isinstance(value, tp)
    if isinstance(tp, typing.TypeAliasType if hasattr(typing, "TypeAliasType") else ()):
        return _matches(value, tp.__value__)
    return True  # a typing construct this checker does not know: accept


def validating(function: F, owner: str) -> F:
    """`function` checking each argument against its annotation first (see the module docstring)."""
    signature = inspect.signature(function)
    checks: dict[str, tuple[str, Any]] | None = None

    def compiled() -> dict[str, tuple[str, Any]]:
        nonlocal checks
        if checks is None:
            # an expanded `**kw: Unpack[TD]` keyword's annotation is written in TD's module
            unpacked = getattr(function, "__unpacked_from__", None)
            source = vars(sys.modules[unpacked.__module__]) if unpacked is not None else {}
            namespace = {**vars(typing), **source, **vars(sys.modules[function.__module__]), "os": os}
            checks = {
                name: (str(p.annotation), _resolve(str(p.annotation), namespace))
                for name, p in signature.parameters.items()
                if name != "self"
                and p.annotation is not inspect.Parameter.empty
                and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            }
        return checks

    def check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{owner}.{function.__name__}(): {exc}") from None
        for name, value in bound.arguments.items():
            rule = compiled().get(name)
            if rule is not None and not _matches(value, rule[1]):
                raise TypeError(
                    f"{owner}.{function.__name__}(): {name} must be {rule[0]}, got {type(value).__name__}"
                )

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def checked_async(*args: Any, **kwargs: Any) -> Any:
            check(args, kwargs)
            return await function(*args, **kwargs)

        return checked_async  # type: ignore[return-value]

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check(args, kwargs)
        return function(*args, **kwargs)

    return checked  # type: ignore[return-value]


def validate_class(cls: type) -> None:
    """Wrap every public method `cls` itself defines (friendly methods) with `validating`."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or name in _SEAMS or not inspect.isfunction(member):
            continue
        if getattr(member, "__overloads_checked__", False):
            continue
        setattr(cls, name, validating(member, cls.__name__))
