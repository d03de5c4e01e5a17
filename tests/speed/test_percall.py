"""Per-call shortcuts of the lean path that must not change what is sent or returned (issue 12)."""

from __future__ import annotations

import httpx
from craftapis._http import LeanCookies, header_list


def test_header_list_is_lowered_names_and_raw_values_in_order() -> None:
    headers = httpx.Headers(
        [("Content-Length", "3"), ("X-Ratelimit-Remaining", "299"), ("set-cookie", "a=b")]
    )
    assert header_list(headers) == [
        (b"Content-Length", b"content-length", b"3"),
        (b"X-Ratelimit-Remaining", b"x-ratelimit-remaining", b"299"),
        (b"set-cookie", b"set-cookie", b"a=b"),
    ]


def test_lean_cookies_extracts_only_when_a_set_cookie_came() -> None:
    cookies = LeanCookies()
    request = httpx.Request("GET", "https://example.org/x")
    cookies.extract_cookies(httpx.Response(200, headers={"Content-Type": "text/plain"}, request=request))
    assert not cookies
    cookies.extract_cookies(httpx.Response(200, headers={"Set-Cookie": "k=v; Path=/"}, request=request))
    assert dict(cookies) == {"k": "v"}
