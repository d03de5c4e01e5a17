"""Postal / AsyncPostal against a loopback fake Postal: the friendly methods, the generated operations,
Postal's error codes, retries per action, secrets."""

from __future__ import annotations

import base64
import inspect
import logging
import pickle
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from craftapis import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RetryPolicy,
)
from craftapis.moonrope import MaintenanceError, MoonropeError, ParameterError
from craftapis.postal import (
    AsyncPostal,
    Attachment,
    InvalidServerAPIKeyError,
    MessageNotFoundError,
    NoContentError,
    NoRecipientsError,
    Postal,
    PostalAccessDeniedError,
    UnauthenticatedFromAddressError,
)
from craftapis_generated.postal.models import (
    DeliveriesRequest,
    Delivery,
    Message,
    MessageRequest,
    MessageSuccess,
    SendMessageRequest,
    SendRawRequest,
    SendResult,
)
from craftapis_generated.postal.types import Unset

from tests.moonrope.moonrope_fake import MoonropeServer

from .postal_fake import API_KEY, WRONG_KEY, FakePostal

FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=False)
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"  # every byte value: base64 must be exact


@pytest.fixture
def fake() -> FakePostal:
    return FakePostal()


@pytest.fixture
def server(fake: FakePostal) -> Iterator[MoonropeServer]:
    with MoonropeServer(fake) as srv:
        yield srv


def _make(kind: str, url: str, key: str = API_KEY) -> Postal | AsyncPostal:
    cls = Postal if kind == "sync" else AsyncPostal
    return cls(base_url=url, api_key=key, retry=FAST_RETRY)


async def _close(client: Postal | AsyncPostal) -> None:
    if isinstance(client, Postal):
        client.close()
    else:
        await client.aclose()


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def postal(kind: str, server: MoonropeServer) -> AsyncIterator[Postal | AsyncPostal]:
    client = _make(kind, server.url)
    try:
        yield client
    finally:
        await _close(client)


