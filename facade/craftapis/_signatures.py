"""Signatures that show what a `**kwargs: Unpack[<TypedDict>]` parameter takes, for the shared keywords
declared once (the client options, the fields every error takes)."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from typing import ForwardRef

__all__ = ["expand_unpacked"]


def expand_unpacked(init: Callable[..., None]) -> None:
    """Show the keywords of `**options: Unpack[<TypedDict>]` as keyword parameters in `__init__`'s signature
    (`help()`, IDEs, `inspect.signature`), so declaring them once costs users nothing. The TypedDict is
    looked up by name in the module that defines `init`."""
    signature = inspect.signature(init)
    params = list(signature.parameters.values())
    if not params or params[-1].kind is not inspect.Parameter.VAR_KEYWORD:
        return
    match = re.fullmatch(r"Unpack\[(\w+)\]", str(params[-1].annotation))
    if match is None:
        return
    options = vars(sys.modules[init.__module__])[match.group(1)]
    declared = {p.name for p in params}
    extra = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=hint.__forward_arg__ if isinstance(hint, ForwardRef) else hint,
        )
        for name, hint in options.__annotations__.items()
        if name not in declared
    ]
    init.__signature__ = signature.replace(parameters=[*params[:-1], *extra])  # type: ignore[attr-defined]
