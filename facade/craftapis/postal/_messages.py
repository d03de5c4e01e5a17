"""Building Postal's request bodies from friendly arguments: pure functions the sync and async clients
share (recipient limits, attachments read and base64-encoded, raw messages serialised).

Generated models are imported inside the functions: `craftapis_generated.postal` loads on first use.
"""

from __future__ import annotations

import base64
import copy
import email.utils
import mimetypes
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

# a real (not string) alias below needs the generated model at runtime: one small module, loaded with
# craftapis.postal only (the generated models package is lazy)
from craftapis_generated.postal.models.attachment import Attachment as AttachmentModel

if TYPE_CHECKING:
    from craftapis_generated.postal.models import (
        DeliveriesRequest,
        MessageExpansion,
        MessageRequest,
        SendMessageRequest,
        SendRawRequest,
    )

__all__ = [
    "MAX_RECIPIENTS",
    "Attachment",
    "AttachmentLike",
    "build_deliveries_request",
    "build_message_request",
    "build_send_message",
    "build_send_raw",
]

#: Postal's limit per field (to, cc, bcc) of send/message
MAX_RECIPIENTS: Final = 50
_DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name, strict=False)[0] or _DEFAULT_CONTENT_TYPE


@dataclass(frozen=True)
class Attachment:
    """A file to attach to `send_message`: its name, its raw bytes, its MIME type.

    ``content_type=None`` guesses the type from the file name (``application/octet-stream`` when the
    extension is unknown). The bytes are base64-encoded for you.
    """

    name: str
    content: bytes = field(repr=False)
    content_type: str | None = None

    @classmethod
    def from_path(
        cls, path: str | os.PathLike[str], *, name: str | None = None, content_type: str | None = None
    ) -> Attachment:
        """Read a file; ``name`` defaults to the file's name."""
        file = Path(path)
        return cls(name or file.name, file.read_bytes(), content_type)

    def to_dict(self) -> dict[str, str]:
        """The wire form: ``{name, content_type, data}`` with ``data`` in base64."""
        return {
            "name": self.name,
            "content_type": self.content_type or _guess_type(self.name),
            "data": base64.b64encode(self.content).decode("ascii"),
        }


#: What `send_message(attachments=[...])` accepts for one attachment: a file path, ``(name, bytes)``,
#: ``(name, bytes, content_type)``, an :class:`Attachment`, or a generated ``Attachment`` model whose
#: ``data`` is already base64.
#: (A runtime alias, not a string: `typing.get_type_hints` of the methods that take it must work.)
AttachmentLike: TypeAlias = (
    str | os.PathLike[str] | tuple[str, bytes] | tuple[str, bytes, str | None] | Attachment | AttachmentModel
)


def _attachment(value: Any) -> AttachmentModel:
    if isinstance(value, AttachmentModel):
        return value
    if isinstance(value, str | os.PathLike):
        value = Attachment.from_path(value)
    elif isinstance(value, tuple):
        if (
            len(value) not in (2, 3)
            or not isinstance(value[0], str)
            or not isinstance(value[1], bytes | bytearray)
        ):
            raise TypeError(
                "an attachment tuple must be (name, bytes) or (name, bytes, content_type), "
                f"got a tuple of {[type(v).__name__ for v in value]}"
            )
        value = Attachment(value[0], bytes(value[1]), value[2] if len(value) == 3 else None)
    elif not isinstance(value, Attachment):
        raise TypeError(
            "an attachment must be a file path, (name, bytes[, content_type]) or an Attachment, "
            f"got {type(value).__name__}"
        )
    return AttachmentModel.from_dict(value.to_dict())


