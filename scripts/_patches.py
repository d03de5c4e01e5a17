"""What each patch action really does to a new upstream document, beyond "its target still matches".

An overlay action can keep applying while its meaning changes underneath it: upstream turns the
inline schema it merges into a `$ref`, and the merge yields `$ref` with siblings, which OpenAPI 3.0
and openapi-python-client ignore (the nullability the action was written for is lost without a word).
Or upstream fixes the bug itself, and the action becomes dead weight that hides the next real change.

`audit()` applies the actions one at a time, as `_specs.apply_patch` does, and reports:

* **error** — the target (or copy source) matches nothing; the action's merge creates a `$ref` with
  siblings that are still there when every action has run; a `nullable: true` it sets is not nullable
  in the effective schema of the fully patched document; or the `required` names it appends are already
  required upstream (a list naming a field twice is an invalid document: drop the names upstream now
  requires itself);

The `$ref` and nullability findings are judged on the document the whole patch makes, not right after
the action: a patch may rewrite a property in two steps (merge `anyOf: [$ref], nullable: true` into a
`{$ref: X}` property, then a later action strips the `$ref` it replaced, as BuiltByBit v2's does), and
only a `$ref` with siblings, or a lost `nullable`, that survives to the end changes what is generated.
* **note** — the action is unnecessary: applying it changes nothing, or what it makes nullable
  already was.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _diff import effective_nullable

__all__ = ["Audit", "audit"]

Location = tuple[str | int, ...]


@dataclass
class Audit:
    """Findings of one overlay against one document, as messages naming the action and its reason."""

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    document: dict[str, Any] | None = None  # the patched document (None when an action did not apply)


def _keys(path: Any) -> Location:
    """The keys a jsonpath-ng `full_path` walks, root first."""
    from jsonpath_ng import jsonpath

    if isinstance(path, jsonpath.Child):
        return _keys(path.left) + _keys(path.right)
    if isinstance(path, jsonpath.Fields):
        return (path.fields[0],)
    if isinstance(path, jsonpath.Index):
        return (path.indices[0],)
    return ()


def _at(doc: Any, location: Location) -> Any:
    node = doc
    for key in location:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _refs_with_siblings(node: Any, location: Location = ()) -> Iterator[tuple[Location, list[str]]]:
    """Every schema-like mapping holding `$ref` beside other keys (a `description` alone is harmless)."""
    if isinstance(node, dict):
        if "$ref" in node:
            siblings = sorted(str(k) for k in node if k not in ("$ref", "description", "summary"))
            if siblings:
                yield location, siblings
        for key, value in node.items():
            yield from _refs_with_siblings(value, (*location, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs_with_siblings(value, (*location, index))


def _nullable_spots(update: Any, location: Location = ()) -> Iterator[Location]:
    """Where inside an action's `update` value a schema is made nullable."""
    if isinstance(update, dict):
        if update.get("nullable") is True:
            yield location
        for key, value in update.items():
            if key != "nullable":
                yield from _nullable_spots(value, (*location, key))


def _required_lists(node: Any, location: Location = ()) -> Iterator[tuple[Location, list[Any]]]:
    """Every schema's `required` list (any list under a `required` key), with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "required" and isinstance(value, list):
                yield (*location, key), value
            else:
                yield from _required_lists(value, (*location, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _required_lists(value, (*location, index))


def _twice(names: list[Any]) -> list[str]:
    seen: set[str] = set()
    return sorted({str(n) for n in names if str(n) in seen or seen.add(str(n))})


def _where(location: Location) -> str:
    out = "$"
    for key in location:
        out += (
            f"[{key}]" if isinstance(key, int) else (f".{key}" if str(key).isidentifier() else f"['{key}']")
        )
    return out


def audit(doc: dict[str, Any], patch: Path, api_name: str, shown_as: str) -> Audit:
    """Apply `patch` to a copy of `doc` action by action and report every action whose effect is not what it says."""
    from _specs import load_patch
    from jsonpath_ng.ext import parse
    from oas_patch.overlay import apply_overlay

    result = Audit()
    overlay = load_patch(patch)
    current = copy.deepcopy(doc)
    pending: list[_Pending] = []
    ok = True
    for index, action in enumerate(overlay.get("actions") or []):
        target = action["target"]
        why = " ".join(str(action.get("description", "")).split())
        name = f"{api_name}: patch {shown_as} action #{index}"
        matches = parse(target).find(current)
        if not matches:
            result.errors.append(
                f"{name} no longer applies: target {target} matches nothing. It was written because: {why}"
            )
            ok = False
            continue
        if "copy" in action and not parse(action["copy"]).find(current):
            result.errors.append(
                f"{name} copies from {action['copy']}, which matches nothing. It was written because: {why}"
            )
            ok = False
            continue
        before = current
        before_refs = dict(_refs_with_siblings(before))
        current = apply_overlay(copy.deepcopy(before), {"actions": [action]})
        if "update" not in action:
            continue
        if current == before:
            result.notes.append(
                f"{name} is unnecessary: upstream already says what it sets at {target}. "
                f"It was written because: {why}"
            )
            continue
        for location, siblings in _refs_with_siblings(current):
            if location not in before_refs or before_refs[location] != siblings:
                ref = _at(current, location)["$ref"]
                pending.append(
                    _Pending(
                        location,
                        siblings,
                        f"{name} now merges into a `$ref`: {_where(location)} becomes $ref {ref} beside "
                        f"{', '.join(siblings)}; a $ref hides its siblings (OpenAPI 3.0, openapi-python-client), so "
                        f"what the action adds there has no effect. Rewrite it to replace the property "
                        f"(remove, then update its parent). It was written because: {why}",
                    )
                )
        doubled_before = {loc: _twice(names) for loc, names in _required_lists(before)}
        for location, names in _required_lists(current):
            doubled = [n for n in _twice(names) if n not in doubled_before.get(location, [])]
            if doubled:
                result.errors.append(
                    f"{name} makes {', '.join(doubled)} required at {_where(location)}, which upstream now "
                    f"requires itself (the list would name it twice, an invalid document): drop "
                    f"{'it' if len(doubled) == 1 else 'them'} from the action. It was written because: {why}"
                )
        for match in matches:
            base = _keys(match.full_path)
            for spot in _nullable_spots(action["update"]):
                location = (*base, *spot)
                if _at(current, location) is None:
                    continue
                was = _at(before, location) is not None and effective_nullable(before, _at(before, location))
                if was:
                    result.notes.append(
                        f"{name} is unnecessary at {_where(location)}: upstream already makes it nullable. "
                        f"It was written because: {why}"
                    )
                elif not effective_nullable(current, _at(current, location)):
                    pending.append(
                        _Pending(
                            location,
                            None,
                            f"{name} sets nullable at {_where(location)}, but the merged schema is still not "
                            f"nullable (upstream's shape there changed). It was written because: {why}",
                        )
                    )
    final_refs = dict(_refs_with_siblings(current))
    for finding in pending:
        node = _at(current, finding.location)
        if finding.siblings is not None:
            still = final_refs.get(finding.location) == finding.siblings
        else:
            still = node is not None and not effective_nullable(current, node)
        if still:
            result.errors.append(finding.message)
    result.document = current if ok else None
    return result


@dataclass
class _Pending:
    """A `$ref`-with-siblings (`siblings` set) or lost-`nullable` finding, an error only if the fully
    patched document still shows it (a later action may complete the rewrite)."""

    location: Location
    siblings: list[str] | None
    message: str
