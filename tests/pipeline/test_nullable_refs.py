"""A nullable nested object of the patched Modrinth document admits null under OAS 3.0.3's reading.

`allOf: [$ref] + nullable: true` (the overlay's earlier form) generates `Model | None`, but an OAS 3.0.3
validator (openapi-schema-validator, which the Prism contract check uses) reads `nullable` only beside a
`type` in the same schema, so the referenced object's `type: object` rejected null: 7 Prism mocks of
projects carrying the real `"moderator_message": null` were reported as breaking their schema."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

from _specs import apis, load_lock, patched_document


@pytest.fixture(scope="module")
def modrinth(mirror: Path) -> dict[str, Any]:
    (api,) = apis(load_lock(), ["modrinth"])
    return patched_document(api, mirror, log=False)


@pytest.mark.parametrize(
    ("schema", "field", "sample"),
    [
        ("Project", "moderator_message", {"message": "Please add a description", "body": None}),
        ("EditableUser", "payout_data", {"balance": 0, "payout_wallet": "paypal"}),
    ],
)
def test_a_nullable_nested_object_admits_null_and_the_object(
    modrinth: dict[str, Any], schema: str, field: str, sample: dict[str, Any]
) -> None:
    prop = modrinth["components"]["schemas"][schema]["properties"][field]
    validator = OAS30Validator({"allOf": [prop], "components": modrinth["components"]})
    assert [e.message for e in validator.iter_errors(None)] == []
    assert [e.message for e in validator.iter_errors(sample)] == []
    assert list(validator.iter_errors(42)), "the property must still reject what is neither"
