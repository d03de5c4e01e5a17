"""What every API client is built on: configuration, error mapping, parsing, the operations namespace.

An API is described by an `ApiProfile` (data and small functions: where its errors are, how its
envelope unwraps, how it paces). `AsyncAPIClient` (`_async_base.py`, written once) and `SyncAPIClient`
(`_sync_base.py`, generated from it by `scripts/unasync.py`) are the only places that send, stream and
close; both take every decision through `_ClientCore` here.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import json as jsonlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self, TypeAlias, TypedDict, Unpack, cast

import httpx

from ._context import (
    _NO_OPTIONS,
    OPTIONS_EXTENSION,
    CallOptions,
    client_options,
    current_call_options,
    merge_options,
    options_for,
)
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    RedirectError,
    ResponseParseError,
    redact_url,
)
from ._guards import Limits
from ._http import DEFAULT_TIMEOUT
from ._keywords import KeywordOnly
from ._operations import load_operation
from ._ratelimit import NoRateLimiter, RateLimiter, default_rate_limiter
from ._retry import RetryPolicy, WaitHintParser, standard_wait_hint
from ._signatures import expand_unpacked
from ._transport import BUFFER_EXTENSION
from ._version import __version__

if TYPE_CHECKING:
    from ._async_base import AsyncAPIClient
    from ._raw import RawResponses
    from ._sync_base import SyncAPIClient

__all__ = ["ApiProfile", "Operations", "QueryParams", "content_length", "operation_names"]


#: What `client.request(params=...)` takes: what httpx takes for a query string.
QueryParams: TypeAlias = httpx.QueryParams | Mapping[str, object] | Sequence[tuple[str, object]] | str | None


def _no_error(response: httpx.Response, body: Any) -> APIError | None:
    return None


def _identity(parsed: Any) -> Any:
    return parsed


@dataclass(frozen=True)
class ApiProfile:
    """What one API is, as data: the policy engine reads it and knows no endpoint."""

    name: str
    #: dotted name of the generated package, imported lazily on first use
    package: str
    base_url: str
    #: where a 429/503 says how long to wait
    wait_hint: WaitHintParser = standard_wait_hint
    make_limiter: Callable[[], RateLimiter] = NoRateLimiter
    #: an APIError for an error body (also for errors inside an HTTP 200 envelope), else None
    decode_error: Callable[[httpx.Response, Any], APIError | None] = _no_error
    #: whether 2xx bodies must be decoded to find errors (envelopes that say "error" with HTTP 200)
    errors_in_success: bool = False
    #: parsed generated model -> what the user gets (e.g. the `data` of a `{result, data}` envelope)
    unwrap: Callable[[Any], Any] = _identity
    default_retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: the version segment the generated paths already start with (BuiltByBit v2: "v2"): a base URL
    #: ending in it, as the API's documentation writes it, is accepted and that segment dropped
    paths_carry_version: str | None = None
    #: follow redirects (httpx drops `Authorization` when one leaves the origin); False for APIs whose
    #: credentials travel in the body, where a redirect raises instead, naming its target
    follow_redirects: bool = True


#: The responses of the calls made inside a `with_raw_response` call, for it to return (None: not asked).
_RAW_RESPONSES: ContextVar[list[httpx.Response] | None] = ContextVar("craftapis.raw_responses", default=None)


class _GeneratedClientStub:
    """What generated `_parse_response` asks of its client: only this flag. Errors are ours to raise."""

    raise_on_unexpected_status = False


_STUB = _GeneratedClientStub()


def loads(content: bytes) -> Any:
    """JSON with orjson (the 1.46 MB ViaVersion version list: about half of `json.loads`' time), and
    `json.loads` for what orjson refuses but the standard library reads (NaN, UTF-16/32, lone
    surrogates), so no body that decoded before fails now. Raises ValueError.

    The one difference left: an integer outside 64 bits becomes a float (orjson's rule), where
    `json.loads` keeps an int. None of the five APIs has such a field (ids are strings or 32-bit)."""
    # imported on the first decode, not with craftapis: orjson loads uuid and platform (a few ms of
    # `from craftapis import Modrinth`); after the first call this is one sys.modules lookup
    import orjson

    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return jsonlib.loads(content)


def _decode(response: httpx.Response) -> Any:
    """The decoded body: JSON when it parses as JSON (whatever the content type claims), else text."""
    content = response.content
    if not content:
        return None
    try:
        return loads(content)
    except ValueError:
        return response.text
    except RecursionError:  # nested deeper than the interpreter's stack: no API sends that
        raise ResponseParseError.from_response(
            response,
            message="the response body is JSON nested too deeply to decode; the server is broken or hostile",
            body=None,
        ) from None


def _mismatch(exc: BaseException) -> str:
    """What a generated `from_dict` failure says about the body, for a ResponseParseError's message.

    A KeyError there is a field the spec makes required that the body lacks: named with its model
    (the innermost `from_dict` frame's `cls`), as `the field 'slug' of Project ... is missing`."""
    if isinstance(exc, KeyError) and exc.args:
        model = ""
        tb = exc.__traceback__
        while tb is not None:
            # _from_response: a response's top level (lazy); _require: the nested bodies it checks
            if tb.tb_frame.f_code.co_name in ("from_dict", "_from_response", "_require"):
                owner = tb.tb_frame.f_locals.get("cls")
                model = f" of {owner.__name__}" if isinstance(owner, type) else model
            tb = tb.tb_next
        return f"the field {exc.args[0]!r}{model}, which the spec makes required, is missing"
    return f"{type(exc).__name__}: {exc}"


def _escape_dot_segments(url: str) -> str:
    """A path parameter that is exactly "." or ".." (a slug, say) would be removed by URL normalisation
    (RFC 3986) and the request would reach another endpoint; percent-encoded, it stays a segment."""
    return "/".join({".": "%2E", "..": "%2E%2E"}.get(part, part) for part in url.split("/"))


def content_length(response: httpx.Response) -> int | None:
    """The `Content-Length` a response announces, or None (absent or not a number)."""
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


_DOUBLED_VERSION = re.compile(r"/(v\d+)/\1$")


def _check_base_url(base_url: str | None, profile: ApiProfile) -> str:
    """The base URL to send to: the profile's default, or the user's checked (a `str` with a scheme and
    a host, its version segment not doubled) and, when the generated paths carry the version, without it."""
    if base_url is None:
        return profile.base_url.rstrip("/")
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str such as {profile.base_url!r}, got {type(base_url).__name__}")
    url = base_url.strip().rstrip("/")
    parsed = httpx.URL(url) if "://" in url else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"base_url must be an http(s) URL such as {profile.base_url!r}, got {base_url!r}")
    if _DOUBLED_VERSION.search(url):
        fixed = url[: url.rindex("/")]
        raise ValueError(f"base_url {base_url!r} repeats its version segment; pass {fixed!r}")
    version = profile.paths_carry_version
    if version is not None and url.endswith("/" + version):
        url = url[: -len(version) - 1]  # the generated paths start with /<version> themselves
    return url


def _request_of(exc: httpx.RequestError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # httpx raises when the error was never bound to a request
        return None


class CallOverrides(TypedDict, total=False):
    """What `client.options(...)` overrides for the requests of its block (a field left out is kept;
    None restores the client's own).

    Attributes:
        retry: the `RetryPolicy` of the requests in the block.
        idempotent: True lets writes be retried; False forbids resending anything.
        timeout: seconds or an `httpx.Timeout`.
    """

    retry: RetryPolicy | None
    idempotent: bool | None
    timeout: httpx.Timeout | float | None


class _ClientCore(KeywordOnly):
    """Configuration and every decision the sync and async clients share (keyword arguments only)."""

    _profile: ApiProfile

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for member in vars(cls).values():  # `**options: Unpack[...]` shows as the keywords it takes
            if inspect.isfunction(member):
                expand_unpacked(member)
        from ._validate import validate_class

        validate_class(cls)  # every friendly method checks its arguments before anything is sent

    def _setup(
        self,
        *,
        base_url: str | None,
        auth: httpx.Auth | None,
        headers: Mapping[str, str] | None,
        timeout: httpx.Timeout | float | None,
        retry: RetryPolicy | None,
        rate_limiter: RateLimiter | None,
        limits: Limits | None = None,
    ) -> None:
        self.limits = limits if limits is not None else Limits()
        self.base_url = _check_base_url(base_url, self._profile)
        self._auth = auth
        self._headers = dict(headers or {})
        # Identify the library unless the API client or the user says more (Modrinth requires it).
        if not any(k.lower() == "user-agent" for k in self._headers):
            self._headers["User-Agent"] = f"craftapis/{__version__}"
        if timeout is None:
            self.timeout = DEFAULT_TIMEOUT
        elif isinstance(timeout, httpx.Timeout):
            self.timeout = timeout
        else:
            self.timeout = httpx.Timeout(timeout)
        self.retry = retry or self._profile.default_retry
        # A RedisRateLimiter takes the API's own pacing; CRAFTAPIS_REDIS_URL makes one by default.
        self.rate_limiter = default_rate_limiter(rate_limiter, self._profile.make_limiter)
        self._package: ModuleType | None = None

    # -- generated code -------------------------------------------------------------------------
    def _module(self, dotted: str) -> ModuleType:
        # an unknown name raises UnknownOperationError listing the closest names
        return load_operation(self._profile.package, dotted, self._profile.name)

    def _kwargs(self, module: ModuleType, kwargs: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = module._get_kwargs(**kwargs)
        url = request.get("url")
        if isinstance(url, str) and "/." in url:
            request["url"] = _escape_dot_segments(url)
        return request

    def _check(self, response: httpx.Response) -> Any:
        """Raise the typed error a response stands for; return its decoded body (or None, not decoded)."""
        status = response.status_code
        if 300 <= status < 400:
            location = redact_url(response.headers.get("location", "?"))
            why = (
                f"because this {self._profile.name} request carries credentials that must not leave the origin"
                if not self._profile.follow_redirects
                else f"because HTTP {status} without a usable Location is no redirect craftapis can follow"
            )
            refused = RedirectError.from_response(
                response,
                message=(
                    f"the server redirected to {location} and craftapis did not follow, {why}; "
                    "if that address is trustworthy, set base_url to it"
                ),
            )
            refused.location = location
            raise refused
        if status >= 400:
            body = _decode(response)
            raise self._profile.decode_error(response, body) or APIError.from_response(response, body=body)
        if self._profile.errors_in_success:
            body = _decode(response)
            error = self._profile.decode_error(response, body)
            if error is not None:
                raise error
            return body
        return None

    def _parse(self, module: ModuleType, response: httpx.Response, body: Any) -> Any:
        if body is not None:
            # the body was decoded already to look for an envelope error: don't decode it twice
            response.json = lambda **_: body  # type: ignore[method-assign]
        elif response.is_stream_consumed:
            # the generated code calls response.json(): decode with `loads` (orjson). The closure holds
            # the bytes, not the response, so no reference cycle keeps the response alive (see _http._unbind).
            content = response.content
            response.json = lambda **_: loads(content)  # type: ignore[method-assign]
        try:
            parsed = module._parse_response(client=_STUB, response=response)
            # inside the try: unwrapping reads the envelope's lazily built `data` (a ResponseParseError
            # when it does not fit), which must fail the call like any other misfit
            unwrapped = self._profile.unwrap(parsed)
        except ResponseParseError as exc:  # that one, given the call's response and request
            error = ResponseParseError.from_response(response, message=exc.message, body=exc.body)
            error.model, error.field = exc.model, exc.field
            raise error from exc
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise ResponseParseError.from_response(
                response,
                message=(
                    f"the {self._profile.name} response did not match the model the spec describes "
                    f"({_mismatch(exc)}); the raw body is on .body. Please report it."
                ),
                body=body if body is not None else _decode(response),
            ) from exc
        return unwrapped

    def _connection_error(self, request: httpx.Request, exc: httpx.TransportError) -> APIError:
        url = redact_url(str(request.url))
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        what = "timed out" if cls is APITimeoutError else "could not connect or the connection broke"
        return cls(
            f"{request.method} {url} {what} ({type(exc).__name__}) after the retries the policy allows; "
            "check the network, or raise the timeout / RetryPolicy.deadline",
            method=request.method,
            url=url,
        )

    def _http_error(self, method: str, url: str, exc: httpx.HTTPError | httpx.InvalidURL) -> APIError:
        """An httpx error that is not a transport failure (DecodingError, TooManyRedirects from a user's
        event hook, the InvalidURL httpx raises building `next_request` from a redirect's unparseable
        Location even when it does not follow ...), as the `APIError` it stands for: the answer could
        not be read."""
        request = _request_of(exc) if isinstance(exc, httpx.RequestError) else None
        if request is not None:
            method, url = request.method, str(request.url)
        shown = redact_url(url)
        return ResponseParseError(
            f"{method} {shown}: the server's answer could not be read ({type(exc).__name__}); "
            "the server or a proxy on the way is broken: retry later or report it",
            method=method,
            url=shown,
        )

    # -- per-call options ---------------------------------------------------------------------
    _bound: CallOptions = CallOptions()
    _bound_headers: Mapping[str, str] = {}

    def _call_options(self) -> CallOptions:
        """What applies to a request sent now: this client's `options()` block wins over a
        `craftapis.call_options()` block, which wins over what `with_options()` bound."""
        current, scoped = current_call_options(), options_for(self)
        if current is _NO_OPTIONS and scoped is _NO_OPTIONS:  # no block open: nothing to merge
            return self._bound
        return merge_options(self._bound, current, scoped)

    def _timeout_for_call(self) -> httpx.Timeout | float | None:
        return self._call_options().timeout

    def _outgoing(
        self, kwargs: dict[str, Any], *, buffer: bool = True, options: CallOptions | None = None
    ) -> dict[str, Any]:
        """httpx request arguments with this call's options (`_call_options()` unless given) for the
        transport, and the bound headers."""
        if options is None:
            options = self._call_options()
        # `buffer`: the body is read inside the transport, so a connection reset in the middle of it is
        # retried like any other transport error (streaming downloads do not buffer)
        extensions: dict[str, object] = (
            {OPTIONS_EXTENSION: options, BUFFER_EXTENSION: True} if buffer else {OPTIONS_EXTENSION: options}
        )
        extra = kwargs.get("extensions")
        out = {**kwargs, "extensions": {**extensions, **extra} if extra else extensions}
        if self._bound_headers:
            out["headers"] = {**self._bound_headers, **(kwargs.get("headers") or {})}
        return out

    def _record(self, response: httpx.Response) -> httpx.Response:
        captured = _RAW_RESPONSES.get()
        if captured is not None:
            captured.append(response)
        return response

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float | None = None,
        idempotent: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A copy of this client whose requests use these options (None: as this client); it shares the
        connection pool, the auth and the rate limiter with this one (closing either closes the pool).

        Args:
            retry: a `RetryPolicy` for every request of the copy.
            timeout: seconds or an `httpx.Timeout`.
            idempotent: True lets the copy's writes be retried; False forbids resending anything.
            headers: added to (or replacing, by name) the headers of every request of the copy.
        """
        if headers is not None and not isinstance(headers, Mapping):
            raise TypeError(
                f"headers must be a mapping of header names to values, got {type(headers).__name__}"
            )
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a craftapis.RetryPolicy, got {type(retry).__name__}")
        if idempotent is not None and not isinstance(idempotent, bool):
            raise TypeError(f"idempotent must be True or False, got {type(idempotent).__name__}")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, httpx.Timeout | int | float)
        ):
            raise TypeError(f"timeout must be seconds or an httpx.Timeout, got {type(timeout).__name__}")
        if isinstance(timeout, int | float) and not timeout > 0:
            raise ValueError(f"timeout must be more than 0 seconds, got {timeout!r}")
        clone = copy.copy(self)
        clone._bound = merge_options(
            self._bound, CallOptions(retry=retry, idempotent=idempotent, timeout=timeout)
        )
        clone._bound_headers = {**self._bound_headers, **(headers or {})}
        return clone

    @property
    def with_raw_response(self) -> RawResponses:
        """The same methods, returning a `RawResponse` (`.status_code`, `.headers` with the rate-limit
        headers, `.request`, `.parsed`, `.http_response`) instead of the parsed result alone:
        `client.with_raw_response.get_project("sodium")`, `client.with_raw_response.api.<tag>.<op>(...)`.
        Each client's is typed: `RawResponse[<the method's result>]`, written by `scripts/raw_methods.py`
        (a method returning a lazy iterator, or sending nothing, is not offered)."""
        from ._raw import RawResponses, typed_raw_class

        typed = typed_raw_class(type(self))
        # the generated class has the methods RawResponses gives, typed (each client declares it)
        return cast("RawResponses", typed(self)) if typed is not None else RawResponses(self)

    @property
    def api(self) -> object:
        """Every operation of this API's spec, typed: `client.api.<tag>.<operation>(**kwargs)`, keyword
        arguments with the generated types (an enum also takes its value, a model also a plain mapping);
        returns the parsed model after the envelope is unwrapped. `call("tag.operation")` is the dynamic
        form of the same call."""
        typed = self._typed("Operations")
        return typed(self) if typed is not None else Operations(self)  # type: ignore[arg-type]

    def _typed(self, kind: str) -> Any:
        """The generated `<Client><kind>` class of this client (`<package>.operations`, written by
        `scripts/typed_ops.py`; `<Client>` is the nearest class of ours in the MRO), or None."""
        name = f"{self._profile.package}.operations"
        try:
            module = importlib.import_module(name) if self._profile.package else None
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            module = None
        for klass in type(self).__mro__ if module is not None else ():
            found = getattr(module, klass.__name__ + kind, None)
            if found is not None:
                return found
        return None

    def options(self, **overrides: Unpack[CallOverrides]) -> contextlib.AbstractContextManager[CallOptions]:
        """Per-call overrides for the requests of this client (only this one: not another client, not a
        `with_options()` copy) made inside the `with` block, sync or async: `retry=RetryPolicy(...)`,
        `timeout=5.0`, `idempotent=True` (lets writes be retried)."""
        return client_options(self, **overrides)

    def __repr__(self) -> str:
        auth = type(self._auth).__name__ if self._auth is not None else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={auth})"


def operation_names(package: str) -> Iterator[str]:
    """Every generated operation of a package as `tag_module.operation_module` (for `client.call`)."""
    import pkgutil

    api = importlib.import_module(f"{package}.api")
    for tag in pkgutil.iter_modules(api.__path__):
        sub = importlib.import_module(f"{package}.api.{tag.name}")
        for op in pkgutil.iter_modules(sub.__path__):
            yield f"{tag.name}.{op.name}"


class Operations:
    """`client.api.<tag>.<operation>(**kwargs)`: every generated operation, wired with auth, retries,
    pacing and error mapping. Tags and operations are the generated module names (`dir()` lists them)."""

    def __init__(self, client: SyncAPIClient | AsyncAPIClient) -> None:
        self._client = client

    def __getattr__(self, tag: str) -> _OperationGroup:
        if tag.startswith("_"):
            raise AttributeError(tag)
        try:
            importlib.import_module(f"{self._client._profile.package}.api.{tag}")
        except ModuleNotFoundError:
            raise AttributeError(f"{self._client._profile.name} has no operation group {tag!r}") from None
        return _OperationGroup(self._client, tag)

    def __dir__(self) -> list[str]:
        return sorted({name.split(".")[0] for name in operation_names(self._client._profile.package)})


class _OperationGroup:
    def __init__(self, client: SyncAPIClient | AsyncAPIClient, tag: str) -> None:
        self._client = client
        self._tag = tag

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        dotted = f"{self._tag}.{name}"
        try:
            self._client._module(dotted)
        except ModuleNotFoundError:
            raise AttributeError(f"{self._client._profile.name} has no operation {dotted!r}") from None
        call = self._client.call

        def operation(**kwargs: Any) -> Any:
            return call(dotted, **kwargs)

        operation.__name__ = name
        operation.__qualname__ = dotted
        return operation

    def __dir__(self) -> list[str]:
        prefix = self._tag + "."
        return [
            n[len(prefix) :] for n in operation_names(self._client._profile.package) if n.startswith(prefix)
        ]
