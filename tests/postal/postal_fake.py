"""A fake Postal server (the app behind tests' loopback server and the cassette recordings).

Faithful to Postal's legacy API (postalserver/postal app/controllers/legacy_api/*.rb) in shapes and
checks, with synthetic values: the same parameter and error handling, the same result fields
(`details.size` as a string, base64 with line breaks in `attachments[].data` and `raw_message`).
It keeps what it received decoded, so tests can assert the exact bytes that arrived.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import hashlib
import threading
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any

from tests.moonrope.moonrope_fake import Answer, Call, envelope, failure

__all__ = ["API_KEY", "WRONG_KEY", "FakePostal", "StoredMessage"]

API_KEY = "pk-3c1f8e0b7a6d4e21-SECRET"  # synthetic: a test key, greped out of every cassette
WRONG_KEY = "pk-0000000000000000-WRONG"
AUTHENTICATED_DOMAINS = ("example.com",)


@dataclass
class StoredMessage:
    id: int
    token: str
    rcpt_to: str
    mail_from: str
    subject: str | None
    message_id: str
    tag: str | None = None
    plain_body: str | None = None
    html_body: str | None = None
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (name, content type, bytes)
    raw: bytes = b""
    bounce: bool = False
    headers: dict[str, list[str]] = field(default_factory=dict)


def _error(code: str, message: str, **attributes: Any) -> Answer:
    return envelope("error", {"code": code, "message": message, **attributes}, time=0.01)


def _domain(address: str) -> str:
    return getaddresses([address])[0][1].rpartition("@")[2].lower()


class FakePostal:
    """Postal's four actions with deterministic ids and tokens."""

    def __init__(self, *, unavailable: dict[str, int] | None = None) -> None:
        self.lock = threading.Lock()
        self.messages: dict[int, StoredMessage] = {}
        self.next_id = 101
        #: action -> how many 503 answers to give before answering normally
        self.unavailable = dict(unavailable or {})

    # -- plumbing ------------------------------------------------------------------------------------
    def __call__(self, call: Call) -> Answer:
        routes = {
            "send/message": self.send_message,
            "send/raw": self.send_raw,
            "messages/message": self.message,
            "messages/deliveries": self.deliveries,
        }
        if not call.path.startswith("/api/v1/") or call.action not in routes:
            return failure(400, "invalid-controller-or-action")
        with self.lock:
            left = self.unavailable.get(call.action, 0)
            if left:
                self.unavailable[call.action] = left - 1
                return Answer(503)
        try:
            params = call.params
        except ValueError as exc:
            return failure(400, "invalid-json", details=str(exc))
        key = call.headers.get("x-server-api-key")
        if key is None:
            return _error("AccessDenied", "Must be authenticated as a server.")
        if key != API_KEY:
            # Postal echoes the key it was given: clients must keep it out of their errors
            return _error(
                "InvalidServerAPIKey", "The API token provided in X-Server-API-Key was not valid.", token=key
            )
        with self.lock:
            return routes[call.action](params)

    def _store(self, **fields: Any) -> StoredMessage:
        message = StoredMessage(id=self.next_id, token=f"tok{self.next_id:05d}", **fields)
        self.messages[message.id] = message
        self.next_id += 1
        return message

    # -- send/message ------------------------------------------------------------------------------------
    def send_message(self, p: dict[str, Any]) -> Answer:
        to, cc, bcc = (list(p.get(k) or []) for k in ("to", "cc", "bcc"))
        for name, values, code in (
            ("to", to, "TooManyToAddresses"),
            ("cc", cc, "TooManyCCAddresses"),
            ("bcc", bcc, "TooManyBCCAddresses"),
        ):
            if len(values) > 50:
                return _error(code, f"Maximum of 50 {name} addresses may be given")
        if not (to or cc or bcc):
            return _error("NoRecipients", "There are no recipients defined to receive this message")
        if not p.get("plain_body") and not p.get("html_body"):
            return _error("NoContent", "There is no content defined for this e-mail")
        if not p.get("from"):
            return _error("FromAddressMissing", "The From address is missing and is required")
        if _domain(p["from"]) not in AUTHENTICATED_DOMAINS:
            return _error(
                "UnauthenticatedFromAddress",
                "The From address is not authorised to send mail from this server",
            )
        attachments: list[tuple[str, str, bytes]] = []
        for attachment in p.get("attachments") or []:
            if not attachment.get("name"):
                return _error("AttachmentMissingName", "An attachment is missing a name")
            if not attachment.get("data"):
                return _error("AttachmentMissingData", f"The {attachment['name']} attachment is missing data")
            try:
                data = base64.b64decode(attachment["data"], validate=True)
            except binascii.Error:
                return envelope("parameter-error", {"message": "attachment data is not base64"})
            attachments.append((attachment["name"], attachment.get("content_type") or "", data))
        message_id = f"<{self.next_id}.synthetic@postal.example.com>"
        messages = {}
        for rcpt in to + cc + bcc:
            stored = self._store(
                rcpt_to=rcpt,
                mail_from=p["from"],
                subject=p.get("subject"),
                message_id=message_id,
                tag=p.get("tag"),
                plain_body=p.get("plain_body"),
                html_body=p.get("html_body"),
                attachments=attachments,
                bounce=bool(p.get("bounce")),
                headers={k.lower(): [str(v)] for k, v in (p.get("headers") or {}).items()},
            )
            messages[rcpt] = {"id": stored.id, "token": stored.token}
        return envelope("success", {"message_id": message_id, "messages": messages})

    # -- send/raw ----------------------------------------------------------------------------------------
    def send_raw(self, p: dict[str, Any]) -> Answer:
        for name in ("mail_from", "rcpt_to", "data"):
            if name not in p:
                return envelope(
                    "parameter-error", {"message": f"`{name}` parameter is required but is missing"}
                )
        if _domain(p["mail_from"]) not in AUTHENTICATED_DOMAINS:
            return _error(
                "UnauthenticatedFromAddress",
                "The From address is not authorised to send mail from this server",
            )
        raw = base64.b64decode(p["data"], validate=True)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        if not p["rcpt_to"]:
            return envelope("success", {"message_id": None, "messages": {}})
        message_id = str(parsed["Message-ID"] or f"<{self.next_id}.raw@postal.example.com>")
        messages = {}
        for rcpt in p["rcpt_to"]:
            stored = self._store(
                rcpt_to=rcpt,
                mail_from=p["mail_from"],
                subject=parsed["Subject"],
                message_id=message_id,
                raw=raw,
                bounce=bool(p.get("bounce")),
            )
            messages[rcpt] = {"id": stored.id, "token": stored.token}
        return envelope("success", {"message_id": message_id, "messages": messages})

    # -- messages/* --------------------------------------------------------------------------------------
    def _find(self, p: dict[str, Any]) -> StoredMessage | Answer:
        if "id" not in p:
            return envelope("parameter-error", {"message": "`id` parameter is required but is missing"})
        stored = self.messages.get(int(p["id"]))
        if stored is None:
            return _error("MessageNotFound", "No message found matching provided ID", id=p["id"])
        return stored

    def message(self, p: dict[str, Any]) -> Answer:
        found = self._find(p)
        if isinstance(found, Answer):
            return found
        m = found
        wanted = p.get("_expansions")

        def expanded(name: str) -> bool:
            return wanted is True or (isinstance(wanted, list) and name in wanted)

        data: dict[str, Any] = {"id": m.id, "token": m.token}
        if expanded("status"):
            data["status"] = {
                "status": "Sent",
                "last_delivery_attempt": 1700000100.5,
                "held": False,
                "hold_expiry": None,
            }
        if expanded("details"):
            size = len(m.raw) or len((m.plain_body or "") + (m.html_body or ""))
            data["details"] = {
                "rcpt_to": m.rcpt_to,
                "mail_from": m.mail_from,
                "subject": m.subject,
                "message_id": m.message_id,
                "timestamp": 1700000000.25,
                "direction": "outgoing",
                "size": str(size),
                "bounce": m.bounce,
                "bounce_for_id": 0,
                "tag": m.tag,
                "received_with_ssl": None,
            }
        if expanded("inspection"):
            data["inspection"] = {
                "inspected": True,
                "spam": False,
                "spam_score": 0.4,
                "threat": False,
                "threat_details": None,
            }
        if expanded("plain_body"):
            data["plain_body"] = m.plain_body
        if expanded("html_body"):
            data["html_body"] = m.html_body
        if expanded("attachments"):
            data["attachments"] = [
                {
                    "filename": name,
                    "content_type": content_type,
                    "data": base64.encodebytes(content).decode("ascii"),
                    "size": len(content),
                    "hash": hashlib.sha1(content).hexdigest(),
                }
                for name, content_type, content in m.attachments
            ]
        if expanded("headers"):
            data["headers"] = m.headers
        if expanded("raw_message"):
            data["raw_message"] = base64.encodebytes(m.raw).decode("ascii")
        if expanded("activity_entries"):
            data["activity_entries"] = {"loads": [], "clicks": []}
        return envelope("success", data)

    def deliveries(self, p: dict[str, Any]) -> Answer:
        found = self._find(p)
        if isinstance(found, Answer):
            return found
        attempts = [
            {
                "id": found.id * 10 + 1,
                "status": "SoftFail",
                "details": "Temporary failure: greylisted",
                "output": "451 4.7.1 Try again later",
                "sent_with_ssl": True,
                "log_id": "LOG1",
                "time": 0.52,
                "timestamp": 1700000050.0,
            },
            {
                "id": found.id * 10 + 2,
                "status": "Sent",
                "details": "Message for " + found.rcpt_to + " accepted",
                "output": "250 2.0.0 OK",
                "sent_with_ssl": True,
                "log_id": "LOG2",
                "time": None,
                "timestamp": 1700000100.5,
            },
        ]
        return envelope("success", attempts)
