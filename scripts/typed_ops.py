"""Generate the typed operation layer of one API: `craftapis_generated/<package>/operations.py`.

One class per tag with one method per operation, sync and async, reached as
`client.api.<tag>.<operation>(...)`. It is written from the same parsed spec (openapi-python-client's
own `GeneratorData`, so the very type strings the raw client uses) and regenerated, and checked by
`regenerate.py --check`, with the rest of `generated/`. Each method:

- takes keyword arguments with the generated types; an enum parameter also takes its value as a
  `Literal` string, a model parameter (request body, query filters) also a plain mapping;
- returns the parsed model **after** the envelope the facade unwraps (see `UNWRAP` and the
  `_profile.py` of each API): BuiltByBit's and Postal's `data`, the whole reply elsewhere;
- carries the spec's summary and description as its docstring;
- sends through the client's `call()`, so auth, retries, pacing and error mapping are the client's.

Beside it, `calls.pyi` (typing only, never imported at run time) types the dynamic spelling
`client.call("tag.operation", **kwargs)`: one `@overload` per operation keyed on
`Literal["tag.operation"]`, taking exactly what `call()` hands the generated module (the raw client's
types) and returning what the typed method returns, for the sync and async client and their
`with_raw_response` (`RawResponse[T]`); BuiltByBit v1's `paginate("tag.list_x")` gets one overload per
list operation, a page iterator of its items. A name or keyword the spec does not have is a checker error.

    python scripts/typed_ops.py --api modrinth --out /tmp/x   # write one API's file somewhere else
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _specs import GENERATED, Api, _tool, apis, header, load_lock, mirror_from, patched_document

#: How each API's facade profile unwraps a parsed reply (keep in step with `facade/craftapis/*/_profile.py`
#: and `moonrope/_envelope.py`; tests/typing/test_operations_runtime.py checks the two agree):
#: "data": a model with a `data` field gives that field (None when absent), a model without one comes
#: back whole; "success-data": the same, for the `*Success` member of a moonrope reply union.
UNWRAP: dict[str, str | None] = {
    "modrinth": None,
    "builtbybit_v2": "data",
    "builtbybit_v1": "data",
    "postal": "success-data",
    "railcraft": None,
}


def _code(value: Any) -> str:
    return value.as_unembedded_code() if hasattr(value, "as_unembedded_code") else str(value)


def _doc_text(value: Any) -> str:
    from openapi_python_client.strings import safe_for_docstring

    return safe_for_docstring(value) if value else ""


#: the prefix of each API's top class, the name of its client: `client.api` is a `<prefix>Operations`
CLIENT_NAMES: dict[str, str] = {
    "modrinth": "Modrinth",
    "builtbybit_v2": "BuiltByBit",
    "builtbybit_v1": "BuiltByBitV1",
    "postal": "Postal",
    "railcraft": "RailcraftPack",
}


def _class_name(tag: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in tag.split("_") if part)


@dataclass
class _Param:
    name: str
    annotation: str
    default: str | None
    convert: str | None  # an expression converting the argument, or None
    doc: str


@dataclass
class _Operation:
    tag: str
    name: str
    params: list[_Param]
    returns: str
    none_return: bool
    summary: str
    description: str
    call_params: list[tuple[str, str, bool]]  # what `call()` takes: (name, raw annotation, has a default)


def _type_of(prop: Any) -> str:
    return _code(prop.get_type_string())


def _unset_free(type_string: str) -> list[str]:
    return [part.strip() for part in type_string.split("|") if part.strip() not in ("Unset", "")]


def _union(parts: list[str]) -> str:
    seen: list[str] = []
    for part in parts:
        if part not in seen:
            seen.append(part)
    if "None" in seen:  # None last, as a reader expects
        seen = [p for p in seen if p != "None"] + ["None"]
    return " | ".join(seen) if seen else "None"


def _public(type_string: str) -> str:
    """`Any` never reaches a user's signature: an unknown JSON value is an `object` to narrow."""
    parts = ["object" if p == "Any" else p for p in _unset_free(type_string)]
    if "object" in parts:
        return "object"
    return _union(parts)


