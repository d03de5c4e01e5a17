"""`craftapis.Unset` stands for every generated package's `Unset`, at runtime as for checkers."""

from __future__ import annotations

import importlib

import craftapis
import pytest
from craftapis_generated import PACKAGES


@pytest.mark.parametrize("package", sorted(PACKAGES.values()))
def test_every_generated_unset_is_a_craftapis_unset(package: str) -> None:
    types = importlib.import_module(f"craftapis_generated.{package}.types")
    assert isinstance(types.UNSET, craftapis.Unset)
    assert not types.UNSET  # falsy: `if value:` cannot tell absent from empty, isinstance can


@pytest.mark.parametrize("value", [None, "", 0, [], {}, False])
def test_present_values_are_not_unset(value: object) -> None:
    assert not isinstance(value, craftapis.Unset)


def test_an_absent_field_is_unset_and_a_null_one_is_not() -> None:
    from craftapis_generated.builtbybit_v1.models import Member

    absent = Member.from_dict({"member_id": 1, "username": "x"})
    null = Member.from_dict({"member_id": 1, "username": "x", "discord_id": None})
    sent = Member.from_dict({"member_id": 1, "username": "x", "discord_id": 42})
    assert isinstance(absent.discord_id, craftapis.Unset)
    assert null.discord_id is None and not isinstance(null.discord_id, craftapis.Unset)
    assert sent.discord_id == 42
