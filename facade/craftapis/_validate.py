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


def _classes(tp: Any) -> tuple[type, ...] | None:
    """The classes `_matches(value, tp)` comes down to when it is one `isinstance` (plain classes, None,
    float as int | float, unions of them), else None: the annotation needs `_matches` itself."""
    if isinstance(tp, tuple) or typing.get_origin(tp) in (typing.Union, types.UnionType):
        found: list[type] = []
        for part in tp if isinstance(tp, tuple) else typing.get_args(tp):
            classes = _classes(part)
            if classes is None:
                return None
            found.extend(classes)
        return tuple(found)
    if tp is None or tp is type(None):
        return (type(None),)
    if tp is float:
        return (int, float)
    if (
        not isinstance(tp, type)
        or typing.get_origin(tp) is not None
        or tp is object
        or tp is Any  # a class since Python 3.11, not one for isinstance
        or tp in _ITERABLES
        or tp in (abc.Mapping, dict, abc.Callable, os.PathLike)
    ):
        return None
    return (tp,)


class _Plan:
    """One method's argument check, worked out on its first call: how arguments map to parameters
    (what `Signature.bind` would do, for calls it accepts) and, for each annotated parameter, the
    classes of one `isinstance` or the resolved annotation for `_matches`."""

    __slots__ = (
        "keywords",
        "later",
        "leading",
        "positional",
        "required",
        "rules",
        "var_keyword",
        "var_positional",
    )

    def __init__(self, signature: inspect.Signature, checks: dict[str, tuple[str, Any]]) -> None:
        kinds = inspect.Parameter
        params = list(signature.parameters.values())
        #: name -> index of the parameters an argument may fill by position
        self.positional = {
            p.name: i
            for i, p in enumerate(params)
            if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
        }
        self.keywords = frozenset(
            p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
        )
        self.required = tuple(
            p.name
            for p in params
            if p.default is kinds.empty and p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD)
        )
        #: how many parameters from the first are required positionals: a call giving at least that
        #: many positional arguments has them all, and only `later` needs looking for
        self.leading = 0
        for p in params:
            if (
                p.kind not in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)
                or p.default is not kinds.empty
            ):
                break
            self.leading += 1
        self.later = self.required[self.leading :]
        self.var_positional = any(p.kind is kinds.VAR_POSITIONAL for p in params)
        self.var_keyword = any(p.kind is kinds.VAR_KEYWORD for p in params)
        rules: dict[str, Any] = {}
        for name, (_, tp) in checks.items():
            if tp is _ACCEPT or tp is Any or tp is object or isinstance(tp, TypeVar):
                continue  # anything goes: nothing to check
            classes = _classes(tp)
            rules[name] = classes if classes is not None else _Check(tp)
        self.rules = rules

    def passes(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """True when `Signature.bind` accepts the arguments and every one matches its annotation;
        False when either may not (the caller then takes the slow path, which says what is wrong)."""
        given = len(args)
        positional = self.positional
        if given > len(positional) and not self.var_positional:
            return False
        if kwargs:
            keywords = self.keywords
            for name in kwargs:
                if name in keywords:
                    index = positional.get(name)
                    if index is not None and index < given:
                        return False  # given twice
                elif not self.var_keyword or name in positional:
                    return False
        for name in self.required if given < self.leading else self.later:
            if name not in kwargs:
                index = positional.get(name)
                if index is None or index >= given:
                    return False
        rules = self.rules
        if not rules:
            return True
        for name, value in zip(positional, args, strict=False):
            rule = rules.get(name)
            if rule is not None and not (isinstance(value, rule) if type(rule) is tuple else rule(value)):
                return False
        for name, value in kwargs.items():
            rule = rules.get(name)
            if rule is not None and not (isinstance(value, rule) if type(rule) is tuple else rule(value)):
                return False
        return True


class _Check:
    """`_matches` against one resolved annotation, as a callable of the value."""

    __slots__ = ("tp",)

    def __init__(self, tp: Any) -> None:
        self.tp = tp

    def __call__(self, value: Any) -> bool:
        return _matches(value, self.tp)


def validating(function: F, owner: str) -> F:
    """`function` checking each argument against its annotation first (see the module docstring).

    A call is checked by the method's `_Plan` (built on its first call: annotations may name what is
    defined after the class); only a call the plan does not pass takes `Signature.bind` and `_matches`
    argument by argument, which say what is wrong. Both decide alike: `tests/validation` checks it."""
    signature = inspect.signature(function)
    checks: dict[str, tuple[str, Any]] | None = None
    plan: _Plan | None = None

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
        nonlocal plan
        if plan is None:
            plan = _Plan(signature, compiled())
        if not plan.passes(args, kwargs):
            bind_and_match(args, kwargs)

    def bind_and_match(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
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
            if plan is None or not plan.passes(args, kwargs):  # `check`, less its call once planned
                check(args, kwargs)
            return await function(*args, **kwargs)

        checked_async.__argument_checks__ = (check, bind_and_match)  # type: ignore[attr-defined]
        return checked_async  # type: ignore[return-value]

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if plan is None or not plan.passes(args, kwargs):  # `check`, less its call once planned
            check(args, kwargs)
        return function(*args, **kwargs)

    # (the check, the slow check alone): tests/validation compares their verdicts
    checked.__argument_checks__ = (check, bind_and_match)  # type: ignore[attr-defined]
    return checked  # type: ignore[return-value]


def validate_class(cls: type) -> None:
    """Wrap every public method `cls` itself defines (friendly methods) with `validating`."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or name in _SEAMS or not inspect.isfunction(member):
            continue
        if getattr(member, "__overloads_checked__", False):
            continue
        setattr(cls, name, validating(member, cls.__name__))
