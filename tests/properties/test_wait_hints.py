"""The wait-hint parsers: any header or body text never raises; valid seconds, HTTP-dates and
milliseconds parse to the wait they stand for."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from craftapis._retry import (
    modrinth_body_millis,
    ratelimit_reset_header,
    retry_after_header,
    retry_after_millis,
    retry_after_ms_header,
    standard_wait_hint,
)
from craftapis.builtbybit._profile import PROFILE as BBB
from craftapis.modrinth._profile import modrinth_wait_hint
from hypothesis import given
from hypothesis import strategies as st

from .strategies import FAST, text

NOW = 1_750_000_000.0
HEADER_PARSERS = [retry_after_millis, retry_after_ms_header, ratelimit_reset_header]

header_text = (
    text
    | st.from_regex(r"\s*-?\d{0,20}(\.\d{0,12})?([eE][+-]?\d{1,4})?\s*", fullmatch=True)
    | st.sampled_from(
        [
            "inf",
            "nan",
            "NaN",
            "-0",
            "1e309",
            "Infinity",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wed, 99 Foo 2015",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 0001 00:00:00 GMT",
            "0x10",
            "\uff11\uff12",  # fullwidth digits
            "٣",
        ]
    )
)


@FAST
@given(header_text)
def test_no_header_value_makes_a_parser_raise(value: str) -> None:
    for name in ("retry-after", "retry-after-ms", "x-ratelimit-reset", "Retry-After"):
        headers = {name: value}
        result = retry_after_header(headers, now=NOW)
        assert result is None or (result >= 0 and result == result)
        for parse in HEADER_PARSERS:
            result = parse(headers)
            assert result is None or result >= 0


@FAST
@given(text | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_no_body_makes_the_modrinth_parser_raise(body: str) -> None:
    for form in (body, f"rate limit exceeded; retry after {body} milliseconds", body.encode("utf-8")):
        result = modrinth_body_millis(form)
        assert result is None or result >= 0


@FAST
@given(
    st.dictionaries(
        st.sampled_from(["retry-after", "retry-after-ms", "x-ratelimit-reset"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    ),
    st.text(max_size=300),
)
def test_the_profiles_parsers_never_raise_on_a_response(headers: dict[str, str], body: str) -> None:
    response = httpx.Response(429, headers=headers, content=body.encode("utf-8", "surrogatepass"))
    for parse in (standard_wait_hint, modrinth_wait_hint, BBB.wait_hint):
        result = parse(response)
        assert result is None or result >= 0


# -- valid values ----------------------------------------------------------------------------------

seconds = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False)


@FAST
@given(seconds, st.sampled_from(["", " ", "\t"]))
def test_delta_seconds(value: Decimal, pad: str) -> None:
    assert retry_after_header({"Retry-After": f"{pad}{value}{pad}"}, now=NOW) == pytest.approx(float(value))


@FAST
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9999, 12, 31)))
def test_http_dates(when: datetime) -> None:
    when = when.replace(microsecond=0, tzinfo=UTC)
    header = email.utils.format_datetime(when, usegmt=True)
    expected = max(0.0, when.timestamp() - NOW)
    assert retry_after_header({"Retry-After": header}, now=NOW) == pytest.approx(expected)


@FAST
@given(seconds)
def test_milliseconds(value: Decimal) -> None:
    millis = str(value)
    assert retry_after_millis({"Retry-After": millis}) == pytest.approx(float(value) / 1000)
    assert retry_after_ms_header({"retry-after-ms": millis}) == pytest.approx(float(value) / 1000)
    assert standard_wait_hint(httpx.Response(429, headers={"retry-after-ms": millis})) == pytest.approx(
        float(value) / 1000
    )


@FAST
@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["milliseconds", "millis", "ms"]))
def test_modrinth_body(millis: int, unit: str) -> None:
    body = f'{{"error":"ratelimit_error","description":"rate limit exceeded; retry after {millis} {unit}"}}'
    assert modrinth_body_millis(body) == pytest.approx(millis / 1000)
    assert modrinth_wait_hint(httpx.Response(429, text=body)) == pytest.approx(millis / 1000)


@FAST
@given(st.integers(min_value=0, max_value=10**9))
def test_ratelimit_reset_adds_the_margin(reset: int) -> None:
    assert ratelimit_reset_header({"x-ratelimit-reset": str(reset)}) == reset + 1.0
    # Modrinth's body wins over the header; without the sentence, the header (plus margin) counts
    response = httpx.Response(
        429, headers={"x-ratelimit-reset": str(reset)}, json={"error": "ratelimit_error"}
    )
    assert modrinth_wait_hint(response) == reset + 1.0


def test_malformed_values_are_no_hint() -> None:
    for value in ("-1", "1e3", "inf", "nan", "soon", "", "1,5", "0x10", "Wed, 99 Foo 2015 07:28:00 GMT"):
        assert retry_after_header({"Retry-After": value}, now=NOW) is None, value
        assert retry_after_millis({"Retry-After": value}) is None, value
