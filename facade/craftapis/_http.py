"""The one seam between craftapis and its HTTP library (httpx today).

Everything that builds an HTTP client lives here, so replacing httpx (e.g. by its fork httpx2) is a
change to this module and `_transport.py`, not to every API client.

Redirects are followed by the policy transport, never by httpx: the outer client is built with
`follow_redirects=False`, and `ClientTransport` sends through a user's client with
`client.send(..., follow_redirects=False)`, which overrides that client's own setting. So the
redirect policy (`_guards.redirect_request`: to another origin only a GET/HEAD, stripped of every
credential header) holds for user-supplied clients too: their `follow_redirects=True` is wrapped,
not honoured.

The proxy environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) is honoured when
`trust_env=True` (the default): httpx ignores it whenever it is given `transport=`, which craftapis
always does, so when such a variable is set the default inner transport is an httpx client built
with `trust_env=True`, whose own proxy routing then applies.

A client craftapis creates gets `PolicyTransport` (retries, pacing) around the user's transport or
httpx's own. A client the *user* passes in keeps doing the I/O (their proxies, TLS, mounts, hooks);
craftapis puts its policy in front of it through `ClientTransport` and never closes it.

The builders are written once (`_async_http.py`) and the sync ones generated (`_sync_http.py`); import
them from those modules.

Every JSON call takes the lean send path (issue 12): `RequestTemplate` builds the `httpx.Request` from
the base URL and headers prepared once, and `LeanClient.send_lean` hands it to the policy transport,
doing only what httpx's `Client.send` does that a craftapis client uses (cookies, event hooks, the
auth flow, the INFO log line, reading the body). The inner transports are httpcore's connections
driven directly (`_wire.WireTransport`, sync) and craftapis' own asyncio connections
(`_aiowire.AsyncWireTransport`, async), llhttp framing every response on both (h11 and aiohttp
where httptools has no wheel); vcrpy, which patches httpx's transport and aiohttp's
`ClientSession._request`, still sees every request (the async wire hands requests to
`_aiohttp_transport.AiohttpTransport` while aiohttp is patched). Downloads go through `Client.send`.
"""

from __future__ import annotations

import http.cookiejar
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus as _quote

import httpx

from ._errors import redact_url

__all__ = ["DEFAULT_TIMEOUT"]

logger = logging.getLogger("craftapis")