def _addresses(field_name: str, value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    addresses = [value] if isinstance(value, str) else list(value)
    for address in addresses:
        if not isinstance(address, str):
            raise TypeError(f"{field_name} must hold address strings, got {type(address).__name__}")
    if len(addresses) > MAX_RECIPIENTS:
        raise ValueError(
            f"{field_name} has {len(addresses)} addresses but Postal accepts at most {MAX_RECIPIENTS} in each "
            f"of to, cc and bcc; send in batches of {MAX_RECIPIENTS} (nothing was sent)"
        )
    return addresses


def build_send_message(
    *,
    to: str | Iterable[str] | None,
    cc: str | Iterable[str] | None,
    bcc: str | Iterable[str] | None,
    from_: str,
    sender: str | None,
    subject: str | None,
    tag: str | None,
    reply_to: str | None,
    plain_body: str | None,
    html_body: str | None,
    attachments: Iterable[AttachmentLike] | None,
    headers: Mapping[str, str] | None,
    bounce: bool | None,
) -> SendMessageRequest:
    """The body of send/message; raises before anything is sent when a field breaks Postal's limits."""
    from craftapis_generated.postal.models import SendMessageRequest, SendMessageRequestHeaders
    from craftapis_generated.postal.types import UNSET

    if not isinstance(from_, str) or not from_:
        raise ValueError("from_ is required: the From address (its domain must be verified in Postal)")
    to_list = _addresses("to", to) or []  # send/message wants `to`, even empty (Bcc-only messages)
    cc_list = _addresses("cc", cc)
    bcc_list = _addresses("bcc", bcc)
    return SendMessageRequest(
        to=to_list,
        from_=from_,
        cc=UNSET if cc_list is None else cc_list,
        bcc=UNSET if bcc_list is None else bcc_list,
        sender=UNSET if sender is None else sender,
        subject=UNSET if subject is None else subject,
        tag=UNSET if tag is None else tag,
        reply_to=UNSET if reply_to is None else reply_to,
        plain_body=UNSET if plain_body is None else plain_body,
        html_body=UNSET if html_body is None else html_body,
        attachments=UNSET if attachments is None else [_attachment(a) for a in _attachment_list(attachments)],
        headers=UNSET if headers is None else SendMessageRequestHeaders.from_dict(dict(headers)),
        bounce=UNSET if bounce is None else bounce,
    )


def _envelope_addresses(message: EmailMessage) -> tuple[str | None, list[str]]:
    """MAIL FROM and RCPT TO from the headers, as `smtplib.SMTP.send_message` derives them."""
    resent = message.get_all("Resent-Date")
    if resent is None:
        prefix = ""
    elif len(resent) == 1:
        prefix = "Resent-"
    else:
        raise ValueError("the message has more than one Resent- header block; pass mail_from and rcpt_to")
    sender = message[prefix + "Sender"] if (prefix + "Sender") in message else message[prefix + "From"]
    mail_from = email.utils.getaddresses([str(sender)])[0][1] if sender is not None else None
    fields = [
        str(f)
        for f in (message[prefix + "To"], message[prefix + "Bcc"], message[prefix + "Cc"])
        if f is not None
    ]
    return mail_from or None, [address for _, address in email.utils.getaddresses(fields) if address]


def build_send_raw(
    message: EmailMessage | bytes,
    *,
    mail_from: str | None,
    rcpt_to: Sequence[str] | None,
    bounce: bool | None,
) -> SendRawRequest:
    """The body of send/raw: the RFC 2822 bytes (CRLF line endings, Bcc removed) in base64."""
    from craftapis_generated.postal.models import SendRawRequest
    from craftapis_generated.postal.types import UNSET

    if isinstance(message, bytes | bytearray):
        raw = bytes(message)
        if mail_from is None or rcpt_to is None:
            raise ValueError(
                "with raw bytes, pass mail_from and rcpt_to (they are read from the headers of an EmailMessage)"
            )
    elif isinstance(message, EmailMessage):
        derived_from, derived_to = _envelope_addresses(message)
        mail_from = mail_from if mail_from is not None else derived_from
        if rcpt_to is None:
            if not derived_to:
                raise ValueError("the message has no To, Cc or Bcc address; pass rcpt_to (nothing was sent)")
            rcpt_to = derived_to
        if mail_from is None:
            raise ValueError("the message has no From or Sender header; pass mail_from (nothing was sent)")
        # like smtplib: recipients in Bcc get the message, but must not see the header
        if "Bcc" in message or "Resent-Bcc" in message:
            message = copy.copy(message)
            del message["Bcc"]
            del message["Resent-Bcc"]
        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    else:
        raise TypeError(
            f"message must be an email.message.EmailMessage or bytes, got {type(message).__name__}"
        )
    if isinstance(rcpt_to, str):
        rcpt_to = [rcpt_to]
    return SendRawRequest(
        mail_from=mail_from,
        rcpt_to=list(rcpt_to),
        data=base64.b64encode(raw).decode("ascii"),
        bounce=UNSET if bounce is None else bounce,
    )


def _attachment_list(attachments: Iterable[AttachmentLike]) -> Iterable[AttachmentLike]:
    if isinstance(attachments, str | bytes | os.PathLike | tuple):
        raise TypeError(
            "attachments must be a list of attachments (paths, (name, bytes) pairs, ...), not one: "
            "wrap it in a list"
        )
    return attachments


def build_message_request(
    message_id: int | str, expansions: bool | Iterable[str | MessageExpansion] | None
) -> MessageRequest:
    """The body of messages/message: ``expansions`` is ``True`` (every section) or a list of names
    (``status``, ``details``, ``inspection``, ``plain_body``, ``html_body``, ``attachments``,
    ``headers``, ``raw_message``, ``activity_entries``; other names are passed through)."""
    from craftapis_generated.postal.models import MessageExpansion, MessageRequest
    from craftapis_generated.postal.types import UNSET

    chosen: bool | list[MessageExpansion] | Any
    if expansions is None or expansions is False:
        chosen = UNSET
    elif expansions is True:
        chosen = True
    elif isinstance(expansions, str):
        chosen = [MessageExpansion(expansions)]
    else:
        chosen = [MessageExpansion(e) for e in expansions]
    return MessageRequest(id=message_id, field_expansions=chosen)  # type: ignore[arg-type]  # str ids work too


def build_deliveries_request(message_id: int | str) -> DeliveriesRequest:
    from craftapis_generated.postal.models import DeliveriesRequest

    return DeliveriesRequest(id=message_id)  # type: ignore[arg-type]  # str ids work too
