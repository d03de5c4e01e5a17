"""`jwt=True`: signed responses are verified (ES256 key, expiry, request claim) and unwrapped.
The test makes its own key pair; the fake signs with it (or with another one, or breaks the token)."""

from __future__ import annotations

import base64
import builtins
import json
import time
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from craftapis import NotFoundError, SignatureError
from craftapis.builtbybit import BUILTBYBIT_JWT_PUBLIC_KEY, ResponseVerifier
from craftapis.builtbybit._signed import same_request
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .conftest import Twin
from .fake_api import NONCE, FakeBuiltByBit


def key_pair() -> tuple[bytes, bytes]:
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


@pytest.fixture
def keys(fake: FakeBuiltByBit) -> bytes:
    private, public = key_pair()
    fake.jwt_key = private
    return public


async def test_valid_signed_response(twin: Any, fake: FakeBuiltByBit, keys: bytes) -> None:
    bbb: Twin = twin(jwt_public_key=keys)
    licenses = await bbb("licenses", resource_ids=[1002, 1004], jwt=True, per_page=2)
    assert {lic.content_id for lic in licenses} == {1002, 1004}
    for request in fake.requests:
        assert request.query["jwt"] == ["1"] and request.query["resource_ids"] == ["1002,1004"]
    assert len(fake.requests) > 1  # every page was signed and verified


async def test_client_wide_jwt_and_per_call_opt_out(twin: Any, fake: FakeBuiltByBit, keys: bytes) -> None:
    bbb = twin(jwt=True, jwt_public_key=keys)
    assert await bbb("health") == "ok"
    latest = await bbb("buyer_latest", NONCE)
    assert latest.has_usage_rights is True
    assert await bbb("api.health.get_v2_health") == "ok"
    await bbb("call", "health.get_v2_health", jwt=False)
    assert [r.query.get("jwt") for r in fake.requests] == [["1"], ["1"], ["1"], None]


async def test_inner_error_is_raised_as_api_error(twin: Any, keys: bytes) -> None:
    bbb = twin(jwt_public_key=keys)
    with pytest.raises(NotFoundError) as caught:
        await bbb("buyer_latest", "not-a-known-nonce", jwt=True)
    assert caught.value.code == "NonceNotFoundError" and "signed" in caught.value.message


def tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["response"] = json.dumps({"result": "success", "data": "not ok"})
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("tampered", "failed verification"),
        ("wrong_key", "failed verification"),
        ("expired", "expired"),
        ("wrong_request", "another request"),
        ("not_a_jwt", "not a JWT"),
        ("no_time", "neither `exp` nor `iat`"),
        ("hs256_confusion", "failed verification"),
    ],
)
async def test_bad_signed_responses_raise_signature_error(
    twin: Any, fake: FakeBuiltByBit, keys: bytes, breakage: str, message: str
) -> None:
    if breakage == "tampered":
        fake.jwt_token = tamper
    elif breakage == "wrong_key":
        fake.jwt_key = key_pair()[0]
    elif breakage == "expired":
        fake.jwt_claims = lambda c: {**c, "iat": c["iat"] - 3 * 86400, "exp": c["exp"] - 3 * 86400}
    elif breakage == "wrong_request":
        fake.jwt_claims = lambda c: {**c, "request": "/v2/health?jwt=1&evil=1"}
    elif breakage == "not_a_jwt":
        fake.jwt_token = lambda token: "plain-data"
    elif breakage == "no_time":
        fake.jwt_claims = lambda c: {k: v for k, v in c.items() if k not in ("iat", "exp")}
    elif breakage == "hs256_confusion":
        # an attacker signs with HMAC using the public key as the secret
        fake.jwt_token = lambda token: _hs256(token, keys)
    bbb = twin(jwt_public_key=keys)
    with pytest.raises(SignatureError, match=message) as caught:
        await bbb("call", "health.get_v2_health", jwt=True)
    assert caught.value.url is not None and "/v2/health" in caught.value.url