#: Body fields a client's session supplies itself: the Railcraft pack client sends the session's
#: client_id, client_secret and token with every authenticated call, replacing the body's. A body model
#: requiring all of them may leave them out of a mapping (and is optional when they are all it needs).
SESSION_FIELDS: dict[str, tuple[str, ...]] = {"railcraft": ("client_id", "client_secret", "token")}


def _session_filled(api: str, prop: Any) -> tuple[str, ...]:
    fields = SESSION_FIELDS.get(api, ())
    required = {p.name for p in (getattr(prop, "required_properties", None) or [])}
    return fields if fields and set(fields) <= required else ()


def _data_field(model: Any) -> Any | None:
    for prop in [*(model.required_properties or []), *(model.optional_properties or [])]:
        if prop.name == "data":
            return prop
    return None


def _unwrapped(api: str, prop: Any, used: list[Any]) -> str:
    """The type the user gets from a parsed reply `prop`; appends to `used` each property whose
    imports the annotation needs."""
    kind = type(prop).__name__
    rule = UNWRAP.get(api)
    if rule == "success-data" and kind == "UnionProperty":
        success = [p for p in prop.inner_properties if _type_of(p).endswith("Success")]
        if len(success) != 1:
            raise SystemExit(f"{api}: cannot find the one *Success member of {_type_of(prop)}")
        prop, kind = success[0], type(success[0]).__name__
    if rule and kind == "ModelProperty":
        data = _data_field(prop)
        if data is not None:
            used.append(data)
            parts = _unset_free(_type_of(data))
            if not data.required:
                parts.append("None")  # the profile gives None when the field is absent
            return _public(" | ".join(parts))
    used.append(prop)
    if kind == "AnyProperty":
        return "object"
    return _public(_type_of(prop))


def _returns(api: str, endpoint: Any, used: list[Any]) -> tuple[str, bool]:
    types: list[str] = []
    none = False
    for response in endpoint.responses:
        pattern = response.status_code.pattern
        if not pattern.startswith("2"):
            continue
        no_body = response.source["return_type"] == "None"
        if no_body or (type(response.prop).__name__ == "AnyProperty" and pattern == "204"):
            types.append("None")
            none = True
            continue
        types.append(_unwrapped(api, response.prop, used))
    if not types:  # only a `default` response (the reply of success and failure alike)
        default = endpoint.responses.default
        if default is not None:
            types.append(_unwrapped(api, default.prop, used))
    flat = [p.strip() for t in types for p in t.split("|")]
    result = "object" if "object" in flat else _union(flat)
    return result, none and result == "None"


def _param(prop: Any, api: str = "") -> _Param:
    kind = type(prop).__name__
    annotation = _type_of(prop)
    default = None if prop.required else "UNSET"
    if prop.default is not None:
        default = _code(prop.default.python_code)
    convert = None
    if kind == "EnumProperty":
        cls = prop.class_info.name
        literal = ", ".join(repr(v) for v in prop.values.values())
        parts = [p for p in _unset_free(annotation)]
        parts.insert(parts.index(cls) + 1, f"Literal[{literal}]")
        if not prop.required:
            parts.append("Unset")
        annotation = " | ".join(parts)
        if prop.default is not None:  # the value, not the member: a default is evaluated at import
            member = _code(prop.default.python_code).rpartition(".")[2]
            default = repr(prop.values[member])
        convert = f"_support().coerce_enum(_model({cls!r}), {prop.python_name}, {prop.python_name!r})"
    elif kind == "ModelProperty":
        cls = prop.class_info.name
        parts = _unset_free(annotation)
        parts.insert(parts.index(cls) + 1, "Mapping[str, object]")
        if not prop.required:
            parts.append("Unset")
        annotation = " | ".join(parts)
        filled = _session_filled(api, prop)
        if filled:
            others = {p.name for p in prop.required_properties} - set(filled)
            fill = "{" + ", ".join(f'{f!r}: ""' for f in filled) + "}"
            value = prop.python_name
            if not others and prop.required:  # nothing left to give: the body itself is optional
                annotation, default = f"{annotation} | None", "None"
                value = f"{{}} if {prop.python_name} is None else {prop.python_name}"
            convert = f"_support().coerce_model(_model({cls!r}), {value}, {prop.python_name!r}, fill={fill})"
        else:
            convert = f"_support().coerce_model(_model({cls!r}), {prop.python_name}, {prop.python_name!r})"
    return _Param(prop.python_name, annotation, default, convert, prop.to_docstring())


