"""Per-call shortcuts of the lean path that must not change what is sent or returned (issue 12)."""

from __future__ import annotations

import httpx
from craftapis._http import LeanCookies, header_index, header_list


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


def test_header_index_is_the_last_value_of_each_lowered_name() -> None:
    headers = httpx.Headers([("Set-Cookie", "a=1"), ("X-Ratelimit-Remaining", "299"), ("set-cookie", "b=2")])
    assert header_index(headers) == {b"set-cookie": b"b=2", b"x-ratelimit-remaining": b"299"}
    assert len(header_index(headers)) < len(header_list(headers))  # how a repeated name shows


def test_header_index_follows_headers_added_removed_or_replaced() -> None:
    headers = httpx.Headers({"Content-Length": "3"})
    assert header_index(headers) == {b"content-length": b"3"}
    headers["Content-Encoding"] = "gzip"
    assert header_index(headers) == {b"content-length": b"3", b"content-encoding": b"gzip"}
    del headers["content-length"]
    assert header_index(headers) == {b"content-encoding": b"gzip"}
    headers._list = [(b"A", b"a", b"1")]
    assert header_index(headers) == {b"a": b"1"}
    assert header_index(headers.copy()) == {b"a": b"1"}


def test_body_reader_counts_a_repeated_content_length_among_repeated_names() -> None:
    from craftapis._guards import BodyReader

    request = httpx.Request("GET", "https://example.org/x")
    raw = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Length", "2")]
    for extra, replayed_as_is in (([], True), ([("Content-Length", "2")], False)):
        response = httpx.Response(200, headers=raw + extra, request=request)
        reader = BodyReader(request, response, limit=100, deadline=10.0, deadline_at=1e18, clock=lambda: 0.0)
        reader.feed(b"ok")
        assert (reader.replay(reader.finish()) is response) is replayed_as_is
