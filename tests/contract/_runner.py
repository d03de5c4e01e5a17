"""One Prism per document and the craftapis client pointed at it; calling an operation and judging the outcome.

`CLIENT_FACTORIES` says which client each API is called through: its facade client (`Modrinth`,
`BuiltByBit`, `BuiltByBitV1`, `Postal`, `RailcraftPack`), pointed at Prism with no retries and no
pacing. Postal and Railcraft add their spec server's path themselves (`/api/v1`, `api/...`), so Prism
serves those documents under it (`SERVER_PATHS`). The envelope clients return the envelope's `data`
and raise the typed error for an error envelope in a 2xx, which the oracle expects (`ENVELOPE_ERRORS`).

The client's inner transport is an `ExchangeRecorder`: it adds the per-call headers Prism needs
(`Prefer`, credentials when the client sent none) and keeps the last request and response, whose
`sl-violations` header carries Prism's verdict on the request and on its own mocked response.

Every operation is called in two modes:

* `minimal`: the required arguments (the spec's examples where they validate) and Prism's static
  mock, built from the spec's examples;
* `full`: every argument and body property, and Prism's dynamic mock (`Prefer: dynamic=true`:
  every property faked from the schema, optional ones included; repeatable through `--seed`),

so requests and parsers meet both the documented examples and complete objects.
"""

from __future__ import annotations

import contextlib
import datetime
import email.parser
import email.policy
import enum
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from craftapis import APIError, NoRateLimiter, ResponseParseError, RetryPolicy
from craftapis._errors import error_class_for_status
from craftapis._sync_base import SyncAPIClient
from dateutil.parser import isoparse

from ._calls import FAKE_SECRET, CallBuilder, PreparedCall, shape
from ._prism import PrismServer, ServedDocument
from ._sampler import SchemaSampler
from ._scripts import ROOT, specs_script

__all__ = [
    "API_NAMES",
    "CLIENT_FACTORIES",
    "INVALID_MOCKS",
    "MODES",
    "NO_RETRY",
    "PACKAGES",
    "STATS",
    "SUMMARY",
    "UPSTREAM_APIS",
    "ApiSession",
    "ContractRun",
    "Documents",
    "ExchangeRecorder",
    "Outcome",
    "describe",
]

#: Prism answers at once; a retry would only hide a failure and slow the run.
NO_RETRY = RetryPolicy(max_attempts=1)
MIRROR = Path(os.environ.get("CRAFTAPIS_SPEC_MIRROR") or ROOT.parent / "shared" / "upstream-specs").resolve()
LOCK = specs_script.load_lock()
PACKAGES: dict[str, str] = {api.name: api.package for api in specs_script.apis(LOCK)}
API_NAMES = list(PACKAGES)
UPSTREAM_APIS = [api.name for api in specs_script.apis(LOCK) if api.kind == "upstream"]
MODES = ("minimal", "full")
#: Prism's static sampler gives up on big schemas (2500 steps) with this problem type; not a spec error.
TOO_COMPLEX = "https://stoplight.io/prism/errors#SCHEMA_TOO_COMPLEX"

ClientFactory = Callable[[str, httpx.BaseTransport], SyncAPIClient]


#: API name -> the facade client its operations are called through.
def _modrinth(base_url: str, transport: httpx.BaseTransport) -> SyncAPIClient:
    from craftapis.modrinth import Modrinth

    return Modrinth(
        token="mrp_contract_fake",
        user_agent="craftapis-tests/contract (ci@craftapis.invalid)",
        base_url=base_url,
        transport=transport,
        retry=NO_RETRY,
        rate_limiter=NoRateLimiter(),
    )


def _builtbybit_v2(base_url: str, transport: httpx.BaseTransport) -> SyncAPIClient:
    from craftapis.builtbybit import BuiltByBit

    return BuiltByBit(
        token="contract-fake",
        base_url=base_url,
        transport=transport,
        retry=NO_RETRY,
        rate_limiter=NoRateLimiter(),
    )


def _builtbybit_v1(base_url: str, transport: httpx.BaseTransport) -> SyncAPIClient:
    from craftapis.builtbybit_v1 import BuiltByBitV1

    return BuiltByBitV1(
        private_token="contract-fake",
        base_url=base_url,
        transport=transport,
        retry=NO_RETRY,
        rate_limiter=NoRateLimiter(),
    )


