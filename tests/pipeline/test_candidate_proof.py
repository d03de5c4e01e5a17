"""Before anything is written, the candidate is generated into a temporary folder and proven.

A toy API is generated for real (openapi-python-client, like every regeneration) and checked against
real-looking payloads, a cassette, a source file importing a generated name, and its own defaults.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

from _diff import compare
from _proof import _successors, prove
from _specs import Api, load_lock


def _doc(*, environment: bool, default: bool) -> dict[str, Any]:
    thing: dict[str, Any] = {
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"],
    }
    if environment:
        thing["properties"]["environment"] = {"type": "string"}
        thing["required"].append("environment")
    param: dict[str, Any] = {"name": "include_changelog", "in": "query", "schema": {"type": "boolean"}}
    if default:
        param["schema"]["default"] = True
    return {
        "openapi": "3.0.3",
        "info": {"title": "toy", "version": "2"},
        "servers": [{"url": "https://toy.invalid/v1"}],
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                        param,
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
            }
        },
        "components": {"schemas": {"Thing": thing}},
    }


def _cassette(folder: Path, bodies: list[dict[str, Any]]) -> None:
    interactions = [
        {
            "request": {
                "method": "GET",
                "uri": f"https://toy.invalid/v1/things/t{i}",
                "body": None,
                "headers": {},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"content-type": ["application/json"]},
                "body": {"string": json.dumps(body)},
            },
        }
        for i, body in enumerate(bodies)
    ]
    (folder / "cassettes").mkdir(parents=True)
    (folder / "cassettes" / "toy.yaml").write_text(
        yaml.safe_dump({"interactions": interactions, "version": 1})
    )


@pytest.fixture
def toy(tmp_path: Path) -> dict[str, Any]:
    payloads = tmp_path / "payloads" / "toy"
    payloads.mkdir(parents=True)
    (payloads / "thing.json").write_text(json.dumps({"id": "P7dR8mSH"}))
    (payloads / "payloads.json").write_text(json.dumps({"thing.json": "getThing"}))
    src = tmp_path / "src"
    src.mkdir()
    (src / "uses.py").write_text("from craftapis_generated.toy.models import Thing, ThingsItem\n")
    _cassette(tmp_path / "cas", [{"id": "a", "environment": "client"}, {"id": "b"}])
    lock = load_lock()
    entry = {
        "kind": "upstream",
        "package": "toy",
        "url": "https://toy.invalid/openapi.yaml",
        "sha256": "0" * 64,
    }
    lock = {**lock, "apis": {"toy": entry}}
    return {"api": Api("toy", entry), "lock": lock, "tmp": tmp_path, "src": src}


def test_a_payload_that_stops_parsing_is_named_with_its_field_and_the_change(toy: dict[str, Any]) -> None:
    old, new = _doc(environment=False, default=False), _doc(environment=True, default=True)
    proof = prove(
        toy["api"],
        copy.deepcopy(new),
        toy["lock"],
        payloads=toy["tmp"] / "payloads",
        report=compare(old, new),
        sources=[toy["src"]],
        cassettes=toy["tmp"] / "cas",
    )
    src = toy["src"] / "uses.py"
    assert proof.errors == [
        "real payload thing.json (getThing 200) no longer parses: KeyError: 'environment' — field 'environment' — "
        "schema says $: 'environment' is a required property — caused by Thing.environment: added (required)",
        f"cassette {toy['tmp'] / 'cas' / 'cassettes' / 'toy.yaml'} #1 (getThing 200) no longer parses: "
        "KeyError: 'environment' — field 'environment' — schema says $: 'environment' is a required property — "
        "caused by Thing.environment: added (required)",
        f"{src}:1 imports craftapis_generated.toy.models.ThingsItem, which the candidate no longer has; "
        "likely successor Thing",
        "craftapis_generated.toy.api.default.get_thing sends include_changelog=True when called with only its "
        "required arguments (a spec default); patch the default away so only what the caller asks for is sent",
    ]
    assert proof.notes == [
        "1 real payloads and 2 cassette bodies parsed with the candidate (2 failed)",
        "2 generated names imported by facade/ and tests/ checked (1 missing)",
        "1 operations called with only their required arguments",
    ]


def test_a_candidate_that_parses_everything_proves_clean(toy: dict[str, Any]) -> None:
    doc = _doc(environment=False, default=False)
    (toy["src"] / "uses.py").write_text("from craftapis_generated.toy.models import Thing\n")
    proof = prove(
        toy["api"],
        doc,
        toy["lock"],
        payloads=toy["tmp"] / "payloads",
        sources=[toy["src"]],
        cassettes=toy["tmp"] / "cas",
    )
    assert proof.errors == []
    assert proof.notes[0] == "1 real payloads and 2 cassette bodies parsed with the candidate (0 failed)"


def test_successors_of_a_renamed_model() -> None:
    names = ["Project", "ProjectClientSide", "ProjectServerSide", "ProjectResult"]
    assert _successors("BaseProjectClientSide", names)[0] == "ProjectClientSide"
    assert (
        _successors("ServerRenderedProjectProjectType", ["ProjectProjectType", "Project"])[0]
        == "ProjectProjectType"
    )
