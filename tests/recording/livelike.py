"""A "live-like" server: the tests' fakes, answering the way real servers behind a CDN do.

`LiveLike(app)` wraps any fake (an `httpx.Request -> httpx.Response` app) and adds to every answer
what the fakes never sent and real servers do (Cloudflare in front of Modrinth and BuiltByBit,
nginx/varnish in front of self-hosted Postal and Railcraft):

- headers: two `Set-Cookie` (Cloudflare's `__cf_bm` bot cookie and a session cookie), `cf-ray`,
  `cf-cache-status`, `x-request-id`, `x-amzn-trace-id`, `traceparent`, `x-cloud-trace-context`,
  `server-timing`, `report-to`, `nel`, `via`, `x-served-by`, `x-forwarded-for`, `alt-svc`, `server`;
- in every JSON object answer (the top level, the envelope's `data`, the first object of a list):
  e-mail addresses (a field and inside free text), user ids (an integer, a string, a nested owner
  object with a username), IPv4 and IPv6 addresses (a field and inside text), signed download
  URLs (S3 `X-Amz-*` and a `token`+`expires` one), OAuth tokens in their own fields and in
  arbitrary ones (a JWT, a Modrinth `mro_` token, a `Bearer` value);
- and every answer gzip-compressed (`Content-Encoding: gzip`) when the client accepts it.

`NEEDLES` lists every injected value that must never reach a cassette; `LiveLike.sent` counts how
many answers carried them (so a test that greps cassettes for them is not vacuous).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx

App = Callable[[httpx.Request], httpx.Response]

EMAIL = "jane.doe.buyer@gmail.com"
TEXT_EMAIL = "ops-team@realcompany.io"
USER_ID_INT = 7654321
USER_ID_STR = "Xy12Ab34"
USERNAME = "RealPlayerName"
IPV4 = "203.0.113.45"
TEXT_IPV4 = "81.169.145.105"
IPV6 = "2a01:4f8:c17:1d2::2"
S3_SIGNATURE = "3b1f5e0c9a7d4b2e8f6a1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"
S3_CREDENTIAL = "AKIAIOSFODNN7EXAMPLE"
SIGNED_TOKEN = "dlTok_8c1d2e3f4a5b6c7d"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJsaXZlbGlrZS11c2VyIiwic2NvcGUiOiJyZWFkIn0."
    "c2lnbmF0dXJlLW9mLWEtbGl2ZS1saWtlLWp3dA"
)
ACCESS_TOKEN = "mro_LiveLikeAccessToken0123456789"
REFRESH_TOKEN = "rt_LiveLikeRefresh_abcdef0123456789"
BEARER = "Bearer sk_live_LiveLikeBearer98765"
COOKIE_SESSION = "sess_LiveLikeCookie_5f4e3d2c"
CF_BM = "cfbm_LiveLike.0123456789abcdef"
CF_RAY = "8e2f1a3b4c5d6e7f-FRA"
REQUEST_ID = "req_7f3a9c2e-live-like-0001"
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
AMZN_TRACE = "Root=1-67891233-abcdef012345678912345678"

#: every value the live-like server adds that must not appear in a cassette
NEEDLES = (
    EMAIL,
    TEXT_EMAIL,
    str(USER_ID_INT),
    USER_ID_STR,
    USERNAME,
    IPV4,
    TEXT_IPV4,
    IPV6,
    S3_SIGNATURE,
    S3_CREDENTIAL,
    SIGNED_TOKEN,
    JWT,
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    BEARER.split()[1],
    COOKIE_SESSION,
    CF_BM,
    CF_RAY,
    REQUEST_ID,
    TRACE,
    AMZN_TRACE,
)
#: header names that must not appear in a cassette
HEADER_NEEDLES = (
    "set-cookie",
    "cf-ray",
    "cf-cache-status",
    "x-request-id",
    "x-amzn-trace-id",
    "traceparent",
    "x-cloud-trace-context",
    "server-timing",
    "report-to",
    "nel",
    "via",
    "x-served-by",
    "x-forwarded-for",
    "alt-svc",
)

HEADERS = (
    ("Set-Cookie", f"__cf_bm={CF_BM}; path=/; expires=Tue, 01-Dec-26 23:30:00 GMT; HttpOnly; Secure"),
    ("Set-Cookie", f"session={COOKIE_SESSION}; Path=/; HttpOnly; SameSite=Lax"),
    ("cf-ray", CF_RAY),
    ("cf-cache-status", "DYNAMIC"),
    ("x-request-id", REQUEST_ID),
    ("x-amzn-trace-id", AMZN_TRACE),
    ("traceparent", TRACE),
    ("x-cloud-trace-context", "105445aa7843bc8bf206b12000100000/1;o=1"),
    ("server-timing", "cfRequestDuration;dur=12.5, origin;dur=9"),
    ("report-to", '{"endpoints":[{"url":"https://a.nel.cloudflare.com/report/v4?s=abc"}],"max_age":604800}'),
    ("nel", '{"success_fraction":0,"report_to":"cf-nel","max_age":604800}'),
    ("via", "1.1 varnish, 1.1 google"),
    ("x-served-by", "cache-fra-eddf8230111-FRA"),
    ("x-forwarded-for", f"{IPV4}, {TEXT_IPV4}"),
    ("alt-svc", 'h3=":443"; ma=86400'),
    ("server", "cloudflare"),
)


def extras() -> dict[str, Any]:
    """The fields added to answers: what real APIs send about people, and what CDNs sign."""
    return {
        "email": EMAIL,
        "contact_note": f"Questions? Write to {TEXT_EMAIL}; last seen from {TEXT_IPV4} and {IPV6}.",
        "owner_user_id": USER_ID_INT,
        "owner": {"id": USER_ID_STR, "username": USERNAME, "email": EMAIL},
        "last_login_ip": IPV4,
        "download_url": (
            "https://cdn-signed.example.net/files/pack.jar?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential={S3_CREDENTIAL}%2F20261201%2Fus-east-1%2Fs3%2Faws4_request"
            f"&X-Amz-Date=20261201T000000Z&X-Amz-Expires=300&X-Amz-Signature={S3_SIGNATURE}"
        ),
        "mirror_url": f"https://files.realmirror.io/dl/pack.zip?token={SIGNED_TOKEN}&expires=1796000000",
        "session": {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "token_type": "Bearer"},
        "widget": JWT,
        "debug_header": f"Authorization: {BEARER}",
        "flavour": f"cached {ACCESS_TOKEN}",
    }


def _is_map(payload: dict[str, Any]) -> bool:
    """A JSON object used as a map (file hash -> version, address -> message), not a record:
    an added field would be read as one more entry."""
    return (
        bool(payload)
        and all(isinstance(v, dict) for v in payload.values())
        and not any(isinstance(v, str | int | float | bool) for v in payload.values())
    )


def _inject(payload: Any) -> Any:
    if isinstance(payload, dict) and not _is_map(payload):
        if isinstance(payload.get("data"), dict | list):  # an envelope: the payload is in data
            payload["data"] = _inject(payload["data"])
        for key, value in extras().items():
            payload.setdefault(key, value)
    elif isinstance(payload, list) and payload and isinstance(payload[0], dict):
        payload[0] = _inject(payload[0])
    return payload


class LiveLike:
    """Wraps a fake: every answer gets real-server headers, and JSON answers get `extras()`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.sent = 0  # answers given (each with the CDN headers)
        self.injected = 0  # JSON answers that got `extras()`
        self.compressed = 0  # answers sent gzip-encoded

    def __call__(self, request: httpx.Request) -> httpx.Response:
        answer = self.app(request)
        content = answer.read()
        headers = [(k, v) for k, v in answer.headers.multi_items() if k.lower() != "content-length"]
        try:
            payload = json.loads(content)
        except ValueError:
            payload = None
        injected = isinstance(payload, dict | list)
        if injected:
            content = json.dumps(_inject(payload)).encode()
        if "gzip" in request.headers.get("accept-encoding", "") and content:
            # real servers compress: the cassette must hold the decoded body (and no encoding header)
            # (twice: the loopback server reads the answer with httpx, which decodes it once)
            content = gzip.compress(gzip.compress(content, mtime=0), mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        with self.lock:
            self.sent += 1
            self.injected += injected
            self.compressed += "gzip" in request.headers.get("accept-encoding", "")
        return httpx.Response(answer.status_code, headers=[*headers, *HEADERS], content=content)


#: where each API lives under its server's root (as on the real hosts)
PREFIXES = {
    "modrinth": "/v2",
    "builtbybit": "",
    "builtbybit_v1": "/v1",
    "postal": "",
    "railcraft": "/railcraftpack",
}


@contextmanager
def serve_all(apis: Iterable[str]) -> Iterator[tuple[dict[str, str], list[str], dict[str, LiveLike]]]:
    """Serve a live-like copy of each fake on 127.0.0.1. Yields the environment variables the
    recorder needs (the fakes' credentials, Postal's and Railcraft's URLs, the seeded Postal
    message), the `--base-url API=URL` arguments, and the servers."""
    from tests.appserver import AppServer

    from .scenarios import fake

    env: dict[str, str] = {}
    args: list[str] = []
    servers: dict[str, LiveLike] = {}
    with ExitStack() as stack:
        for name in apis:
            source = fake(name)
            servers[name] = LiveLike(source.app)
            url = stack.enter_context(AppServer(servers[name])).url + PREFIXES[name]
            args += ["--base-url", f"{name}={url}"]
            env.update(source.creds)
            env.update(source.params)
            if name == "postal":
                env["POSTAL_URL"] = url
            if name == "railcraft":
                env["RAILCRAFT_URL"] = url
        yield env, args, servers