async def run(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


# -- send_message ----------------------------------------------------------------------------------
async def test_send_message_with_attachments_from_path_and_bytes(
    postal: Any, fake: FakePostal, server: MoonropeServer, tmp_path: Path
) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    notes = "naïve notes ✓\n".encode()
    result = await run(
        postal.send_message(
            to=["Ann <ann@example.org>", "bob@example.net"],
            cc="carol@example.org",
            from_="Shop <shop@example.com>",
            subject="Your order",
            tag="orders",
            reply_to="help@example.com",
            plain_body="Hello",
            html_body="<p>Hello</p>",
            attachments=[
                report,
                str(report),
                ("notes.txt", notes),
                ("blob", b"\x00\xff", "application/x-custom"),
                Attachment("image.png", b"\x89PNG\r\n"),
            ],
            headers={"X-Campaign": "spring"},
        )
    )
    assert isinstance(result, SendResult)
    assert result.message_id == "<101.synthetic@postal.example.com>"
    assert set(result.messages.additional_properties) == {
        "Ann <ann@example.org>",
        "bob@example.net",
        "carol@example.org",
    }
    ref = result.messages["bob@example.net"]
    assert (ref.id, ref.token) == (102, "tok00102")

    stored = fake.messages[101]
    assert stored.attachments == [
        ("report.pdf", "application/pdf", PDF),
        ("report.pdf", "application/pdf", PDF),
        ("notes.txt", "text/plain", notes),
        ("blob", "application/x-custom", b"\x00\xff"),
        ("image.png", "image/png", b"\x89PNG\r\n"),
    ]
    (call,) = server.calls
    sent = call.params
    assert sent["from"] == "Shop <shop@example.com>"
    assert sent["to"] == ["Ann <ann@example.org>", "bob@example.net"] and sent["cc"] == ["carol@example.org"]
    assert "bcc" not in sent and "sender" not in sent and "bounce" not in sent
    assert sent["headers"] == {"X-Campaign": "spring"}
    assert base64.b64decode(sent["attachments"][0]["data"]) == PDF


@pytest.mark.parametrize("field", ["to", "cc", "bcc"])
async def test_more_than_50_recipients_fail_before_sending(
    postal: Any, server: MoonropeServer, field: str
) -> None:
    addresses = [f"user{i}@example.org" for i in range(51)]
    with pytest.raises(ValueError, match=rf"{field} has 51 addresses .* at most 50"):
        await run(postal.send_message(from_="me@example.com", plain_body="x", **{field: addresses}))
    assert server.calls == []
    # exactly 50 is fine
    result = await run(postal.send_message(from_="me@example.com", plain_body="x", **{field: addresses[:50]}))
    assert len(result.messages.additional_properties) == 50


async def test_send_message_error_codes(postal: Any) -> None:
    with pytest.raises(UnauthenticatedFromAddressError) as info:
        await run(postal.send_message(to="a@example.org", from_="me@elsewhere.org", plain_body="x"))
    err = info.value
    assert isinstance(err, MoonropeError) and isinstance(err, BadRequestError)
    assert type(err) is MoonropeError.for_code("UnauthenticatedFromAddress")
    assert err.code == "UnauthenticatedFromAddress" and err.status == "error" and err.status_code == 200
    assert "not authorised" in str(err) and "verify the domain" in str(err)
    with pytest.raises(NoRecipientsError):
        await run(postal.send_message(from_="me@example.com", plain_body="x"))
    with pytest.raises(MoonropeError.for_code("NoContent")) as content:
        await run(postal.send_message(to="a@example.org", from_="me@example.com"))
    assert type(content.value) is NoContentError


async def test_attachment_arguments_are_checked(postal: Any, server: MoonropeServer, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="attachment tuple"):
        await run(
            postal.send_message(to="a@example.org", from_="me@example.com", attachments=[("x", "text")])
        )
    with pytest.raises(TypeError, match="an attachment must be"):
        await run(postal.send_message(to="a@example.org", from_="me@example.com", attachments=[42]))
    with pytest.raises(FileNotFoundError):
        await run(
            postal.send_message(
                to="a@example.org", from_="me@example.com", attachments=[tmp_path / "missing"]
            )
        )
    assert server.calls == []


# -- send_raw --------------------------------------------------------------------------------------
async def test_send_raw_from_email_message(postal: Any, fake: FakePostal, server: MoonropeServer) -> None:
    message = EmailMessage()
    message["From"] = "Shop <shop@example.com>"
    message["To"] = "Ann <ann@example.org>, bob@example.net"
    message["Cc"] = "carol@example.org"
    message["Bcc"] = "audit@example.com"
    message["Subject"] = "Raw hello"
    message["Message-ID"] = "<raw-1@example.com>"
    message.set_content("Hello from a raw message\n")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="report.pdf")

    result = await run(postal.send_raw(message))
    assert isinstance(result, SendResult)
    assert result.message_id == "<raw-1@example.com>"
    sent = server.calls[0].params
    assert sent["mail_from"] == "shop@example.com"
    assert sent["rcpt_to"] == ["ann@example.org", "bob@example.net", "audit@example.com", "carol@example.org"]
    raw = base64.b64decode(sent["data"])
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert b"Bcc" not in raw and b"audit@example.com" not in raw  # Bcc recipients stay hidden
    assert b"Subject: Raw hello\r\n" in raw
    assert fake.messages[101].raw == raw
    # the attachment inside arrived intact
    import email
    import email.policy

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert [p.get_content() for p in parsed.iter_attachments()] == [PDF]
    assert "Bcc" in message  # the caller's message is untouched


async def test_send_raw_explicit_envelope_and_bytes(postal: Any, server: MoonropeServer) -> None:
    message = EmailMessage()
    message["From"] = "shop@example.com"
    message["To"] = "ann@example.org"
    message.set_content("x")
    result = await run(postal.send_raw(message, mail_from="bounces@example.com", rcpt_to=[]))
    assert result.message_id is None and result.messages.additional_properties == {}
    assert server.calls[0].params["mail_from"] == "bounces@example.com"
    raw = b"From: shop@example.com\r\nTo: x@example.org\r\nSubject: b\r\n\r\nbody\r\n"
    await run(postal.send_raw(raw, mail_from="shop@example.com", rcpt_to=["x@example.org"]))
    assert base64.b64decode(server.calls[1].params["data"]) == raw
    with pytest.raises(ValueError, match="mail_from and rcpt_to"):
        await run(postal.send_raw(raw))
    empty = EmailMessage()
    empty["From"] = "shop@example.com"
    with pytest.raises(ValueError, match="no To, Cc or Bcc"):
        await run(postal.send_raw(empty))
    assert len(server.calls) == 2