def _imports(props: list[Any]) -> set[str]:
    lines: set[str] = set()
    for prop in props:
        lines |= prop.get_imports(prefix=".")
        lines |= prop.get_lazy_imports(prefix=".")
    return lines


def _operations(
    api: Api, doc: dict[str, Any], lock: dict[str, Any]
) -> tuple[list[_Operation], set[str], dict[str, str]]:
    from openapi_python_client.config import Config, ConfigFile, MetaType
    from openapi_python_client.parser import GeneratorData

    config = Config.from_sources(
        ConfigFile(**lock["generator"]["config"]), MetaType.NONE, "openapi.json", "utf-8", True, None
    )
    data = GeneratorData.from_dict(doc, config=config)
    if not hasattr(data, "endpoint_collections_by_tag"):
        raise SystemExit(f"{api.name}: openapi-python-client could not parse the spec: {data}")
    ops: list[_Operation] = []
    imports: set[str] = set()
    modules: dict[str, str] = {}  # model class -> module, for the runtime conversions
    for tag, collection in data.endpoint_collections_by_tag.items():
        for endpoint in collection.endpoints:
            params = [_param(p, api.name) for p in endpoint.list_all_parameters()]
            used: list[Any] = list(endpoint.list_all_parameters())
            returns, none_return = _returns(api.name, endpoint, used)
            ops.append(
                _Operation(
                    tag=str(tag),
                    name=str(endpoint.name),
                    params=params,
                    returns=returns,
                    none_return=none_return,
                    summary=_doc_text(endpoint.summary),
                    description=_doc_text(endpoint.description),
                    call_params=[
                        (p.python_name, _type_of(p), not p.required or p.default is not None)
                        for p in endpoint.list_all_parameters()
                    ],
                )
            )
            imports |= _imports(used)
            for prop in endpoint.list_all_parameters():
                if type(prop).__name__ in ("EnumProperty", "ModelProperty"):
                    modules[prop.class_info.name] = prop.class_info.module_name
    return ops, imports, modules


def _docstring(op: _Operation, indent: str) -> str:
    parts = [p for p in (op.summary.strip(), op.description.strip()) if p]
    if not parts:
        parts = [f"The `{op.tag}.{op.name}` operation."]
    lines: list[str] = []
    for i, part in enumerate(parts):
        if i:
            lines.append("")
        for para in part.splitlines():
            lines.extend(textwrap.wrap(para, 100) or [""])
    if op.params:
        lines += ["", "Args:"]
        for p in op.params:
            lines.extend(textwrap.wrap(p.doc, 96, initial_indent="    ", subsequent_indent="        "))
    text = "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    body = textwrap.indent(text, indent)
    return f'{indent}"""{body.lstrip()}\n{indent}"""\n'


def _parameters(op: _Operation) -> list[str]:
    """The method's parameters as written in its `def`: `self`, then the operation's, keyword-only."""
    sig = ["self"]
    if op.params:
        sig.append("*")
    for p in op.params:
        sig.append(f"{p.name}: {p.annotation}" + (f" = {p.default}" if p.default is not None else ""))
    return sig


def _method(op: _Operation, asynchronous: bool) -> str:
    indent = "    "
    sig = _parameters(op)
    kwargs = ", ".join(f"{p.name}={p.convert or p.name}" for p in op.params)
    optional = any(p.default == "UNSET" for p in op.params)
    if optional:  # leave out what was not given, as `call("tag.operation", **kwargs)` would
        kwargs = f"**_support().given({kwargs})"
    call = f"self._client.call({(op.tag + '.' + op.name)!r}{', ' + kwargs if kwargs else ''})"
    if asynchronous:
        call = f"await {call}"
    if op.none_return:
        body = f"{indent * 2}{call}\n"
    elif op.returns == "object":
        body = f"{indent * 2}return {call}\n"
    else:
        body = f"{indent * 2}return cast({op.returns!r}, {call})\n"
    head = f"{indent}{'async ' if asynchronous else ''}def {op.name}({', '.join(sig)}) -> {op.returns}:\n"
    return head + _docstring(op, indent * 2) + body


