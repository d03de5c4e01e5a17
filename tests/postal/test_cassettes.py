"""The Postal friendly methods replayed from synthetic cassettes (see cassettes/README.md).

In record mode `none` the requests go through the normal httpx transport and vcrpy answers them; with
`--record-mode=rewrite` they go to the fake Postal through an `httpx.MockTransport` and are recorded.
"""

from __future__ import annotations

import base64
import inspect
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from craftapis import RetryPolicy
from craftapis.postal import AsyncPostal, InvalidServerAPIKeyError, MessageNotFoundError, Postal
from craftapis_generated.postal.models import Delivery, Message, SendResult

from tests.moonrope.moonrope_fake import mock_transport

from .conftest import SECRETS
from .postal_fake import API_KEY, WRONG_KEY, FakePostal

BASE_URL = "https://postal.example.com"
CASSETTES = Path(__file__).parent / "cassettes"
ATTACHMENT = bytes(range(256))


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def transport(record_mode: str) -> httpx.MockTransport | None:
    """Recording: the fake Postal behind Postal's placeholder host. Replaying: None (the real transport,
    which vcrpy intercepts)."""
    return mock_transport(FakePostal()) if record_mode != "none" else None


@pytest.fixture
def open_client(kind: str, transport: httpx.MockTransport | None) -> Any:
    clients: list[Postal | AsyncPostal] = []

    def make(key: str = API_KEY) -> Postal | AsyncPostal:
        retry = RetryPolicy(max_attempts=1)  # one interaction per call in the cassette
        client: Postal | AsyncPostal
        if kind == "sync":
            client = Postal(base_url=BASE_URL, api_key=key, retry=retry, transport=transport)
        else:
            client = AsyncPostal(base_url=BASE_URL, api_key=key, retry=retry, transport=transport)
        clients.append(client)
        return client

    yield make
    for client in clients:
        if isinstance(client, Postal):
            client.close()


@pytest.fixture
async def postal(open_client: Any) -> AsyncIterator[Postal | AsyncPostal]:
    client = open_client()
    yield client
    if isinstance(client, AsyncPostal):
        await client.aclose()


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@pytest.mark.vcr
async def test_send_message(postal: Any) -> None:
    result = await run(
        postal.send_message(
            to=["ann@example.org", "bob@example.org"],
            from_="Shop <shop@example.com>",
            subject="Receipt",
            plain_body="Thanks!",
            attachments=[("receipt.pdf", ATTACHMENT)],
        )
    )
    assert isinstance(result, SendResult)
    assert result.message_id == "<101.synthetic@postal.example.com>"
    assert (
        result.messages["ann@example.org"].id == 101
        and result.messages["bob@example.org"].token == "tok00102"
    )


@pytest.mark.vcr
async def test_send_raw(postal: Any) -> None:
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = "ann@example.org"
    message["Subject"] = "Raw"
    message["Message-ID"] = "<cassette-raw@example.com>"
    message.set_content("Hello raw\n")
    result = await run(postal.send_raw(message))
    assert result.message_id == "<cassette-raw@example.com>"
    assert list(result.messages.additional_properties) == ["ann@example.org"]


@pytest.mark.vcr
async def test_get_message_and_deliveries(postal: Any) -> None:
    sent = await run(
        postal.send_message(
            to="ann@example.org",
            from_="shop@example.com",
            plain_body="Hi",
            attachments=[("a.bin", ATTACHMENT)],
        )
    )
    message_id = sent.messages["ann@example.org"].id
    message = await run(postal.get_message(message_id, expansions=True))
    assert isinstance(message, Message)
    assert message.details.mail_from == "shop@example.com" and message.details.size == "2"
    assert base64.b64decode(message.attachments[0].data) == ATTACHMENT
    assert message.status.status == "Sent"
    deliveries = await run(postal.get_deliveries(message_id))
    assert [d.status for d in deliveries] == ["SoftFail", "Sent"]
    assert all(isinstance(d, Delivery) for d in deliveries)
    with pytest.raises(MessageNotFoundError):
        await run(postal.get_message(9999))


@pytest.mark.vcr
async def test_invalid_key(open_client: Any) -> None:
    client = open_client(WRONG_KEY)
    try:
        with pytest.raises(InvalidServerAPIKeyError) as info:
            await run(client.get_message(1))
    finally:
        if isinstance(client, AsyncPostal):
            await client.aclose()
    assert info.value.attributes == {"token": "REDACTED"}
    assert WRONG_KEY not in str(info.value) and WRONG_KEY not in repr(info.value)


def test_cassettes_hold_no_secret() -> None:
    files = sorted((CASSETTES / "test_cassettes").rglob("*.yaml"))  # live/ is tests/recording's
    # 4 tests x (sync, async): a missing cassette would make this check vacuous
    assert len(files) == 8, [f.name for f in files]
    for path in files:
        text = path.read_text()
        assert "https://postal.example.com/api/v1/" in text, path
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {path}"
        assert re.search(r"^\s*-?\s*x-server-api-key:", text, re.I | re.M) is None, path  # header filtered
