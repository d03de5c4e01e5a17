"""RailcraftPack / AsyncRailcraftPack against the fake server on a loopback socket (sync and async)."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from craftapis import APIError, AuthenticationError, NotFoundError, RetryPolicy
from craftapis.railcraft import (
    ERROR_MEANINGS,
    AsyncRailcraftPack,
    RailcraftAuthError,
    RailcraftDownloadError,
    RailcraftError,
    RailcraftPack,
)
from craftapis.railcraft._form import encode_form

from .fake import CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX, FakeRailcraft
from .harness import close, fast_retry, make, resolve


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- endpoints ----------------------------------------------------------------------------------------
async def test_public_endpoints_need_no_credentials(mode: str, server: str, fake: FakeRailcraft) -> None:
    client = make(mode, credentials=False, base_url=server)
    try:
        tag = await resolve(client.current_tag())
        message = await resolve(client.server_message())
        mods = await resolve(client.optional_mods())
        one = await resolve(client.error_message(6))
        every = await resolve(client.error_message())
        with pytest.raises(
            TypeError, match=r"ads.get_ads needs credentials: create the client with client_id="
        ):
            await resolve(client.ads())
    finally:
        await close(client)
    assert (tag.major, tag.minor) == ("1.12.2-5", "1.12.2-5.3")
    assert (message.color, message.text) == ("gold", "Remember to oil your rails.")
    assert mods == ["journeymap", "optifine", "dynmap"]
    assert one == "Token has expired"
    assert every == {str(k): v for k, v in ERROR_MEANINGS.items()}
    assert fake.acquisitions == 0


async def test_ads_and_test_token(mode: str, server: str, fake: FakeRailcraft) -> None:
    client = make(mode, base_url=server)
    try:
        sells = await resolve(client.ads(type="sell"))
        one = await resolve(client.ads(limit=1))
        valid = await resolve(client.test_token())
        fake.expire_tokens()
        expired = await resolve(client.test_token())
        again = await resolve(client.test_token())  # the dropped token was replaced
        with pytest.raises(ValueError, match="'any', 'buy' or 'sell'"):
            await resolve(client.ads(type="rent"))  # type: ignore[arg-type]
    finally:
        await close(client)
    assert [a.title for a in sells] == ["Selling rails"]
    assert [a.id for a in one] == [1]
    assert (valid, expired, again) == (True, False, True)
    assert fake.acquisitions == 2
    assert fake.forms("get_ads")[0]["type"] == "sell" and fake.forms("get_ads")[1]["limit"] == "1"


# -- errors come with HTTP 200 ------------------------------------------------------------------------------
async def test_error_codes_with_http_200_raise_typed_errors(mode: str, server: str) -> None:
    client = make(mode, base_url=server)
    try:
        with pytest.raises(RailcraftError) as info:
            await resolve(client.download_details(opt_mods=["not-a-mod"]))
    finally:
        await close(client)
    err = info.value
    assert type(err) is RailcraftError
    assert err.status_code == 200
    assert err.error_code == 8 and err.code == "8"
    assert err.msg == "Error during internal request" and err.meaning == "Error during internal request"
    assert err.data == "unknown optional mods: ['not-a-mod']"
    assert "HTTP 200 OK [8] from POST" in str(err) and "retry later" in str(err)
    assert "error_code=8" in repr(err)


async def test_bad_credentials_raise_an_auth_error(mode: str, server: str, fake: FakeRailcraft) -> None:
    client = make(mode, base_url=server, client_id=CLIENT_ID, client_secret="rc-secret-WRONG")
    try:
        with pytest.raises(RailcraftAuthError) as info:
            await resolve(client.ads())
    finally:
        await close(client)
    assert isinstance(info.value, AuthenticationError) and isinstance(info.value, RailcraftError)
    assert info.value.error_code == 5 and "check client_id= and client_secret=" in str(info.value)
    assert "rc-secret-WRONG" not in str(info.value) + repr(info.value)


async def test_path_override_for_an_inferred_path(mode: str, server: str, fake: FakeRailcraft) -> None:
    fake.paths = {"get_tag": "api/other/"}
    moved = make(mode, base_url=server, paths={"get_tag": "api/other/"})
    default = make(mode, base_url=server)
    try:
        assert (await resolve(moved.current_tag())).major == "1.12.2-5"
        with pytest.raises(NotFoundError):  # the guessed path is wrong on this server
            await resolve(default.current_tag())
        assert moved.paths["pack.get_current_tag"] == "api/other/"
    finally:
        await close(moved)
        await close(default)
    assert [s.path for s in fake.seen] == ["/api/other/", "/api/get_tag/"]


# -- arrays in form bodies ----------------------------------------------------------------------------
def test_array_styles_encode_lists() -> None:
    fields = {"opt_mods": ["a b", "c"], "patch_from": None, "flag": True, "none": []}
    assert encode_form(fields, "brackets") == b"opt_mods%5B%5D=a+b&opt_mods%5B%5D=c&flag=true"
    assert encode_form(fields, "repeat") == b"opt_mods=a+b&opt_mods=c&flag=true"
    assert encode_form(fields, "comma") == b"opt_mods=a+b%2Cc&flag=true"


@pytest.mark.parametrize(
    ("style", "server_sees"),
    [
        ("brackets", ["journeymap", "dynmap"]),  # what a PHP server reads as an array
        ("repeat", "dynmap"),  # PHP keeps the last plain value: why brackets is the default
        ("comma", "journeymap,dynmap"),
    ],
)
async def test_array_style_is_configurable(
    mode: str, server: str, fake: FakeRailcraft, style: str, server_sees: Any
) -> None:
    client = make(mode, base_url=server, array_style=style)
    try:
        if style == "comma":  # this server does not split commas: the mod is unknown
            with pytest.raises(RailcraftError):
                await resolve(client.download_details(opt_mods=["journeymap", "dynmap"]))
        else:
            await resolve(client.download_details(opt_mods=["journeymap", "dynmap"]))
    finally:
        await close(client)
    assert fake.forms("get_download_url")[-1]["opt_mods"] == server_sees
    assert client.array_style == style


def test_array_style_is_validated() -> None:
    with pytest.raises(ValueError, match="'brackets', 'repeat' or 'comma'"):
        RailcraftPack(array_style="json")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pass both client_id= and client_secret="):
        RailcraftPack(client_id=CLIENT_ID)


# -- the session token --------------------------------------------------------------------------------
async def test_token_is_acquired_once_and_reused(mode: str, server: str, fake: FakeRailcraft) -> None:
    client = make(mode, base_url=server)
    try:
        for _ in range(3):
            await resolve(client.ads())
        await resolve(client.download_details())
    finally:
        await close(client)
    assert fake.acquisitions == 1
    tokens = {f["token"] for f in fake.forms("get_ads") + fake.forms("get_download_url")}
    assert len(tokens) == 1


async def test_token_expiring_mid_run_is_renewed_once(mode: str, server: str, fake: FakeRailcraft) -> None:
    client = make(mode, base_url=server)
    try:
        await resolve(client.ads())
        fake.expire_tokens()  # the server now answers code 6 to the old token
        ads = await resolve(client.ads())
    finally:
        await close(client)
    assert len(ads) == 2
    assert fake.acquisitions == 2
    assert [s.path for s in fake.seen] == [
        "/api/auth/",
        "/api/get_ads/",
        "/api/get_ads/",
        "/api/auth/",
        "/api/get_ads/",
    ]
    first, rejected, retried = (f["token"] for f in fake.forms("get_ads"))
    assert first == rejected != retried


async def test_an_invalid_token_code_12_is_renewed(mode: str, server: str, fake: FakeRailcraft) -> None:
    client = make(mode, base_url=server)
    try:
        await resolve(client.ads())
        fake._valid.clear()  # the server forgot every token: code 12
        assert len(await resolve(client.ads())) == 2
    finally:
        await close(client)
    assert fake.acquisitions == 2


async def test_renewal_happens_only_once_per_call(mode: str, server: str, fake: FakeRailcraft) -> None:
    fake.expire_on_issue = True
    client = make(mode, base_url=server)
    try:
        with pytest.raises(RailcraftAuthError) as info:
            await resolve(client.ads())
    finally:
        await close(client)
    assert info.value.error_code == 6 and info.value.meaning == "Token has expired"
    assert fake.acquisitions == 2
    assert [s.path for s in fake.seen] == ["/api/auth/", "/api/get_ads/", "/api/auth/", "/api/get_ads/"]


async def test_token_is_renewed_before_its_hour_runs_out(mode: str, server: str, fake: FakeRailcraft) -> None:
    clock = Clock()
    client = make(mode, base_url=server, clock=clock, token_lifetime=3600.0, renew_margin=120.0)
    try:
        await resolve(client.ads())
        clock.now += 3600 - 121  # still inside the margin-adjusted hour
        await resolve(client.ads())
        assert fake.acquisitions == 1
        clock.now += 2  # within 120 s of the end: renew first, no code-6 round trip
        await resolve(client.ads())
    finally:
        await close(client)
    assert fake.acquisitions == 2
    assert [s.path for s in fake.seen] == [
        "/api/auth/",
        "/api/get_ads/",
        "/api/get_ads/",
        "/api/auth/",
        "/api/get_ads/",
    ]
    with pytest.raises(ValueError, match="renew_margin"):
        RailcraftPack(client_id="a", client_secret="b", token_lifetime=60, renew_margin=60)


def test_eight_threads_share_one_renewal(server: str, fake: FakeRailcraft) -> None:
    client = RailcraftPack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=server)
    with client:
        client.ads()
        fake.expire_tokens()
        fake.hold_authenticated(8)  # all eight reach the server with the expired token together
        results: list[Any] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                results.append(client.ads())
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
    assert errors == [] and len(results) == 8
    assert fake.acquisitions == 2  # the first one, then ONE renewal for all eight
    old, *later = [f["token"] for f in fake.forms("get_ads")]
    assert later[:8] == [old] * 8  # all eight were rejected together with the expired token ...
    assert len(later) == 16 and len(set(later[8:]) - {old}) == 1  # ... and retried with one new token


async def test_eight_tasks_share_one_renewal(server: str, fake: FakeRailcraft) -> None:
    async with AsyncRailcraftPack(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=server
    ) as client:
        await client.ads()
        fake.expire_tokens()
        fake.hold_authenticated(8)
        results = await asyncio.wait_for(asyncio.gather(*(client.ads() for _ in range(8))), timeout=20)
    assert len(results) == 8
    assert fake.acquisitions == 2
    old, *later = [f["token"] for f in fake.forms("get_ads")]
    assert later[:8] == [old] * 8
    assert len(later) == 16 and len(set(later[8:]) - {old}) == 1


def test_concurrent_first_use_acquires_once(server: str, fake: FakeRailcraft) -> None:
    with RailcraftPack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=server) as client:
        threads = [threading.Thread(target=client.ads) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
    assert fake.acquisitions == 1 and len(fake.forms("get_ads")) == 8


async def test_concurrent_first_use_acquires_once_async(server: str, fake: FakeRailcraft) -> None:
    async with AsyncRailcraftPack(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=server
    ) as client:
        await asyncio.gather(*(client.ads() for _ in range(8)))
    assert fake.acquisitions == 1 and len(fake.forms("get_ads")) == 8


# -- archive download ---------------------------------------------------------------------------------
async def test_download_streams_verifies_and_reports_progress(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    progress: list[tuple[int, int | None]] = []
    client = make(mode, base_url=server)
    try:
        details = await resolve(client.download_details(patch_from="1.12.2-5.2"))
        path = await resolve(
            client.download_archive(
                details,
                tmp_path / "patch.zip",
                progress=lambda d, t: progress.append((d, t)),
                chunk_size=8192,
            )
        )
    finally:
        await close(client)
    assert path == tmp_path / "patch.zip"
    assert path.read_bytes() == fake.archives[details.id]
    assert details.size_raw == len(fake.archives[details.id]) and details.is_patch == 1
    assert len(progress) > 2 and progress[-1] == (details.size_raw, details.size_raw)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["patch.zip"]  # no temporary file left


async def test_download_cut_off_halfway_leaves_nothing(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    target = tmp_path / "pack.zip"
    client = make(mode, base_url=server, retry=fast_retry())
    try:
        details = await resolve(client.download_details())
        fake.cut_downloads = 100  # the server closes the connection after half the bytes, every time
        with pytest.raises(RailcraftDownloadError) as info:
            await resolve(client.download_archive(details, target))
    finally:
        await close(client)
    err = info.value
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # the temporary file was removed too
    assert err.expected_size == details.size_raw and 0 < err.received < details.size_raw
    assert err.path == target
    assert f"broke after {err.received} of {details.size_raw} bytes" in str(err)
    assert "nothing was written" in str(err)


async def test_a_failed_download_keeps_the_previous_archive(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    target = tmp_path / "pack.zip"
    target.write_bytes(b"the previous archive")
    client = make(mode, base_url=server, retry=fast_retry())
    try:
        details = await resolve(client.download_details())
        fake.cut_downloads = 100
        with pytest.raises(RailcraftDownloadError):
            await resolve(client.download_archive(details, target))
    finally:
        await close(client)
    assert target.read_bytes() == b"the previous archive"
    assert [p.name for p in tmp_path.iterdir()] == ["pack.zip"]


async def test_download_with_the_wrong_size_is_not_saved(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    client = make(mode, base_url=server)
    try:
        details = await resolve(client.download_details())
        with pytest.raises(
            RailcraftDownloadError,
            match=r"has 150000 bytes, but download_details\(\) announced size_raw 150001",
        ):
            await resolve(client.download_archive(details.id, tmp_path / "a.zip", expected_size=150_001))
    finally:
        await close(client)
    assert list(tmp_path.iterdir()) == []


async def test_download_plain_text_error(mode: str, server: str, fake: FakeRailcraft, tmp_path: Path) -> None:
    client = make(mode, base_url=server)
    try:
        with pytest.raises(
            RailcraftDownloadError, match="the server answered instead of archive 999: File not found"
        ):
            await resolve(client.download_archive(999, tmp_path / "a.zip"))
        details = await resolve(client.download_details())
        fake.text_error_next_download = True
        with pytest.raises(RailcraftDownloadError, match="File not found"):
            await resolve(client.download_archive(details, tmp_path / "a.zip"))
    finally:
        await close(client)
    assert list(tmp_path.iterdir()) == []


async def test_download_renews_an_expired_token(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    client = make(mode, base_url=server)
    try:
        details = await resolve(client.download_details())
        fake.expire_tokens()  # get_file answers the JSON reply with code 6 (as text/html, like PHP)
        path = await resolve(client.download_archive(details, tmp_path / "a.zip"))
    finally:
        await close(client)
    assert path.read_bytes() == fake.archives[details.id]
    assert fake.acquisitions == 2
    assert list(tmp_path.iterdir()) == [path]


async def test_download_interrupted_by_the_caller_cleans_up(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    def stop(done: int, total: int | None) -> None:
        if done > 10_000:
            raise KeyboardInterrupt

    client = make(mode, base_url=server)
    try:
        details = await resolve(client.download_details())
        with pytest.raises(KeyboardInterrupt):
            await resolve(
                client.download_archive(details, tmp_path / "a.zip", progress=stop, chunk_size=4096)
            )
    finally:
        await close(client)
    assert list(tmp_path.iterdir()) == []


async def test_download_pack_in_one_call(mode: str, server: str, fake: FakeRailcraft, tmp_path: Path) -> None:
    client = make(mode, base_url=server)
    try:
        details = await resolve(client.download_pack(tmp_path / "full.zip", opt_mods=["optifine"]))
    finally:
        await close(client)
    assert (tmp_path / "full.zip").read_bytes() == fake.archives[details.id]
    assert fake.forms("get_download_url")[0]["opt_mods"] == ["optifine"]


def test_download_rejects_a_wrong_archive_argument(tmp_path: Path) -> None:
    client = RailcraftPack(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with pytest.raises(TypeError, match="takes the archive id or the reply of download_details"):
        client.download_archive("12", tmp_path / "a.zip")  # type: ignore[arg-type]


# -- secrets ----------------------------------------------------------------------------------------------
async def test_secret_and_token_never_leak(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make(mode, base_url=server)
    errors: list[BaseException] = []
    try:
        await resolve(client.ads())
        fake.expire_tokens()
        await resolve(client.ads())  # a renewal, logged
        fake.expire_on_issue = True
        fake.expire_tokens()
        for call in (lambda: client.ads(), lambda: client.download_archive(999, tmp_path / "x.zip")):
            try:
                await resolve(call())
            except APIError as exc:
                errors.append(exc)
        texts = [repr(client), repr(client._session), str(client.paths)]
    finally:
        await close(client)
    assert len(errors) == 2
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    messages = [record.getMessage() for record in caplog.records]
    assert any("acquired session token #2" in m for m in messages)  # renewals are logged ...
    texts += messages
    tokens = {f["token"] for f in fake.forms("get_ads")}
    assert tokens and all(t.startswith(TOKEN_PREFIX) for t in tokens)
    for text in texts:  # ... but never the secret or a token
        assert CLIENT_SECRET not in text, text
        assert TOKEN_PREFIX not in text, text
    assert "token=<#" in repr(client)


def test_transport_errors_do_not_carry_the_form(tmp_path: Path) -> None:
    def app(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = RailcraftPack(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        transport=httpx.MockTransport(app),
        retry=RetryPolicy(max_attempts=1),
    )
    with pytest.raises(APIError) as info:
        client.ads()
    assert CLIENT_SECRET not in str(info.value) + repr(info.value)
