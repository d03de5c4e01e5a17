"""Arguments for every generated operation, built from its `_get_kwargs` signature and the spec.

For one generated operation module, `CallBuilder.prepare` finds its operation in the (patched)
document by HTTP method and path shape (as `scripts/coverage.py` does), then builds:

* a value for every required argument of `_get_kwargs` (with `full`, for every argument): path,
  query and header parameters from the spec (examples, enums, formats, else synthetic values
  matching type and pattern), converted to the argument's type hint (enums, dates, models...);
* `body` whenever the operation has a request body: the spec's example when it validates, else a
  value synthesized from the schema with its required fields filled (with `full`, always
  synthesized with every property that is not readOnly), turned into the generated model with
  `from_dict` (so the generated `to_dict`/`to_multipart` is what gets sent); `File` bodies and file
  parts get a few bytes;
* the headers Prism needs that the generated code does not send: credentials in the form the
  operation's `security` requires (fake values) and `Prefer: code=<lowest 2xx>`, so Prism mocks a
  success and the success parser is exercised.
"""

from __future__ import annotations

import base64
import datetime
import enum
import importlib
import inspect
import json
import re
import types
import typing
import uuid
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from ._sampler import SAMPLE_BYTES, SchemaSampler
from ._scripts import coverage_script

generated_operations = coverage_script.generated_operations
shape = coverage_script.shape

__all__ = [
    "FAKE_SECRET",
    "CallBuilder",
    "PreparedCall",
    "SpecOperation",
    "convert",
    "shape",
    "spec_operations",
]

#: The fake credential every request carries (Prism only checks that credentials are present).
FAKE_SECRET = "craftapis-contract-fake-secret"
#: The word some APIs put before an API key in the Authorization header, by security scheme name.
_API_KEY_PREFIX = {"token": "Token ", "PrivateToken": "Private ", "SharedToken": "Shared "}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class SpecOperation:
    method: str
    path: str
    operation: dict[str, Any]
    #: path-item and operation parameters, resolved, the operation's winning on (name, in)
    parameters: list[dict[str, Any]]

    @property
    def operation_id(self) -> str:
        return str(self.operation.get("operationId") or f"{self.method} {self.path}")

    @property
    def success_status(self) -> int | None:
        """The lowest documented 2xx status, which the test asks Prism to mock."""
        codes = sorted(
            int(code) for code in self.operation.get("responses", {}) if re.fullmatch(r"2\d\d", str(code))
        )
        return codes[0] if codes else None


@dataclass
class PreparedCall:
    """Everything needed to call one operation: `client.call(dotted, **kwargs)` plus `headers`."""

    api: str
    dotted: str
    spec: SpecOperation
    kwargs: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    #: every argument and body property (else the required ones)
    full: bool = False

    @property
    def expected_status(self) -> int | None:
        return self.spec.success_status

    @property
    def label(self) -> str:
        return f"{self.spec.method} {self.spec.path} ({self.spec.operation_id})"


def spec_operations(document: dict[str, Any], sampler: SchemaSampler) -> dict[tuple[str, str], SpecOperation]:
    """(METHOD, path shape) -> operation, for every operation of `document`."""
    found: dict[tuple[str, str], SpecOperation] = {}
    for path, item in (document.get("paths") or {}).items():
        item = sampler.resolve(item)
        shared = [sampler.resolve(p) for p in item.get("parameters") or []]
        for method in _METHODS:
            if method not in item:
                continue
            operation = item[method]
            own = [sampler.resolve(p) for p in operation.get("parameters") or []]
            keys = {(p["name"], p["in"]) for p in own}
            parameters = [p for p in shared if (p["name"], p["in"]) not in keys] + own
            found[(method.upper(), shape(path))] = SpecOperation(method.upper(), path, operation, parameters)
    return found


def _normalized(name: str) -> str:
    """A parameter name as openapi-python-client's snake_case would leave it, minus separators."""
    name = re.sub(r"^field_", "", name)
    name = re.sub(r"_(path|query|header|cookie)$", "", name) if "_" in name else name
    return re.sub(r"[^0-9a-z]", "", name.lower())