def _raw_method(op: _Operation, asynchronous: bool) -> str:
    """The same operation under `with_raw_response`: the parsed result with its HTTP response."""
    indent = "    "
    sig = _parameters(op)
    kwargs = ", ".join(f"{p.name}={p.name}" for p in op.params)
    returns = f"RawResponse[{op.returns}]"
    call = f"self._raw.{op.name}({kwargs})"
    if asynchronous:
        call = f"await {call}"
    head = f"{indent}{'async ' if asynchronous else ''}def {op.name}({', '.join(sig)}) -> {returns}:\n"
    summary = (op.summary.strip().splitlines() or [f"The `{op.tag}.{op.name}` operation."])[0]
    doc = f'{indent * 2}"""{summary.rstrip(".")}, with its HTTP response (`.parsed`, `.status_code`, `.headers`)."""\n'
    doc = doc.replace("\\", "\\\\")
    return head + doc + f"{indent * 2}return cast({returns!r}, {call})\n"


def render(api: Api, doc: dict[str, Any], lock: dict[str, Any]) -> str:
    ops, imports, modules = _operations(api, doc, lock)
    by_tag: dict[str, list[_Operation]] = {}
    for op in ops:
        by_tag.setdefault(op.tag, []).append(op)
    api_class = CLIENT_NAMES.get(api.name) or _class_name(api.package)
    out: list[str] = [
        header(api, lock).rstrip("\n"),
        "# This file: the typed operations, written by scripts/typed_ops.py (run by scripts/regenerate.py).",
        f'"""Every operation of {api.title}, typed: `client.api.<tag>.<operation>(...)`.',
        "",
        f"`{api_class}Operations` is what a sync client's `.api` returns, `Async{api_class}Operations` an async",
        "client's. Each method sends through the client's `call()` (auth, retries, pacing, typed errors) and",
        "returns the parsed model after the envelope the client unwraps.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import importlib",
        "from collections.abc import Mapping",
        "from typing import TYPE_CHECKING, Any, Literal, NoReturn, cast",
        "",
        "from .types import UNSET, Unset",
        "",
        "if TYPE_CHECKING:",
        "    from craftapis._operations import AsyncCaller, SyncCaller",
        "    from craftapis._raw import RawResponse",
        *sorted(f"    {line}" for line in imports if not line.startswith(("from .types", "from typing"))),
        "    from .types import File",
        "",
        "__all__ = [",
        *(
            f'    "{name}",'
            for name in sorted(
                [f"{api_class}Operations", f"Async{api_class}Operations", "OPERATIONS"]
                + [f"{_class_name(t)}Operations" for t in by_tag]
                + [f"Async{_class_name(t)}Operations" for t in by_tag]
            )
        ),
        "]",
        "",
        "#: every operation as `tag.operation`, the names `client.call()` takes",
        "OPERATIONS: tuple[str, ...] = (",
        *(f'    "{op.tag}.{op.name}",' for op in ops),
        ")",
        "",
        f"_MODULES: dict[str, str] = {json.dumps(dict(sorted(modules.items())))}",
        "",
        "",
        "def _support() -> Any:",
        '    """craftapis._operations (argument checks), imported on first use: this package imports alone."""',
        '    return importlib.import_module("craftapis._operations")',
        "",
        "",
        "def _model(name: str) -> type:",
        '    """A generated model or enum class, imported on first use (this module stays cheap to import)."""',
        '    value: type = getattr(importlib.import_module(f".models.{_MODULES[name]}", __package__), name)',
        "    return value",
        "",
        "",
    ]
    for asynchronous in (False, True):
        prefix = "Async" if asynchronous else ""
        caller = "AsyncCaller" if asynchronous else "SyncCaller"
        for tag, tag_ops in by_tag.items():
            cls = f"{prefix}{_class_name(tag)}Operations"
            out += [
                f"class {cls}:",
                f'    """The `{tag}` operations of {api.title}{" (async)" if asynchronous else ""}."""',
                "",
                '    __slots__ = ("_client",)',
                "",
                f"    def __init__(self, client: {caller}) -> None:",
                "        self._client = client",
                "",
            ]
            for op in tag_ops:
                out.append(_method(op, asynchronous))
            out += [
                "    def __dir__(self) -> list[str]:",
                f"        return {sorted(op.name for op in tag_ops)!r}",
                "",
                "    if not TYPE_CHECKING:  # checkers flag a misspelt operation; at runtime, say what is close",
                "",
                "        def __getattr__(self, name: str) -> NoReturn:",
                f"            raise _support().unknown_operation({api_class!r}, {tag + '.'!r} + name, OPERATIONS)",
                "",
                "",
            ]
        cls = f"{prefix}{api_class}Operations"
        out += [
            f"class {cls}:",
            f'    """Every operation of {api.title}{" (async)" if asynchronous else ""}, by tag:'
            ' `client.api.<tag>.<operation>(...)`."""',
            "",
            '    __slots__ = ("_client",)',
            "",
            f"    def __init__(self, client: {caller}) -> None:",
            "        self._client = client",
            "",
        ]
        for tag in by_tag:
            tag_cls = f"{prefix}{_class_name(tag)}Operations"
            out += [
                "    @property",
                f"    def {tag}(self) -> {tag_cls}:",
                f'        """The `{tag}` operations."""',
                f"        return {tag_cls}(self._client)",
                "",
            ]
        out += [
            "    def __dir__(self) -> list[str]:",
            f"        return {sorted(by_tag)!r}",
            "",
            "    if not TYPE_CHECKING:",
            "",
            "        def __getattr__(self, name: str) -> NoReturn:",
            f"            raise _support().unknown_operation({api_class!r}, name, {tuple(sorted(by_tag))!r})",
            "",
            "",
        ]
        out += _raw_classes(api, api_class, by_tag, prefix, asynchronous)
    return "\n".join(out).rstrip("\n") + "\n"


