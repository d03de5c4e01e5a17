"""Postal webhooks: signature verification with a key pair made here, and typed event parsing."""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import pytest
from craftapis import APIError, SignatureError
from craftapis.postal import (
    DomainDNSError,
    MessageBounced,
    MessageDelayed,
    MessageDeliveryFailed,
    MessageHeld,
    MessageLinkClicked,
    MessageLoaded,
    MessageSent,
    SendLimitApproaching,
    SendLimitExceeded,
    UnknownWebhook,
    WebhookEvent,
    load_public_key,
    parse_webhook,
    verify_webhook,
)
from craftapis_generated.postal.models import (
    DomainDNSErrorPayload,
    MessageBouncedPayload,
    MessageLinkClickedPayload,
    MessageLoadedPayload,
    MessageStatusPayload,
    SendLimitPayload,
    WebhookMessage,
)
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

MESSAGE = {
    "id": 12345,
    "token": "abcdef123",
    "direction": "outgoing",
    "message_id": "<5e2c@example.com>",
    "to": "ann@example.org",
    "from": "shop@example.com",
    "subject": "Welcome",
    "timestamp": 1700000000.5,
    "spam_status": "NotSpam",
    "tag": "welcome",
}
BODY = json.dumps(
    {
        "event": "MessageSent",
        "timestamp": 1700000001.25,
        "uuid": "0b6c2a1e-4f7d-4d7e-9c1e-2f0c1b5a9e11",
        "payload": {
            "status": "Sent",
            "details": "Message for ann@example.org accepted",
            "output": "250 OK",
            "time": 0.21,
            "sent_with_ssl": True,
            "timestamp": 1700000001.0,
            "message": MESSAGE,
        },
    }
).encode()


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def bare(key: rsa.RSAPrivateKey) -> str:
    """Postal's form: the PEM body without the armour lines or newlines."""
    return "".join(line for line in pem(key).splitlines() if not line.startswith("-----"))


def sign(key: rsa.RSAPrivateKey, body: bytes, algorithm: hashes.HashAlgorithm) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), algorithm)).decode()


def headers_for(key: rsa.RSAPrivateKey, body: bytes = BODY) -> dict[str, str]:
    return {
        "X-Postal-Signature": sign(key, body, hashes.SHA1()),
        "X-Postal-Signature-256": sign(key, body, hashes.SHA256()),
        "X-Postal-Signature-KID": "kid-1",
    }


# -- verification ----------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["pem", "bare", "dkim", "object", "pem-bytes", "bare-wrapped"])
def test_valid_sha256_signature_with_each_key_form(private_key: rsa.RSAPrivateKey, form: str) -> None:
    keys: dict[str, Any] = {
        "pem": pem(private_key),
        "bare": bare(private_key),
        "dkim": f"v=DKIM1; t=s; h=sha256; p={bare(private_key)};",
        "object": private_key.public_key(),
        "pem-bytes": pem(private_key).encode(),
        "bare-wrapped": "\n".join(
            bare(private_key)[i : i + 64] for i in range(0, len(bare(private_key)), 64)
        ),
    }
    assert verify_webhook(BODY, headers_for(private_key), keys[form]) is None


def test_sha256_alone_is_enough(private_key: rsa.RSAPrivateKey) -> None:
    headers = {"X-Postal-Signature-256": sign(private_key, BODY, hashes.SHA256())}
    verify_webhook(BODY, headers, bare(private_key))


def test_sha1_fallback_when_sha256_header_absent(private_key: rsa.RSAPrivateKey) -> None:
    headers = {"X-Postal-Signature": sign(private_key, BODY, hashes.SHA1())}
    verify_webhook(BODY, headers, pem(private_key))
    # a SHA-1 signature is not accepted as a SHA-256 one
    with pytest.raises(SignatureError, match="X-Postal-Signature-256"):
        verify_webhook(BODY, {"X-Postal-Signature-256": headers["X-Postal-Signature"]}, pem(private_key))


def test_bad_sha256_does_not_fall_back_to_a_valid_sha1(private_key: rsa.RSAPrivateKey) -> None:
    headers = headers_for(private_key)
    headers["X-Postal-Signature-256"] = sign(private_key, BODY + b" ", hashes.SHA256())
    with pytest.raises(SignatureError, match="X-Postal-Signature-256 does not match"):
        verify_webhook(BODY, headers, pem(private_key))