# -- messages/* -----------------------------------------------------------------------------------
async def test_get_message_with_expansions(postal: Any, server: MoonropeServer, tmp_path: Path) -> None:
    sent = await run(
        postal.send_message(
            to="ann@example.org",
            from_="shop@example.com",
            subject="S",
            plain_body="P",
            tag="t",
            attachments=[("a.pdf", PDF)],
        )
    )
    message_id = sent.messages["ann@example.org"].id

    bare = await run(postal.get_message(message_id))
    assert isinstance(bare, Message)
    assert (bare.id, bare.token) == (message_id, "tok00101")
    assert "_expansions" not in server.calls[-1].params

    some = await run(postal.get_message(message_id, ["details", "attachments"]))
    assert server.calls[-1].params == {"id": message_id, "_expansions": ["details", "attachments"]}
    assert some.details.rcpt_to == "ann@example.org" and some.details.size == "1"  # a string, as Postal sends
    assert some.details.tag == "t"
    assert base64.b64decode(some.attachments[0].data) == PDF
    assert some.attachments[0].hash_ and some.attachments[0].size == len(PDF)
    assert isinstance(some.status, Unset) and isinstance(some.plain_body, Unset)  # not expanded

    everything = await run(postal.get_message(message_id, expansions=True))
    assert server.calls[-1].params["_expansions"] is True
    assert everything.status.status == "Sent" and everything.status.hold_expiry is None
    assert everything.inspection.spam_score == pytest.approx(0.4)
    assert everything.plain_body == "P"
    assert everything.activity_entries.loads == []


async def test_get_message_not_found_and_missing_id(postal: Any) -> None:
    with pytest.raises(MessageNotFoundError) as info:
        await run(postal.get_message(999))
    err = info.value
    assert isinstance(err, NotFoundError) and err.attributes == {"id": 999}
    assert err.code == "MessageNotFound" and "No message found" in err.message
    with pytest.raises(ParameterError, match="`id` parameter is required"):
        await run(postal.call_action("messages", "message", {}))


async def test_get_deliveries(postal: Any) -> None:
    sent = await run(postal.send_message(to="ann@example.org", from_="shop@example.com", plain_body="x"))
    deliveries = await run(postal.get_deliveries(sent.messages["ann@example.org"].id))
    assert [type(d) for d in deliveries] == [Delivery, Delivery]
    assert [d.status for d in deliveries] == ["SoftFail", "Sent"]
    assert deliveries[0].output == "451 4.7.1 Try again later" and deliveries[1].time is None
    assert deliveries[1].timestamp == pytest.approx(1700000100.5)


# -- the generated operations ---------------------------------------------------------------------
async def test_all_four_generated_operations_are_reachable(postal: Any, server: MoonropeServer) -> None:
    import craftapis._base as base

    operations = sorted(base.operation_names("craftapis_generated.postal"))
    assert operations == [
        "messages.get_message",
        "messages.get_message_deliveries",
        "send.send_message",
        "send.send_raw_message",
    ]
    assert sorted(dir(postal.api)) == ["messages", "send"]
    sent = await run(
        postal.api.send.send_message(
            body=SendMessageRequest(to=["a@example.org"], from_="me@example.com", plain_body="x")
        )
    )
    assert isinstance(sent, SendResult)
    message_id = sent.messages["a@example.org"].id
    raw = base64.b64encode(b"Subject: r\r\n\r\nbody\r\n").decode()
    raw_result = await run(
        postal.call(
            "send.send_raw_message",
            body=SendRawRequest(mail_from="me@example.com", rcpt_to=["b@example.org"], data=raw),
        )
    )
    assert isinstance(raw_result, SendResult) and list(raw_result.messages.additional_properties) == [
        "b@example.org"
    ]
    message = await run(postal.api.messages.get_message(body=MessageRequest(id=message_id)))
    assert isinstance(message, Message) and message.id == message_id
    deliveries = await run(
        postal.call("messages.get_message_deliveries", body=DeliveriesRequest(id=message_id))
    )
    assert all(isinstance(d, Delivery) for d in deliveries) and len(deliveries) == 2
    assert [c.action for c in server.calls] == [
        "send/message",
        "send/raw",
        "messages/message",
        "messages/deliveries",
    ]
    # errors map the same way through the generated path
    with pytest.raises(MessageNotFoundError):
        await run(postal.api.messages.get_message(body=MessageRequest(id=12345)))
    assert not isinstance(message, MessageSuccess)  # unwrapped to data


