"""The error hierarchy: status mapping, construction from responses, messages, redaction."""

from __future__ import annotations

import pickle

import httpx
import pytest
from craftapis._errors import (
    REDACTED,
    APIConnectionError,
    APIDeprecatedError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    SignatureError,
    UnprocessableEntityError,
    error_class_for_status,
    redact_url,
)

SECRET_URL = (
    "https://alice:hunter2@api.example.com/v2/thing?token=tok1&key=key1&page=2&access_token=acc1"
    "&refresh_token=ref1&client_secret=cs1&api_key=ak1&nonce=n1&password=pw1&secret=s1&X-Server-API-Key=xk1#frag"
)
SECRETS = ["hunter2", "alice", "tok1", "key1", "acc1", "ref1", "cs1", "ak1", "n1", "pw1", "s1", "xk1", "frag"]


def failed(
    status: int, *, json: object = None, text: str | None = None, url: str = SECRET_URL
) -> httpx.Response:
    request = httpx.Request("GET", url, headers={"Authorization": "mrp_SUPERSECRET"})
    if json is not None:
        return httpx.Response(status, json=json, request=request)
    return httpx.Response(status, text=text or "", request=request)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (410, GoneError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (599, ServerError),
        (418, APIError),
        (408, APIError),
        (302, APIError),
    ],
)
def test_error_class_for_status(status: int, cls: type[APIError]) -> None:
    assert error_class_for_status(status) is cls
    assert type(APIError.from_response(failed(status, json={}))) is cls


def test_hierarchy() -> None:
    assert APIDeprecatedError is GoneError
    assert issubclass(APITimeoutError, APIConnectionError)
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        GoneError,
        UnprocessableEntityError,
        RateLimitError,
        ServerError,
        APIConnectionError,
        ResponseParseError,
        SignatureError,
    ):
        assert issubclass(cls, APIError) and issubclass(cls, Exception)


class TestFromResponse:
    def test_modrinth_shape(self) -> None:
        err = APIError.from_response(failed(400, json={"error": "invalid_input", "description": "bad facet"}))
        assert isinstance(err, BadRequestError)
        assert (err.status_code, err.code, err.message) == (400, "invalid_input", "bad facet")
        assert err.method == "GET"
        assert err.body == {"error": "invalid_input", "description": "bad facet"}
        assert err.response is not None and err.response.status_code == 400

    def test_builtbybit_shape(self) -> None:
        body = {"result": "error", "error": {"code": "HeaderMissingError", "message": "no auth header"}}
        err = APIError.from_response(failed(401, json=body))
        assert isinstance(err, AuthenticationError)
        assert (err.code, err.message) == ("HeaderMissingError", "no auth header")

    def test_explicit_values_win(self) -> None:
        err = APIError.from_response(
            failed(200, json={"status": "parameter-error"}),
            code="parameter-error",
            message="bad params",
            body={"x": 1},
        )
        assert type(err) is APIError  # moonrope errors come in HTTP 200: the adapter picks the class
        assert (err.status_code, err.code, err.message, err.body) == (
            200,
            "parameter-error",
            "bad params",
            {"x": 1},
        )
        assert type(NotFoundError.from_response(failed(200, json={}))) is NotFoundError

    def test_text_body_and_default_message(self) -> None:
        err = APIError.from_response(failed(502, text="<html>Bad gateway</html>"))
        assert isinstance(err, ServerError)
        assert err.body == "<html>Bad gateway</html>" and err.message == "Bad Gateway" and err.code is None

    def test_invalid_json_is_kept_as_text(self) -> None:
        err = APIError.from_response(failed(500, text="{not json"))
        assert err.body == "{not json"

    def test_unread_streaming_body_is_not_read(self) -> None:
        response = httpx.Response(
            503, stream=httpx.ByteStream(b"{}"), request=httpx.Request("GET", "https://x/")
        )
        err = APIError.from_response(response)
        assert err.body is None and err.status_code == 503

    def test_rate_limit_retry_after(self) -> None:
        err = APIError.from_response(failed(429, json={"error": "ratelimit_error"}), retry_after=2.5)
        assert isinstance(err, RateLimitError) and err.retry_after == 2.5
        # The policy transport records the parsed wait on the final response.
        response = failed(429, json={})
        response.extensions["craftapis.retry_after"] = 7.0
        assert APIError.from_response(response).retry_after == 7.0  # type: ignore[attr-defined]
        assert APIError.from_response(failed(429, json={})).retry_after is None  # type: ignore[attr-defined]


