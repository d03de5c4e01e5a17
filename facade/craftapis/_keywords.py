"""The constructor convention of every client: keyword arguments only, and credentials without a scheme.

A checker already flags a positional call from the keyword-only signature; at run time Python's own
message (`__init__() takes 1 positional argument but 2 were given`) says neither what to pass nor that
the value was not shown, so `keyword_only` replaces it with one that does. `refuse_scheme` refuses a
credential given with an `Authorization` scheme the client adds itself (or that does not belong there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Concatenate, ParamSpec, TypeVar

__all__ = ["OTHER_SCHEMES", "SCHEMES", "keyword_only", "refuse_scheme"]

#: the `Authorization` schemes of the five APIs: a credential is never passed with one of them
SCHEMES = ("Bearer", "Token", "Basic", "Private", "Shared")
#: the schemes Modrinth does not take (it accepts a token raw or as `Bearer <token>`)
OTHER_SCHEMES = ("Token", "Basic", "Private", "Shared")

P = ParamSpec("P")
S = TypeVar("S")


def keyword_only(
    hint: str,
) -> Callable[[Callable[Concatenate[S, P], None]], Callable[Concatenate[S, P], None]]:
    """Decorate an `__init__` whose parameters are all keyword-only: a positional argument raises a
    `TypeError` saying `<Class>() takes keyword arguments only: <Class>(<hint>)`, without showing the
    value (it may be a secret)."""

    def decorate(init: Callable[Concatenate[S, P], None]) -> Callable[Concatenate[S, P], None]:
        def __init__(self: S, /, *args: P.args, **kwargs: P.kwargs) -> None:
            if args:
                name = type(self).__name__
                count = len(args)
                raise TypeError(
                    f"{name}() takes keyword arguments only: {name}({hint}); "
                    f"{count} positional argument{'s were' if count > 1 else ' was'} given (not shown: "
                    "it may be a secret)"
                )
            init(self, *args, **kwargs)

        functools.update_wrapper(__init__, init)
        return __init__

    return decorate


def refuse_scheme(value: object, *, name: str, schemes: Iterable[str], sent_as: str) -> None:
    """Raise `ValueError` if the credential `value` (for parameter `name`) starts with one of the
    `schemes` (`"Bearer"`, `"Token"`...): the client adds what it needs itself (`sent_as` says how it
    sends the value). The value itself is never shown."""
    if not isinstance(value, str):
        return
    parts = value.split(None, 1)
    if len(parts) < 2:
        return
    head = parts[0].rstrip(":").lower()
    for scheme in schemes:
        if head == scheme.lower():
            raise ValueError(
                f"{name} starts with the scheme {scheme!r}: pass the {name} alone, without "
                f"'{scheme} ' (craftapis sends it as {sent_as})"
            )
