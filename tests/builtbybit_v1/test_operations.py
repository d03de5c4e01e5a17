"""All 54 generated operations are reachable on both clients, and the facade's tables (Shared-token
operations, list operations) say what the authored spec says."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from craftapis._base import operation_names
from craftapis.builtbybit_v1 import LIST_OPERATIONS, SHARED_OPERATIONS, AsyncBuiltByBitV1, BuiltByBitV1

from .fake import PRIVATE_TOKEN
from .harness import close, make, resolve

PACKAGE = "craftapis_generated.builtbybit_v1"
SPEC = Path(__file__).resolve().parents[2] / "specs" / "authored" / "builtbybit-v1.yaml"
OPERATIONS = sorted(operation_names(PACKAGE))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _spec_operations() -> dict[str, dict[str, Any]]:
    spec = yaml.safe_load(SPEC.read_text())
    out: dict[str, dict[str, Any]] = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            tag = op["tags"][0].replace("-", "_")
            out[f"{tag}.{_snake(op['operationId'])}"] = {
                "method": method,
                "path": path,
                "security": op.get("security", spec["security"]),
            }
    return out


def test_there_are_54_operations_and_they_match_the_spec() -> None:
    assert len(OPERATIONS) == 54
    assert set(OPERATIONS) == set(_spec_operations())


@pytest.mark.parametrize("cls", [BuiltByBitV1, AsyncBuiltByBitV1])
def test_every_operation_is_a_callable_on_both_clients(cls: type[Any]) -> None:
    client = cls(private_token=PRIVATE_TOKEN)
    assert callable(client.call)
    for dotted in OPERATIONS:
        tag, op = dotted.split(".")
        assert callable(getattr(getattr(client.api, tag), op)), dotted
    assert sorted(dir(client.api)) == sorted({d.split(".")[0] for d in OPERATIONS})


def test_shared_operations_are_the_specs() -> None:
    shared = {
        name for name, op in _spec_operations().items() if any("SharedToken" in s for s in op["security"])
    }
    assert shared == set(SHARED_OPERATIONS)


def test_list_operations_are_the_specs_and_take_sort_order_page() -> None:
    spec_lists = {name for name in _spec_operations() if name.split(".")[1].startswith("list_")}
    assert spec_lists == set(LIST_OPERATIONS)
    assert len(LIST_OPERATIONS) == 23
    for dotted in LIST_OPERATIONS:
        params = inspect.signature(importlib.import_module(f"{PACKAGE}.api.{dotted}")._get_kwargs).parameters
        assert {"sort", "order", "page"} <= set(params), dotted


def _sample_bodies() -> dict[str, Any]:
    models = importlib.import_module(f"{PACKAGE}.models")
    return {
        "MarkAlertsReadRequest": models.MarkAlertsReadRequest(read=True),
        "MessageRequest": models.MessageRequest(message="hi"),
        "ModifyLicenseRequest": models.ModifyLicenseRequest(permanent=True),
        "ModifyResourceRequest": models.ModifyResourceRequest(title="t"),
        "ModifySelfRequest": models.ModifySelfRequest(about_me="me"),
        "ResourceBatchRequest": models.ResourceBatchRequest(),
        "RespondToReviewRequest": models.RespondToReviewRequest(response="thanks"),
        "StartConversationRequest": models.StartConversationRequest(
            title="t", message="m", recipient_ids=[1]
        ),
    }


def _arguments(dotted: str, bodies: dict[str, Any]) -> dict[str, Any]:
    module = importlib.import_module(f"{PACKAGE}.api.{dotted}")
    args: dict[str, Any] = {}
    for name, param in inspect.signature(module._get_kwargs).parameters.items():
        if param.default is not inspect.Parameter.empty:
            continue
        if name == "body":
            annotation = param.annotation
            args[name] = bodies[annotation if isinstance(annotation, str) else annotation.__name__]
        elif name == "batch_id":
            args[name] = "b-1"
        elif name == "username":
            args[name] = "Steve"
        elif name == "discord_id":
            args[name] = "123456789012345678"
        else:
            args[name] = 7
    return args


async def test_every_operation_sends_its_request_and_unwraps_data(mode: str) -> None:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": "success", "data": None})

    transport: Any = httpx.MockTransport(app)
    client = make(mode, private_token=PRIVATE_TOKEN, transport=transport)
    bodies = _sample_bodies()
    spec = _spec_operations()
    try:
        for dotted in OPERATIONS:
            tag, op = dotted.split(".")
            result = await resolve(getattr(getattr(client.api, tag), op)(**_arguments(dotted, bodies)))
            assert result is None, dotted  # the envelope's `data`
            request = seen[-1]
            assert request.method == spec[dotted]["method"].upper(), dotted
            template = re.sub(r"\{[^}]+\}", "[^/]+", spec[dotted]["path"])
            assert re.fullmatch("/v1" + template, request.url.path), (dotted, request.url.path)
            assert request.headers["authorization"] == f"Private {PRIVATE_TOKEN}"
    finally:
        await close(client)
    assert len(seen) == 54
