"""What changed between two OpenAPI documents, compared on *effective* schemas and classified for a client.

A schema's effective form is what a generator (and a server) actually means by it: `$ref` resolved
(its siblings ignored, as OpenAPI 3.0 and openapi-python-client ignore them), `allOf` members merged
into one schema, OpenAPI 3.1 `type: [.., "null"]` read as `nullable`, and nested objects, array
items, `additionalProperties`, `oneOf`/`anyOf` walked. Two documents that say the same thing in
different shapes (an `allOf` of two components flattened into one schema with the same fields)
compare equal.

Every change is classified **breaking** or **compatible** for a client that sends requests and
parses responses, following oasdiff's rules (github.com/oasdiff/oasdiff, docs/BREAKING-CHANGES-EXAMPLES.md):
on the request side what the client sends must still be accepted (a new required field, a removed
enum value, a field that no longer takes null, a changed default break it); on the response side
what the client parses must still parse (a removed or newly optional field, a new enum value, a field
that may now be null break it). Description, summary, title and example edits are reported apart,
as "quiet" changes.

Why hand-written: the maintained diffing tools are not Python (oasdiff is Go, openapi-diff Java);
the Python packages found (openapispecdiff, specdiff-style single files) compare raw documents
without merging `allOf` or knowing the side, which is exactly the artefact this module removes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Change",
    "Report",
    "compare",
    "effective_nullable",
    "render_json",
    "render_text",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REQUEST, RESPONSE = "request", "response"
QUIET_KEYS = ("description", "summary", "title", "example", "examples", "externalDocs", "deprecated")
COMPONENT_PREFIX = "#/components/schemas/"

# kind -> (breaking when the schema is sent by the client, breaking when it is parsed by the client)
RULES: dict[str, tuple[bool, bool]] = {
    "property-added": (False, False),
    "required-property-added": (True, False),
    "property-removed": (True, True),
    "became-required": (True, False),
    "became-optional": (False, True),
    "became-nullable": (False, True),
    "no-longer-nullable": (True, False),
    "type-changed": (True, True),
    "format-changed": (True, True),
    "enum-values-added": (False, True),
    "enum-values-removed": (True, False),
    "enum-added": (True, False),
    "enum-removed": (False, True),
    "default-changed": (True, False),
    "additional-properties-changed": (True, True),
    "composition-changed": (True, True),
    "schema-added": (False, False),
    "schema-removed": (True, True),
    # operation level
    "parameter-added": (False, False),
    "parameter-added-with-default": (True, False),
    "required-parameter-added": (True, False),
    "parameter-removed": (True, False),
    "parameter-became-required": (True, False),
    "parameter-became-optional": (False, False),
    "request-body-added": (False, False),
    "required-request-body-added": (True, False),
    "request-body-removed": (True, False),
    "request-body-became-required": (True, False),
    "request-body-became-optional": (False, False),
    "media-type-added": (False, False),
    "media-type-removed": (True, True),
    "response-added": (False, False),
    "success-response-removed": (False, True),
    "error-response-removed": (False, False),
    "security-changed": (True, True),
}


@dataclass(frozen=True)
class Change:
    """One effective change: where it is, what it is, on which side(s) it matters, and whether it breaks."""

    where: str  # a component name, or an operation location ("query include_changelog")
    path: str  # inside `where`: "slug", "files[].file_type", "" for the schema itself
    kind: str
    message: str
    sides: tuple[str, ...]
    old: Any = None
    new: Any = None

    @property
    def breaking(self) -> bool:
        return breaking_for(self.kind, self.sides)

    def line(self, sides: tuple[str, ...] | None = None) -> str:
        verdict = "breaking" if breaking_for(self.kind, sides or self.sides) else "compatible"
        at = f"{self.path}: " if self.path else ""
        return f"[{verdict}] {at}{self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "path": self.path,
            "kind": self.kind,
            "message": self.message,
            "sides": list(self.sides),
            "breaking": self.breaking,
            "old": _jsonable(self.old),
            "new": _jsonable(self.new),
        }


def breaking_for(kind: str, sides: tuple[str, ...]) -> bool:
    request, response = RULES[kind]
    return (REQUEST in sides and request) or (RESPONSE in sides and response)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value


def _fmt(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)


# --------------------------------------------------------------------------------------------------
# effective schemas
# --------------------------------------------------------------------------------------------------


class Resolver:
    """Normalises the schemas of one document; component schemas are normalised once and memoised."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.components: dict[str, Any] = ((doc.get("components") or {}).get("schemas")) or {}
        self._memo: dict[str, dict[str, Any]] = {}
        self._active: set[str] = set()

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return {}
        node: Any = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return {}
            node = node[part]
        return node

    def deref(self, node: Any) -> Any:
        """A parameter, request body or response object with its `$ref` (chains) followed."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            node = self.lookup(str(node["$ref"]))
            seen += 1
        return node

    def component(self, name: str) -> dict[str, Any]:
        """The effective content of component schema `name`."""
        if name in self._memo:
            return self._memo[name]
        if name in self._active:  # an allOf cycle: stop here
            return {}
        self._active.add(name)
        try:
            result = self.norm(self.components.get(name) or {})
        finally:
            self._active.discard(name)
        self._memo[name] = result
        return result

    def norm(self, node: Any) -> dict[str, Any]:
        """The effective form of a schema node. A `$ref` to a component stays a marker `{"$component": name}`."""
        if not isinstance(node, dict):
            return {}
        if "$ref" in node:
            ref = str(node["$ref"])
            if ref.startswith(COMPONENT_PREFIX):
                return {"$component": ref[len(COMPONENT_PREFIX) :]}
            return self.norm(self.lookup(ref))
        out: dict[str, Any] = {}
        merged: list[str] = []
        for member in node.get("allOf") or []:
            member_norm = self.norm(member)
            if "$component" in member_norm:
                merged.append(member_norm["$component"])
                member_norm = self.component(member_norm["$component"])
            out = merge(out, member_norm)
        own: dict[str, Any] = {"$allOf": merged} if merged else {}
        types = node.get("type")
        if isinstance(types, list):
            if "null" in types:
                own["nullable"] = True
            rest = [t for t in types if t != "null"]
            if rest:
                own["type"] = rest[0] if len(rest) == 1 else sorted(rest)
        elif types is not None:
            own["type"] = types
        if node.get("nullable") is True:
            own["nullable"] = True
        for key in ("format", "default", "readOnly", "writeOnly", *QUIET_KEYS):
            if key in node:
                own[key] = node[key]
        if "enum" in node and isinstance(node["enum"], list):
            values = list(node["enum"])
            if None in values:
                own["nullable"] = True
                values = [v for v in values if v is not None]
            own["enum"] = values
        if isinstance(node.get("properties"), dict):
            own["properties"] = {k: self.norm(v) for k, v in node["properties"].items()}
        if isinstance(node.get("required"), list):
            own["required"] = sorted(set(node["required"]))
        if "items" in node:
            own["items"] = self.norm(node["items"])
        if "additionalProperties" in node:
            ap = node["additionalProperties"]
            if ap is False:
                own["additionalProperties"] = False
            elif isinstance(ap, dict) and ap:
                own["additionalProperties"] = self.norm(ap)
        for key in ("oneOf", "anyOf"):
            if isinstance(node.get(key), list):
                own[key] = [self.norm(m) for m in node[key]]
        return merge(out, own)


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Merge two effective schemas the way `allOf` combines them (properties merged, required united)."""
    if not a:
        return copy.copy(b)
    out = dict(a)
    for key, value in b.items():
        if key == "properties":
            props = dict(out.get("properties") or {})
            for name, sub in value.items():
                props[name] = merge(props[name], sub) if name in props and "$component" not in sub else sub
            out["properties"] = props
        elif key == "required":
            out["required"] = sorted(set(out.get("required") or []) | set(value))
        elif key == "$allOf":
            out[key] = sorted(set(out.get(key) or []) | set(value))
        elif key == "nullable":
            out["nullable"] = bool(out.get("nullable")) or bool(value)
        else:
            out[key] = value
    return out


