"""A patch action that still applies can change meaning (or become unnecessary): `update` says which and why."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .conftest import ROOT, run_script

sys.path.insert(0, str(ROOT / "scripts"))

from _patches import audit


def _doc(kind: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "toy", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "operationId": "getThing",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {"type": "object", "properties": {"kind": kind}},
                "Kind": {"type": "string", "enum": ["a", "b"]},
            }
        },
    }


INLINE = {"type": "string", "enum": ["a", "b"]}
REF = {"$ref": "#/components/schemas/Kind"}
WHY = "Real things often have no kind: the field is null."


def _overlay(tmp_path: Path, *actions: dict[str, Any]) -> Path:
    path = tmp_path / "toy.overlay.yaml"
    path.write_text(
        yaml.safe_dump({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)})
    )
    return path


NULLABLE_KIND = {
    "target": "$.components.schemas.Thing.properties",
    "update": {"kind": {"nullable": True}},
    "description": WHY,
}


def test_a_merge_that_now_lands_beside_a_ref_is_an_error(tmp_path: Path) -> None:
    patch = _overlay(tmp_path, NULLABLE_KIND)
    assert audit(_doc(copy.deepcopy(INLINE)), patch, "toy", "toy.overlay.yaml").errors == []
    found = audit(_doc(copy.deepcopy(REF)), patch, "toy", "toy.overlay.yaml")
    assert found.errors == [
        "toy: patch toy.overlay.yaml action #0 now merges into a `$ref`: $.components.schemas.Thing.properties.kind "
        "becomes $ref #/components/schemas/Kind beside nullable; a $ref hides its siblings (OpenAPI 3.0, "
        "openapi-python-client), so what the action adds there has no effect. Rewrite it to replace the property "
        f"(remove, then update its parent). It was written because: {WHY}",
        "toy: patch toy.overlay.yaml action #0 sets nullable at $.components.schemas.Thing.properties.kind, but the "
        f"merged schema is still not nullable (upstream's shape there changed). It was written because: {WHY}",
    ]
    assert found.document is not None and found.notes == []


ANYOF_KIND = {
    "target": "$..properties[?(@['$ref'] == '#/components/schemas/Kind')]",
    "update": {"anyOf": [REF], "nullable": True},
    "description": WHY,
}
STRIP_REF = {
    "target": "$..properties[?(@.anyOf)]['$ref']",
    "remove": True,
    "description": "Strip the `$ref` the union above replaces.",
}


def test_a_ref_a_later_action_strips_is_not_an_error(tmp_path: Path) -> None:
    # BuiltByBit v2's overlay makes a `{$ref: X}` property nullable in two steps: merge
    # `anyOf: [$ref X], nullable: true` into it, then strip the old `$ref` (one action for all). The
    # audit used to judge the merge alone and reported both findings for every such property.
    two_steps = audit(
        _doc(copy.deepcopy(REF)), _overlay(tmp_path, ANYOF_KIND, STRIP_REF), "toy", "toy.overlay.yaml"
    )
    assert two_steps.errors == [] and two_steps.notes == []
    assert two_steps.document is not None
    assert two_steps.document["components"]["schemas"]["Thing"]["properties"]["kind"] == {
        "anyOf": [REF],
        "nullable": True,
    }
    # without the strip the `$ref` still hides the union at the end: both findings stay errors
    one_step = audit(_doc(copy.deepcopy(REF)), _overlay(tmp_path, ANYOF_KIND), "toy", "toy.overlay.yaml")
    assert len(one_step.errors) == 2
    assert (
        "action #0 now merges into a `$ref`: $.components.schemas.Thing.properties.kind" in one_step.errors[0]
    )
    assert "action #0 sets nullable at $.components.schemas.Thing.properties.kind" in one_step.errors[1]


def test_an_action_upstream_made_unnecessary_is_a_note(tmp_path: Path) -> None:
    patch = _overlay(tmp_path, NULLABLE_KIND)
    already = {"allOf": [REF, {"nullable": True}]}  # upstream now says "nullable" its own way
    found = audit(_doc(already), patch, "toy", "toy.overlay.yaml")
    assert found.errors == []
    assert found.notes == [
        "toy: patch toy.overlay.yaml action #0 is unnecessary at $.components.schemas.Thing.properties.kind: "
        f"upstream already makes it nullable. It was written because: {WHY}"
    ]
    same = audit(_doc({**INLINE, "nullable": True}), patch, "toy", "toy.overlay.yaml")
    assert same.notes == [
        "toy: patch toy.overlay.yaml action #0 is unnecessary: upstream already says what it sets at "
        f"$.components.schemas.Thing.properties. It was written because: {WHY}"
    ]


def test_an_action_whose_target_is_gone_is_an_error_and_blocks_the_candidate(tmp_path: Path) -> None:
    gone = {**NULLABLE_KIND, "target": "$.components.schemas.Gone.properties"}
    found = audit(_doc(copy.deepcopy(INLINE)), _overlay(tmp_path, gone), "toy", "toy.overlay.yaml")
    assert found.errors == [
        "toy: patch toy.overlay.yaml action #0 no longer applies: target $.components.schemas.Gone.properties "
        f"matches nothing. It was written because: {WHY}"
    ]
    assert found.document is None


def test_update_reports_patch_findings_in_text_and_json(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_doc(copy.deepcopy(INLINE))))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(_doc(copy.deepcopy(REF))))
    patch = _overlay(tmp_path, NULLABLE_KIND)
    args = [
        "--api",
        "modrinth",
        "--base-file",
        str(tmp_path / "a.yaml"),
        "--latest-file",
        str(tmp_path / "b.yaml"),
    ]
    args += ["--patch", str(patch), "--no-proof"]
    result = run_script("update.py", *args)
    assert result.returncode == 1
    assert "   patch actions (2):" in result.stdout.splitlines()
    assert "error: toy" not in result.stderr and "action #0 now merges into a `$ref`" in result.stderr
    data = json.loads(run_script("update.py", *args, "--json").stdout)
    assert data["status"] == 1 and len(data["patches"]) == 2
    assert all(p.startswith("error: modrinth: patch ") for p in data["patches"])


def test_a_required_name_upstream_now_requires_itself_is_an_error(tmp_path: Path) -> None:
    """Fields made required on evidence (issue 9 item 5): when upstream requires one of them itself, the
    appended list would name it twice, which no validator accepts; the audit says which name to drop."""
    why = "Every real thing carries its kind."
    patch = _overlay(
        tmp_path,
        {"target": "$.components.schemas.Thing.required", "update": ["kind"], "description": why},
    )
    before = _doc(copy.deepcopy(INLINE))
    before["components"]["schemas"]["Thing"]["required"] = []
    ok = audit(before, patch, "toy", "toy.overlay.yaml")
    assert ok.errors == [] and ok.notes == []
    assert ok.document is not None and ok.document["components"]["schemas"]["Thing"]["required"] == ["kind"]

    upstream = _doc(copy.deepcopy(INLINE))
    upstream["components"]["schemas"]["Thing"]["required"] = ["kind"]
    found = audit(upstream, patch, "toy", "toy.overlay.yaml")
    assert found.errors == [
        "toy: patch toy.overlay.yaml action #0 makes kind required at $.components.schemas.Thing.required, "
        "which upstream now requires itself (the list would name it twice, an invalid document): drop it "
        f"from the action. It was written because: {why}"
    ]
