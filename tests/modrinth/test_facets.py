"""The Facets builder: AND of OR groups, every operator, the helpers, raw input, the JSON it renders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from craftapis.modrinth import OPERATORS, Facets, facet
from craftapis.modrinth._facets import render_facets
from craftapis_generated.modrinth.models import ProjectClientSide


def test_groups_are_anded_and_values_in_one_call_are_ored() -> None:
    facets = Facets().categories("fabric", "quilt").versions("1.20.1").project_type("mod").license("mit")
    assert facets.to_list() == [
        ["categories:fabric", "categories:quilt"],
        ["versions:1.20.1"],
        ["project_type:mod"],
        ["license:mit"],
    ]
    assert (
        str(facets)
        == facets.render()
        == (
            '[["categories:fabric","categories:quilt"],["versions:1.20.1"],["project_type:mod"],["license:mit"]]'
        )
    )
    assert json.loads(str(facets)) == facets.to_list()


@pytest.mark.parametrize("op", [":", "!=", ">=", ">", "<=", "<"])
def test_every_operator(op: Any) -> None:
    assert facet("downloads", op, 100) == f"downloads{op}100"
    assert Facets().where("follows", op, 7).to_list() == [[f"follows{op}7"]]


def test_operators_are_exactly_modrinths() -> None:
    assert set(OPERATORS) == {":", "!=", ">=", ">", "<=", "<"}
    with pytest.raises(ValueError, match="unknown facet operator"):
        facet("downloads", "==", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a facet type"):
        facet("down:loads", ":", 1)
    with pytest.raises(ValueError, match="empty"):
        facet("categories", ":", "")


def test_numeric_boolean_side_and_date_helpers() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    facets = (
        Facets()
        .downloads(">=", 10_000)
        .follows("<", 5)
        .open_source()
        .client_side(ProjectClientSide.REQUIRED, "optional")
        .server_side("unsupported", op="!=")
        .created_timestamp(">", when)
        .modified_timestamp("<=", date(2024, 2, 1))
        .created_timestamp("<", datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))))
        .modified_timestamp(">=", 1_700_000_000)
        .open_source(False)
        .author("someone")
        .title("Sodium")
        .project_id("AANobbMI")
    )
    assert facets.to_list() == [
        ["downloads>=10000"],
        ["follows<5"],
        ["open_source:true"],
        ["client_side:required", "client_side:optional"],
        ["server_side!=unsupported"],
        [f"created_timestamp>{int(when.timestamp())}"],
        ["modified_timestamp<=1706745600"],
        [f"created_timestamp<{int(when.timestamp())}"],  # the same instant, given at UTC+2
        ["modified_timestamp>=1700000000"],
        ["open_source:false"],
        ["author:someone"],
        ["title:Sodium"],
        ["project_id:AANobbMI"],
    ]
    naive = Facets().created_timestamp(">=", datetime(2024, 1, 2, 3, 4, 5))
    assert naive.to_list() == [[f"created_timestamp>={int(when.timestamp())}"]]  # naive is UTC


def test_excluding_several_values_ands_them() -> None:
    assert Facets().categories("forge", "neoforge", op="!=").to_list() == [
        ["categories!=forge"],
        ["categories!=neoforge"],
    ]


def test_raw_input_forms() -> None:
    raw = [["categories:forge"], ["versions:1.17.1"], ["project_type:mod"], ["license:mit"]]
    assert Facets.of(raw).to_list() == raw
    assert Facets("project_type:mod", ["versions:1.20.1", "versions:1.20.2"]).to_list() == [
        ["project_type:mod"],
        ["versions:1.20.1", "versions:1.20.2"],
    ]
    assert Facets.of('[["categories:forge"]]') == Facets().categories("forge")
    assert Facets().any_of("a:1", "b:2").all_of("c:3", "d:4").to_list() == [["a:1", "b:2"], ["c:3"], ["d:4"]]
    assert (Facets().versions("1.20.1") & Facets().project_type("mod")).to_list() == [
        ["versions:1.20.1"],
        ["project_type:mod"],
    ]
    with pytest.raises(ValueError, match="not JSON"):
        Facets.of("categories:forge")
    with pytest.raises(ValueError, match="cannot be empty"):
        Facets([])
    with pytest.raises(TypeError, match="non-empty string"):
        Facets([1])  # type: ignore[list-item]


def test_facets_are_immutable_values() -> None:
    base = Facets().project_type("mod")
    narrowed = base.versions("1.20.1")
    assert base.to_list() == [["project_type:mod"]] and len(narrowed) == 2
    assert base == Facets.of([["project_type:mod"]]) and hash(base) == hash(Facets("project_type:mod"))
    assert eval(repr(narrowed), {"Facets": Facets}) == narrowed
    assert not Facets() and render_facets(Facets()) is None and render_facets(None) is None
    assert render_facets([["a:b"]]) == '[["a:b"]]'
