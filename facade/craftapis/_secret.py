"""`Secret`: a credential held by a client, which no `repr()`, `vars()` dump or log line shows."""

from __future__ import annotations

__all__ = ["Secret"]


class Secret:
    """A string that shows as `Secret('***')` everywhere except through `.get()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret itself, for the one place that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)