def _postal(base_url: str, transport: httpx.BaseTransport) -> SyncAPIClient:
    from craftapis.postal import Postal

    # Postal appends /api/v1 itself: Prism serves the document under that prefix (SERVER_PATHS).
    return Postal(
        base_url=base_url,
        api_key=FAKE_SECRET,
        transport=transport,
        retry=NO_RETRY,
        rate_limiter=NoRateLimiter(),
    )


def _railcraft(base_url: str, transport: httpx.BaseTransport) -> SyncAPIClient:
    from craftapis.railcraft import RailcraftPack

    # Its default paths (`api/get_file/`) are relative to the site root, the spec's server URL minus
    # `/api`: Prism serves the document under `/api` (SERVER_PATHS), so the defaults are what is checked.
    return RailcraftPack(
        client_id="contract-client",
        client_secret=FAKE_SECRET,
        base_url=base_url,
        transport=transport,
        retry=NO_RETRY,
        rate_limiter=NoRateLimiter(),
    )


CLIENT_FACTORIES: dict[str, ClientFactory] = {
    "modrinth": _modrinth,
    "builtbybit_v2": _builtbybit_v2,
    "builtbybit_v1": _builtbybit_v1,
    "postal": _postal,
    "railcraft": _railcraft,
}

#: API -> the path of its spec's server URL that the facade client adds to its `base_url` itself;
#: Prism serves that document's paths under it (Prism otherwise serves them at its root).
SERVER_PATHS: dict[str, str] = {"postal": "/api/v1", "railcraft": "/api"}


