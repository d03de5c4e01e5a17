"""Signatures that show what a `**kwargs: Unpack[<TypedDict>]` parameter takes, for the shared keywords
declared once (the client options, the fields every error takes)."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any, ForwardRef

__all__ = ["expand_unpacked", "show_defaults"]

#: the defaults a TypedDict's keys show in an expanded signature (None for a key not listed)
_DEFAULTS: dict[object, Mapping[str, object]] = {}


def show_defaults(typed_dict: object, **defaults: object) -> None:
    """Make the signatures that `expand_unpacked` writes for ``typed_dict`` show these defaults (the
    keywords' real defaults, which a TypedDict cannot hold) instead of None."""
    _DEFAULTS[typed_dict] = defaults


def expand_unpacked(function: Callable[..., Any]) -> None:
    """Show the keywords of `**options: Unpack[<TypedDict>]` as keyword parameters in the signature of
    `function` (a constructor, a list method: for `help()`, IDEs, `inspect.signature`), so declaring them
    once costs users nothing. The TypedDict is looked up by name in the module that defines `function`."""
    if not any("Unpack[" in str(hint) for hint in getattr(function, "__annotations__", {}).values()):
        return
    signature = inspect.signature(function)
    params = list(signature.parameters.values())
    if not params or params[-1].kind is not inspect.Parameter.VAR_KEYWORD:
        return
    match = re.fullmatch(r"Unpack\[(\w+)\]", str(params[-1].annotation))
    if match is None:
        return
    options = vars(sys.modules[function.__module__])[match.group(1)]
    declared = {p.name for p in params}
    defaults = _DEFAULTS.get(options, {})
    extra = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=defaults.get(name),
            annotation=hint.__forward_arg__ if isinstance(hint, ForwardRef) else hint,
        )
        for name, hint in options.__annotations__.items()
        if name not in declared
    ]
    function.__signature__ = signature.replace(parameters=[*params[:-1], *extra])  # type: ignore[attr-defined]
    function.__unpacked_from__ = options  # type: ignore[attr-defined]  # where those annotations resolve