class _RedactURLs(logging.Filter):
    """httpx logs every request's full URL at INFO; query parameters such as BuiltByBit's `nonce`
    are secrets to craftapis, so URLs in httpx's log records are redacted like ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(redact_url(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_RedactURLs())

#: Finite by default: a bot must never hang forever on a dead connection. Connect fails fast;
#: reads allow for Modrinth's version lists (over 1 MB) on slow links.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


# -- the lean default path (issue 12) ---------------------------------------------------------------
# Two per-request costs of httpx's Client layer that craftapis' own clients do not need to pay; the
# client classes that apply them (`AsyncLeanClient`, `LeanClient`) are in `_async_http.py`/`_sync_http.py`.


def header_list(headers: httpx.Headers) -> list[tuple[bytes, bytes, bytes]]:
    """A `Headers`' items as httpx keeps them, (name as received, name lower-cased, value), undecoded.

    One pass over this finds a header without decoding or lower-casing anything: `in`, `get` and
    `get_list` on a fresh `Headers` first work out its encoding by decoding every name and value, and
    `raw` builds a new list. The list is httpx's own (`Headers._list`, httpx 0.28); should a `Headers`
    not have one, the same triples are built from `raw`. Read it, never change it."""
    items = getattr(headers, "_list", None)
    if type(items) is list:
        return items
    return [(key, key.lower(), value) for key, value in headers.raw]


def header_index(headers: httpx.Headers) -> dict[bytes, bytes]:
    """A `Headers`' values by lower-cased name (the last one of a repeated name), undecoded.

    Several steps of one call look headers up in the same response (`BodyReader` its framing,
    the rate limiter `X-Ratelimit-*`, `LeanCookies` `Set-Cookie`): each walking the ~13 headers of an
    answer in Python cost more than the rest of what it did. The index is built once per `Headers`
    and kept on it, valid while the list `header_list` gives is the same object of the same length
    (a header added or removed, or the list replaced, builds it again; none of those steps changes a
    response's headers). A name appears in it once: compare its length with `header_list`'s to know
    whether a name was repeated."""
    items = header_list(headers)
    cached = headers.__dict__.get("_craftapis_index")
    if cached is not None and cached[0] is items and cached[1] == len(items):
        index: dict[bytes, bytes] = cached[2]
        return index
    index = {}
    for _, name, value in items:  # a plain loop: a little cheaper than the comprehension
        index[name] = value
    headers.__dict__["_craftapis_index"] = (items, len(items), index)
    return index


#: What a server may keep in the cookie jar of a client craftapis builds: these APIs authenticate with
#: tokens, and what they set (a CDN's bot-management cookie) is a few short cookies. Without a cap a
#: hostile server could grow the jar, and the `Cookie` header of every later request, without bound.
MAX_COOKIES = 50
MAX_COOKIE_BYTES = 16 * 1024


class LeanCookies(httpx.Cookies):
    """httpx extracts cookies from every response, and to do it builds a `urllib.request.Request` and
    an `email.message.Message` of all the response's headers, even when no `Set-Cookie` came (about 8 %
    of a 23 KB call on loopback). A response without one has nothing to extract: skip it.

    The jar holds at most `MAX_COOKIES` cookies of `MAX_COOKIE_BYTES` (names and values) in all: once
    full, the cookies a response adds are dropped (those kept may still be updated), with one WARNING;
    a jar still too large after that (kept cookies grown huge) is emptied."""

    _refused = False

    def __init__(self, cookies: Any = None) -> None:
        super().__init__(cookies)
        if type(self.jar) is http.cookiejar.CookieJar and not isinstance(cookies, http.cookiejar.CookieJar):
            jar = _TrackedJar()  # the jar httpx just made (a copy): track it instead
            for cookie in self.jar:
                jar.set_cookie(cookie)
            self.jar = jar

    def __bool__(self) -> bool:
        """Whether the jar holds a cookie: asked before every request (`send_lean`), where walking an
        empty `CookieJar` (a generator over its nested dicts) cost 0.48 us a call. A `_TrackedJar`
        that was never filled, or emptied by `clear()`, answers without the walk."""
        jar = self.jar
        if isinstance(jar, _TrackedJar) and not jar.filled:
            return False
        return super().__bool__()

    def extract_cookies(self, response: httpx.Response) -> None:
        if b"set-cookie" in header_index(response.headers):
            self._extract_capped(response)

    def _extract_capped(self, response: httpx.Response) -> None:
        jar = self.jar
        kept = {(c.domain, c.path, c.name) for c in jar}
        super().extract_cookies(response)
        if len(jar) <= MAX_COOKIES and _cookie_bytes(jar) <= MAX_COOKIE_BYTES:
            return
        for cookie in list(jar):
            if (cookie.domain, cookie.path, cookie.name) not in kept:
                jar.clear(cookie.domain, cookie.path, cookie.name)
        if len(jar) > MAX_COOKIES or _cookie_bytes(jar) > MAX_COOKIE_BYTES:
            jar.clear()
        if not self._refused:
            self._refused = True
            logger.warning(
                "%s sets more cookies than craftapis keeps (%d, %d bytes): the new ones were dropped",
                redact_url(str(response.request.url)),
                MAX_COOKIES,
                MAX_COOKIE_BYTES,
            )


class _TrackedJar(http.cookiejar.CookieJar):
    """A `CookieJar` that knows when it is certainly empty: `filled` turns True before any cookie is
    stored (every store goes through `set_cookie`: `extract_cookies`, `set_cookie_if_ok`, httpx's
    `Cookies.set`) and False only when `clear()` empties the whole jar. Removing single cookies leaves it
    True, which only means "look": the answer is then the jar's own. Public methods only, no private
    state of the stdlib's jar is read."""

    filled = False

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        self.filled = True
        super().set_cookie(cookie)

    def clear(self, domain: str | None = None, path: str | None = None, name: str | None = None) -> None:
        super().clear(domain, path, name)
        if domain is None:
            self.filled = False


def _cookie_bytes(jar: Any) -> int:
    return sum(len(c.name) + len(c.value or "") for c in jar)


def unbind(response: httpx.Response) -> None:
    """httpx's Client wraps every response's stream in a `BoundSyncStream`/`BoundAsyncStream` that
    points back at the response: a reference cycle, so each response (and its body, 20 KB - 1.5 MB
    here) lives until the cyclic garbage collector runs, which bytes alone never trigger. Over a long
    pagination that is what made the peak memory grow (6.8x one page's, a bare httpx loop 7.1x).
    Once the body is read and the stream closed, the body itself is the only stream the response
    needs: replacing the bound stream breaks the cycle and frees each response as soon as it is dropped."""
    if response.is_closed and response.is_stream_consumed:
        try:
            content = response.content
        except httpx.ResponseNotRead:
            return
        response.stream = httpx.ByteStream(content)