def _raw_classes(
    api: Api, api_class: str, by_tag: dict[str, list[_Operation]], prefix: str, asynchronous: bool
) -> list[str]:
    """`client.with_raw_response.api.<tag>.<operation>(...)`, typed: each returns `RawResponse[T]`.
    At runtime they go through craftapis' `RawResponses` (which records the client's responses)."""
    out: list[str] = []
    for tag, tag_ops in by_tag.items():
        cls = f"{prefix}Raw{_class_name(tag)}Operations"
        out += [
            f"class {cls}:",
            f'    """The `{tag}` operations under `with_raw_response`: each returns a `RawResponse`."""',
            "",
            '    __slots__ = ("_raw",)',
            "",
            f"    def __init__(self, operations: {prefix}{_class_name(tag)}Operations) -> None:",
            '        self._raw = importlib.import_module("craftapis._raw").RawResponses(operations)',
            "",
        ]
        out += [_raw_method(op, asynchronous) for op in tag_ops]
        out += [
            "    def __dir__(self) -> list[str]:",
            f"        return {sorted(op.name for op in tag_ops)!r}",
            "",
            "",
        ]
    top = f"{prefix}Raw{api_class}Operations"
    out += [
        f"class {top}:",
        f'    """Every operation of {api.title.split(" (")[0]} under `with_raw_response`, by tag."""',
        "",
        '    __slots__ = ("_operations",)',
        "",
        f"    def __init__(self, operations: {prefix}{api_class}Operations) -> None:",
        "        self._operations = operations",
        "",
    ]
    for tag in by_tag:
        tag_cls = f"{prefix}Raw{_class_name(tag)}Operations"
        out += [
            "    @property",
            f"    def {tag}(self) -> {tag_cls}:",
            f'        """The `{tag}` operations, each returning a `RawResponse`."""',
            f"        return {tag_cls}(self._operations.{tag})",
            "",
        ]
    out += ["    def __dir__(self) -> list[str]:", f"        return {sorted(by_tag)!r}", "", ""]
    return out