@pytest.mark.parametrize("only_sha1", [False, True])
def test_tampered_body_is_rejected(private_key: rsa.RSAPrivateKey, only_sha1: bool) -> None:
    headers = headers_for(private_key)
    if only_sha1:
        del headers["X-Postal-Signature-256"]
    tampered = BODY.replace(b"ann@example.org", b"eve@example.org")
    with pytest.raises(SignatureError, match="does not match the body") as info:
        verify_webhook(tampered, headers, pem(private_key))
    assert isinstance(info.value, APIError)
    verify_webhook(BODY, headers, pem(private_key))  # the original still verifies


@pytest.mark.parametrize("only_sha1", [False, True])
def test_wrong_key_is_rejected(
    private_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey, only_sha1: bool
) -> None:
    headers = headers_for(other_key)
    if only_sha1:
        del headers["X-Postal-Signature-256"]
    with pytest.raises(SignatureError, match="another server's key"):
        verify_webhook(BODY, headers, bare(private_key))


@pytest.mark.parametrize(
    "headers", [{}, {"X-Postal-Signature-KID": "kid-1"}, {"Content-Type": "application/json"}]
)
def test_missing_signature_headers(private_key: rsa.RSAPrivateKey, headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError, match="neither X-Postal-Signature-256 nor X-Postal-Signature"):
        verify_webhook(BODY, headers, pem(private_key))


def test_malformed_signature(private_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(SignatureError, match="not valid base64"):
        verify_webhook(BODY, {"X-Postal-Signature-256": "***not base64***"}, pem(private_key))
    with pytest.raises(SignatureError, match="does not match"):
        verify_webhook(
            BODY, {"X-Postal-Signature-256": base64.b64encode(b"short").decode()}, pem(private_key)
        )


def test_header_spellings(private_key: rsa.RSAPrivateKey) -> None:
    signed = headers_for(private_key)
    lower = {k.lower(): v for k, v in signed.items()}
    wsgi = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed.items()}
    verify_webhook(BODY, lower, pem(private_key))
    verify_webhook(BODY, wsgi, pem(private_key))
    verify_webhook(BODY.decode(), lower, pem(private_key))  # text bodies are UTF-8 encoded


def test_unusable_public_keys(private_key: rsa.RSAPrivateKey) -> None:
    headers = headers_for(private_key)
    with pytest.raises(ValueError, match="PEM form or in Postal's bare base64 form"):
        verify_webhook(BODY, headers, "not a key at all")
    with pytest.raises(ValueError, match="PEM form"):
        verify_webhook(BODY, headers, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match="must be an RSA key"):
        verify_webhook(BODY, headers, ec_pem)
    with pytest.raises(TypeError, match="public_key must be"):
        verify_webhook(BODY, headers, 12345)  # type: ignore[arg-type]
    assert load_public_key(bare(private_key)).public_numbers() == private_key.public_key().public_numbers()


def test_missing_cryptography_gives_a_helpful_import_error(
    monkeypatch: pytest.MonkeyPatch, private_key: rsa.RSAPrivateKey
) -> None:
    from craftapis.postal import _webhooks

    headers = headers_for(private_key)
    key = pem(private_key)
    _webhooks._load_key_text.cache_clear()
    for name in [n for n in sys.modules if n == "cryptography" or n.startswith("cryptography.")]:
        monkeypatch.setitem(sys.modules, name, None)
    try:
        with pytest.raises(ImportError, match=r"pip install 'craftapis\[crypto\]'"):
            verify_webhook(BODY, headers, key)
    finally:
        _webhooks._load_key_text.cache_clear()


# -- parsing ---------------------------------------------------------------------------------------
def _body(event: str, payload: Any, **extra: Any) -> bytes:
    return json.dumps(
        {"event": event, "timestamp": 1700000002.5, "uuid": "u-1", "payload": payload, **extra}
    ).encode()


STATUS_PAYLOAD = {
    "status": "SoftFail",
    "details": "d",
    "output": "451",
    "time": None,
    "sent_with_ssl": False,
    "timestamp": 1.0,
    "message": MESSAGE,
}


