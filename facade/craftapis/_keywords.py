"""The constructor convention of every client: keyword arguments only, and credentials without a scheme.

A checker already flags a positional call from the keyword-only signature; at run time Python's own
message (`__init__() takes 1 positional argument but 2 were given`) says neither what to pass nor that
the value was not shown, so `KeywordOnly` replaces it with one that does. `refuse_scheme` refuses a
credential given with an `Authorization` scheme the client adds itself (or that does not belong there).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

__all__ = ["OTHER_SCHEMES", "SCHEMES", "KeywordOnly", "refuse_scheme"]

#: the `Authorization` schemes of the five APIs: a credential is never passed with one of them
SCHEMES = ("Bearer", "Token", "Basic", "Private", "Shared")
#: the schemes Modrinth does not take (it accepts a token raw or as `Bearer <token>`)
OTHER_SCHEMES = ("Token", "Basic", "Private", "Shared")


class KeywordOnly:
    """A mixin for classes whose constructor takes keyword arguments only (every craftapis client and
    `OAuth2Session`): a positional argument raises a `TypeError` saying
    `<Class>() takes keyword arguments only: <Class>(<_keyword_hint>)`, without showing the value.

    The check is in `__new__` (seen at run time only: a checker reads the keyword-only `__init__`), so
    it adds no frame to `__init__`'s stack (warnings keep pointing at the caller), and a user's subclass
    with its own `__init__` is left alone.
    """

    __slots__ = ()

    #: what the `TypeError` of a positional call tells the user to pass, e.g. `"token=..."`
    _keyword_hint: ClassVar[str] = "..."

    if not TYPE_CHECKING:

        def __new__(cls, *args, **kwargs):
            if args and getattr(cls.__init__, "__module__", "").startswith("craftapis"):
                name = cls.__name__
                count = len(args)
                raise TypeError(
                    f"{name}() takes keyword arguments only: {name}({cls._keyword_hint}); "
                    f"{count} positional argument{'s were' if count > 1 else ' was'} given (not shown: "
                    "it may be a secret)"
                )
            return super().__new__(cls)


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