class CallBuilder:
    """Prepares calls to the generated operations of one API package against one document."""

    def __init__(self, api: str, package: str, document: dict[str, Any], generated_root: Path) -> None:
        self.api = api
        self.package = package
        self.document = document
        self.sampler = SchemaSampler(document)
        self.operations = spec_operations(document, self.sampler)
        self._modules = {
            dotted: key for key, dotted in generated_operations(generated_root / package).items()
        }
        self._schemes = (document.get("components") or {}).get("securitySchemes") or {}

    def spec_for(self, dotted: str) -> SpecOperation:
        key = self._modules.get(f"{self.package}.api.{dotted}")
        if key is None or key not in self.operations:
            raise LookupError(f"{self.api}: no operation in the document matches generated {dotted} ({key})")
        return self.operations[key]

    def prepare(self, dotted: str, *, full: bool = False) -> PreparedCall:
        """The arguments and headers for one call of `dotted` (`tag.operation`).

        Required arguments only and the spec's examples by default; with `full` every argument the
        generated function takes and every (non-readOnly) body property, synthesized.
        """
        spec = self.spec_for(dotted)
        module = importlib.import_module(f"craftapis_generated.{self.package}.api.{dotted}")
        signature = inspect.signature(module._get_kwargs)
        hints = typing.get_type_hints(module._get_kwargs)
        by_name = {_normalized(p["name"]): p for p in spec.parameters}
        kwargs: dict[str, Any] = {}
        for name, parameter in signature.parameters.items():
            if name == "body":
                if "requestBody" in spec.operation:
                    kwargs["body"] = self._body(spec, hints["body"], full=full)
                continue
            required = parameter.default is inspect.Parameter.empty
            if not required and not full:
                continue
            param = by_name.get(_normalized(name))
            if param is None:
                raise LookupError(
                    f"{self.api} {dotted}: argument {name!r} matches no parameter of {spec.path}"
                )
            where = f"{spec.operation_id} {param['in']} parameter {param['name']}"
            kwargs[name] = convert(self.sampler.parameter_value(param, where), hints[name], where)
        headers = self._auth_headers(spec)
        if spec.success_status is not None:
            headers["Prefer"] = f"code={spec.success_status}"
        return PreparedCall(self.api, dotted, spec, kwargs, headers, full=full)

    # -- request bodies ------------------------------------------------------------------------
    def _body(self, spec: SpecOperation, hint: Any, *, full: bool) -> Any:
        request_body = self.sampler.resolve(spec.operation["requestBody"])
        content: dict[str, Any] = request_body.get("content") or {}
        target = _without_unset(hint)
        where = f"{spec.operation_id} request body"
        if _is_file(target):
            media_type = next(iter(content), "application/octet-stream")
            return target(payload=BytesIO(SAMPLE_BYTES), file_name="sample.png", mime_type=media_type)
        multipart = hasattr(target, "to_multipart")
        media_type = _pick_media_type(content, multipart=multipart)
        media = content[media_type]
        schema = self.sampler.resolve(media.get("schema") or {})
        value: Any = None
        examples = [media["example"]] if "example" in media else []
        examples += [self.sampler.resolve(e).get("value") for e in (media.get("examples") or {}).values()]
        if not multipart and not full:
            for example in examples:
                if self.sampler.error(example, schema) is None:
                    value = example
                    break
                self.sampler.bad_examples.append(
                    (f"{where} example", example, self.sampler.error(example, schema) or "")
                )
        if value is None:
            value = self.sampler.sample(schema, where=where, binary_as_bytes=multipart, full=full)
        if multipart and isinstance(schema.get("additionalProperties"), dict):
            # Uploads name their file parts in the JSON `data` part; send one part with a few bytes.
            data = value.get("data") if isinstance(value, dict) else None
            parts = data.get("file_parts") if isinstance(data, dict) else None
            value[parts[0] if parts else "file"] = SAMPLE_BYTES
        return convert(value, hint, where)

    # -- credentials ---------------------------------------------------------------------------
    def _auth_headers(self, spec: SpecOperation) -> dict[str, str]:
        requirements = spec.operation.get("security", self.document.get("security")) or []
        if not requirements or {} in requirements:
            return {}
        headers: dict[str, str] = {}
        for scheme_name in requirements[0]:
            scheme = self.sampler.resolve(self._schemes[scheme_name])
            kind = scheme.get("type")
            if kind == "apiKey" and scheme.get("in") == "header":
                headers[scheme["name"]] = _API_KEY_PREFIX.get(scheme_name, "") + FAKE_SECRET
            elif kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                token = base64.b64encode(f"fake-client-id:{FAKE_SECRET}".encode()).decode()
                headers["Authorization"] = f"Basic {token}"
            elif kind in ("oauth2", "openIdConnect") or (kind == "http" and scheme.get("scheme") == "bearer"):
                headers["Authorization"] = f"Bearer {FAKE_SECRET}"
            else:
                raise NotImplementedError(
                    f"{self.api}: security scheme {scheme_name} ({scheme}) is not supported"
                )
        return headers


def _pick_media_type(content: dict[str, Any], *, multipart: bool) -> str:
    for media_type in content:
        if multipart == media_type.startswith("multipart/"):
            return media_type
    raise LookupError(f"no {'multipart' if multipart else 'non-multipart'} media type among {list(content)}")


def _without_unset(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a.__name__ != "Unset" and a is not type(None)]
        if len(members) == 1:
            return members[0]
    return hint


def _is_file(hint: Any) -> bool:
    return isinstance(hint, type) and hint.__name__ == "File" and hint.__module__.endswith(".types")


def convert(value: Any, hint: Any, where: str) -> Any:
    """`value` (JSON-like, from the spec) as the Python type `hint` of a generated argument."""
    if hint is Any or hint is object:
        return value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        errors: list[str] = []
        for member in typing.get_args(hint):
            if member is type(None) or getattr(member, "__name__", "") == "Unset":
                continue
            try:
                return convert(value, member, where)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                errors.append(f"{getattr(member, '__name__', member)}: {exc}")
        raise TypeError(f"{where}: {value!r} fits none of {hint} ({'; '.join(errors)})")
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise TypeError(f"{where}: expected a list, got {value!r}")
        return [convert(v, item, where) for v in value]
    if origin is dict:
        _key, item = typing.get_args(hint)
        return {k: convert(v, item, where) for k, v in value.items()}
    if not isinstance(hint, type):
        raise TypeError(f"{where}: unsupported type hint {hint!r}")
    if issubclass(hint, enum.Enum):
        return hint(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"{where}: expected a boolean, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"{where}: expected an integer, got {value!r}")
        return int(value)
    if hint is float:
        return float(value)
    if hint is str:
        return value if isinstance(value, str) else json.dumps(value)
    if hint is datetime.datetime:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if hint is datetime.date:
        return datetime.date.fromisoformat(str(value))
    if hint is uuid.UUID:
        return uuid.UUID(str(value))
    if _is_file(hint):
        payload = value if isinstance(value, bytes) else str(value).encode()
        file_type: Any = hint
        return file_type(payload=BytesIO(payload), file_name="sample.png", mime_type="image/png")
    if hasattr(hint, "from_dict"):
        if not isinstance(value, dict):
            raise TypeError(f"{where}: {hint.__name__} needs an object, got {value!r}")
        return hint.from_dict(value)
    raise TypeError(f"{where}: cannot build a {hint!r}")