@pytest.mark.parametrize(
    ("event", "cls", "payload", "model"),
    [
        ("MessageSent", MessageSent, STATUS_PAYLOAD, MessageStatusPayload),
        ("MessageDelayed", MessageDelayed, STATUS_PAYLOAD, MessageStatusPayload),
        ("MessageDeliveryFailed", MessageDeliveryFailed, STATUS_PAYLOAD, MessageStatusPayload),
        ("MessageHeld", MessageHeld, STATUS_PAYLOAD, MessageStatusPayload),
        (
            "MessageBounced",
            MessageBounced,
            {"original_message": MESSAGE, "bounce": MESSAGE},
            MessageBouncedPayload,
        ),
        (
            "MessageLinkClicked",
            MessageLinkClicked,
            {
                "url": "https://example.com/x",
                "token": "lt",
                "ip_address": "192.0.2.1",
                "user_agent": None,
                "message": MESSAGE,
            },
            MessageLinkClickedPayload,
        ),
        (
            "MessageLoaded",
            MessageLoaded,
            {"ip_address": "192.0.2.1", "user_agent": "UA", "message": MESSAGE},
            MessageLoadedPayload,
        ),
        (
            "DomainDNSError",
            DomainDNSError,
            {
                "domain": "example.com",
                "uuid": "d-1",
                "dns_checked_at": 1.0,
                "spf_status": "Missing",
                "spf_error": "none",
                "server": {"uuid": "s", "name": "Main"},
            },
            DomainDNSErrorPayload,
        ),
        (
            "SendLimitApproaching",
            SendLimitApproaching,
            {"server": {"name": "Main"}, "volume": 90, "limit": 100},
            SendLimitPayload,
        ),
        (
            "SendLimitExceeded",
            SendLimitExceeded,
            {"server": {"name": "Main"}, "volume": 101, "limit": 100},
            SendLimitPayload,
        ),
    ],
)
def test_parse_each_event(
    event: str, cls: type[WebhookEvent[Any]], payload: dict[str, Any], model: type
) -> None:
    parsed = parse_webhook(_body(event, payload))
    assert type(parsed) is cls and isinstance(parsed, WebhookEvent)
    assert parsed.event == event and parsed.uuid == "u-1" and parsed.timestamp == pytest.approx(1700000002.5)
    assert isinstance(parsed.payload, model)
    message = getattr(parsed.payload, "message", None) or getattr(parsed.payload, "original_message", None)
    if message is not None:
        assert isinstance(message, WebhookMessage)
        assert message.from_ == "shop@example.com" and message.id == 12345


def test_parse_typed_fields_and_match() -> None:
    event = parse_webhook(BODY)
    match event:
        case MessageSent(payload=payload):
            assert payload.status == "Sent" and payload.sent_with_ssl is True
            assert payload.message.to == "ann@example.org"
        case _:
            pytest.fail(f"expected MessageSent, got {event!r}")


def test_unknown_event_and_fields_are_kept_raw() -> None:
    unknown = parse_webhook(_body("MessageTeleported", {"where": "moon"}, extra_top="kept"))
    assert type(unknown) is UnknownWebhook
    assert unknown.event == "MessageTeleported" and unknown.payload == {"where": "moon"}
    assert unknown.raw["extra_top"] == "kept"
    known = parse_webhook(
        {
            "event": "MessageLoaded",
            "payload": {
                "ip_address": "192.0.2.9",
                "new_field": [1, 2],
                "message": {**MESSAGE, "shiny": True},
            },
        }
    )
    assert isinstance(known, MessageLoaded)
    assert known.payload.additional_properties == {"new_field": [1, 2]}
    assert known.payload.message.additional_properties == {"shiny": True}
    assert known.uuid is None and known.timestamp is None


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"payload": {}}', b'{"event": 5}'])
def test_parse_rejects_what_is_not_a_webhook(body: bytes) -> None:
    with pytest.raises(ValueError, match="webhook"):
        parse_webhook(body)


def test_parse_rejects_payload_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="MessageSent payload does not have the shape"):
        parse_webhook(_body("MessageSent", {"message": "not an object"}))


def test_verify_then_parse(private_key: rsa.RSAPrivateKey) -> None:
    headers = headers_for(private_key)
    verify_webhook(BODY, headers, bare(private_key))
    assert isinstance(parse_webhook(BODY), MessageSent)