# -- retries ---------------------------------------------------------------------------------------
async def test_reads_are_retried_sends_are_not(kind: str) -> None:
    fake = FakePostal(unavailable={"messages/message": 1, "send/message": 1})
    with MoonropeServer(fake) as server:
        client = _make(kind, server.url)
        try:
            with pytest.raises(MaintenanceError):
                await run(client.send_message(to="a@example.org", from_="me@example.com", plain_body="x"))
            assert len(server.calls_to("send/message")) == 1  # never sent twice
            sent = await run(client.send_message(to="a@example.org", from_="me@example.com", plain_body="x"))
            message = await run(client.get_message(sent.messages["a@example.org"].id))
            assert message.id == 101
            assert len(server.calls_to("messages/message")) == 2  # one 503, one retry
        finally:
            await _close(client)


# -- credentials -----------------------------------------------------------------------------------
async def test_invalid_key_error_never_shows_the_key(
    kind: str, caplog: pytest.LogCaptureFixture, server: MoonropeServer
) -> None:
    caplog.set_level(logging.DEBUG)
    client = _make(kind, server.url, key=WRONG_KEY)
    try:
        with pytest.raises(InvalidServerAPIKeyError) as info:
            await run(client.get_message(1))
    finally:
        await _close(client)
    err = info.value
    assert isinstance(err, AuthenticationError) and err.code == "InvalidServerAPIKey"
    assert err.attributes == {"token": "REDACTED"}  # Postal echoed the key; it is redacted
    assert server.calls[0].headers["x-server-api-key"] == WRONG_KEY
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is InvalidServerAPIKeyError
    for text in (
        str(err),
        repr(err),
        repr(err.attributes),
        repr(err.data),
        repr(err.body),
        repr(copy),
        repr(client),
        caplog.text,
    ):
        assert WRONG_KEY not in text


async def test_repr_and_logs_never_show_the_key(postal: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sent = await run(postal.send_message(to="a@example.org", from_="me@example.com", plain_body="x"))
    await run(postal.get_message(sent.messages["a@example.org"].id))
    with pytest.raises(APIError) as info:
        await run(postal.get_message(424242))
    assert caplog.records
    assert (
        repr(postal)
        == f"{type(postal).__name__}(base_url='{postal.server_url}', api_path='/api/v1', auth=HeaderAuth(X-Server-API-Key=***))"
    )
    for text in (repr(postal), str(info.value), repr(info.value), caplog.text):
        assert API_KEY not in text


class _NoAuth(httpx.Auth):
    """Adds nothing: sends a request without the key."""

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        yield request


def test_missing_key_is_postal_access_denied(server: MoonropeServer) -> None:
    with (
        Postal(base_url=server.url, api_key=API_KEY) as postal,
        pytest.raises(PostalAccessDeniedError) as info,
    ):
        postal.request("POST", "/messages/message", json={"id": 1}, auth=_NoAuth())
    assert "x-server-api-key" not in server.calls[0].headers
    assert isinstance(info.value, AuthenticationError) and info.value.code == "AccessDenied"
    assert "X-Server-API-Key" in str(info.value)  # the hint says what to do


def test_webhook_helpers_on_the_client() -> None:
    from craftapis.postal import parse_webhook, verify_webhook

    assert Postal.verify_webhook is verify_webhook and AsyncPostal.parse_webhook is parse_webhook


@pytest.mark.parametrize(
    ("code", "generic"),
    [
        ("AccessDenied", AuthenticationError),
        ("InvalidServerAPIKey", AuthenticationError),
        ("ServerSuspended", PermissionDeniedError),
        ("MessageNotFound", NotFoundError),
        ("NoRecipients", BadRequestError),
        ("NoContent", BadRequestError),
        ("TooManyToAddresses", BadRequestError),
        ("TooManyCCAddresses", BadRequestError),
        ("TooManyBCCAddresses", BadRequestError),
        ("FromAddressMissing", BadRequestError),
        ("UnauthenticatedFromAddress", BadRequestError),
        ("AttachmentMissingName", BadRequestError),
        ("AttachmentMissingData", BadRequestError),
    ],
)
def test_every_postal_code_has_its_class(code: str, generic: type[APIError]) -> None:
    import craftapis.postal as postal_module

    cls = MoonropeError.for_code(code)
    assert issubclass(cls, MoonropeError) and issubclass(cls, generic)
    assert cls.error_code == code and cls.__module__ == "craftapis.postal"
    assert getattr(postal_module, cls.__name__) is cls
    assert cls.__name__ in postal_module.__all__
    err = cls("m", status="error", code=code)
    assert type(pickle.loads(pickle.dumps(err))) is cls
