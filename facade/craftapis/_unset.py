"""`craftapis.Unset`: the type of a field the server did not send.

A generated model field the API may leave out is typed `T | Unset` (and `T | None | Unset` when the
server may also send `null`): absent and `null` are different answers. Test for it with `isinstance`,
which every checker narrows on::

    from craftapis import Unset

    project = modrinth.get_project("sodium")
    if isinstance(project.organization, Unset):
        ...  # the server did not say
    else:
        organization = project.organization  # narrowed to `str | None`

`Unset` is falsy, so `if value:` treats an absent field like an empty one; use `isinstance` when the
difference matters. Every generated API package has its own `Unset` class (each is standalone); this
one name stands for all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from craftapis_generated.builtbybit_v1.types import Unset as _BuiltByBitV1Unset
    from craftapis_generated.builtbybit_v2.types import Unset as _BuiltByBitUnset
    from craftapis_generated.modrinth.types import Unset as _ModrinthUnset
    from craftapis_generated.postal.types import Unset as _PostalUnset
    from craftapis_generated.railcraft.types import Unset as _RailcraftUnset

    Unset: TypeAlias = _ModrinthUnset | _BuiltByBitUnset | _BuiltByBitV1Unset | _PostalUnset | _RailcraftUnset
else:
    import functools
    import operator
    from importlib import import_module

    from craftapis_generated import PACKAGES

    # one small module per API (`types.py`), loaded when `craftapis.Unset` is first used
    Unset = functools.reduce(
        operator.or_,
        (import_module(f"craftapis_generated.{package}.types").Unset for package in PACKAGES.values()),
    )

__all__ = ["Unset"]
