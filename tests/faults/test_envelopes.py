"""Errors inside an HTTP 200: BuiltByBit v2 and v1 `result: error`, moonrope statuses, Railcraft
`result != 0`. Each must raise its typed error (never return the envelope as if it were data), with
the server's code and message, and without a retry (the answer would not change)."""

from __future__ import annotations

from typing import Any

import pytest
from craftapis import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from craftapis.moonrope import (
    AccessDeniedError,
    MoonropeError,
    MoonropeNotFoundError,
    ParameterError,
    ValidationError,
)
from craftapis.postal import MessageNotFoundError
from craftapis.railcraft import RailcraftAuthError, RailcraftError

from .apis import BUILTBYBIT, BUILTBYBIT_V1, POSTAL, RAILCRAFT, Api, close, resolve
from .servers import FaultServer, Respond


def _bbb(code: str | None, message: str | None) -> dict[str, Any]:
    error: dict[str, Any] = {}
    if code is not None:
        error["code"] = code
    if message is not None:
        error["message"] = message
    return {"result": "error", "error": error}


def _moonrope(status: str, data: Any) -> dict[str, Any]:
    return {"status": status, "time": 0.002, "flags": {}, "data": data}


CODE_GUESS_BUG = (
    "BUG (minor): facade/craftapis/builtbybit/_profile.py decode_error: for `{result: error, error: "
    "'<sentence>'}` it passes code=None to APIError.from_response, which reads None as 'guess it' and "
    "takes the sentence as .code (_errors._guess_code_message). Fix: reset error.code to None after "
    "from_response (or give from_response a sentinel meaning 'no code')."
)

# (api, body, the class raised exactly, what `isinstance` must also hold, code, words in str())
CASES: list[Any] = [
    (
        BUILTBYBIT,
        _bbb("NotFoundError", "No such resource."),
        NotFoundError,
        NotFoundError,
        "NotFoundError",
        "No such resource",
    ),
    (
        BUILTBYBIT,
        _bbb("RateLimitExceededError", "Slow down."),
        RateLimitError,
        RateLimitError,
        "RateLimitExceededError",
        "Slow down",
    ),
    (
        BUILTBYBIT,
        _bbb("TokenInvalidError", "Bad token."),
        AuthenticationError,
        AuthenticationError,
        "TokenInvalidError",
        "Bad token",
    ),
    (
        BUILTBYBIT,
        _bbb("ResourceBannedError", "Banned."),
        PermissionDeniedError,
        PermissionDeniedError,
        "ResourceBannedError",
        "Banned",
    ),
    (
        BUILTBYBIT,
        _bbb("SomethingNewError", "Brand new."),
        APIError,
        APIError,
        "SomethingNewError",
        "Brand new",
    ),
    pytest.param(
        BUILTBYBIT,
        {"result": "error", "error": "Just a sentence."},
        APIError,
        APIError,
        None,
        "Just a sentence",
    ),
    (BUILTBYBIT, {"result": "error"}, APIError, APIError, None, "result=error"),
    (
        BUILTBYBIT_V1,
        _bbb("NotFoundError", "No such resource."),
        NotFoundError,
        NotFoundError,
        "NotFoundError",
        "No such resource",
    ),
    (
        BUILTBYBIT_V1,
        _bbb("InvalidTokenError", "Bad token."),
        AuthenticationError,
        AuthenticationError,
        "InvalidTokenError",
        "Bad token",
    ),
    (
        BUILTBYBIT_V1,
        _bbb("ValidationError", "page must be >= 1"),
        BadRequestError,
        BadRequestError,
        "ValidationError",
        "page must be",
    ),
    (
        BUILTBYBIT_V1,
        _bbb("RateLimitError", "Slow down."),
        RateLimitError,
        RateLimitError,
        "RateLimitError",
        "Slow down",
    ),
    (
        BUILTBYBIT_V1,
        _bbb("SomethingNewError", None),
        APIError,
        APIError,
        "SomethingNewError",
        "SomethingNewError",
    ),
    (
        POSTAL,
        _moonrope("parameter-error", {"message": "id is required"}),
        ParameterError,
        BadRequestError,
        "parameter-error",
        "id is required",
    ),
    (
        POSTAL,
        _moonrope("access-denied", {"message": "Not for you."}),
        AccessDeniedError,
        PermissionDeniedError,
        "access-denied",
        "Not for you",
    ),
    (
        POSTAL,
        _moonrope("not-found", {"message": "No message."}),
        MoonropeNotFoundError,
        NotFoundError,
        "not-found",
        "No message",
    ),
    (
        POSTAL,
        _moonrope("validation-error", {"errors": {"to": ["is invalid"]}}),
        ValidationError,
        UnprocessableEntityError,
        "validation-error",
        "is invalid",
    ),
    (
        POSTAL,
        _moonrope("error", {"code": "MessageNotFound", "message": "No message with that ID", "id": 9}),
        MessageNotFoundError,
        NotFoundError,
        "MessageNotFound",
        "No message with that ID",
    ),
    (
        POSTAL,
        _moonrope("error", {"code": "FancyNewCode", "message": "Fancy."}),
        None,
        MoonropeError,
        "FancyNewCode",
        "Fancy",
    ),
    (
        POSTAL,
        _moonrope("brand-new-status", None),
        MoonropeError,
        MoonropeError,
        "brand-new-status",
        "brand-new-status",
    ),
    (
        RAILCRAFT,
        {"result": 1, "msg": "SQL Error", "data": "syntax error near FROM"},
        RailcraftError,
        RailcraftError,
        "1",
        "SQL Error",
    ),
    (
        RAILCRAFT,
        {"result": "5", "msg": "Invalid client ID or secret"},
        RailcraftAuthError,
        AuthenticationError,
        "5",
        "Invalid client ID",
    ),
    (
        RAILCRAFT,
        {"result": 11, "msg": "No tags found"},
        RailcraftError,
        RailcraftError,
        "11",
        "No tags found",
    ),
    (
        RAILCRAFT,
        {"result": 99, "error": "Something new"},
        RailcraftError,
        RailcraftError,
        "99",
        "Something new",
    ),
]


