"""Finding 11: Postal webhooks. A None SHA-256 header must not fall back to SHA-1, the age of a signed
body can be bounded (replays), headers may come as pairs, a wrong key object is a clear error, and
parsing a hostile body never raises RecursionError nor yields a NaN timestamp."""

from __future__ import annotations

import json

import pytest
from craftapis import SignatureError
from craftapis.postal import parse_webhook, verify_webhook
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.postal.test_webhooks import BODY, headers_for, pem, sign


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_a_none_sha256_header_does_not_fall_back_to_sha1(key: rsa.RSAPrivateKey) -> None:
    headers: dict[str, object] = {
        "X-Postal-Signature": sign(key, BODY, hashes.SHA1()),
        "X-Postal-Signature-256": None,
    }
    with pytest.raises(SignatureError, match="present but empty"):
        verify_webhook(BODY, headers, pem(key))  # type: ignore[arg-type]
    headers["X-Postal-Signature-256"] = ""
    with pytest.raises(SignatureError, match="present but empty"):
        verify_webhook(BODY, headers, pem(key))  # type: ignore[arg-type]


def test_sha1_can_be_refused(key: rsa.RSAPrivateKey) -> None:
    legacy = {"X-Postal-Signature": sign(key, BODY, hashes.SHA1())}
    verify_webhook(BODY, legacy, pem(key))  # old Postal: accepted by default
    with pytest.raises(SignatureError, match="allow_sha1=False"):
        verify_webhook(BODY, legacy, pem(key), allow_sha1=False)


def test_max_age_rejects_an_old_signed_body(key: rsa.RSAPrivateKey) -> None:
    stamp = json.loads(BODY)["timestamp"]
    verify_webhook(BODY, headers_for(key), pem(key), max_age=300, now=stamp + 10)
    with pytest.raises(SignatureError, match="outside max_age=300"):
        verify_webhook(BODY, headers_for(key), pem(key), max_age=300, now=stamp + 3600)
    with pytest.raises(SignatureError, match="outside max_age"):
        verify_webhook(BODY, headers_for(key), pem(key), max_age=300, now=stamp - 3600)  # from the future
    undated = json.dumps({"event": "MessageSent", "payload": {}, "timestamp": "NaN"}).encode()
    with pytest.raises(SignatureError, match="no numeric timestamp"):
        verify_webhook(undated, headers_for(key, undated), pem(key), max_age=300)


def test_headers_as_a_list_of_pairs(key: rsa.RSAPrivateKey) -> None:
    pairs = list(headers_for(key).items())
    verify_webhook(BODY, pairs, pem(key))
    raw = [(k.lower().encode(), v.encode()) for k, v in pairs]  # ASGI's form
    verify_webhook(BODY, raw, pem(key))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping or a list of"):
        verify_webhook(BODY, 42, pem(key))  # type: ignore[arg-type]


def test_a_wrong_key_object_is_a_clear_error(key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="private key"):
        verify_webhook(BODY, headers_for(key), key)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="RSA public key"):
        verify_webhook(BODY, headers_for(key), ec.generate_private_key(ec.SECP256R1()).public_key())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        b'{"event": "MessageSent", "payload": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"event": "MessageSent", "timestamp": NaN, "payload": {}}',
        b'{"event": "MessageSent", "timestamp": Infinity, "payload": {}}',
    ],
    ids=["deep", "nan", "infinity"],
)
def test_parse_webhook_rejects_hostile_json_with_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"not JSON|nested too deeply"):
        parse_webhook(body)


def test_a_non_finite_timestamp_in_a_decoded_body_becomes_none() -> None:
    event = parse_webhook({"event": "Unheard", "timestamp": float("nan"), "payload": {}})
    assert event.timestamp is None