#: A path or query that httpx's URL parser would leave exactly as it is: only characters its percent-
#: encoding keeps (a subset of RFC 3986's unreserved, sub-delims, ":@/" and, in a query, "?"), valid
#: %XX escapes, and (path) no "." or ".." segment to normalise away. Anything else takes httpx's parser.
_CLEAN_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
#: The same without "%": one character class, several times faster to match than the alternation.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")
_CLEAN_QUERY = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*")
#: The methods httpx sends without a body and without an automatic `Content-Length: 0`.
_BODILESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


#: What `quote_plus(text, safe="")` leaves as it is (its always-safe characters): such a key or value is
#: used as it is, without the quoting call (most keys and values: `query`, `limit`, `20`, `fabric`).
_UNQUOTED = re.compile(r"[A-Za-z0-9_.~-]*")


def _query(params: object) -> str | None:
    """`str(httpx.QueryParams(params))` for the common case, a dict of scalars: httpx's own
    `urllib.parse.urlencode` of its `primitive_value_to_str` values, without building a `QueryParams`
    (a third of the time); None for anything else (lists, enums, other mappings: httpx does those)."""
    if type(params) is not dict:
        return None
    parts = []
    plain = _UNQUOTED.fullmatch
    for key, value in params.items():
        if value is True:
            value = "true"
        elif value is False:
            value = "false"
        elif value is None:
            value = ""
        elif type(value) is int:
            value = str(value)  # digits and "-": nothing to quote
        elif type(value) is float:
            value = _quote(str(value), safe="")
        elif type(value) is not str:
            return None
        elif not plain(value):
            value = _quote(value, safe="")
        key = str(key)
        parts.append((key if plain(key) else _quote(key, safe="")) + "=" + value)
    return "&".join(parts)


#: the body of every bodiless request `RequestTemplate.build` makes (a `ByteStream` holds nothing else)
_NO_BODY = httpx.ByteStream(b"")
_new = object.__new__


