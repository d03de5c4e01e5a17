"""Postal webhooks: verify the signature of a request Postal sent you, then parse it into a typed event.

Postal POSTs `{event, timestamp, payload, uuid}` as JSON and signs the raw body with the server's RSA
key: `X-Postal-Signature-256` (RSA-SHA256, PKCS#1 v1.5, base64) and the legacy `X-Postal-Signature`
(RSA-SHA1). Verify with the *raw* body bytes, before parsing::

    verify_webhook(request.body, request.headers, public_key)   # raises SignatureError
    match parse_webhook(request.body):
        case MessageSent(payload=payload): ...
        case MessageBounced(payload=payload): ...

The public key is the one Postal shows for webhooks (and publishes in its DKIM-style DNS record): a PEM
block, or the bare base64 Postal displays; both are accepted, so is a ``v=DKIM1; ... p=...`` record.
Verification needs the ``cryptography`` package (``pip install 'craftapis[crypto]'``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
import time
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._errors import SignatureError

if TYPE_CHECKING:
    from craftapis_generated.postal.models import (  # noqa: F401  (named in the event classes' bases)
        DomainDNSErrorPayload,
        MessageBouncedPayload,
        MessageLinkClickedPayload,
        MessageLoadedPayload,
        MessageStatusPayload,
        SendLimitPayload,
    )
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = [
    "SIGNATURE_HEADER",
    "SIGNATURE_KID_HEADER",
    "SIGNATURE_SHA256_HEADER",
    "DomainDNSError",
    "MessageBounced",
    "MessageDelayed",
    "MessageDeliveryFailed",
    "MessageHeld",
    "MessageLinkClicked",
    "MessageLoaded",
    "MessageSent",
    "SendLimitApproaching",
    "SendLimitExceeded",
    "UnknownWebhook",
    "WebhookEvent",
    "load_public_key",
    "parse_webhook",
    "verify_webhook",
]

SIGNATURE_SHA256_HEADER = "X-Postal-Signature-256"
SIGNATURE_HEADER = "X-Postal-Signature"
SIGNATURE_KID_HEADER = "X-Postal-Signature-KID"

_CRYPTO_MISSING = (
    "verifying Postal webhooks needs the 'cryptography' package: pip install 'craftapis[crypto]' "
    "(or pip install cryptography)"
)
_DKIM_KEY = re.compile(r"(?:^|;)\s*p=([A-Za-z0-9+/=\s]+)")


# -- signatures -------------------------------------------------------------------------------------
def _header_key(name: str) -> str:
    """Header names as frameworks spell them (``X-Postal-Signature``, ``x-postal-signature``, WSGI's
    ``HTTP_X_POSTAL_SIGNATURE``) -> one form."""
    key = name.lower().replace("_", "-")
    return key[5:] if key.startswith("http-") else key


_ABSENT: Any = object()


def _header_pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[object, object]]:
    """The request's headers as (name, value) pairs: a mapping, or a list of pairs (ASGI, raw WSGI)."""
    if isinstance(headers, Mapping):
        return list(headers.items())
    if isinstance(headers, str | bytes) or not isinstance(headers, Iterable):
        raise TypeError(
            f"headers must be a mapping or a list of (name, value) pairs, got {type(headers).__name__}"
        )
    pairs: list[tuple[object, object]] = []
    for item in headers:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise TypeError(f"headers must be (name, value) pairs, got an item {type(item).__name__}")
        name, value = item
        pairs.append((name.decode("latin-1") if isinstance(name, bytes) else name, value))
    return pairs


def _find_header(pairs: list[tuple[object, object]], name: str) -> Any:
    """The header's value (str, bytes decoded), `_ABSENT` when no header has this name, or the value
    as given when it is not text (None ...): present but unusable, which must not count as absent."""
    wanted = _header_key(name)
    for key, value in pairs:
        if isinstance(key, str) and _header_key(key) == wanted:
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return _ABSENT


