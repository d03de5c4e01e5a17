"""`update`'s report compares effective schemas: one pair of documents per change class, exact lines and JSON.

Each test builds two small OpenAPI documents in which one operation *receives* `Thing` (response side)
and one *sends* `NewThing` (request side), changes one thing, and asserts the whole report.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .conftest import ROOT, run_script

sys.path.insert(0, str(ROOT / "scripts"))

from _diff import compare, render_json, render_text


def _doc(schemas: dict[str, Any], *, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "toy", "version": "1"},
        "servers": [{"url": "https://toy.invalid/v1"}],
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                        *(params or []),
                    ],
                    "responses": {
                        "200": {
                            "description": "the thing",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                            },
                        }
                    },
                }
            },
            "/things": {
                "post": {
                    "operationId": "createThing",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/NewThing"}}
                        },
                    },
                    "responses": {"204": {"description": "created"}},
                }
            },
        },
        "components": {"schemas": schemas},
    }


BASE = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "slug": {"type": "string"}},
    "required": ["id", "slug"],
}
NEW_THING = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "side": {"type": "string", "enum": ["required", "optional", "unknown"]},
    },
    "required": ["name"],
}


def _schemas(**changes: Any) -> dict[str, Any]:
    schemas = {
        "Base": copy.deepcopy(BASE),
        "Thing": {
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {
                    "type": "object",
                    "properties": {"downloads": {"type": "integer"}},
                    "required": ["downloads"],
                },
            ]
        },
        "NewThing": copy.deepcopy(NEW_THING),
    }
    schemas.update(changes)
    return schemas


def _lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return render_text(compare(old, new), "toy")


def _json(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return render_json(compare(old, new), "toy")


def test_allof_flattened_into_the_same_fields_is_no_change() -> None:
    old = _doc(_schemas())
    flat = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "slug": {"type": "string"},
            "downloads": {"type": "integer"},
        },
        "required": ["downloads", "id", "slug"],
    }
    new = _doc(_schemas(Thing=flat))
    assert _lines(old, new) == ["== toy: 1 -> 1", "   no change"]
    data = _json(old, new)
    assert data["operations"]["changed"] == [] and data["schemas"]["changed"] == {}
    assert (data["breaking"], data["compatible"]) == (0, 0)


def test_property_newly_required_inside_an_allof_member() -> None:
    old = _doc(_schemas())
    thing = copy.deepcopy(_schemas()["Thing"])
    member = thing["allOf"][1]
    member["properties"]["environment"] = {"type": "string"}
    member["properties"]["body"] = {"type": "string"}
    member["required"] = ["downloads", "environment"]
    old_thing = copy.deepcopy(_schemas()["Thing"])
    old_thing["allOf"][1]["properties"]["body"] = {"type": "string"}
    base = copy.deepcopy(BASE)
    base["required"] = ["id"]  # slug: required in the old Base, optional now
    old = _doc(_schemas(Thing=old_thing))
    new = _doc(_schemas(Thing=thing, Base=base))
    assert _lines(old, new) == [
        "== toy: 1 -> 1",
        "   2 breaking, 1 compatible",
        "   operations changed (1):",
        "     - GET /things/{id} (getThing) [breaking]",
        "         [breaking] response 200: Thing changed (1 breaking, 1 compatible; see schema changes)",
        "   schema changes (3 in 2 schemas):",
        "     Base (response):",
        "         [breaking] slug: became optional",
        "     Thing (response):",
        "         [compatible] environment: added (required)",
        "         [breaking] slug: became optional",
    ]


def test_enum_narrowed_on_the_request_side_breaks_widened_does_not() -> None:
    new_thing = copy.deepcopy(NEW_THING)
    new_thing["properties"]["side"]["enum"] = ["required", "optional", "sometimes"]
    old, new = _doc(_schemas()), _doc(_schemas(NewThing=new_thing))
    assert _lines(old, new) == [
        "== toy: 1 -> 1",
        "   1 breaking, 1 compatible",
        "   operations changed (1):",
        "     - POST /things (createThing) [breaking]",
        "         [breaking] request body: NewThing changed (1 breaking, 1 compatible; see schema changes)",
        "   schema changes (2 in 1 schemas):",
        "     NewThing (request):",
        "         [compatible] side: enum gained 'sometimes'",
        "         [breaking] side: enum lost 'unknown'",
    ]
    changes = _json(old, new)["schemas"]["changed"]["NewThing"]["changes"]
    assert changes == [
        {
            "where": "NewThing",
            "path": "side",
            "kind": "enum-values-added",
            "message": "enum gained 'sometimes'",
            "sides": ["request"],
            "breaking": False,
            "old": None,
            "new": ["sometimes"],
        },
        {
            "where": "NewThing",
            "path": "side",
            "kind": "enum-values-removed",
            "message": "enum lost 'unknown'",
            "sides": ["request"],
            "breaking": True,
            "old": ["unknown"],
            "new": None,
        },
    ]


def test_the_same_enum_change_on_the_response_side_is_classified_the_other_way() -> None:
    def thing(values: list[str]) -> dict[str, Any]:
        return {"type": "object", "properties": {"side": {"type": "string", "enum": values}}}

    old = _doc(_schemas(Thing=thing(["a", "unknown"])))
    new = _doc(_schemas(Thing=thing(["a", "b"])))
    assert _lines(old, new)[-3:] == [
        "     Thing (response):",
        "         [breaking] side: enum gained 'b'",
        "         [compatible] side: enum lost 'unknown'",
    ]


def test_nullable_through_allof_with_a_ref_is_the_same_as_inline() -> None:
    """`allOf: [$ref Enum, {nullable: true}]` means what an inline nullable enum meant: no change."""
    inline = {
        "type": "object",
        "properties": {"file_type": {"type": "string", "enum": ["a", "b"], "nullable": True}},
    }
    via_ref = {
        "type": "object",
        "properties": {
            "file_type": {"allOf": [{"$ref": "#/components/schemas/FileType"}, {"nullable": True}]}
        },
    }
    old = _doc(_schemas(Thing=inline))
    new = _doc(_schemas(Thing=via_ref, FileType={"type": "string", "enum": ["a", "b"]}))
    assert _lines(old, new) == [
        "== toy: 1 -> 1",
        "   0 breaking, 0 compatible",
        "   schemas added (1):",
        "     - FileType",
    ]


def test_nullability_removed_properties_and_types_in_responses() -> None:
    old_thing = {
        "type": "object",
        "properties": {
            "icon_url": {"type": "string", "nullable": True},
            "slug": {"type": "string"},
            "thread_id": {"type": "string"},
            "downloads": {"type": "integer"},
            "published": {"type": "string"},
        },
        "required": ["slug", "thread_id"],
    }
    new_thing = {
        "type": "object",
        "properties": {
            "icon_url": {"type": "string"},
            "slug": {"type": ["string", "null"]},  # OpenAPI 3.1 spelling of nullable
            "downloads": {"type": "number"},
            "published": {"type": "string", "format": "date-time"},
        },
        "required": ["slug"],
    }
    old, new = _doc(_schemas(Thing=old_thing)), _doc(_schemas(Thing=new_thing))
    assert _lines(old, new)[-7:] == [
        "   schema changes (5 in 1 schemas):",
        "     Thing (response):",
        "         [breaking] thread_id: removed (was required)",
        "         [breaking] downloads: type integer -> number",
        "         [compatible] icon_url: no longer nullable",
        "         [breaking] published: format none -> date-time",
        "         [breaking] slug: became nullable",
    ]


def test_nested_arrays_and_additional_properties_are_walked() -> None:
    def thing(file_type: list[str], value_type: str) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "files": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"file_type": {"type": "string", "enum": file_type}},
                    },
                },
                "labels": {"type": "object", "additionalProperties": {"type": value_type}},
            },
        }

    old = _doc(_schemas(Thing=thing(["a"], "string")))
    new = _doc(_schemas(Thing=thing(["a", "sources-jar"], "integer")))
    assert _lines(old, new)[-3:] == [
        "     Thing (response):",
        "         [breaking] files[].file_type: enum gained 'sources-jar'",
        "         [breaking] labels{}: type string -> integer",
    ]


def test_a_changed_component_marks_every_operation_reaching_it() -> None:
    """An operation changed when anything it receives changed, however deep the component sits."""
    gallery = {"type": "object", "properties": {"url": {"type": "string"}}}
    thing = {
        "type": "object",
        "properties": {"gallery": {"type": "array", "items": {"$ref": "#/components/schemas/Image"}}},
    }
    new_gallery = copy.deepcopy(gallery)
    new_gallery["properties"]["raw_url"] = {"type": "string"}
    old = _doc(_schemas(Thing=thing, Image=gallery))
    new = _doc(_schemas(Thing=thing, Image=new_gallery))
    assert _lines(old, new) == [
        "== toy: 1 -> 1",
        "   0 breaking, 1 compatible",
        "   operations changed (1):",
        "     - GET /things/{id} (getThing) [compatible]",
        "         [compatible] response 200: Thing (through Image) changed (0 breaking, 1 compatible; see schema changes)",
        "   schema changes (1 in 1 schemas):",
        "     Image (response):",
        "         [compatible] raw_url: added (optional)",
    ]
    op = _json(old, new)["operations"]["changed"][0]
    assert op["schemas"] == [
        {"location": "response 200", "schema": "Thing", "side": "response", "changed": ["Image"]}
    ]
    assert op["breaking"] is False


def test_a_new_parameter_with_a_default_is_breaking_because_it_will_be_sent() -> None:
    param = {"name": "include_changelog", "in": "query", "schema": {"type": "boolean", "default": True}}
    old, new = _doc(_schemas()), _doc(_schemas(), params=[param])
    assert _lines(old, new) == [
        "== toy: 1 -> 1",
        "   1 breaking, 0 compatible",
        "   operations changed (1):",
        "     - GET /things/{id} (getThing) [breaking]",
        "         [breaking] query include_changelog: added (optional, default true: the generated client will "
        "now send include_changelog=true on every call unless told otherwise)",
    ]
    changed = copy.deepcopy(param)
    changed["schema"]["default"] = False
    assert _lines(_doc(_schemas(), params=[param]), _doc(_schemas(), params=[changed]))[-1] == (
        "         [breaking] query include_changelog: default true -> false (the generated client will now "
        "send include_changelog=false unless told otherwise)"
    )


def test_a_new_required_request_property_breaks_a_new_optional_one_does_not() -> None:
    new_thing = copy.deepcopy(NEW_THING)
    new_thing["properties"]["environment"] = {"type": "string"}
    new_thing["properties"]["file_types"] = {"type": "object"}
    new_thing["required"] = ["name", "environment"]
    assert _lines(_doc(_schemas()), _doc(_schemas(NewThing=new_thing)))[-3:] == [
        "     NewThing (request):",
        "         [breaking] environment: added (required)",
        "         [compatible] file_types: added (optional)",
    ]


def test_description_only_edits_go_to_the_quiet_section() -> None:
    new_thing = copy.deepcopy(NEW_THING)
    new_thing["properties"]["side"]["description"] = "Which side needs it"
    new_thing["properties"]["side"]["deprecated"] = True
    new_thing["properties"]["name"]["example"] = "Sodium"
    param = {"name": "facets", "in": "query", "schema": {"type": "string"}}
    edited = {**param, "description": "Now documented"}
    old = _doc(_schemas(), params=[param])
    new = _doc(_schemas(NewThing=new_thing), params=[edited])
    assert _lines(old, new) == [
        "== toy: 1 -> 1",
        "   no change (2 description-only edits)",
        "   description-only edits (2):",
        "     . NewThing: deprecated edited at side; description edited at side; example edited at name",
        "     . GET /things/{id} (getThing): description edited at query facets",
    ]
    assert _json(old, new)["quiet"] == [
        "NewThing: deprecated edited at side; description edited at side; example edited at name",
        "GET /things/{id} (getThing): description edited at query facets",
    ]


def test_json_and_base_file_compare_any_two_documents(tmp_path: Path) -> None:
    new_thing = copy.deepcopy(NEW_THING)
    new_thing["properties"]["side"]["enum"] = ["required", "optional"]
    old, new = _doc(_schemas()), _doc(_schemas(NewThing=new_thing))
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(old))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(new))
    args = [
        "--api",
        "modrinth",
        "--base-file",
        str(tmp_path / "a.yaml"),
        "--latest-file",
        str(tmp_path / "b.yaml"),
    ]
    args += ["--patch", "none", "--no-proof"]
    result = run_script("update.py", *args, "--json")
    assert result.returncode == 3, result.stderr
    data = json.loads(result.stdout)
    expected = render_json(compare(old, new), "modrinth")
    assert {k: v for k, v in data.items() if k != "status"} == expected
    assert data["status"] == 3 and data["breaking"] == 1
    assert data["schemas"]["changed"]["NewThing"]["changes"][0]["message"] == "enum lost 'unknown'"
    text = run_script("update.py", *args)
    assert text.stdout.splitlines() == render_text(compare(old, new), "modrinth")