class RequestTemplate:
    """What every request of one craftapis client shares, prepared once (issue 12: the lean send path).

    `httpx.Client.build_request` re-parses the base URL and the path, merges the client's headers into
    a new `Headers` and re-normalises them for every request (about 5 % of a 23 KB call on loopback).
    `build` makes the same `httpx.Request` (same URL, headers, extensions, body) from what is prepared
    here: the base URL's parsed form, the client's default headers with `Host` first (as httpx orders
    them) and the default timeout. A URL that is absolute, carries its own query, or has a character or
    dot segment httpx's parser would change is given to httpx's parser; so is every request with a body
    (httpx encodes it and adds its content headers). `tests/speed/test_lean_send.py` compares `build`
    with `httpx.Client.build_request` over a corpus of paths, parameters, headers and bodies.
    """

    __slots__ = ("_base", "_headers", "_plain", "_prefix", "_timeout")

    def __init__(self, base_url: httpx.URL, headers: httpx.Headers, timeout: httpx.Timeout) -> None:
        self._base = base_url
        reference = base_url._uri_reference
        # the path prefix requests append to; a base URL with a query or odd characters never takes the fast way
        self._prefix: str | None = (
            reference.path.rstrip("/")
            if reference.query is None
            and reference.fragment is None
            and _CLEAN_PATH.fullmatch(reference.path)
            else None
        )
        self._plain = headers.copy()  # for requests httpx builds (it adds Host and content headers)
        self._headers = httpx.Headers([(b"Host", base_url.netloc), *headers.raw])
        self._timeout = timeout.as_dict()

    def url(self, url: str, params: Any) -> httpx.URL | None:
        """The absolute URL for a relative `url` and query `params`, or None when httpx must parse it."""
        prefix = self._prefix
        if (
            prefix is None
            or url[:1] != "/"
            or url[:2] == "//"
            or "/." in url
            or not (_CLEAN_PATH if "%" in url else _PLAIN_PATH).fullmatch(url)
        ):
            return None
        query = None
        if params:
            query = _query(params)
            if query is None:
                query = str(httpx.QueryParams(params))
            if not _CLEAN_QUERY.fullmatch(query):
                return None
        base = (
            self._base._uri_reference
        )  # a NamedTuple: (scheme, userinfo, host, port, path, query, fragment)
        made = httpx.URL.__new__(httpx.URL)
        made._uri_reference = tuple.__new__(type(base), (*base[:4], prefix + url, query, None))
        return made

    def build(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        json: object = None,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        timeout: httpx.Timeout | float | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> httpx.Request:
        """The request `httpx.Client(base_url=..., headers=..., timeout=...).build_request` would build."""
        method = method.upper()
        extensions = {} if extensions is None else extensions
        if "timeout" not in extensions:
            extensions["timeout"] = self._timeout if timeout is None else httpx.Timeout(timeout).as_dict()
        fast = self.url(url, params)
        if (
            fast is not None
            and method in _BODILESS
            and json is None
            and content is None
            and not data
            and not files
        ):
            if headers:
                merged = self._headers.copy()
                merged.update(headers)
            else:  # a copy of the prepared headers, as `Headers(headers)` makes it, less its checks
                merged = _new(httpx.Headers)
                merged._list = self._headers._list.copy()
                merged._encoding = self._headers._encoding  # the same list: the same encoding
            # what `httpx.Request(method, fast, headers=merged, stream=ByteStream(b""),
            # extensions=extensions)` then `read()` leave, without copying the URL made for it alone
            # and the headers again (a third of `build`); tests/speed/test_lean_send.py holds the two
            # to the same attributes
            request = _new(httpx.Request)
            request.method = method
            request.url = fast
            request.headers = merged
            request.extensions = dict(extensions)
            request.stream = _NO_BODY
            request._content = b""
            return request
        merged = self._plain.copy()
        if headers:
            merged.update(headers)
        if fast is None:  # what httpx.Client._merge_url does
            given = httpx.URL(url)
            fast = (
                self._base.copy_with(raw_path=self._base.raw_path + given.raw_path.lstrip(b"/"))
                if given.is_relative_url
                else given
            )
        else:
            params = None  # already in the URL
        return httpx.Request(
            method,
            fast,
            params=params,
            headers=merged,
            json=json,
            content=content,
            data=data,
            files=files,
            extensions=extensions,
        )


def mark_read(response: httpx.Response, body: bytes) -> httpx.Response:
    """Make a response over an in-memory body (a policy transport's replay) read and closed, as
    `read()` would leave it, without running httpx's decoder and chunker over bytes that are already
    decoded (a tenth of craftapis' own time per JSON call). Should httpx ever keep the content elsewhere,
    `read()` simply reads the same `ByteStream(body)` again: the result is the same."""
    response._content = body
    response.is_stream_consumed = True
    response.is_closed = True
    return response


_httpx_logger = logging.getLogger("httpx")


def log_response(request: httpx.Request, response: httpx.Response) -> None:
    """The INFO line httpx's Client logs for every response (its `_RedactURLs` filter applies)."""
    if _httpx_logger.isEnabledFor(logging.INFO):
        _httpx_logger.info(
            'HTTP Request: %s %s "%s %d %s"',
            request.method,
            request.url,
            response.http_version,
            response.status_code,
            response.reason_phrase,
        )


def AsyncDefaultTransport() -> httpx.AsyncBaseTransport:  # CapWords: unasync pairs it with DefaultTransport
    """The transport under craftapis' async clients when the user gives none: craftapis' own HTTP/1.1
    wire, `_aiowire.AsyncWireTransport` (asyncio's `Protocol`, llhttp framing every response as on the
    sync side, errors mapped as httpx's own transport maps them), which hands a request to aiohttp
    while a mock (vcrpy, aioresponses) patches `aiohttp.ClientSession._request`. Where httptools cannot
    be imported (no wheel for the platform), `_aiohttp_transport.AiohttpTransport` (aiohttp's llhttp)."""
    try:
        from ._aiowire import AsyncWireTransport
    except ImportError:  # pragma: no cover - tests/speed/test_aiowire.py blocks the import in a subprocess
        from ._aiohttp_transport import AiohttpTransport

        return AiohttpTransport()
    return AsyncWireTransport()


def DefaultTransport() -> httpx.BaseTransport:  # CapWords: the twin of AsyncDefaultTransport
    """The transport under craftapis' sync clients when the user gives none: `_wire.WireTransport`, an
    `httpx.HTTPTransport` (httpcore's pool, h11 framing every response) whose requests skip httpx's
    per-request wrapping, and go through httpx's own code whenever a mock (vcrpy, pytest-httpx) patched
    it. Imported here, not at module level: httpcore loads with the first client, as with httpx's own."""
    from ._wire import WireTransport

    return WireTransport()
