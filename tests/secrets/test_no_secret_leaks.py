"""No secret leaves through a side door.

One test runs every client (Modrinth, BuiltByBit v2 with a token and with OAuth2, BuiltByBit v1
Private and Shared, Postal and a generic moonrope deployment, Railcraft) against their fakes on
loopback with known fake secrets, with DEBUG logging on for the root, `craftapis`, `httpx` and
`httpcore` loggers; it makes successful calls and failing ones (401, 500, connection refused, wrong
credentials, broken downloads) and then proves that none of the secrets appears in:

* any log record (formatted message, `msg`, `args`, the formatted exception),
* any error's `str()` / `repr()` or traceback text (`traceback.format_exception`, causes included),
* any client's `repr()`, auth object's `repr()` or token holder's `repr()`,
* any cassette file under tests/**/cassettes (raw text and YAML-decoded bodies).

It runs once per wire: "sync" (httpcore's h11 connections, which serve while httpcore logs at DEBUG),
"sync-llhttp" (the sync default wire), "async" (the async default, `AsyncDefaultTransport()`) and
"async-aiohttp" (the async fallback); each run counts the requests every wire wrote itself and
requires them all on the wire it names (at least 20) and none on another.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]
from craftapis import APIError, RetryPolicy, _async_http, _wire
from craftapis._aiohttp_transport import AiohttpTransport
from craftapis._aiowire import AsyncWireTransport
from craftapis._http import AsyncDefaultTransport
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, OAuth2Session
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis.moonrope import AsyncMoonrope, Moonrope
from craftapis.postal import AsyncPostal, Postal
from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack

from tests.builtbybit import fake_api as bbb_fake
from tests.builtbybit_v1 import fake as v1_fake
from tests.faults.apis import fast_retry, resolve
from tests.faults.servers import FaultServer, ResetMidBody, Respond, bbb_v2_app, moonrope_app
from tests.loopback import unused_port
from tests.modrinth.conftest import FAKE_TOKEN as MODRINTH_CASSETTE_TOKEN
from tests.modrinth.fake_modrinth import FakeModrinth
from tests.moonrope.moonrope_fake import envelope
from tests.postal import postal_fake
from tests.railcraft import fake as rc_fake

TESTS = Path(__file__).resolve().parents[1]

MODRINTH_PAT = "mrp_SECRETmodrinthPAT_0f9e8d7c"
MODRINTH_WRONG_SECRET = "SECRETwrongModrinthClientSecret_31"
MOONROPE_TOKEN = "SECRETmoonropeToken_5e6f"
MOONROPE_SECRET = "SECRETmoonropeSecret_7a8b"
RAILCRAFT_WRONG_SECRET = "rc-secret-FAKE-wrong-00aa11"
UPGRADED_TOKEN = "fake-upgraded-token-99"  # what the BuiltByBit fake hands out on deployments_upgrade

#: Every secret this test uses or is handed, by name. Issued OAuth2 tokens are added as they come.
KNOWN: dict[str, str] = {
    "modrinth PAT": MODRINTH_PAT,
    "modrinth OAuth client secret": FakeModrinth.client_secret,
    "modrinth OAuth code": FakeModrinth.oauth_code,
    "modrinth OAuth access token": FakeModrinth.access_token,
    "modrinth wrong client secret": MODRINTH_WRONG_SECRET,
    "builtbybit token": bbb_fake.TOKEN,
    "builtbybit OAuth client secret": bbb_fake.CLIENT_SECRET,
    "builtbybit OAuth code": bbb_fake.AUTH_CODE,
    "builtbybit OAuth Basic credentials": base64.b64encode(
        f"{bbb_fake.CLIENT_ID}:{bbb_fake.CLIENT_SECRET}".encode()
    ).decode(),
    "builtbybit deployment token": bbb_fake.DEPLOY_TOKEN,
    "builtbybit upgraded token": UPGRADED_TOKEN,
    "builtbybit v1 private token": v1_fake.PRIVATE_TOKEN,
    "builtbybit v1 shared token": v1_fake.SHARED_TOKEN,
    "postal API key": postal_fake.API_KEY,
    "postal wrong API key": postal_fake.WRONG_KEY,
    "moonrope X-Auth-Token": MOONROPE_TOKEN,
    "moonrope X-Auth-Secret": MOONROPE_SECRET,
    "railcraft client secret": rc_fake.CLIENT_SECRET,
    "railcraft wrong client secret": RAILCRAFT_WRONG_SECRET,
    "railcraft session token": rc_fake.TOKEN_PREFIX,  # the prefix of every token the fake issues
}


class Probe:
    """Runs calls and keeps everything that could carry a secret out: errors and reprs."""

    def __init__(self, mode: str, tmp_path: Path) -> None:
        self.mode = mode
        self.tmp_path = tmp_path
        self.errors: list[BaseException] = []
        self.reprs: list[tuple[str, str]] = []
        self.secrets = dict(KNOWN)

    def pick(self, sync: type[Any], async_: type[Any]) -> type[Any]:
        return sync if self.mode == "sync" else async_

    async def ok(self, call: Callable[[], Any]) -> Any:
        value = await resolve(call())
        if hasattr(value, "__aiter__"):
            return [item async for item in value]
        if (
            hasattr(value, "__iter__")
            and not isinstance(value, str | bytes | dict)
            and not hasattr(value, "to_dict")
        ):
            return list(value)
        return value

    async def fails(self, call: Callable[[], Any], kind: type[BaseException] = APIError) -> None:
        try:
            await self.ok(call)
        except kind as error:
            self.errors.append(error)
        else:
            raise AssertionError(f"expected {kind.__name__}")

    def show(self, what: str, obj: Any) -> None:
        self.reprs += [(f"repr({what})", repr(obj)), (f"str({what})", str(obj))]

    async def close(self, client: Any) -> None:
        self.show(type(client).__name__, client)
        await resolve(client.aclose() if hasattr(client, "aclose") else client.close())


@contextmanager
def serving(app: Any) -> Iterator[FaultServer]:
    with FaultServer(app) as server:
        yield server


UNAUTHORIZED = Respond(401, {"result": "error", "error": {"code": "TokenInvalidError", "message": "No."}})
BROKEN = Respond(500, "Internal Server Error")


def _refused() -> str:
    return f"http://127.0.0.1:{unused_port()}"


# -- the clients -------------------------------------------------------------------------------------


async def modrinth(p: Probe) -> None:
    cls = p.pick(Modrinth, AsyncModrinth)
    fake = FakeModrinth()
    common: dict[str, Any] = {"user_agent": "secrets-test/1.0 (t@example.invalid)", "retry": fast_retry()}
    with serving(fake.handle) as server:
        client = cls(token=MODRINTH_PAT, base_url=server.url + "/v2", **common)
        p.show("ModrinthTokenAuth", client._auth)
        await p.ok(lambda: client.get_project("AABBCCDD"))
        await p.ok(lambda: client.search_page("synthetic", limit=3))
        token = await p.ok(
            lambda: client.exchange_code(
                fake.oauth_code,
                client_id=fake.client_id,
                client_secret=fake.client_secret,
                redirect_uri=fake.redirect_uri,
            )
        )
        p.show("OAuthToken", token)
        await p.fails(
            lambda: client.exchange_code(
                fake.oauth_code,
                client_id=fake.client_id,
                client_secret=MODRINTH_WRONG_SECRET,
                redirect_uri=fake.redirect_uri,
            )
        )
        server.script(Respond(401, {"error": "unauthorized", "description": "bad token"}))
        await p.fails(lambda: client.get_project("AABBCCDD"))
        server.script(BROKEN, BROKEN, BROKEN, BROKEN)
        await p.fails(lambda: client.get_project("AABBCCDD"))
        await p.close(client)
        oauth_client = cls(token=token, base_url=server.url + "/v2", **common)
        await p.ok(lambda: oauth_client.get_project("AABBCCDD"))
        await p.close(oauth_client)
    refused = cls(token=MODRINTH_PAT, base_url=_refused() + "/v2", **common)
    await p.fails(lambda: refused.get_project("AABBCCDD"))
    await p.close(refused)


async def builtbybit(p: Probe) -> None:
    cls = p.pick(BuiltByBit, AsyncBuiltByBit)
    fake = bbb_fake.FakeBuiltByBit(events=2)
    with serving(bbb_v2_app(fake)) as server:
        client = cls(token=bbb_fake.TOKEN, base_url=server.url, retry=fast_retry())
        p.show("TokenAuth", client._auth)
        await p.ok(client.health)
        await p.ok(lambda: client.purchases(limit=3, with_=["Buyer"]))
        await p.ok(lambda: client.events())
        credentials = await p.ok(lambda: client.deployments_upgrade(preauthorize=True, scopes=["read"]))
        p.show("DeploymentCredentials", credentials)
        server.script(UNAUTHORIZED)
        await p.fails(client.health)
        server.script(BROKEN, BROKEN, BROKEN, BROKEN)
        await p.fails(client.health)
        await p.close(client)

        # OAuth2: code exchange, calls, a forced refresh, an expiry found by a 401, a refused one
        session = OAuth2Session(
            client_id=bbb_fake.CLIENT_ID,
            client_secret=bbb_fake.CLIENT_SECRET,
            redirect_uri="https://app.example.invalid/cb",
        )
        oauth = cls(oauth2=session, base_url=server.url, retry=fast_retry())
        await p.fails(lambda: oauth.oauth2.exchange_code("not-the-code"))
        p.show("OAuth2Tokens", await p.ok(lambda: oauth.oauth2.exchange_code(bbb_fake.AUTH_CODE)))
        await p.ok(oauth.health)
        await p.ok(oauth.oauth2.refresh)
        assert session.tokens is not None
        fake.access_tokens[session.tokens.access_token] = 0.0  # expires: the next call refreshes
        await p.ok(lambda: oauth.purchases(limit=3))
        server.script(UNAUTHORIZED, UNAUTHORIZED)  # a 401, a refresh, a 401 again: the caller's error
        await p.fails(oauth.health)
        p.show("OAuth2Session", session)
        p.show("OAuth2 Basic auth", session._basic)
        p.show("client.oauth2", oauth.oauth2)
        await p.ok(oauth.oauth2.revoke)
        await p.close(oauth)
    for token in [*fake.access_tokens, *fake.refresh_tokens, *fake.revoked]:
        p.secrets[f"builtbybit issued token {token[:12]}"] = token
    refused = cls(token=bbb_fake.TOKEN, base_url=_refused(), retry=fast_retry())
    await p.fails(refused.health)
    await p.close(refused)


async def builtbybit_v1(p: Probe) -> None:
    cls = p.pick(BuiltByBitV1, AsyncBuiltByBitV1)
    with serving(v1_fake.FakeBuiltByBit()) as server:
        client = cls(private_token=v1_fake.PRIVATE_TOKEN, base_url=server.url + "/v1", retry=fast_retry())
        p.show("v1 TokenAuth", client._auth)
        await p.ok(client.health)
        await p.ok(lambda: client.resources(limit=25))
        server.script(
            Respond(401, {"result": "error", "error": {"code": "InvalidTokenError", "message": "No."}})
        )
        await p.fails(client.health)
        server.script(BROKEN, BROKEN, BROKEN, BROKEN)
        await p.fails(client.health)
        await p.close(client)
        shared = cls(shared_token=v1_fake.SHARED_TOKEN, base_url=server.url + "/v1", retry=fast_retry())
        p.show("v1 shared TokenAuth", shared._auth)
        await p.ok(lambda: shared.latest_version(1001))
        await p.ok(lambda: shared.validate_license(1001, 501, nonce=v1_fake.NONCE, timestamp=1_700_000_000))
        await p.fails(shared.health)  # SharedTokenError: refused before sending
        await p.close(shared)
    refused = cls(private_token=v1_fake.PRIVATE_TOKEN, base_url=_refused() + "/v1", retry=fast_retry())
    await p.fails(refused.health)
    await p.close(refused)


async def postal(p: Probe) -> None:
    cls = p.pick(Postal, AsyncPostal)
    with serving(moonrope_app(postal_fake.FakePostal())) as server:
        client = cls(base_url=server.url, api_key=postal_fake.API_KEY, retry=fast_retry())
        p.show("HeaderAuth", client._auth)
        sent = await p.ok(
            lambda: client.send_message(to=["a@example.org"], from_="me@example.com", plain_body="hi")
        )
        message_id = sent.messages["a@example.org"].id
        await p.ok(lambda: client.get_message(message_id, expansions=True))
        await p.ok(lambda: client.get_deliveries(message_id))
        server.script(Respond(401, "Unauthorized"))
        await p.fails(lambda: client.get_deliveries(message_id))
        server.script(BROKEN, BROKEN, BROKEN, BROKEN)
        await p.fails(lambda: client.get_deliveries(message_id))
        await p.close(client)
        wrong = cls(
            base_url=server.url, api_key=postal_fake.WRONG_KEY, retry=fast_retry()
        )  # the server echoes it back
        await p.fails(lambda: wrong.get_message(message_id))
        await p.close(wrong)
    refused = cls(base_url=_refused(), api_key=postal_fake.API_KEY, retry=fast_retry())
    await p.fails(lambda: refused.get_message(1))
    await p.close(refused)

    mr_cls = p.pick(Moonrope, AsyncMoonrope)
    headers = {"X-Auth-Token": MOONROPE_TOKEN, "X-Auth-Secret": MOONROPE_SECRET}
    echo = moonrope_app(lambda call: envelope("access-denied", {"message": f"denied for {call.headers}"}))
    with serving(echo) as server:
        generic = mr_cls(base_url=server.url, auth_headers=headers, retry=fast_retry())
        await p.fails(lambda: generic.call_action("things", "list"))  # the server echoes the headers
        server.app = moonrope_app(lambda call: envelope("success", [1, 2]))
        await p.ok(lambda: generic.call_action("things", "list"))
        await p.close(generic)


async def railcraft(p: Probe) -> None:
    cls = p.pick(RailcraftPack, AsyncRailcraftPack)
    fake = rc_fake.FakeRailcraft(archive_size=4096)
    archive = "/railcraftpack/api/get_file/"
    with serving(fake) as server:
        base = server.url + "/railcraftpack"
        client = cls(
            client_id=rc_fake.CLIENT_ID,
            client_secret=rc_fake.CLIENT_SECRET,
            base_url=base,
            retry=fast_retry(),
        )
        await p.ok(client.current_tag)
        await p.ok(client.ads)
        details = await p.ok(client.download_details)
        await p.ok(lambda: client.download_archive(details, p.tmp_path / "pack.zip"))
        fake.expire_tokens()
        await p.ok(client.ads)  # code 6: renewed
        p.show("TokenSession", client._session)
        fake.text_error_next_download = True
        await p.fails(lambda: client.download_archive(details, p.tmp_path / "pack2.zip"))
        # a broken body is fetched again (restarts are logged): broken on every one of the 4 attempts
        server.script(*[ResetMidBody(b"x" * 4096) for _ in range(4)], path=archive)
        await p.fails(lambda: client.download_archive(details, p.tmp_path / "pack3.zip"))
        server.script(Respond(401, "Unauthorized"))
        await p.fails(client.ads)
        server.script(BROKEN, BROKEN, BROKEN, BROKEN)
        await p.fails(client.ads)
        await p.close(client)
        wrong = cls(
            client_id=rc_fake.CLIENT_ID,
            client_secret=RAILCRAFT_WRONG_SECRET,
            base_url=base,
            retry=fast_retry(),
        )
        await p.fails(wrong.ads)  # code 5
        await p.close(wrong)
    refused = cls(
        client_id=rc_fake.CLIENT_ID,
        client_secret=rc_fake.CLIENT_SECRET,
        base_url=_refused(),
        retry=fast_retry(),
    )
    await p.fails(refused.ads)
    await p.close(refused)


# -- the checks --------------------------------------------------------------------------------------


def _leaks(where: str, text: str, secrets: dict[str, str]) -> list[str]:
    candidates = {text, unquote_plus(text)}
    return [f"{name} in {where}" for name, value in secrets.items() if any(value in c for c in candidates)]


def _record_texts(record: logging.LogRecord) -> list[tuple[str, str]]:
    where = f"log record {record.name}:{record.lineno} ({record.levelname})"
    texts = [
        (where + " message", record.getMessage()),
        (where + " msg", str(record.msg)),
        (where + " args", repr(record.args)),
        (where + " formatted", logging.Formatter("%(message)s").format(record)),
    ]
    if record.exc_info and record.exc_info[1] is not None:
        texts.append((where + " exception", "".join(traceback.format_exception(record.exc_info[1]))))
    return texts


def _error_texts(error: BaseException) -> list[tuple[str, str]]:
    where = f"{type(error).__name__}"
    return [
        (f"str({where})", str(error)),
        (f"repr({where})", repr(error)),
        (f"traceback of {where}", "".join(traceback.format_exception(error))),
    ]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, bytes):
        yield value.decode("utf-8", "replace")
    elif isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _cassette_texts() -> Iterator[tuple[str, str]]:
    files = sorted(p for p in TESTS.glob("**/cassettes/**/*") if p.is_file())
    assert files, "no cassette found: the glob is wrong"
    for path in files:
        where = f"cassette {path.relative_to(TESTS)}"
        raw = path.read_text("utf-8", "replace")
        yield where, raw
        if path.suffix in (".yaml", ".yml"):
            for text in _strings(yaml.safe_load(raw)):  # !!binary bodies decoded
                yield where + " (decoded)", text


#: "sync-llhttp": the sync clients with httpcore's logging left off, so their default wire (llhttp
#: connections; with httpcore's DEBUG logging on, httpcore's own connections serve) is the one checked;
#: "async": the async clients over their default transport (`AsyncDefaultTransport()`, craftapis' own
#: wire), "async-aiohttp": over the aiohttp fallback
@pytest.fixture(params=["sync", "sync-llhttp", "async", "async-aiohttp"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


#: what each wire's count below is of: a request its own code wrote (llhttp: sync; the others: async)
WIRES: dict[str, tuple[type[Any], str]] = {
    "llhttp": (_wire.LlhttpConnection, "handle_request") if _wire.LlhttpConnection else (object, ""),
    "aiowire": (AsyncWireTransport, "handle_async_request"),
    "aiohttp": (AiohttpTransport, "handle_async_request"),
}


def _serving_wire(mode: str) -> str | None:
    """The wire `mode`'s requests must all go through (None: httpcore's h11 connections, uncounted)."""
    if mode == "sync-llhttp":
        return "llhttp" if _wire.LlhttpConnection is not None else None
    if mode == "async":
        return {AsyncWireTransport: "aiowire", AiohttpTransport: "aiohttp"}[type(AsyncDefaultTransport())]
    return "aiohttp" if mode == "async-aiohttp" else None


def _count_wires(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[object]]:
    served: dict[str, list[object]] = {name: [] for name in WIRES}
    for name, (cls, method) in WIRES.items():
        if not method:
            continue
        real = getattr(cls, method)
        calls = served[name]
        if asyncio.iscoroutinefunction(real):

            async def counted_async(self: Any, *args: Any, _real: Any = real, _calls: Any = calls) -> Any:
                _calls.append(args)
                return await _real(self, *args)

            monkeypatch.setattr(cls, method, counted_async)
        else:

            def counted(self: Any, *args: Any, _real: Any = real, _calls: Any = calls) -> Any:
                _calls.append(args)
                return _real(self, *args)

            monkeypatch.setattr(cls, method, counted)
    return served


async def test_no_secret_leaks(
    mode: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = _count_wires(monkeypatch)
    if mode == "async-aiohttp":  # the async clients' default inner transport is the fallback
        monkeypatch.setattr(_async_http, "AsyncDefaultTransport", AiohttpTransport)
    for name in (None, "craftapis", "httpx", "httpcore", "aiohttp"):
        if name == "httpcore" and mode == "sync-llhttp":  # on at INFO (it logs nothing there) ...
            caplog.set_level(logging.INFO, logger=name)
            caplog.handler.setLevel(logging.DEBUG)  # ... without raising the capture's own level
        else:
            caplog.set_level(logging.DEBUG, logger=name)
    probe = Probe(mode.split("-")[0], tmp_path)
    for run in (modrinth, builtbybit, builtbybit_v1, postal, railcraft):
        await run(probe)

    surfaces: list[tuple[str, str]] = [*probe.reprs]
    for record in caplog.records:
        surfaces += _record_texts(record)
    for error in probe.errors:
        surfaces += _error_texts(error)

    # not vacuous: the run logged at DEBUG through the libraries on its path and failed in many ways
    # (async clients do their I/O through aiohttp, which logs nothing per request: no httpcore there;
    # the llhttp wire neither, and it is the one that served when httpcore's logging is off)
    names = {record.name.split(".")[0] for record in caplog.records}
    assert {"craftapis", "httpx", *(["httpcore"] if mode == "sync" else [])} <= names, names
    # and the wire the mode names is the one that served, every request (none went another way)
    serving = _serving_wire(mode)
    counts = {name: len(calls) for name, calls in served.items()}
    assert all((n >= 20) if name == serving else (n == 0) for name, n in counts.items()), (mode, counts)
    assert any(r.levelno == logging.DEBUG and r.name.startswith("craftapis") for r in caplog.records)
    assert len(probe.errors) >= 20 and len({type(e) for e in probe.errors}) >= 8
    assert len(probe.secrets) > len(KNOWN)  # OAuth2 tokens issued during the run are checked too

    leaks = [leak for where, text in surfaces for leak in _leaks(where, text, probe.secrets)]
    assert leaks == [], "\n".join(leaks)


CASSETTE_SECRETS = {
    **KNOWN,
    "modrinth cassette token": MODRINTH_CASSETTE_TOKEN,
    "railcraft client id": rc_fake.CLIENT_ID,  # the Railcraft cassettes redact it too
}


def test_no_secret_in_any_cassette() -> None:
    leaks = [leak for where, text in _cassette_texts() for leak in _leaks(where, text, CASSETTE_SECRETS)]
    assert leaks == [], "\n".join(leaks)


NONCE_LOG_BUG = (
    "BUG: httpx logs every request at INFO on the `httpx` logger as 'HTTP Request: GET <full URL>', "
    "query included, so a query parameter craftapis itself treats as secret (is_secret_name: nonce, "
    "token, key, signature ...; BuiltByBit buyer_latest(nonce), v1 validate_license(nonce=...)) "
    "reaches the logs unredacted, although craftapis redacts it from its own messages and errors. "
    "Fix: craftapis._http installs a logging.Filter on the `httpx` logger that passes URL args "
    "through craftapis._errors.redact_url."
)


def test_secret_named_query_parameters_stay_out_of_logs(caplog: pytest.LogCaptureFixture) -> None:
    nonce = bbb_fake.NONCE
    caplog.set_level(logging.DEBUG)
    with (
        serving(bbb_v2_app(bbb_fake.FakeBuiltByBit())) as server,
        BuiltByBit(token=bbb_fake.TOKEN, base_url=server.url, retry=RetryPolicy(max_attempts=1)) as client,
    ):
        client.buyer_latest(nonce)
    texts = [text for record in caplog.records for _, text in _record_texts(record)]
    assert texts and not [t for t in texts if nonce in t]
