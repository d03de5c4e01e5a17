"""Form bodies the Railcraft server (PHP, by all signs) reads correctly.

PHP builds an array only from repeated `name[]=` fields; a repeated plain `name=` keeps the last
value. The generated code (httpx) repeats `opt_mods=`, so the facade encodes the body itself. How the
server really reads `opt_mods` is unconfirmed (docs/authored-specs.md, open question 1): hence the
`array_style` knob.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final, Literal, get_args
from urllib.parse import urlencode

__all__ = ["ARRAY_STYLES", "FORM_CONTENT_TYPE", "ArrayStyle", "encode_form"]

ArrayStyle = Literal["brackets", "repeat", "comma"]
ARRAY_STYLES: Final = frozenset(get_args(ArrayStyle))
FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def encode_form(fields: Mapping[str, Any], array_style: ArrayStyle = "brackets") -> bytes:
    """URL-encode `fields`; `None` values are left out, lists follow `array_style`:

    `"brackets"`: `opt_mods[]=a&opt_mods[]=b` (PHP arrays; the default), `"repeat"`:
    `opt_mods=a&opt_mods=b`, `"comma"`: `opt_mods=a,b`. An empty list sends nothing.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            items = [_scalar(item) for item in value]
            if not items:
                continue
            if array_style == "brackets":
                pairs.extend((f"{name}[]", item) for item in items)
            elif array_style == "repeat":
                pairs.extend((name, item) for item in items)
            else:
                pairs.append((name, ",".join(items)))
        else:
            pairs.append((name, _scalar(value)))
    return urlencode(pairs).encode("ascii")