#: the facade classes `calls.pyi` gives typed `call()` overloads: (package, sync client, async client)
FACADE: dict[str, tuple[str, str, str]] = {
    "modrinth": ("modrinth", "Modrinth", "AsyncModrinth"),
    "builtbybit_v2": ("builtbybit", "BuiltByBit", "AsyncBuiltByBit"),
    "builtbybit_v1": ("builtbybit_v1", "BuiltByBitV1", "AsyncBuiltByBitV1"),
    "postal": ("postal", "Postal", "AsyncPostal"),
    "railcraft": ("railcraft", "RailcraftPack", "AsyncRailcraftPack"),
}

#: keywords a client's `call()` takes beside the operation's own (BuiltByBit: the signed-response flag)
CALL_FLAGS: dict[str, tuple[str, ...]] = {"builtbybit_v2": ("jwt: bool | None = None",)}

#: APIs whose client has `paginate("tag.list_x")` over every `list_*` operation (BuiltByBit v1, whose
#: facade keeps the same set in `builtbybit_v1/_lists.py` LIST_OPERATIONS; the iterator sets `page`)
PAGINATED: frozenset[str] = frozenset({"builtbybit_v1"})


def _paginate_overloads(ops: list[_Operation], asynchronous: bool) -> list[str]:
    """`paginate(...)` per list operation: its dotted and (when unique) short name, `sort`/`order`/
    `limit`, the operation's other keywords, and a page iterator of the list's item type."""
    lists = [op for op in ops if op.name.startswith("list_")]
    short = [op.name for op in lists]
    iterator = "AsyncPageIterator" if asynchronous else "PageIterator"
    out = []
    for op in lists:
        returned = _unset_free(op.returns)
        items = [p for p in returned if p != "None"]
        if len(items) != 1 or not items[0].startswith("list[") or not items[0].endswith("]"):
            raise SystemExit(f"paginate: {op.tag}.{op.name} does not return one list: {op.returns}")
        names = [f"{op.tag}.{op.name}"] + ([op.name] if short.count(op.name) == 1 else [])
        literal = ", ".join(repr(n) for n in names)
        keywords = ["sort: str | None = ...", "order: str | None = ...", "limit: int | None = ..."]
        keywords += [
            f"{n}: {a}" + (" = ..." if d else "")
            for n, a, d in op.call_params
            if n not in ("page", "sort", "order")
        ]
        out.append(
            f"    @overload\n    def paginate(self, operation: Literal[{literal}], /, *, {', '.join(keywords)}) -> "
            f"{iterator}[{items[0][5:-1]}]: ..."
        )
    if out:
        out[0] = out[0].replace("@overload\n", f"@overload{_NARROWER}\n", 1)
    return out


#: the overloads accept only the spec's names, narrower than the `call(operation: str, ...)` they
#: override (on purpose: that is what makes a wrong name an error), hence the ignore on the first one
_NARROWER = "  # type: ignore[override]  # only the spec's operation names"


def _overloads(api: str, ops: list[_Operation], asynchronous: bool, raw: bool) -> list[str]:
    out = [
        _overload(api, op, asynchronous, f"RawResponse[{op.returns}]" if raw else op.returns) for op in ops
    ]
    if out:
        out[0] = out[0].replace("@overload\n", f"@overload{_NARROWER}\n", 1)
    return out


def _overload(api: str, op: _Operation, asynchronous: bool, returns: str) -> str:
    sig = ["self", f"operation: Literal[{(op.tag + '.' + op.name)!r}]", "/"]
    keywords = [f"{n}: {a}" + (" = ..." if d else "") for n, a, d in op.call_params]
    keywords += [flag.replace("= None", "= ...") for flag in CALL_FLAGS.get(api, ())]
    if keywords:
        sig += ["*", *keywords]
    return (
        f"    @overload\n    {'async ' if asynchronous else ''}def call({', '.join(sig)}) -> {returns}: ..."
    )