def _hs256(token: str, secret: bytes) -> str:
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    payload = token.split(".")[1]
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


def test_same_request_tolerates_encoding_and_order_only() -> None:
    sent = httpx.URL(
        "https://api.builtbybit.com/v2/resources/creator/licenses?resource_ids=1%2C2&page=1&jwt=1"
    )
    assert same_request("/v2/resources/creator/licenses?resource_ids=1,2&page=1&jwt=1", sent)
    assert same_request("/v2/resources/creator/licenses?jwt=1&page=1&resource_ids=1%2C2", sent)
    assert same_request(
        "https://api.builtbybit.com/v2/resources/creator/licenses?page=1&resource_ids=1,2&jwt=1", sent
    )
    assert not same_request("/v2/resources/creator/licenses?resource_ids=1,3&page=1&jwt=1", sent)
    assert not same_request("/v2/resources/creator/licenses?resource_ids=1,2&page=2&jwt=1", sent)
    assert not same_request("/v2/resources/creator/purchases?resource_ids=1,2&page=1&jwt=1", sent)


def test_verifier_with_injected_clock_and_leeway() -> None:
    private, public = key_pair()
    request = httpx.Request("GET", "https://api.builtbybit.com/v2/health?jwt=1")
    token = pyjwt.encode(
        {
            "request": "/v2/health?jwt=1",
            "response": '{"result":"success","data":"ok"}',
            "iat": 1000,
            "exp": 2000,
        },
        private,
        algorithm="ES256",
    )
    response = httpx.Response(200, request=request)
    assert ResponseVerifier(public, clock=lambda: 1500).verify(token, response) == {
        "result": "success",
        "data": "ok",
    }
    assert ResponseVerifier(public, leeway=30, clock=lambda: 2020).verify(token, response)["data"] == "ok"
    with pytest.raises(SignatureError, match="expired"):
        ResponseVerifier(public, leeway=30, clock=lambda: 2031).verify(token, response)
    with pytest.raises(SignatureError, match="not valid yet"):
        ResponseVerifier(public, leeway=0, clock=lambda: 900).verify(token, response)
    no_exp = pyjwt.encode(
        {"request": "/v2/health?jwt=1", "response": "{}", "iat": 1000}, private, algorithm="ES256"
    )
    assert ResponseVerifier(public, clock=lambda: 1000 + 86000).verify(no_exp, response) == {}
    with pytest.raises(SignatureError, match="expired"):
        ResponseVerifier(public, clock=lambda: 1000 + 86400 + 31).verify(no_exp, response)


def test_default_key_is_builtbybits_p256_key() -> None:
    key = serialization.load_pem_public_key(BUILTBYBIT_JWT_PUBLIC_KEY.encode())
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    verifier = ResponseVerifier()
    assert verifier._loaded_key().public_numbers() == key.public_numbers()
    with pytest.raises(ValueError, match="not a PEM public key"):
        ResponseVerifier(public_key="nonsense")._loaded_key()


def test_missing_crypto_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_jwt(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "jwt":
            raise ImportError("No module named 'jwt'", name="jwt")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jwt)
    request = httpx.Request("GET", "https://api.builtbybit.com/v2/health?jwt=1")
    with pytest.raises(ModuleNotFoundError, match=r"craftapis\[crypto\]"):
        ResponseVerifier().verify("a.b.c", httpx.Response(200, request=request))


def test_signed_time_helpers_use_real_time() -> None:
    private, public = key_pair()
    now = int(time.time())
    request = httpx.Request("GET", "https://api.builtbybit.com/v2/health?jwt=1")
    token = pyjwt.encode(
        {"request": "/v2/health?jwt=1", "response": '"ok"', "iat": now, "exp": now + 86400},
        private,
        algorithm="ES256",
    )
    assert ResponseVerifier(public).verify(token, httpx.Response(200, request=request)) == "ok"