@functools.lru_cache(maxsize=16)
def _load_key_text(key: bytes) -> RSAPublicKey:
    try:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
        from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
    except ImportError as exc:
        raise ImportError(_CRYPTO_MISSING) from exc

    text = key.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            loaded = load_pem_public_key(text)
        else:
            match = _DKIM_KEY.search(text.decode("ascii", "replace"))
            b64 = match.group(1) if match else text.decode("ascii", "replace")
            loaded = load_der_public_key(base64.b64decode("".join(b64.split()), validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValueError(
            "public_key is not a public key in PEM form or in Postal's bare base64 form; copy the "
            f"webhook public key from your Postal server ({type(exc).__name__})"
        ) from None
    if not isinstance(loaded, RSAPublicKey):
        raise ValueError(
            f"public_key must be an RSA key (Postal signs with RSA), got {type(loaded).__name__}"
        )
    return loaded


def load_public_key(public_key: str | bytes | RSAPublicKey) -> RSAPublicKey:
    """Postal's webhook public key as a `cryptography` RSA key: from PEM, from the bare base64 Postal
    shows (DER SubjectPublicKeyInfo), from a ``v=DKIM1; ... p=<base64>`` record, or already loaded.
    Raises ValueError for anything else (ImportError without ``cryptography``)."""
    if isinstance(public_key, str):
        return _load_key_text(public_key.encode("ascii", "replace"))
    if isinstance(public_key, bytes | bytearray):
        return _load_key_text(bytes(public_key))
    try:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey as _RSA
    except ImportError as exc:
        raise ImportError(_CRYPTO_MISSING) from exc
    if isinstance(public_key, _RSA):
        return public_key
    if hasattr(public_key, "public_key") and callable(getattr(public_key, "public_key", None)):
        raise ValueError(
            "public_key is a private key or another key object: pass Postal's RSA *public* key "
            f"(got {type(public_key).__name__})"
        )
    raise TypeError(
        f"public_key must be PEM/base64 text or an RSA public key, got {type(public_key).__name__}"
    )


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    public_key: str | bytes | RSAPublicKey,
    *,
    allow_sha1: bool = True,
    max_age: float | None = None,
    now: float | None = None,
) -> None:
    """Check that Postal signed ``body`` (the raw request body, unparsed) with ``public_key``.

    Uses ``X-Postal-Signature-256`` (RSA-SHA256) when present; only when it is absent falls back to the
    legacy ``X-Postal-Signature`` (RSA-SHA1) that older Postal versions send alone. ``headers`` is any
    mapping of the request's headers, or a list of (name, value) pairs (any case; WSGI
    ``HTTP_X_POSTAL_SIGNATURE_256`` keys work too). A SHA-256 header that is present but empty or not
    text (``None``) is a failure, never a reason to fall back to SHA-1.

    Args:
        allow_sha1: accept the legacy SHA-1 signature when no SHA-256 one is sent (default True, for
            old Postal versions); False requires ``X-Postal-Signature-256``.
        max_age: reject a correctly signed body whose ``timestamp`` is older than this many seconds
            (or more than 60 s in the future): a replayed webhook. None (default) does not check.
        now: the current UNIX time for ``max_age`` (default: ``time.time()``).

    Raises:
        SignatureError: no signature header, a malformed one, or one that does not match the body
            (modified body, or a different server's key). Do not process the request.
        ValueError: ``public_key`` cannot be read as an RSA public key.
        ImportError: the ``cryptography`` package is not installed.
    """
    key = load_public_key(public_key)
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    pairs = _header_pairs(headers)
    signature = _find_header(pairs, SIGNATURE_SHA256_HEADER)
    header = SIGNATURE_SHA256_HEADER
    algorithm: hashes.HashAlgorithm = hashes.SHA256()
    if signature is _ABSENT and allow_sha1:  # only then: a present SHA-256 header must never fall back
        signature = _find_header(pairs, SIGNATURE_HEADER)
        header, algorithm = SIGNATURE_HEADER, hashes.SHA1()
    if signature is _ABSENT:
        wanted = (
            f"neither {SIGNATURE_SHA256_HEADER} nor {SIGNATURE_HEADER}"
            if allow_sha1
            else f"no {SIGNATURE_SHA256_HEADER} (allow_sha1=False)"
        )
        raise SignatureError(
            f"the request has {wanted}: it was not signed by Postal (or a proxy dropped the headers); reject it"
        )
    if not isinstance(signature, str) or not signature.strip():
        raise SignatureError(f"{header} is present but empty or not text; reject the request")
    try:
        decoded = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{header} is not valid base64; reject the request") from None
    try:
        key.verify(decoded, raw, padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise SignatureError(
            f"{header} does not match the body: the body was modified, or it was signed by another "
            "server's key; reject the request (check public_key if every request fails)"
        ) from None
    if max_age is not None:
        _check_age(raw, max_age, time.time() if now is None else now)


def _check_age(raw: bytes, max_age: float, now: float) -> None:
    try:
        stamp = json.loads(raw, parse_constant=_no_constant).get("timestamp")
    except (ValueError, RecursionError, AttributeError):
        stamp = None
    if not isinstance(stamp, int | float) or isinstance(stamp, bool) or not math.isfinite(stamp):
        raise SignatureError(
            "the signed body has no numeric timestamp, so max_age cannot be checked; reject it"
        )
    age = now - float(stamp)
    if age > max_age or age < -60.0:
        raise SignatureError(
            f"the webhook's timestamp is {age:.0f} s old, outside max_age={max_age:g} s: a replay or a "
            "wrong clock; reject it"
        )


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


# -- events -----------------------------------------------------------------------------------------
P = TypeVar("P")


@dataclass(frozen=True)
class WebhookEvent(Generic[P]):
    """One webhook request Postal sent. Subclasses per event (`MessageSent`, ...) type the payload.

    Attributes:
        event: the event name (``MessageSent`` ...).
        payload: the typed payload (a generated model: unknown fields in ``additional_properties``),
            or for `UnknownWebhook` the raw JSON.
        uuid: the request id, the same on every retry of one request (de-duplicate with it).
        timestamp: UNIX time the event was queued.
        raw: the whole decoded body, unknown fields included.
    """

    event: str
    payload: P
    uuid: str | None = None
    timestamp: float | None = None
    raw: Mapping[str, object] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class MessageSent(WebhookEvent["MessageStatusPayload"]):
    """A message was accepted by the recipient's mail server."""


@dataclass(frozen=True)
class MessageDelayed(WebhookEvent["MessageStatusPayload"]):
    """A delivery attempt failed temporarily (SoftFail); Postal will retry."""


@dataclass(frozen=True)
class MessageDeliveryFailed(WebhookEvent["MessageStatusPayload"]):
    """Delivery failed permanently (HardFail)."""


@dataclass(frozen=True)
class MessageHeld(WebhookEvent["MessageStatusPayload"]):
    """The message was held (e.g. by a spam or limit rule)."""


@dataclass(frozen=True)
class MessageBounced(WebhookEvent["MessageBouncedPayload"]):
    """A bounce arrived for a message sent earlier."""


@dataclass(frozen=True)
class MessageLinkClicked(WebhookEvent["MessageLinkClickedPayload"]):
    """A tracked link was clicked."""


@dataclass(frozen=True)
class MessageLoaded(WebhookEvent["MessageLoadedPayload"]):
    """A tracked message was opened (its tracking pixel loaded)."""


@dataclass(frozen=True)
class DomainDNSError(WebhookEvent["DomainDNSErrorPayload"]):
    """A DNS check of one of the server's domains failed (an event, not an exception)."""


@dataclass(frozen=True)
class SendLimitApproaching(WebhookEvent["SendLimitPayload"]):
    """The server is close to its send limit."""


@dataclass(frozen=True)
class SendLimitExceeded(WebhookEvent["SendLimitPayload"]):
    """The server went over its send limit."""


@dataclass(frozen=True)
class UnknownWebhook(WebhookEvent[object]):
    """An event this version of craftapis does not know (or a payload that is not an object): kept raw."""


#: event name -> (class, generated payload model): each class is named after its event and names its
#: payload model in its base, `WebhookEvent["<model>"]`
_EVENTS: dict[str, tuple[type[WebhookEvent[Any]], str]] = {
    cls.__name__: (cls, typing.get_args(cls.__orig_bases__[0])[0].__forward_arg__)  # type: ignore[attr-defined]
    for cls in WebhookEvent.__subclasses__()
    if cls is not UnknownWebhook
}


def parse_webhook(body: bytes | str | Mapping[str, object]) -> WebhookEvent[object]:
    """The typed event of a webhook body (raw bytes/text, or JSON you decoded already).

    Verify first (`verify_webhook`): parsing does not check the signature. An unknown event name gives
    an `UnknownWebhook` with the raw payload; unknown fields are kept (``raw``, and the payload model's
    ``additional_properties``). Raises ValueError if the body is not a Postal webhook.
    """
    if isinstance(body, Mapping):
        data: Any = body
    else:
        try:
            data = json.loads(body, parse_constant=_no_constant)
        except ValueError as exc:
            raise ValueError(f"the webhook body is not JSON ({exc}); was it a Postal webhook?") from None
        except RecursionError:
            raise ValueError("the webhook body is JSON nested too deeply: not a Postal webhook") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("event"), str):
        raise ValueError(
            "the webhook body has no 'event' name: not a Postal webhook {event, timestamp, payload, uuid}"
        )
    name: str = data["event"]
    uuid = data.get("uuid")
    timestamp = data.get("timestamp")
    common: dict[str, Any] = {
        "event": name,
        "uuid": uuid if isinstance(uuid, str) else None,
        "timestamp": float(timestamp)
        if isinstance(timestamp, int | float) and not isinstance(timestamp, bool) and math.isfinite(timestamp)
        else None,
        "raw": data,
    }
    payload = data.get("payload")
    known = _EVENTS.get(name)
    if known is None or not isinstance(payload, Mapping):
        return UnknownWebhook(payload=payload, **common)
    cls, model_name = known
    from craftapis_generated.postal import models

    model = getattr(models, model_name)
    try:
        parsed = model.from_dict(payload)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(
            f"the {name} payload does not have the shape Postal documents ({type(exc).__name__}: {exc}); "
            "the webhook format may have changed: please report it with the body"
        ) from exc
    return cls(payload=parsed, **common)
