"""Finding 9: moonrope/Postal keep the API key at home, and action names cannot leave their path."""

from __future__ import annotations

import pickle

import pytest
from craftapis import APIError

from tests.faults.apis import POSTAL, close, fast_retry, resolve

from .server import HostileServer, Raw, response

KEY = POSTAL.secret


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"message": f"Invalid API key {KEY}"}),
        (403, {"message": f"Invalid API key {KEY}"}),
        (500, f"<h1>Internal error for key {KEY}</h1>"),
        (400, {"status": "error", "data": {"code": "InvalidServerAPIKey", "message": f"bad {KEY}"}}),
        (200, {"status": "parameter-error", "data": {"message": f"key {KEY} is wrong", "echo": [KEY]}}),
    ],
    ids=["200-plain", "403-plain", "500-html", "400-envelope", "200-envelope"],
)
async def test_an_error_body_echoing_the_key_does_not_carry_it_into_the_error(
    mode: str, status: int, body: object
) -> None:
    with HostileServer(POSTAL.app()) as server:
        server.script(Raw(response(status, body)), path="/api/v1/messages/deliveries")
        client = POSTAL.make(mode, server.url, retry=fast_retry(max_attempts=1))
        try:
            with pytest.raises(APIError) as caught:
                await resolve(POSTAL.read(client))
        finally:
            await close(client)
    error = caught.value
    for where, text in {
        "str": str(error),
        "repr": repr(error),
        "message": error.message,
        "body": repr(error.body),
        "args": repr(error.args),
        "text": repr(getattr(error, "text", None)),
        "pickle": repr(pickle.loads(pickle.dumps(error)).__dict__),
    }.items():
        assert KEY not in text, f"the key is in the error's {where}"


@pytest.mark.parametrize(
    ("controller", "action"),
    [
        ("../../admin", "x"),
        ("messages", "message?x=1#f"),
        ("messages", "a/../../b"),
        ("mess%2e%2e", "x"),
        ("a b", "c"),
    ],
)
async def test_an_action_name_that_would_leave_its_path_is_refused_before_sending(
    mode: str, controller: str, action: str
) -> None:
    with HostileServer(POSTAL.app()) as server:
        client = POSTAL.make(mode, server.url)
        try:
            with pytest.raises(ValueError, match="controller and action"):
                await resolve(client.call_action(controller, action))
        finally:
            await close(client)
        assert server.seen == []  # nothing was sent, the key least of all