def effective_nullable(doc: dict[str, Any], node: Any) -> bool:
    """Whether a schema node means "may be null" once resolved (a `$ref` with siblings means only the ref)."""
    resolver = Resolver(doc)
    norm = resolver.norm(node)
    if "$component" in norm:
        norm = resolver.component(norm["$component"])
    return bool(norm.get("nullable"))


# --------------------------------------------------------------------------------------------------
# comparing two effective schemas
# --------------------------------------------------------------------------------------------------


@dataclass
class _Walk:
    old: Resolver
    new: Resolver
    where: str
    sides: tuple[str, ...]
    changes: list[Change] = field(default_factory=list)
    quiet: list[tuple[str, str, str]] = field(default_factory=list)  # (owner, path, key)
    via: set[str] = field(default_factory=set)  # components whose own comparison covers a subtree
    _pairs: set[tuple[str, str]] = field(default_factory=set)

    def add(self, path: str, kind: str, message: str, old: Any = None, new: Any = None) -> None:
        self.changes.append(Change(self.where, path, kind, message, self.sides, old, new))

    def expand(self, resolver: Resolver, node: dict[str, Any]) -> dict[str, Any]:
        return resolver.component(node["$component"]) if "$component" in node else node

    def schema(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_ref, new_ref = old.get("$component"), new.get("$component")
        if old_ref is not None and old_ref == new_ref:
            self.via.add(old_ref)
            return
        if old_ref is not None or new_ref is not None:
            pair = (str(old_ref), str(new_ref))
            if pair in self._pairs:
                return
            self._pairs.add(pair)
            try:
                self._content(self.expand(self.old, old), self.expand(self.new, new), path)
            finally:
                self._pairs.discard(pair)
            return
        self._content(old, new, path)

    def _content(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        at = path or self.where
        for key in QUIET_KEYS:
            if old.get(key) != new.get(key):
                self.quiet.append((self.where, path, key))
        if old.get("type") != new.get("type") and (old.get("type") or new.get("type")):
            self.add(
                path,
                "type-changed",
                f"type {old.get('type') or 'any'} -> {new.get('type') or 'any'}",
                old.get("type"),
                new.get("type"),
            )
        if old.get("format") != new.get("format"):
            self.add(
                path,
                "format-changed",
                f"format {old.get('format') or 'none'} -> {new.get('format') or 'none'}",
                old.get("format"),
                new.get("format"),
            )
        was, now = bool(old.get("nullable")), bool(new.get("nullable"))
        if now and not was:
            self.add(path, "became-nullable", "became nullable", False, True)
        elif was and not now:
            self.add(path, "no-longer-nullable", "no longer nullable", True, False)
        self._enum(old, new, path)
        if old.get("default", _MISSING) != new.get("default", _MISSING):
            self._default(old.get("default", _MISSING), new.get("default", _MISSING), path, at)
        self._properties(old, new, path)
        if "items" in old or "items" in new:
            self.schema(old.get("items") or {}, new.get("items") or {}, f"{path}[]")
        self._additional(old, new, path)
        for key in ("oneOf", "anyOf"):
            old_m, new_m = old.get(key) or [], new.get(key) or []
            if len(old_m) != len(new_m):
                self.add(path, "composition-changed", f"{key} {len(old_m)} -> {len(new_m)} alternatives")
            else:
                for index, (a, b) in enumerate(zip(old_m, new_m, strict=True)):
                    self.schema(a, b, f"{path}<{key}[{index}]>")

    def _enum(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        if "enum" not in old and "enum" not in new:
            return
        if "enum" not in old:
            self.add(path, "enum-added", f"now limited to {_values(new['enum'])}", None, new["enum"])
            return
        if "enum" not in new:
            self.add(path, "enum-removed", "no longer limited to an enum", old["enum"], None)
            return
        added = [v for v in new["enum"] if v not in old["enum"]]
        removed = [v for v in old["enum"] if v not in new["enum"]]
        if added:
            self.add(path, "enum-values-added", f"enum gained {_values(added)}", None, added)
        if removed:
            self.add(path, "enum-values-removed", f"enum lost {_values(removed)}", removed, None)

    def _default(self, old: Any, new: Any, path: str, at: str) -> None:
        name = path.rsplit(".", 1)[-1] if path else at.rsplit(" ", 1)[-1]
        if new is _MISSING:
            message = f"default {_fmt(old)} removed"
        else:
            message = f"default {'none' if old is _MISSING else _fmt(old)} -> {_fmt(new)}"
            if REQUEST in self.sides:
                message += f" (the generated client will now send {name}={_fmt(new)} unless told otherwise)"
        self.add(
            path,
            "default-changed",
            message,
            None if old is _MISSING else old,
            None if new is _MISSING else new,
        )

    def _properties(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_p, new_p = old.get("properties") or {}, new.get("properties") or {}
        old_r, new_r = set(old.get("required") or []), set(new.get("required") or [])
        prefix = f"{path}." if path else ""
        for name in sorted(new_p.keys() - old_p.keys()):
            if name in new_r:
                self.add(prefix + name, "required-property-added", "added (required)", None, True)
            else:
                self.add(prefix + name, "property-added", "added (optional)", None, False)
        for name in sorted(old_p.keys() - new_p.keys()):
            was = " (was required)" if name in old_r else ""
            self.add(prefix + name, "property-removed", f"removed{was}", name in old_r, None)
        for name in sorted(old_p.keys() & new_p.keys()):
            if name in new_r and name not in old_r:
                self.add(prefix + name, "became-required", "became required", False, True)
            elif name in old_r and name not in new_r:
                self.add(prefix + name, "became-optional", "became optional", True, False)
            self.schema(old_p[name], new_p[name], prefix + name)

    def _additional(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        a, b = old.get("additionalProperties"), new.get("additionalProperties")
        if a is None and b is None:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            self.schema(a, b, f"{path}{{}}")
            return
        if a == b:
            return

        def say(v: Any) -> str:
            return "forbidden" if v is False else "any value" if v is None else "typed"

        self.add(
            path,
            "additional-properties-changed",
            f"additional properties {say(a)} -> {say(b)}",
            _jsonable(a),
            _jsonable(b),
        )


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _values(values: list[Any]) -> str:
    return ", ".join(_fmt(v) for v in values)


# --------------------------------------------------------------------------------------------------
# operations
# --------------------------------------------------------------------------------------------------


def iter_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield method.upper(), path, item, item[method]


def _label(method: str, path: str, op: dict[str, Any]) -> str:
    return f"{method} {path}" + (f" ({op['operationId']})" if op.get("operationId") else "")


def _params(res: Resolver, item: dict[str, Any], op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for p in list(item.get("parameters") or []) + list(op.get("parameters") or []):
        p = res.deref(p)
        if isinstance(p, dict):
            out[(str(p.get("in", "?")), str(p.get("name", "?")))] = p
    return out


def _content(res: Resolver, node: Any) -> dict[str, dict[str, Any]]:
    node = res.deref(node)
    content = (node or {}).get("content") or {}
    return {mt: res.norm((media or {}).get("schema") or {}) for mt, media in content.items()}


@dataclass
class OperationDiff:
    method: str
    path: str
    operation_id: str | None
    changes: list[Change]
    schemas: list[tuple[str, str, str]]  # (location, component, side) reached unchanged in shape
    quiet: list[tuple[str, str, str]]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}" + (f" ({self.operation_id})" if self.operation_id else "")


def _operation(
    old: Resolver,
    new: Resolver,
    method: str,
    path: str,
    items: tuple[dict[str, Any], dict[str, Any]],
    ops: tuple[dict[str, Any], dict[str, Any]],
) -> OperationDiff:
    (old_item, new_item), (old_op, new_op) = items, ops
    result = OperationDiff(method, path, new_op.get("operationId"), [], [], [])
    label = result.label

    def walk(where: str, side: str) -> _Walk:
        return _Walk(old, new, where, (side,))

    def absorb(w: _Walk, location: str, side: str) -> None:
        result.changes.extend(w.changes)
        result.quiet.extend((label, f"{q[0]} {q[1]}".strip(), q[2]) for q in w.quiet)
        result.schemas.extend((location, name, side) for name in sorted(w.via))

    for key in ("summary", "description"):
        if old_op.get(key) != new_op.get(key):
            result.quiet.append((label, "", key))
    old_p, new_p = _params(old, old_item, old_op), _params(new, new_item, new_op)
    for key in sorted(new_p.keys() | old_p.keys()):
        where = f"{key[0]} {key[1]}"
        w = walk(where, REQUEST)
        if key not in old_p:
            p = new_p[key]
            schema = new.norm(p.get("schema") or {})
            default = w.expand(new, schema).get("default", _MISSING)
            if p.get("required"):
                w.add("", "required-parameter-added", "added (required)")
            elif default is not _MISSING:
                w.add(
                    "",
                    "parameter-added-with-default",
                    f"added (optional, default {_fmt(default)}: the generated client will now send "
                    f"{key[1]}={_fmt(default)} on every call unless told otherwise)",
                    None,
                    default,
                )
            else:
                w.add("", "parameter-added", "added (optional)")
        elif key not in new_p:
            w.add("", "parameter-removed", "removed")
        else:
            a, b = old_p[key], new_p[key]
            if bool(a.get("required")) != bool(b.get("required")):
                if b.get("required"):
                    w.add("", "parameter-became-required", "became required")
                else:
                    w.add("", "parameter-became-optional", "became optional")
            for q in ("description", "example", "examples", "deprecated"):
                if a.get(q) != b.get(q):
                    w.quiet.append((where, "", q))
            w.schema(old.norm(a.get("schema") or {}), new.norm(b.get("schema") or {}), "")
        absorb(w, where, REQUEST)
    # request body
    old_b, new_b = old.deref(old_op.get("requestBody")), new.deref(new_op.get("requestBody"))
    w = walk("request body", REQUEST)
    if not old_b and new_b:
        if new_b.get("required"):
            w.add("", "required-request-body-added", "added (required)")
        else:
            w.add("", "request-body-added", "added (optional)")
    elif old_b and not new_b:
        w.add("", "request-body-removed", "removed")
    elif old_b and new_b:
        if bool(old_b.get("required")) != bool(new_b.get("required")):
            if new_b.get("required"):
                w.add("", "request-body-became-required", "became required")
            else:
                w.add("", "request-body-became-optional", "became optional")
        if old_b.get("description") != new_b.get("description"):
            w.quiet.append(("request body", "", "description"))
        _media(w, _content(old, old_b), _content(new, new_b), "")
    absorb(w, "request body", REQUEST)
    # responses
    old_r, new_r = old_op.get("responses") or {}, new_op.get("responses") or {}
    for status in sorted(set(map(str, old_r)) | set(map(str, new_r))):
        where = f"response {status}"
        w = walk(where, RESPONSE)
        a = old.deref(old_r.get(status, old_r.get(int(status)) if status.isdigit() else None))
        b = new.deref(new_r.get(status, new_r.get(int(status)) if status.isdigit() else None))
        if a is None and b is not None:
            w.add("", "response-added", "added")
        elif b is None and a is not None:
            success = status.startswith("2") or status == "default"
            w.add("", "success-response-removed" if success else "error-response-removed", "removed")
        elif a is not None and b is not None:
            if (a or {}).get("description") != (b or {}).get("description"):
                w.quiet.append((where, "", "description"))
            _media(w, _content(old, a), _content(new, b), "")
        absorb(w, where, RESPONSE)
    if old_op.get("security") != new_op.get("security"):
        w = walk("security", REQUEST)
        w.add("", "security-changed", f"{_fmt(old_op.get('security'))} -> {_fmt(new_op.get('security'))}")
        absorb(w, "security", REQUEST)
    return result


def _media(w: _Walk, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], path: str) -> None:
    for mt in sorted(new.keys() - old.keys()):
        w.add(path, "media-type-added", f"media type {mt} added")
    for mt in sorted(old.keys() - new.keys()):
        w.add(path, "media-type-removed", f"media type {mt} removed")
    for mt in sorted(old.keys() & new.keys()):
        w.schema(old[mt], new[mt], "")


# --------------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------------


def _reached(res: Resolver, node: dict[str, Any], out: set[str]) -> None:
    """Every component name a normalised schema refers to, transitively."""
    if "$component" in node:
        name = node["$component"]
        if name not in out:
            out.add(name)
            _reached(res, res.component(name), out)
        return
    for name in node.get("$allOf") or []:
        if name not in out:
            out.add(name)
            _reached(res, res.component(name), out)
    for sub in (node.get("properties") or {}).values():
        _reached(res, sub, out)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _reached(res, node[key], out)
    for key in ("oneOf", "anyOf"):
        for sub in node.get(key) or []:
            _reached(res, sub, out)


def _usage(res: Resolver) -> dict[str, set[str]]:
    """component name -> the sides ("request", "response") on which some operation uses it."""
    usage: dict[str, set[str]] = {}
    for _method, _path, item, op in iter_operations(res.doc):
        sent: set[str] = set()
        for p in _params(res, item, op).values():
            _reached(res, res.norm(p.get("schema") or {}), sent)
        for schema in _content(res, op.get("requestBody")).values():
            _reached(res, schema, sent)
        received: set[str] = set()
        for response in (op.get("responses") or {}).values():
            for schema in _content(res, response).values():
                _reached(res, schema, received)
        for name in sent:
            usage.setdefault(name, set()).add(REQUEST)
        for name in received:
            usage.setdefault(name, set()).add(RESPONSE)
    return usage


@dataclass
class Report:
    """Everything `update` says about two documents (patch and proof findings are added by the caller)."""

    old_version: str
    new_version: str
    operations_added: list[str]
    operations_removed: list[str]
    operations_changed: list[OperationDiff]
    schemas_added: list[str]
    schemas_removed: list[str]
    schema_changes: dict[str, list[Change]]
    schema_sides: dict[str, tuple[str, ...]]
    quiet: list[str]
    patches: list[str] = field(default_factory=list)
    proof: list[str] = field(default_factory=list)
    closure: dict[str, set[str]] = field(default_factory=dict)

    def changed_via(self, name: str) -> set[str]:
        """`name` and every component below it whose own comparison found changes."""
        return {n for n in self.closure.get(name, set()) if self.schema_changes.get(n)}

    def op_breaking(self, op: OperationDiff) -> bool:
        if any(c.breaking for c in op.changes):
            return True
        for _location, name, side in op.schemas:
            for sub in self.changed_via(name):
                if any(breaking_for(c.kind, (side,)) for c in self.schema_changes[sub]):
                    return True
        return False

    @property
    def breaking(self) -> int:
        count = sum(1 for op in self.operations_changed for c in op.changes if c.breaking)
        count += sum(1 for changes in self.schema_changes.values() for c in changes if c.breaking)
        return count + len(self.operations_removed)

    @property
    def compatible(self) -> int:
        count = sum(1 for op in self.operations_changed for c in op.changes if not c.breaking)
        count += sum(1 for changes in self.schema_changes.values() for c in changes if not c.breaking)
        return count + len(self.operations_added)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.operations_added
            or self.operations_removed
            or self.operations_changed
            or self.schemas_added
            or self.schemas_removed
            or self.schema_changes
        )


def compare(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> Report:
    """The effective difference between two OpenAPI documents."""
    old, new = Resolver(old_doc), Resolver(new_doc)
    old_ops = {(m, p): (item, op) for m, p, item, op in iter_operations(old_doc)}
    new_ops = {(m, p): (item, op) for m, p, item, op in iter_operations(new_doc)}
    quiet: list[tuple[str, str, str]] = []
    old_usage, new_usage = _usage(old), _usage(new)
    sides: dict[str, tuple[str, ...]] = {}
    schema_changes: dict[str, list[Change]] = {}
    closure_edges: dict[str, set[str]] = {}
    for name in sorted(old.components.keys() & new.components.keys()):
        used = old_usage.get(name, set()) | new_usage.get(name, set())
        sides[name] = tuple(sorted(used)) or (REQUEST, RESPONSE)
        w = _Walk(old, new, name, sides[name])
        w._pairs.add((name, name))
        w._content(old.component(name), new.component(name), "")
        if w.changes:
            schema_changes[name] = w.changes
        quiet.extend(w.quiet)
        closure_edges[name] = w.via
    closure: dict[str, set[str]] = {}
    for name in closure_edges:
        seen: set[str] = set()
        stack = [name]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(closure_edges.get(current, ()))
        closure[name] = seen
    changed: list[OperationDiff] = []
    for key in sorted(old_ops.keys() & new_ops.keys(), key=lambda k: (k[1], k[0])):
        (oi, oo), (ni, no) = old_ops[key], new_ops[key]
        diff = _operation(old, new, key[0], key[1], (oi, ni), (oo, no))
        quiet.extend(diff.quiet)
        diff.schemas = [
            s for s in diff.schemas if any(schema_changes.get(n) for n in closure.get(s[1], {s[1]}))
        ]
        if diff.changes or diff.schemas:
            changed.append(diff)
    old_s, new_s = set(old.components), set(new.components)
    return Report(
        old_version=str((old_doc.get("info") or {}).get("version")),
        new_version=str((new_doc.get("info") or {}).get("version")),
        operations_added=[
            _label(k[0], k[1], new_ops[k][1]) for k in sorted(new_ops.keys() - old_ops.keys(), key=_by_path)
        ],
        operations_removed=[
            _label(k[0], k[1], old_ops[k][1]) for k in sorted(old_ops.keys() - new_ops.keys(), key=_by_path)
        ],
        operations_changed=changed,
        schemas_added=sorted(new_s - old_s),
        schemas_removed=sorted(old_s - new_s),
        schema_changes=schema_changes,
        schema_sides=sides,
        quiet=_group_quiet(quiet),
        closure=closure,
    )


def _group_quiet(items: list[tuple[str, str, str]]) -> list[str]:
    """One line per schema or operation: which keys were edited where ("(itself)" for the owner)."""
    grouped: dict[str, dict[str, list[str]]] = {}
    for owner, path, key in items:
        paths = grouped.setdefault(owner, {}).setdefault(key, [])
        if (path or "(itself)") not in paths:
            paths.append(path or "(itself)")
    return [
        f"{owner}: " + "; ".join(f"{key} edited at {', '.join(keys[key])}" for key in sorted(keys))
        for owner, keys in grouped.items()
    ]


def _by_path(key: tuple[str, str]) -> tuple[str, str]:
    return key[1], key[0]


def _op_lines(report: Report, op: OperationDiff) -> list[str]:
    lines = []
    for c in op.changes:
        verdict = "breaking" if c.breaking else "compatible"
        at = f" {c.path}" if c.path else ""
        lines.append(f"[{verdict}] {c.where}{at}: {c.message}")
    for location, name, side in op.schemas:
        subs = sorted(report.changed_via(name))
        n_break = sum(1 for s in subs for c in report.schema_changes[s] if breaking_for(c.kind, (side,)))
        n_total = sum(len(report.schema_changes[s]) for s in subs)
        verdict = "breaking" if n_break else "compatible"
        where = (
            name if subs == [name] else f"{name} (through {', '.join(s for s in subs if s != name) or name})"
        )
        lines.append(
            f"[{verdict}] {location}: {where} changed ({n_break} breaking, {n_total - n_break} compatible; "
            f"see schema changes)"
        )
    return lines


def render_text(report: Report, api: str, *, quiet: bool = True) -> list[str]:
    """The report as a maintainer reads it, one list entry per printed line."""
    lines = [f"== {api}: {report.old_version} -> {report.new_version}"]
    if report.has_changes:
        lines.append(f"   {report.breaking} breaking, {report.compatible} compatible")
    else:
        lines.append(
            "   no change" + (f" ({len(report.quiet)} description-only edits)" if report.quiet else "")
        )

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.append(f"   {title} ({len(items)}):")
            lines.extend(f"     - {item}" for item in items)

    section("operations added", report.operations_added)
    section("operations removed", report.operations_removed)
    if report.operations_changed:
        lines.append(f"   operations changed ({len(report.operations_changed)}):")
        for op in report.operations_changed:
            verdict = "breaking" if report.op_breaking(op) else "compatible"
            lines.append(f"     - {op.label} [{verdict}]")
            lines.extend(f"         {line}" for line in _op_lines(report, op))
    section("schemas added", report.schemas_added)
    section("schemas removed", report.schemas_removed)
    if report.schema_changes:
        total = sum(len(v) for v in report.schema_changes.values())
        lines.append(f"   schema changes ({total} in {len(report.schema_changes)} schemas):")
        for name, changes in report.schema_changes.items():
            lines.append(f"     {name} ({', '.join(report.schema_sides[name])}):")
            lines.extend(f"         {c.line()}" for c in changes)
    section("patch actions", report.patches)
    section("candidate proof", report.proof)
    if quiet and report.quiet:
        lines += _quiet(report)
    return lines


def _quiet(report: Report) -> list[str]:
    return [f"   description-only edits ({len(report.quiet)}):", *(f"     . {q}" for q in report.quiet)]


def render_json(report: Report, api: str) -> dict[str, Any]:
    """The same report, machine-readable (stable keys; lists in report order)."""
    return {
        "api": api,
        "from": report.old_version,
        "to": report.new_version,
        "breaking": report.breaking,
        "compatible": report.compatible,
        "operations": {
            "added": report.operations_added,
            "removed": report.operations_removed,
            "changed": [
                {
                    "method": op.method,
                    "path": op.path,
                    "operationId": op.operation_id,
                    "breaking": report.op_breaking(op),
                    "changes": [c.as_json() for c in op.changes],
                    "schemas": [
                        {
                            "location": location,
                            "schema": name,
                            "side": side,
                            "changed": sorted(report.changed_via(name)),
                        }
                        for location, name, side in op.schemas
                    ],
                    "lines": _op_lines(report, op),
                }
                for op in report.operations_changed
            ],
        },
        "schemas": {
            "added": report.schemas_added,
            "removed": report.schemas_removed,
            "changed": {
                name: {"sides": list(report.schema_sides[name]), "changes": [c.as_json() for c in changes]}
                for name, changes in report.schema_changes.items()
            },
        },
        "patches": report.patches,
        "proof": report.proof,
        "quiet": report.quiet,
    }