class TestMessages:
    def test_401_says_check_the_token(self) -> None:
        text = str(APIError.from_response(failed(401, json={"error": "unauthorized", "description": "bad"})))
        assert "401" in text and "check the token and its scopes" in text and "unauthorized" in text

    def test_429_says_when_to_retry(self) -> None:
        assert "rate limited; retry after 2.5 s" in str(RateLimitError("slow down", retry_after=2.5))
        assert "rate limited" in str(RateLimitError("slow down"))

    def test_410_says_upgrade(self) -> None:
        text = str(APIError.from_response(failed(410, json={"error": "api_deprecated"})))
        assert "deprecated" in text and "upgrade craftapis" in text

    def test_other_hints(self) -> None:
        assert "not found" in str(NotFoundError("x"))
        assert "timed out" in str(APITimeoutError("x"))
        assert "signature" in str(SignatureError("x"))
        assert "upgrade craftapis" in str(ResponseParseError("x"))

    def test_long_messages_are_truncated_in_str(self) -> None:
        err = ServerError("x" * 5000)
        assert len(str(err)) < 1000 and len(err.message) == 5000

    def test_default_status(self) -> None:
        assert NotFoundError("gone").status_code == 404
        assert APIConnectionError("down").status_code is None


class TestSecrets:
    def test_redact_url(self) -> None:
        redacted = redact_url(SECRET_URL)
        assert redacted is not None
        for secret in SECRETS:
            assert secret not in redacted
        assert redacted.startswith("https://api.example.com/v2/thing?")
        assert (
            "page=2" in redacted
            and f"token={REDACTED}" in redacted
            and f"X-Server-API-Key={REDACTED}" in redacted
        )

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            (
                "https://api.modrinth.com/v2/search?query=sodium&limit=5",
                "https://api.modrinth.com/v2/search?query=sodium&limit=5",
            ),
            (
                "https://x.org/a?keyword=kept&sort_key=gone",
                f"https://x.org/a?keyword=kept&sort_key={REDACTED}",
            ),
            ("https://x.org/a?Access-Token=a%20b", f"https://x.org/a?Access-Token={REDACTED}"),
            ("https://x.org/a?nonce", "https://x.org/a?nonce"),
            ("https://x.org/a?jwt=1", "https://x.org/a?jwt=1"),
            ("/relative/path?token=x", f"/relative/path?token={REDACTED}"),
        ],
    )
    def test_redact_url_cases(self, url: str, expected: str) -> None:
        assert redact_url(url) == expected

    def test_redact_url_never_raises(self) -> None:
        assert redact_url("http://[::1") == "<unparseable URL>"
        assert redact_url(None) is None
        assert redact_url(httpx.URL("https://u:p@h/")) == "https://h/"

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500])
    def test_str_and_repr_hold_no_secret(self, status: int) -> None:
        err = APIError.from_response(failed(status, json={"error": "e", "description": "d"}))
        for text in (str(err), repr(err)):
            assert "mrp_SUPERSECRET" not in text  # request headers are never included
            for secret in SECRETS:
                assert f"={secret}" not in text and f"{secret}@" not in text
            assert REDACTED in text

    def test_connection_error_from_httpx(self) -> None:
        request = httpx.Request("GET", SECRET_URL, headers={"Authorization": "mrp_SUPERSECRET"})
        exc = httpx.ConnectError(f"cannot reach {SECRET_URL}", request=request)
        err = APIConnectionError.from_httpx(exc)
        assert type(err) is APIConnectionError and err.status_code is None and err.method == "GET"
        assert "tok1" not in str(err) and "hunter2" not in str(err) and "ConnectError" in str(err)
        timeout = APIConnectionError.from_httpx(httpx.ReadTimeout("slow", request=request))
        assert type(timeout) is APITimeoutError
        assert type(APIConnectionError.from_httpx(httpx.ConnectError("x"))) is APIConnectionError


def test_response_parse_error_keeps_the_raw_text() -> None:
    response = failed(200, text="<html>not json</html>")
    err = ResponseParseError.from_response(response, message="expected JSON")
    assert isinstance(err, ResponseParseError)
    assert err.text == "<html>not json</html>" and err.message == "expected JSON"
    assert ResponseParseError("bad", text="raw").text == "raw"


def test_pickle_round_trip_drops_the_response() -> None:
    err = APIError.from_response(failed(429, json={"error": "ratelimit_error"}), retry_after=1.5)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is RateLimitError
    assert (clone.status_code, clone.code, clone.retry_after, clone.url) == (
        429,
        "ratelimit_error",
        1.5,
        err.url,
    )
    assert clone.response is None and str(clone) == str(err)
