"""`AsyncPostal`: the Postal mail server's HTTP API v1, on the moonrope client. What the Postal client is
(its deployment data, the generated operations it reaches) is in `_client.py`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from email.message import Message as EmailMessage
from typing import TYPE_CHECKING, Unpack, cast

from .._async_base import AsyncClientOptions
from .._keywords import SCHEMES, refuse_scheme
from ..moonrope._async_client import AsyncMoonrope
from ._client import _DOC_ARGS, API_KEY_HEADER, _PostalDeployment
from ._messages import (
    AttachmentLike,
    build_deliveries_request,
    build_message_request,
    build_send_message,
    build_send_raw,
)

if TYPE_CHECKING:
    from craftapis_generated.postal.models import Delivery, Message, MessageExpansion, SendResult
    from craftapis_generated.postal.operations import AsyncPostalOperations

    from ._async_raw import AsyncPostalWithRawResponse

__all__ = ["AsyncPostal"]


class AsyncPostal(_PostalDeployment, AsyncMoonrope):
    __doc__ = (
        """Client of a Postal mail server's HTTP API.

        async with AsyncPostal(base_url="https://postal.example.com", api_key=api_key) as postal:
            result = await postal.send_message(to=["a@example.org"], from_="me@example.com",
                                         subject="Hi", plain_body="Hello", attachments=["report.pdf"])
            print(result.message_id, result.messages["a@example.org"].id)
"""
        + _DOC_ARGS
    )

    # the base's `api` and `with_raw_response`, typed with the Postal spec's generated classes
    if TYPE_CHECKING:

        @property
        def api(self) -> AsyncPostalOperations: ...
        @property
        def with_raw_response(self) -> AsyncPostalWithRawResponse: ...  # type: ignore[override]

    _keyword_hint = "base_url='https://postal.example.com', api_key=..."

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        safe_actions: Iterable[str] | None = None,
        **options: Unpack[AsyncClientOptions],
    ) -> None:
        refuse_scheme(api_key, name="api_key", schemes=SCHEMES, sent_as=f"the {API_KEY_HEADER} header")
        super().__init__(
            base_url=base_url,
            api_version=1,
            auth_headers={API_KEY_HEADER: api_key},
            safe_actions=safe_actions,
            **options,
        )

    async def send_message(
        self,
        *,
        to: str | Iterable[str] | None = None,
        cc: str | Iterable[str] | None = None,
        bcc: str | Iterable[str] | None = None,
        from_: str,
        sender: str | None = None,
        subject: str | None = None,
        tag: str | None = None,
        reply_to: str | None = None,
        plain_body: str | None = None,
        html_body: str | None = None,
        attachments: Iterable[AttachmentLike] | None = None,
        headers: Mapping[str, str] | None = None,
        bounce: bool | None = None,
    ) -> SendResult:
        """Send a message built from its parts (send/message); one message is created per recipient.

        Args:
            to, cc, bcc: addresses (``"a@b.c"`` or ``"Name <a@b.c>"``), at most 50 each (checked here,
                before sending: ValueError).
            from_: the From address; its domain must be verified for this server.
            sender, reply_to: the Sender and Reply-To addresses.
            subject, tag: the subject and a tag Postal stores with the message.
            plain_body, html_body: the bodies (at least one; else `NoContentError`).
            attachments: file paths, ``(name, bytes)`` / ``(name, bytes, content_type)`` tuples or
                `Attachment` objects; read and base64-encoded for you, the content type guessed from the
                file name when not given.
            headers: extra headers, name to value.
            bounce: mark the message as a bounce.

        Returns the result: ``message_id`` and ``messages[address]`` (``id``, ``token``) per recipient.
        Not retried after it may have reached the server (that could send it twice).
        """
        body = build_send_message(
            to=to,
            cc=cc,
            bcc=bcc,
            from_=from_,
            sender=sender,
            subject=subject,
            tag=tag,
            reply_to=reply_to,
            plain_body=plain_body,
            html_body=html_body,
            attachments=attachments,
            headers=headers,
            bounce=bounce,
        )
        return cast("SendResult", await self.call("send.send_message", body=body))

    async def send_raw(
        self,
        message: EmailMessage | bytes,
        *,
        mail_from: str | None = None,
        rcpt_to: Sequence[str] | None = None,
        bounce: bool | None = None,
    ) -> SendResult:
        """Send a complete message (send/raw), e.g. an `email.message.EmailMessage` you built.

        ``mail_from`` defaults to the Sender (else From) address and ``rcpt_to`` to every To, Cc and Bcc
        address, as `smtplib` does; the Bcc header is removed from what is sent. Pass both with raw
        bytes. The message is sent with CRLF line endings, base64-encoded for you. ``message_id`` is
        None when ``rcpt_to`` is empty.
        """
        body = build_send_raw(message, mail_from=mail_from, rcpt_to=rcpt_to, bounce=bounce)
        return cast("SendResult", await self.call("send.send_raw_message", body=body))

    async def get_message(
        self, id: int | str, expansions: bool | Iterable[str | MessageExpansion] | None = None
    ) -> Message:
        """A message by id (messages/message): ``id`` and ``token``, plus the sections in ``expansions``
        (``True`` for all: ``status``, ``details``, ``inspection``, ``plain_body``, ``html_body``,
        ``attachments``, ``headers``, ``raw_message``, ``activity_entries``).
        Raises `MessageNotFoundError` for an unknown id."""
        return cast(
            "Message", await self.call("messages.get_message", body=build_message_request(id, expansions))
        )

    async def get_deliveries(self, id: int | str) -> list[Delivery]:
        """The delivery attempts of a message (messages/deliveries), oldest first."""
        result = await self.call("messages.get_message_deliveries", body=build_deliveries_request(id))
        return list(cast("list[Delivery] | None", result) or [])