def _mounted(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    """`document` with every path under `prefix` (a shallow copy: the path items are shared)."""
    if not prefix:
        return document
    return {
        **document,
        "paths": {prefix + path: item for path, item in (document.get("paths") or {}).items()},
    }


#: api -> counts of operations "called", "accepted" (Prism: no violation, asked status, both modes)
#: and "parsed" (the client parsed both mocks); printed at the end of the session
STATS: dict[str, Counter[str]] = {}
#: Lines printed at the end of the session (where the upstream report is, what it found)
SUMMARY: list[str] = []
#: Mocked bodies Prism let through that openapi-schema-validator rejects, one line each
INVALID_MOCKS: list[str] = []


class ExchangeRecorder(httpx.BaseTransport):
    """The client's inner transport: adds this call's headers and remembers the exchange."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.headers: dict[str, str] = {}
        self.request: httpx.Request | None = None
        self.response: httpx.Response | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for name, value in self.headers.items():
            # Prefer is ours to set; credentials only when the client under test sent none.
            if name.lower() == "prefer" or name not in request.headers:
                request.headers[name] = value
        request.read()  # keep the body (multipart included) for checks after the call
        self.request, self.response = request, None
        response = self._inner.handle_request(request)
        try:
            raw = b"".join(response.iter_raw())
        finally:
            response.close()
        # Two unread responses over the same bytes: one for the client (whose policy transport may
        # read it and hand on another), one kept here.
        self.response = _over(response, raw, request)
        self.response.read()
        return _over(response, raw, request)

    def close(self) -> None:
        self._inner.close()


def _over(response: httpx.Response, raw: bytes, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(raw),
        request=request,
        extensions=response.extensions,
    )


def _violations(response: httpx.Response | None) -> list[dict[str, Any]]:
    """Prism's `sl-violations` header, decoded. Prism cuts a long one to a prefix after
    "Too many violations! "; the complete entries of that prefix are kept, plus a marker."""
    raw = response.headers.get("sl-violations") if response is not None else None
    if not raw:
        return []
    truncated = raw.startswith(_TOO_MANY)
    text = raw[len(_TOO_MANY) :].lstrip() if truncated else raw
    try:
        found = json.loads(text)
        return list(found) if isinstance(found, list) else [found]
    except ValueError:
        pass
    entries: list[dict[str, Any]] = []
    for match in _ENTRY.finditer(text):
        try:
            entries.append(json.loads(match.group(0)))
        except ValueError:
            continue
    marker = "(Prism cut the list short)" if truncated else f"(undecodable: {raw[:200]})"
    return [*entries, {"location": ["?"], "message": marker}]


def _problem_violations(response: httpx.Response | None) -> list[dict[str, Any]]:
    """The `validation` list of Prism's 422 problem+json, which it sends without the header at times."""
    if response is None or response.status_code != 422:
        return []
    try:
        problem = json.loads(response.content)
    except ValueError:
        return []
    found = problem.get("validation") if isinstance(problem, dict) else None
    if not isinstance(found, list):
        return []
    return [{**v, "location": ["request", *(v.get("location") or [])]} for v in found if isinstance(v, dict)]


_TOO_MANY = "Too many violations!"
_ENTRY = re.compile(
    r'\{"location":\[[^\]]*\],"severity":"\w+","code":(?:"[^"]*"|\d+),"message":"(?:[^"\\]|\\.)*"\}'
)


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(f"{'.'.join(map(str, v.get('location') or []))}: {v.get('message')}" for v in violations)


def multipart_parts(request: httpx.Request) -> dict[str, bytes]:
    """The parts of a multipart/form-data request body, by name."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/"):
        return {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.content
    )
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts[str(name)] = payload if isinstance(payload, bytes) else b""
    return parts


@dataclass
class Outcome:
    """What happened when one prepared call was sent in one mode."""

    call: PreparedCall
    mode: str
    status: int | None
    violations: list[dict[str, Any]]
    result: Any = None
    error: BaseException | None = None
    body: bytes = b""
    #: problems with multipart JSON parts, which Prism cannot check (see `ServedDocument`)
    part_problems: list[str] = field(default_factory=list)
    #: why the mocked success body breaks its documented schema by openapi-schema-validator's
    #: reading, when Prism let it through (its static sampler cuts recursive schemas with `{}`)
    mock_problem: str | None = None

    @property
    def static_unavailable(self) -> bool:
        """Prism's static sampler gave up on the response schema (a Prism limit; the `full` mode's
        dynamic mock covers the response)."""
        return self.mode == "minimal" and self.status == 500 and TOO_COMPLEX.encode() in self.body

    def request_problems(self) -> list[str]:
        """Why Prism did not accept the request (or its own mock), or did not mock the asked status."""
        problems = [f"{self.mode}: Prism: {describe(self.violations)}"] if self.violations else []
        problems += [f"{self.mode}: {p}" for p in self.part_problems]
        if self.static_unavailable:
            return problems
        if self.status == 422 and not self.violations:
            problems.append(f"{self.mode}: Prism rejected the request: {self.body[:300]!r}")
        expected = self.call.expected_status
        if expected is not None and self.status != expected and not self.violations:
            problems.append(
                f"{self.mode}: Prism mocked HTTP {self.status}, not the asked {expected}: {self.body[:300]!r}"
            )
        return problems

    @property
    def mocked_success(self) -> bool:
        """Prism mocked the asked 2xx (or the operation documents none), so the client had a body to parse."""
        expected = self.call.expected_status
        return expected is None or self.status == expected

    def parse_problem(self) -> str | None:
        """Why the client's handling of the response is wrong, or None."""
        if self.static_unavailable:
            return None
        if isinstance(self.error, ResponseParseError):
            return f"{self.mode}: ResponseParseError: {self.error}"
        if self.status is None:
            return f"{self.mode}: no response: {self.error!r}"
        if self.status >= 400:
            expected = error_class_for_status(self.status)
            if not isinstance(self.error, expected):
                return f"{self.mode}: HTTP {self.status} raised {self.error!r}, not a {expected.__name__}"
            return None
        expected_error = self.envelope_error
        if expected_error is not None:
            # The facade raises the error envelope an API sends in a 2xx: right, if typed and complete.
            return expected_error.problem(self.error, self.mode)
        if self.error is not None:
            return f"{self.mode}: HTTP {self.status} raised {self.error!r}"
        documented = self.call.spec.operation.get("responses") or {}
        response = documented.get(str(self.status)) or documented.get("default") or {}
        has_json_schema = any(
            "json" in media_type and media.get("schema")
            for media_type, media in (response.get("content") or {}).items()
        )
        if has_json_schema and self.body.strip() and self.result is None and not self._empty_envelope():
            return f"{self.mode}: HTTP {self.status} with a JSON body documented by a schema parsed to None"
        mismatch = self.roundtrip_problem() if has_json_schema else None
        if mismatch is not None and self.mock_problem is None:
            return f"{self.mode}: the parsed result does not serialize back to the body: {mismatch}"
        # With an invalid mock (Prism's sampler cuts recursive schemas with `{}`) the generated parsers
        # keep the raw dict where they cannot build a model, and serializing fails: excused, reported.
        return None

    @property
    def envelope_error(self) -> EnvelopeError | None:
        """The error the client must raise for this mocked 2xx body (an error envelope), else None."""
        if self.status is None or not 200 <= self.status < 300:
            return None
        expect = ENVELOPE_ERRORS.get(self.call.api)
        return expect(self._json()) if expect is not None else None

    def _json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def _empty_envelope(self) -> bool:
        """The body is a success envelope without `data` (or `data: null`): unwrapped, that is None."""
        body = self._json()
        return (
            self.call.api in ENVELOPE_ERRORS
            and isinstance(body, dict)
            and ("result" in body or "status" in body)
            and body.get("data") is None
        )

    def roundtrip_problem(self) -> str | None:
        """Where the parsed result, serialized again (`to_dict`), differs from the JSON body it came from.

        A facade that unwraps an envelope returns its `data`, so that is compared too.
        """
        try:
            body = json.loads(self.body)
        except ValueError:
            return None
        try:
            again = _serialized(self.result)
        except Exception as exc:  # a model holding a raw dict where it promises a model, ...
            return f"to_dict() raised {type(exc).__name__}: {exc}"
        candidates = [body] + ([body["data"]] if isinstance(body, dict) and "data" in body else [])
        differences = [list(_differences(again, candidate, "")) for candidate in candidates]
        if any(not found for found in differences):
            return None
        return "; ".join(differences[0][:5])


