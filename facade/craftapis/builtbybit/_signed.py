"""JWT-signed responses (`&jwt=1`): proof that a response really came from BuiltByBit.

With `jwt=1` the server answers `{"result": "success", "data": "<JWT>"}` whatever the inner outcome
(seed 001). The JWT is ES256-signed with BuiltByBit's published key, valid 24 hours, and carries
two claims: `request` (the path and query that were asked for) and `response` (the response that
would have been sent without `jwt=1`, as a string). Verifying it means: the signature (with the
expected key and algorithm only), the expiry, and that `request` is the request this client sent,
so that a signed answer to a *different* request cannot be replayed. Then the inner response is
handled as if it had come unsigned.

Needs PyJWT and cryptography (`pip install 'craftapis[crypto]'`), imported on first use.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from .._errors import ResponseParseError, SignatureError

__all__ = ["BUILTBYBIT_JWT_PUBLIC_KEY", "JWT_PARAM", "ResponseVerifier", "same_request"]

#: BuiltByBit's public key for `jwt=1` responses, as published in its v2 documentation (seed 001).
BUILTBYBIT_JWT_PUBLIC_KEY: Final = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECRQAAg0y44Vp+QvbxHRQlD+Poam7
eD/SteU/tf9MAlz94CnGz6nKExB0WaQI8ixKmCsIq0+yOCWJTk9ei5pX1g==
-----END PUBLIC KEY-----
"""

#: The query parameter that asks for a signed response.
JWT_PARAM: Final = "jwt"
#: How long a signed response is valid (seed 001), used only when the JWT has no `exp` claim.
_DEFAULT_MAX_AGE: Final = 24 * 3600.0
_ALGORITHM: Final = "ES256"
_MISSING_CRYPTO: Final = (
    "verifying BuiltByBit's JWT-signed responses (jwt=True) needs PyJWT and cryptography; "
    "install them with: pip install 'craftapis[crypto]'"
)


def _import_jwt() -> Any:
    try:
        import cryptography  # noqa: F401  (PyJWT needs it for ES256)
        import jwt
    except ImportError as exc:
        raise ModuleNotFoundError(_MISSING_CRYPTO, name=getattr(exc, "name", None)) from exc
    return jwt


def _target(value: str | httpx.URL) -> tuple[str, list[tuple[str, str]]]:
    """(decoded path, sorted decoded query pairs) of a request target or a full URL."""
    if isinstance(value, httpx.URL):
        raw = value.raw_path.decode("ascii", "replace")
    else:
        raw = value
        if "://" in raw:
            parts = urlsplit(raw)
            raw = parts.path + (f"?{parts.query}" if parts.query else "")
    path, _, query = raw.partition("?")
    return unquote(path) or "/", sorted(parse_qsl(query, keep_blank_values=True))


def same_request(claim: str, sent: str | httpx.URL) -> bool:
    """Whether a JWT's `request` claim names the request that was sent.

    Compares the decoded path and the decoded query parameters (as a multiset): percent-encoding
    and parameter order may differ between what httpx sent and what the server echoes (`1%2C2` vs
    `1,2`), the request may not. A claim holding a full URL is compared by its path and query.
    """
    return _target(claim) == _target(sent)


@dataclass(frozen=True)
class ResponseVerifier:
    """Verifies BuiltByBit's signed responses and returns the inner (unsigned) body.

    Args:
        public_key: PEM of the ES256 public key (default: BuiltByBit's published key). Tests pass
            the public half of a key pair they made.
        leeway: seconds of clock skew tolerated on `exp`, `nbf` and `iat`.
        max_age: seconds a JWT without an `exp` claim stays valid after its `iat` (24 h, seed 001).
        clock: the current Unix time (injectable for tests).
    """

    public_key: str | bytes = BUILTBYBIT_JWT_PUBLIC_KEY
    leeway: float = 30.0
    max_age: float = _DEFAULT_MAX_AGE
    clock: Callable[[], float] = field(default=time.time, repr=False)
    _key: list[Any] = field(default_factory=list, init=False, repr=False, compare=False)

    def _loaded_key(self) -> Any:
        if not self._key:  # parse the PEM once; a list so the frozen dataclass can cache it
            _import_jwt()
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            pem = self.public_key.encode("ascii") if isinstance(self.public_key, str) else self.public_key
            try:
                self._key.append(load_pem_public_key(pem))
            except ValueError as exc:
                raise ValueError(f"jwt_public_key is not a PEM public key: {exc}") from None
        return self._key[0]

    def verify(self, token: object, response: httpx.Response) -> object:
        """The decoded inner body of the signed `response` whose envelope `data` was `token`.

        Raises SignatureError when the token is missing, malformed, signed by another key or with
        another algorithm, expired, not yet valid, or issued for another request; ResponseParseError
        when the signed inner response is not JSON.
        """
        request = response.request
        if not isinstance(token, str) or token.count(".") != 2:
            raise SignatureError(
                "asked for a signed response (jwt=1) but the envelope's data is not a JWT; the server "
                "may not support signing for this endpoint, or something between rewrote the response",
                response=response,
            )
        jwt = _import_jwt()
        key = self._loaded_key()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[_ALGORITHM],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.InvalidTokenError as exc:
            raise SignatureError(
                f"the signed response failed verification ({type(exc).__name__}: {exc}); it was not "
                "signed by the expected key or was altered. Check jwt_public_key; do not trust the data",
                response=response,
            ) from None
        self._check_time(claims, response)
        claim = claims.get("request")
        if not isinstance(claim, str) or not same_request(claim, request.url):
            raise SignatureError(
                "the signed response was issued for another request (its `request` claim does not "
                "match the path and query sent); it may be a replayed answer. Do not trust the data",
                response=response,
            )
        inner = claims.get("response")
        if isinstance(inner, str):
            try:
                return json.loads(inner)
            except ValueError:
                raise ResponseParseError(
                    "the signed response's `response` claim is not JSON; the raw claim is on .text",
                    text=inner,
                    response=response,
                ) from None
        if isinstance(inner, Mapping | list):
            return inner
        raise SignatureError("the signed response has no `response` claim", response=response)

    def _check_time(self, claims: Mapping[str, Any], response: httpx.Response) -> None:
        now = self.clock()
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
        for name, value in (("exp", exp), ("iat", iat), ("nbf", nbf)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise SignatureError(
                    f"the signed response's `{name}` claim is not a number", response=response
                )
        if exp is None and iat is None:
            raise SignatureError(
                "the signed response has neither `exp` nor `iat`, so its age cannot be checked",
                response=response,
            )
        expires = float(exp) if exp is not None else float(iat or 0) + self.max_age
        if now > expires + self.leeway:
            raise SignatureError(
                f"the signed response expired {now - expires:.0f} s ago; signed responses are valid "
                "24 hours: fetch it again (if the clock is wrong, fix it or raise jwt_leeway)",
                response=response,
            )
        starts = nbf if nbf is not None else iat
        if starts is not None and now + self.leeway < float(starts):
            raise SignatureError(
                "the signed response is not valid yet (issued in the future); check the system clock",
                response=response,
            )