def render_calls(api: Api, doc: dict[str, Any], lock: dict[str, Any]) -> str:
    """`calls.pyi`: the facade clients (and their `with_raw_response`) as checkers see them, with one
    `call()` overload per operation. Only `craftapis.<package>` imports it, under `TYPE_CHECKING`."""
    ops, imports, _ = _operations(api, doc, lock)
    package, sync_name, async_name = FACADE[api.name]
    out: list[str] = [
        header(api, lock).rstrip("\n"),
        '# This file: `client.call("tag.operation", ...)` typed, written by scripts/typed_ops.py (typing only).',
        f'"""`{sync_name}` and `{async_name}` as checkers see them: `call("tag.operation", **kwargs)` typed.',
        "",
        "One overload per operation: its `Literal` name, the keywords `call()` passes to the generated module,",
        "and the parsed result the typed `client.api.<tag>.<operation>(...)` returns. This stub has no module",
        f"at run time: `craftapis.{package}` imports it under `TYPE_CHECKING` and exports the facade classes.",
        '"""',
        "",
        "from typing import Literal, overload",
        "",
        "from craftapis._async_pagination import AsyncPageIterator",
        "from craftapis._raw import RawResponse",
        "from craftapis._sync_pagination import PageIterator",
        f"from craftapis.{package}._async_client import {async_name} as _{async_name}",
        f"from craftapis.{package}._async_raw import {async_name}WithRawResponse as _{async_name}WithRawResponse",
        f"from craftapis.{package}._sync_client import {sync_name} as _{sync_name}",
        f"from craftapis.{package}._sync_raw import {sync_name}WithRawResponse as _{sync_name}WithRawResponse",
        *sorted(line for line in imports if not line.startswith(("from typing", "from .types"))),
        "from .types import File, Unset",
        "",
    ]
    for asynchronous in (False, True):
        name = async_name if asynchronous else sync_name
        raw = f"{name}WithRawResponse"
        out += [
            f"class {raw}(_{raw}):",
            f'    """`{name}.with_raw_response`, its `call()` typed per operation."""',
            *_overloads(api.name, ops, asynchronous, raw=True),
            "",
            f"class {name}(_{name}):",
            f'    """`craftapis.{package}.{name}`, its `call()` typed per operation."""',
            "    @property",
            f"    def with_raw_response(self) -> {raw}: ...  # type: ignore[override]  # its subclass, typed `call()`",
            *_overloads(api.name, ops, asynchronous, raw=False),
            *(_paginate_overloads(ops, asynchronous) if api.name in PAGINATED else []),
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"


def write(api: Api, doc: dict[str, Any], package_dir: Path, lock: dict[str, Any]) -> Path:
    """Write `operations.py` and `calls.pyi` into a generated package folder, formatted as the rest of
    `generated/`."""
    target = package_dir / "operations.py"
    target.write_text(render(api, doc, lock), encoding="utf-8")
    targets = [target]
    if api.name in FACADE:
        stub = package_dir / "calls.pyi"
        stub.write_text(render_calls(api, doc, lock), encoding="utf-8")
        targets.append(stub)
    ruff = _tool("ruff")
    for args in (
        ["check", "--isolated", "--fix-only", "--select", "F401,I", "--target-version", "py311", "-q"],
        ["format", "--isolated", "--line-length", "120", "--target-version", "py311", "-q"],
    ):
        subprocess.run([ruff, *args, *map(str, targets)], check=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", action="append", help="only this API (repeatable)")
    parser.add_argument("--mirror", help="folder holding the upstream documents")
    parser.add_argument("--out", help="write <out>/<package>/operations.py instead of into generated/")
    args = parser.parse_args(argv)
    lock = load_lock()
    mirror = mirror_from(args.mirror)
    root = Path(args.out) if args.out else GENERATED
    for api in apis(lock, args.api):
        folder = root / api.package
        folder.mkdir(parents=True, exist_ok=True)
        print(
            f"[typed_ops] {write(api, patched_document(api, mirror, log=False), folder, lock)}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