@dataclass(frozen=True)
class EnvelopeError:
    """The typed error a facade client must raise for an error envelope mocked in a 2xx."""

    error_type: type[APIError]
    code: str | None
    #: the envelope's message, which the error's message must carry
    message: str | None

    def problem(self, error: BaseException | None, mode: str) -> str | None:
        """Why `error` is not this envelope's error, or None."""
        wanted = f"a {self.error_type.__name__} (code {self.code!r}, message {self.message!r})"
        if not isinstance(error, self.error_type):
            return f"{mode}: an error envelope in a 2xx should raise {wanted}, got {error!r}"
        if error.code != self.code or (self.message is not None and self.message not in error.message):
            return f"{mode}: an error envelope in a 2xx raised {error!r}, not {wanted}"
        return None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _builtbybit_error(body: Any) -> EnvelopeError | None:
    """`{"result": "error", "error": {"code", "message"}}` (v2 and v1): an `APIError` (a subclass by code)."""
    if not isinstance(body, dict) or body.get("result") != "error":
        return None
    error = body.get("error")
    if isinstance(error, dict):
        return EnvelopeError(APIError, _text(error.get("code")), _text(error.get("message")))
    return EnvelopeError(APIError, None, _text(error))


def _moonrope_error(body: Any) -> EnvelopeError | None:
    """`status` other than `success`: a `MoonropeError`, coded by `data.code` for `status: error`."""
    from craftapis.moonrope import MoonropeError

    status = body.get("status") if isinstance(body, dict) else None
    if not isinstance(status, str) or status == "success":
        return None
    data = body.get("data")
    data = data if isinstance(data, dict) else {}
    code = (_text(data.get("code")) or "error") if status == "error" else status
    return EnvelopeError(MoonropeError, code, _text(data.get("message")))


def _railcraft_error(body: Any) -> EnvelopeError | None:
    """`result` other than 0: a `RailcraftError` with that code and the reply's `msg`."""
    from craftapis.railcraft import RailcraftError

    result = body.get("result") if isinstance(body, dict) else None
    code = _text(result)
    if code is None or not code.lstrip("-").isdigit() or int(code) == 0:
        return None
    return EnvelopeError(RailcraftError, str(int(code)), _text(body.get("msg")))


#: API -> the error its facade client must raise for a mocked 2xx body, if that body is an error envelope.
#: These clients also unwrap the envelope: they return its `data`.
ENVELOPE_ERRORS: dict[str, Callable[[Any], EnvelopeError | None]] = {
    "builtbybit_v2": _builtbybit_error,
    "builtbybit_v1": _builtbybit_error,
    "postal": _moonrope_error,
    "railcraft": _railcraft_error,
}