@pytest.mark.parametrize(
    ("api", "body", "exact", "kind", "code", "words"),
    CASES,
    ids=[f"{(c.values if hasattr(c, 'values') else c)[0].name}-{i}" for i, c in enumerate(CASES)],
)
async def test_an_error_envelope_with_http_200_is_typed(
    mode: str,
    api: Api,
    body: Any,
    exact: type[APIError] | None,
    kind: type[APIError],
    code: str | None,
    words: str,
) -> None:
    method, path = api.read_request
    with FaultServer(api.app()) as server:
        server.script(Respond(200, body), path=path)
        client = api.make(mode, server.url)
        try:
            with pytest.raises(APIError) as caught:
                await resolve(api.read(client))
        finally:
            await close(client)
        assert server.count(method, path) == 1
    error = caught.value
    if exact is None:  # a moonrope application code: its own class, made on first use
        exact = MoonropeError.for_code(str(code))
    assert type(error) is exact
    assert isinstance(error, kind)
    assert error.code == code
    assert error.status_code == 200
    assert words in str(error)
    assert error.body == body


async def test_railcraft_code_6_twice_renews_once_then_raises(mode: str) -> None:
    """Code 6 (expired) on an authenticated call renews the token once and resends; when the fresh
    token gets code 6 too, RailcraftAuthError, with no further renewal or retry."""
    method, path = RAILCRAFT.write_request
    acquire = "/railcraftpack/api/auth/"
    expired = {"result": 6, "msg": "Token has expired"}
    with FaultServer(RAILCRAFT.app()) as server:
        server.script(Respond(200, expired), Respond(200, expired), path=path)
        client = RAILCRAFT.make(mode, server.url)
        try:
            with pytest.raises(RailcraftAuthError) as caught:
                await resolve(RAILCRAFT.write(client))
        finally:
            await close(client)
        assert server.count(method, path) == 2
        assert server.count("POST", acquire) == 2
    assert caught.value.error_code == 6
    assert caught.value.meaning == "Token has expired"
