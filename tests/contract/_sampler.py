"""Valid values for OpenAPI 3.0 schemas: the spec's own examples when they validate, else synthetic ones.

Every candidate is checked with openapi-schema-validator's OAS 3.0 validator (which knows `nullable`)
against the schema in its document, so `$ref`s resolve. An example that does not validate is not
used, and is remembered in `bad_examples` (the docs are wrong there, and the generated docstrings
repeat them).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30Validator

__all__ = ["SchemaSampler"]

#: Strings tried, in order, against a `pattern` (the specs' patterns are ids and id lists).
_PATTERN_CANDIDATES = ("1", "AABBCCDD", "a", "abc", "example", "1,2", "a-b")
_FORMATS: dict[str, Any] = {
    "date-time": "2024-01-02T03:04:05Z",
    "ISO-8601": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05",
    "email": "user@example.com",
    "uri": "https://example.com/item",
    "url": "https://example.com/item",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "Y3JhZnRhcGlz",  # base64 of "craftapis"
    "hostname": "example.com",
}
#: How deep `full` samples fill optional properties (recursive schemas such as Category.Children stop here).
_FULL_DEPTH = 4
#: A few bytes that are a valid PNG signature, for binary parts and bodies.
SAMPLE_BYTES = b"\x89PNG\r\n\x1a\n craftapis contract test"


class SchemaSampler:
    """Samples values for the schemas of one OpenAPI 3.0 document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._components = document.get("components") or {}
        #: (where, example, first validation error) of every example that did not match its schema
        self.bad_examples: list[tuple[str, Any, str]] = []

    # -- references and validation -----------------------------------------------------------
    def resolve(self, node: Any) -> Any:
        """`node` with every top-level `$ref` followed (a `$ref` to a `$ref` too)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = str(node["$ref"])
            if not ref.startswith("#/"):
                raise ValueError(f"only local $refs are supported, got {ref}")
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            if seen > 50:
                raise ValueError(f"$ref cycle at {ref}")
        return node

    def error(self, value: Any, schema: dict[str, Any]) -> str | None:
        """The first reason `value` does not match `schema`, or None when it does."""
        # The validated root holds the components, so `#/components/...` refs resolve against it.
        root = {"allOf": [schema], "components": self._components}
        err = best_match(OAS30Validator(root).iter_errors(value))
        if err is None:
            return None
        while err.context:  # anyOf/oneOf: name the branch's own error, not "not valid under any"
            err = best_match(err.context) or err.context[0]
        message = err.message if len(err.message) <= 160 else err.message[:160] + "…"
        return f"{'/'.join(map(str, err.absolute_path)) or '(root)'}: {message}"

    def _valid_example(self, where: str, value: Any, schema: dict[str, Any]) -> bool:
        reason = self.error(value, schema)
        if reason is None:
            return True
        self.bad_examples.append((where, value, reason))
        return False

    # -- parameters ----------------------------------------------------------------------------
    def parameter_value(self, parameter: dict[str, Any], where: str) -> Any:
        """A value for a parameter: its example, examples, the schema's example/default/enum, else synthetic."""
        schema = self.resolve(parameter.get("schema") or {})
        candidates: list[tuple[str, Any]] = []
        if "example" in parameter:
            candidates.append(("example", parameter["example"]))
        for name, example in (parameter.get("examples") or {}).items():
            example = self.resolve(example)
            if isinstance(example, dict) and "value" in example:
                candidates.append((f"examples.{name}", example["value"]))
        for label, value in candidates:
            if self._valid_example(f"{where} {label}", value, schema):
                return copy.deepcopy(value)
        return self.sample(schema, where=where)

    # -- schemas -------------------------------------------------------------------------------
    def sample(
        self, schema: Any, *, where: str, binary_as_bytes: bool = False, full: bool = False, depth: int = 0
    ) -> Any:
        """A value valid for `schema`: its example when it validates, else one built from its keywords.

        Objects get their required properties, and with `full` every property that is not
        `readOnly` (down to a few levels of nesting, one entry for a map) instead of an
        object-level example; arrays get one item. With `binary_as_bytes`, `format: binary`
        strings become bytes (multipart file parts).
        """
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return None
        if depth > 16:
            raise ValueError(f"{where}: schema nests too deeply to sample")

        def deeper(child: Any) -> Any:
            return self.sample(
                child, where=where, binary_as_bytes=binary_as_bytes, full=full, depth=depth + 1
            )

        if not (binary_as_bytes and _has_binary(self, schema)) and not (full and _is_object(schema)):
            for key in ("example", "default"):
                if key in schema and self._valid_example(f"{where} {key}", schema[key], schema):
                    return copy.deepcopy(schema[key])
        if "enum" in schema:
            for value in schema["enum"]:
                if value is not None and self.error(value, schema) is None:
                    return value
        if "allOf" in schema:
            parts = [self.resolve(part) for part in schema["allOf"]]
            if any(_is_object(part) for part in [*parts, schema]):
                return self._object(self.flatten(schema), where, binary_as_bytes, full, depth)
            # `allOf: [$ref: SomeEnum]` + `nullable`: one scalar schema, merged
            merged: dict[str, Any] = {}
            for part in parts:
                merged.update(part)
            merged.update({k: v for k, v in schema.items() if k != "allOf"})
            return deeper(merged)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                for option in schema[key]:
                    value = deeper(option)
                    if value is not None and self.error(value, schema) is None:
                        return value
                return deeper(schema[key][0])
        kind = schema.get("type")
        if kind == "object" or (kind is None and ("properties" in schema or "required" in schema)):
            return self._object(schema, where, binary_as_bytes, full, depth)
        if kind == "array":
            item = deeper(schema.get("items") or {})
            return [item] if schema.get("uniqueItems") else [item] * max(1, int(schema.get("minItems", 1)))
        if kind == "integer":
            return _number(schema, integer=True)
        if kind == "number":
            return _number(schema, integer=False)
        if kind == "boolean":
            return True
        if kind == "string":
            return self._string(schema, where, binary_as_bytes)
        return {}

    def flatten(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """An `allOf` schema as one object schema: the properties and required names of every part."""
        schema = self.resolve(schema)
        if depth > 12:
            raise ValueError("allOf nests too deeply")
        properties: dict[str, Any] = {}
        required: list[str] = []
        extra: Any = None
        for part in [*schema.get("allOf", []), {k: v for k, v in schema.items() if k != "allOf"}]:
            part = self.resolve(part)
            part = self.flatten(part, depth + 1) if "allOf" in part else part
            properties.update(part.get("properties") or {})
            required += [name for name in part.get("required") or [] if name not in required]
            extra = part.get("additionalProperties", extra)
        flat: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
        if extra is not None:
            flat["additionalProperties"] = extra
        return flat

    def _object(
        self, schema: dict[str, Any], where: str, binary_as_bytes: bool, full: bool, depth: int
    ) -> dict[str, Any]:
        properties = schema.get("properties") or {}
        names = list(schema.get("required") or [])
        if full and depth <= _FULL_DEPTH:
            names += [
                name
                for name, prop in properties.items()
                if name not in names and not self.resolve(prop).get("readOnly")
            ]
        out: dict[str, Any] = {}
        for name in names:
            out[name] = self.sample(
                properties.get(name, {}),
                where=f"{where}.{name}",
                binary_as_bytes=binary_as_bytes,
                full=full,
                depth=depth + 1,
            )
        extra = schema.get("additionalProperties")
        if full and depth <= _FULL_DEPTH and isinstance(extra, dict) and extra and not binary_as_bytes:
            out.setdefault("key", self.sample(extra, where=f"{where}.*", full=full, depth=depth + 1))
        return out

    def _string(self, schema: dict[str, Any], where: str, binary_as_bytes: bool) -> Any:
        fmt = schema.get("format")
        if fmt == "binary":
            return SAMPLE_BYTES if binary_as_bytes else SAMPLE_BYTES.decode("latin-1")
        minimum, maximum = int(schema.get("minLength", 0)), schema.get("maxLength")
        candidates = [_FORMATS[fmt]] if fmt in _FORMATS else []
        pattern = schema.get("pattern")
        candidates += list(_PATTERN_CANDIDATES) if pattern else ["example"]
        for value in candidates:
            value = value.ljust(minimum, "a")
            if maximum is not None:
                value = value[: int(maximum)]
            if pattern and not re.search(pattern, value):
                continue
            return value
        raise ValueError(
            f"{where}: no sample string matches pattern {pattern!r}; add one to _PATTERN_CANDIDATES"
        )


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema or "additionalProperties" in schema


def _has_binary(sampler: SchemaSampler, schema: dict[str, Any], depth: int = 0) -> bool:
    """Whether a schema has a `format: binary` string anywhere (its example then holds text, not bytes)."""
    schema = sampler.resolve(schema)
    if not isinstance(schema, dict) or depth > 6:
        return False
    if schema.get("format") == "binary":
        return True
    children: list[Any] = list((schema.get("properties") or {}).values())
    for key in ("allOf", "oneOf", "anyOf"):
        children += schema.get(key) or []
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            children.append(schema[key])
    return any(_has_binary(sampler, child, depth + 1) for child in children)


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    value: float = 1 if low is None else low + (1 if schema.get("exclusiveMinimum") is True else 0)
    if high is not None and value > high:
        value = high
    return int(value) if integer else float(value)