def _serialized(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [_serialized(item) for item in value]
    if isinstance(value, dict):
        return {key: _serialized(item) for key, item in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _differences(again: Any, body: Any, path: str) -> Iterator[str]:
    if isinstance(again, dict) and isinstance(body, dict):
        for key in sorted(set(again) | set(body), key=str):
            if key not in again:
                yield f"{path}.{key} dropped"
            elif key not in body:
                yield f"{path}.{key} added ({again[key]!r:.60})"
            else:
                yield from _differences(again[key], body[key], f"{path}.{key}")
    elif isinstance(again, list) and isinstance(body, list):
        if len(again) != len(body):
            yield f"{path or '(root)'}: {len(body)} items became {len(again)}"
        for index, (left, right) in enumerate(zip(again, body, strict=False)):
            yield from _differences(left, right, f"{path}[{index}]")
    elif _is_number(again) and _is_number(body):
        if float(again) != float(body):
            yield f"{path or '(root)'}: {body!r} became {again!r}"
    elif _instant(again) is not None and _instant(body) is not None:
        # a date-time is a datetime in the models: it comes back as RFC 3339 of the same instant
        # ('...37.0Z' as '...37Z'), not as the same characters
        if _instant(again) != _instant(body):
            yield f"{path or '(root)'}: {body!r} became {again!r}"
    elif again != body or type(again) is not type(body):
        yield f"{path or '(root)'}: {body!r:.60} became {again!r:.60}"


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", re.I)


def _instant(value: Any) -> datetime.datetime | None:
    """The instant an RFC 3339 date-time string names, else None."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        return None
    return isoparse(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _HeaderAuth(httpx.Auth):
    """Sends one fixed `Authorization` value (a fake credential)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self._value
        yield request


@dataclass
class ApiSession:
    """Prism serving one document, the client under test pointed at it, and the call builder."""

    api: str
    server: PrismServer
    client: SyncAPIClient
    recorder: ExchangeRecorder
    builder: CallBuilder
    #: the document Prism serves, with what differs from the original for Prism's sake
    served: ServedDocument
    #: validates against the document Prism serves (patched or upstream)
    validator: SchemaSampler
    #: Prism serves the unpatched document (calls are still built from the patched one)
    upstream: bool = False

    def prepare(self, dotted: str, mode: str) -> PreparedCall:
        """A fresh call of `dotted` for `mode` (fresh: a File argument's payload is consumed by sending it)."""
        return self.builder.prepare(dotted, full=mode == "full")

    def call(self, call: PreparedCall) -> Outcome:
        """Call the operation through the client (`client.call`), as a user would."""
        self._arm(call)
        result: Any = None
        error: BaseException | None = None
        with self._credentials(call):
            try:
                result = self.client.call(call.dotted, **call.kwargs)
            except APIError as exc:
                error = exc
        return self._outcome(call, result, error)

    def send(self, call: PreparedCall) -> Outcome:
        """Send the request the generated code builds, raw (not parsed): for the upstream documents."""
        self._arm(call)
        request = dict(self.client._module(call.dotted)._get_kwargs(**call.kwargs))
        error: BaseException | None = None
        with self._credentials(call):
            try:
                self.client.request(request.pop("method"), request.pop("url"), **request, check=False)
            except APIError as exc:
                error = exc
        return self._outcome(call, None, error)

    @contextlib.contextmanager
    def _credentials(self, call: PreparedCall) -> Iterator[None]:
        """BuiltByBit operations that only accept OAuth2 credentials are sent with those, in the form the
        operation's `security` requires: HTTP Basic for the token endpoints (the OAuth2 client's, which
        `OAuth2Session` sends) and Bearer for the cart (a user's access token, which
        `BuiltByBit(oauth2=...)` sends), not the client's API token."""
        authorization = call.headers.get("Authorization", "")
        if not (self.api.startswith("builtbybit") and authorization.startswith(("Basic ", "Bearer "))):
            yield
            return
        saved, self.client._auth = self.client._auth, _HeaderAuth(authorization)
        try:
            yield
        finally:
            self.client._auth = saved

    def _arm(self, call: PreparedCall) -> None:
        headers = dict(call.headers)
        if call.full:
            headers["Prefer"] = ", ".join(filter(None, [headers.get("Prefer"), "dynamic=true"]))
        self.recorder.headers = headers

    def _outcome(self, call: PreparedCall, result: Any, error: BaseException | None) -> Outcome:
        response = self.recorder.response
        return Outcome(
            call=call,
            mode="full" if call.full else "minimal",
            status=response.status_code if response is not None else None,
            violations=_violations(response) or _problem_violations(response),
            result=result,
            error=error,
            body=response.content if response is not None else b"",
            part_problems=self._check_json_parts(call),
            mock_problem=self._check_mock(call, response),
        )

    def _check_mock(self, call: PreparedCall, response: httpx.Response | None) -> str | None:
        """openapi-schema-validator's verdict on a mocked 2xx JSON body, or None when valid (or not JSON)."""
        if self.upstream or response is None or not 200 <= response.status_code < 300:
            return None  # upstream: `call.spec` (patched) does not describe the mock (upstream)
        if not response.content.strip():
            return None
        documented = (call.spec.operation.get("responses") or {}).get(str(response.status_code))
        media = (self.validator.resolve(documented or {}).get("content") or {}).get("application/json")
        if not media or "schema" not in media:
            return None
        try:
            body = json.loads(response.content)
        except ValueError:
            return None
        return self.validator.error(body, media["schema"])

    def _check_json_parts(self, call: PreparedCall) -> list[str]:
        expected = self.served.json_parts.get((call.spec.method, shape(call.spec.path)))
        if not expected or self.recorder.request is None:
            return []
        sent = multipart_parts(self.recorder.request)
        problems: list[str] = []
        for name, schema in expected.items():
            if name not in sent:
                continue  # a missing required part is Prism's to report (the part is still declared)
            try:
                value = json.loads(sent[name])
            except ValueError:
                problems.append(f"multipart part {name!r} is not JSON: {sent[name][:100]!r}")
                continue
            reason = self.validator.error(value, schema)
            if reason is not None:
                problems.append(f"multipart JSON part {name!r} does not match its schema: {reason}")
        return problems

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            self.server.stop()


class Documents:
    """The patched and upstream documents, loaded once per test session (patching Modrinth takes ~1 s)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, bool], dict[str, Any]] = {}

    def get(self, api: str, *, upstream: bool) -> dict[str, Any]:
        """The patched document of `api`, or with `upstream` the unpatched one."""
        key = (api, upstream)
        if key in self._cache:
            return self._cache[key]
        entry = next(a for a in specs_script.apis(LOCK) if a.name == api)
        if entry.kind == "upstream" and not _spec_available(entry):
            message = (
                f"the upstream {api} document is neither cached in specs/.cache nor in the mirror {MIRROR} "
                f"(set CRAFTAPIS_SPEC_MIRROR, or run `python scripts/fetch.py` with internet)"
            )
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        if upstream:
            document: dict[str, Any] = specs_script.load_document(
                specs_script.fetch(entry, MIRROR, log=False)
            )
        else:
            document = specs_script.patched_document(entry, MIRROR, log=False)
        self._cache[key] = document
        return document


@dataclass
class ContractRun:
    """The Prisms of one test module, started on first use and stopped by `close()`."""

    prism: Path
    workdir: Path
    documents: Documents
    sessions: dict[tuple[str, bool], ApiSession] = field(default_factory=dict)

    def document(self, api: str, *, upstream: bool) -> dict[str, Any]:
        """The patched document of `api`, or with `upstream` the unpatched one."""
        return self.documents.get(api, upstream=upstream)

    def session(self, api: str, *, upstream: bool = False) -> ApiSession:
        """Prism on the patched (or `upstream`) document of `api` and a client pointed at it."""
        key = (api, upstream)
        if key not in self.sessions:
            document = self.document(api, upstream=upstream)
            served = ServedDocument.of(_mounted(document, SERVER_PATHS.get(api, "")))
            name = f"{api}-upstream" if upstream else api
            server = PrismServer(self.prism, served.document, name=name, workdir=self.workdir).start()
            recorder = ExchangeRecorder()
            try:
                client = CLIENT_FACTORIES[api](server.url, recorder)
                # Requests are always built from the patched document: they are what craftapis sends.
                builder = CallBuilder(
                    api,
                    PACKAGES[api],
                    self.document(api, upstream=False),
                    ROOT / "generated" / "craftapis_generated",
                )
            except BaseException:
                server.stop()
                raise
            self.sessions[key] = ApiSession(
                api, server, client, recorder, builder, served, SchemaSampler(document), upstream
            )
        return self.sessions[key]

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()
        self.sessions.clear()


def _spec_available(entry: Any) -> bool:
    cached = specs_script.CACHE / f"{entry.name}.yaml"
    if cached.exists() and specs_script.sha256(cached.read_bytes()) == entry.entry["sha256"]:
        return True
    return bool((MIRROR / entry.entry["mirror_name"]).exists())
