"""The cassette scrubber: what a real server sends that must never reach a cassette.

One `Scrubber` per recording run, plugged into vcrpy as `before_record_request` and
`before_record_response` (vcrpy's own hooks: vcrpy applies the request hook to every request it
records and to every request it tries to match, so a replayed request is compared in its scrubbed
form). What it does:

- response headers: only an allowlist survives (`KEEP_RESPONSE_HEADERS`). `Set-Cookie`, `cf-*`,
  `x-request-id`, `traceparent`, `x-amzn-trace-id`, `server-timing`, `report-to`, `nel`, `via`,
  `alt-svc`, `date`, `server`, ... are dropped, and so is any header a CDN invents tomorrow.
  Request headers: only `accept`, `content-type` and `user-agent` (e-mail scrubbed) survive, so
  `Authorization`, `Cookie`, API-key headers never reach a file;
- e-mail addresses anywhere (headers kept, URIs, bodies) become `personN@example.invalid`;
  addresses at reserved domains (RFC 2606: example.com/.org/.net, *.invalid, *.test, *.example)
  are left alone: they cannot be anybody's;
- IP addresses (v4 and v6) in bodies become `192.0.2.N` / `2001:db8::N` (documentation ranges);
  a bare dotted number under a key naming a version is a version, not an address, and is kept;
- user ids and user names in bodies (`user_id`, `author_id`, `buyer_id`, `member_id`, `creator_id`,
  `minecraft_uuid`, `username`, the `id` of an object that has a `username`, ...) become stable
  pseudonyms of the same type (`990000001`, `"U0000001"`, `"user0001"`), and every later request
  that carries the real value (a path segment, a query value, a body field) carries the pseudonym
  instead: a scenario that reads an id from one answer and asks for it next replays unchanged;
- signed URLs (a query with `X-Amz-Signature`, `X-Goog-Signature`, `Signature`, `sig`, `token`,
  `Expires`, `Key-Pair-Id`, `Policy`, `hmac`, `verify`, ...) lose their whole query string, in
  bodies and in request URIs; credentials in a URL's userinfo are dropped;
- OAuth tokens and other secrets in any field: values of secret-named keys (`access_token`,
  `refresh_token`, `id_token`, `token`, `client_secret`, `api_key`, `password`, ...) become
  `REDACTED`; token-shaped values in any other field (JWTs, Modrinth `mrp_`/`mro_` tokens,
  `Bearer ...`/`Token ...` credentials) too; and every credential the recorder was given is
  replaced wherever it appears, in any encoding it was sent in;
- the origin the recorder was pointed at (`--base-url`) becomes the API's public origin, in URIs
  and bodies, so cassettes recorded anywhere replay against the real host name.

`Scrubber.report` counts what was removed, by kind, for the recorder's summary.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlencode, urlsplit, urlunsplit

__all__ = [
    "KEEP_REQUEST_HEADERS",
    "KEEP_RESPONSE_HEADERS",
    "REDACTED",
    "Scrubber",
]

REDACTED = "REDACTED"

KEEP_RESPONSE_HEADERS = frozenset(
    {
        "content-type",
        "content-disposition",
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "location",
    }
)
KEEP_REQUEST_HEADERS = frozenset({"accept", "content-type", "user-agent"})

#: body keys whose value is a secret wherever they appear (compared lower-case)
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "client_secret",
        "secret",
        "oauth2_secret",
        "api_key",
        "apikey",
        "password",
        "private_key",
        "session_token",
        "authorization",
    }
)
#: request form fields and query parameters that are secrets (OAuth code, signing nonce, ...)
SECRET_FIELDS = SECRET_KEYS | {"code", "nonce", "client_id", "key"}
#: body keys whose whole value is private account data: replaced by null
PRIVATE_KEYS = frozenset({"payout_data", "payout_wallet", "payout_address", "paypal_email", "venmo_handle"})
#: keys holding a user id
_ID_KEY = re.compile(
    r"(^|_)(user|member|buyer|purchaser|seller|author|owner|customer|creator|reviewer|downloader|recipient|sender|"
    r"caused_member|account|minecraft|github|discord|steam|google|gitlab|microsoft|paypal)_?(id|ids|uuid)$",
    re.IGNORECASE,
)
#: keys holding a user name
_NAME_KEYS = frozenset({"username", "minecraft_name", "author", "buyer_name", "member_name", "real_name"})
#: query parameters that make a URL a signed one (compared lower-case)
_SIGNING = frozenset(
    {
        "signature",
        "sig",
        "token",
        "expires",
        "key-pair-id",
        "policy",
        "hmac",
        "verify",
        "auth",
        "access_token",
        "exp",
        "se",
        "sp",
        "sv",
    }
)
_SIGNING_PREFIXES = ("x-amz-", "x-goog-", "x-oss-", "x-cos-")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}")
_RESERVED_DOMAIN = re.compile(
    r"(^|\.)(example\.(com|org|net)|[a-z0-9-]+\.(invalid|test|example|localhost)|invalid|test|example)$",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_URL = re.compile(r"https?://[^\s\"'<>\\]+")
_TOKENS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),  # a JWT
    re.compile(r"\bmr[a-z]_[A-Za-z0-9_]{8,}"),  # Modrinth PAT / OAuth tokens
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{16,}"),  # GitHub tokens
    re.compile(r"\bya29\.[A-Za-z0-9_-]{8,}"),  # Google OAuth access tokens
)
_SCHEMED = re.compile(r"\b(Bearer|Token|Basic|Private|Shared)\s+(?!REDACTED\b)[A-Za-z0-9._~+/=-]{8,}")
_VERSION_KEY = re.compile(r"version|number|tag|major|minor", re.IGNORECASE)
_IP_KEY = re.compile(r"(^|_)ip(_|$)|address|forwarded", re.IGNORECASE)

# pseudonyms: recognisable, so scrubbing what is already scrubbed changes nothing
_PSEUDO_INT = 990_000_000
_PSEUDO_STR = re.compile(r"^(U\d{7}|99\d{7}|user\d{4}|00000000-0000-4000-8000-\d{12})$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def _is_pseudonym(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return _PSEUDO_INT <= value < _PSEUDO_INT + 1_000_000
    return isinstance(value, str) and bool(_PSEUDO_STR.match(value))


class Scrubber:
    """Scrubs vcrpy requests and responses (see the module docstring).

    Args:
        secrets: every credential the recording uses (tokens, keys, client secrets): replaced by
            `REDACTED` wherever they appear, also percent- or form-encoded.
        origins: `{origin the recorder talked to: origin to write instead}`, e.g.
            `{"http://127.0.0.1:5123": "https://api.modrinth.com"}`.
    """

    def __init__(self, secrets: Iterable[str] = (), origins: Mapping[str, str] | None = None) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self.origins = dict(origins or {})
        # the bare host names too: a server names itself in bodies (message ids, links)
        self.hosts = {
            urlsplit(source).netloc: urlsplit(target).netloc for source, target in self.origins.items()
        }
        self.report: Counter[str] = Counter()
        self._ids: dict[str, int] = {}
        self._names: dict[str, int] = {}
        self._emails: dict[str, int] = {}
        self._ips: dict[str, int] = {}

    # -- vcrpy hooks -----------------------------------------------------------------------------

    def request(self, request: Any) -> Any:
        """vcrpy `before_record_request`: a scrubbed copy of the request."""
        request = copy.deepcopy(request)
        request.uri = self._uri(request.uri)
        kept = {}
        for name, value in dict(request.headers).items():
            if name.lower() in KEEP_REQUEST_HEADERS:
                kept[name] = self._text(str(value), key=name.lower())
            else:
                self.report[f"request header {name.lower()}"] += 1
        request.headers = kept
        body = request.body
        if body:
            content_type = str(dict((k.lower(), v) for k, v in kept.items()).get("content-type", ""))
            request.body = self._request_body(
                body if isinstance(body, bytes) else body.encode(), content_type
            )
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy `before_record_response`: drop unlisted headers, scrub the body."""
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() not in KEEP_RESPONSE_HEADERS:
                self.report[f"response header {name.lower()}"] += 1
                del headers[name]
            elif name.lower() == "location":
                headers[name] = [self._text(str(v), key="location") for v in headers[name]]
        body = response.get("body", {}).get("string")
        if body:
            raw = body if isinstance(body, bytes) else body.encode()
            content_type = " ".join(
                str(v) for k, vs in headers.items() if k.lower() == "content-type" for v in vs
            )
            response["body"]["string"] = self._response_body(raw, content_type)
        return response

    def value(self, text: str) -> str:
        """A scenario parameter as the cassette must hold it: scrubbed like a request value."""
        return self._text(str(self._mapped(text)))

    # -- bodies ----------------------------------------------------------------------------------

    def _response_body(self, raw: bytes, content_type: str) -> bytes:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._bytes(raw)
        try:
            payload = json.loads(text)
        except ValueError:
            if "octet-stream" in content_type or "zip" in content_type or "java-archive" in content_type:
                return self._bytes(raw)
            return self._text(text).encode()
        self._learn(payload)  # every id first: a URL before its id's field must not keep it
        return json.dumps(self._walk(payload), ensure_ascii=False).encode()

    def _request_body(self, raw: bytes, content_type: str) -> bytes:
        if "multipart/" in content_type:
            return self._bytes(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._bytes(raw)
        if "json" in content_type or text[:1] in "[{":
            try:
                return json.dumps(self._walk(json.loads(text), request=True), ensure_ascii=False).encode()
            except ValueError:
                pass
        if "x-www-form-urlencoded" in content_type or ("=" in text and " " not in text):
            fields = parse_qsl(text, keep_blank_values=True)
            return urlencode([(k, self._field(k, v)) for k, v in fields]).encode()
        return self._text(text).encode()

    def _bytes(self, raw: bytes) -> bytes:
        for secret in self.secrets:
            for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
                if form.encode() in raw:
                    self.report["credential"] += 1
                    raw = raw.replace(form.encode(), REDACTED.encode())
        return raw

    def _walk(self, value: Any, key: str = "", *, request: bool = False) -> Any:
        lowered = key.lower()
        if isinstance(value, dict):
            user_like = "username" in value
            return {k: self._member(k, v, user_like=user_like, request=request) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, key, request=request) for v in value]
        if lowered in PRIVATE_KEYS and value is not None:
            self.report["private account data"] += 1
            return None
        if lowered in SECRET_KEYS and isinstance(value, str) and value and value != REDACTED:
            self.report["secret field"] += 1
            return REDACTED
        if request:
            value = self._mapped(value)
        elif _ID_KEY.search(lowered) and value is not None and not isinstance(value, bool | float):
            return self._pseudonym_id(value)
        elif lowered in _NAME_KEYS and isinstance(value, str):
            return self._pseudonym_name(value)
        if isinstance(value, str):
            return self._text(value, key=lowered)
        return value

    def _member(self, key: str, value: Any, *, user_like: bool, request: bool) -> Any:
        if user_like and not request and key.lower() in ("id", "name") and isinstance(value, str | int):
            if key.lower() == "id":
                return self._pseudonym_id(value)
            return self._pseudonym_name(value) if value else value
        return self._walk(value, key, request=request)

    def _learn(self, value: Any, key: str = "") -> None:
        """Give every user id and name in `value` its pseudonym (without changing `value`)."""
        if isinstance(value, dict):
            user_like = "username" in value
            for k, v in value.items():
                if user_like and k.lower() == "id" and isinstance(v, str | int):
                    self._pseudonym_id(v)
                elif user_like and k.lower() == "name" and isinstance(v, str) and v:
                    self._pseudonym_name(v)
                else:
                    self._learn(v, k)
        elif isinstance(value, list):
            for item in value:
                self._learn(item, key)
        elif _ID_KEY.search(key) and value is not None and not isinstance(value, bool | float):
            self._pseudonym_id(value)
        elif key.lower() in _NAME_KEYS and isinstance(value, str):
            self._pseudonym_name(value)

    def _field(self, key: str, value: str) -> str:
        name = key.lower().removesuffix("[]")
        if name in SECRET_FIELDS and value and value != REDACTED:
            self.report["secret field"] += 1
            return REDACTED
        return self._text(str(self._mapped(value)), key=name)

    def _count(self, kind: str, count: int) -> None:
        if count:
            self.report[kind] += count

    # -- strings ---------------------------------------------------------------------------------

    def _text(self, text: str, key: str = "") -> str:
        for secret in self.secrets:
            if secret in text:
                self.report["credential"] += 1
                text = text.replace(secret, REDACTED)
        for source, target in self.origins.items():
            text = text.replace(source, target)
        for source, target in self.hosts.items():
            text = text.replace(source, target)
        for pattern in _TOKENS:
            text, count = pattern.subn(REDACTED, text)
            self._count("token-shaped value", count)
        text, count = _SCHEMED.subn(lambda m: f"{m.group(1)} {REDACTED}", text)
        self._count("token-shaped value", count)
        text = _URL.sub(lambda m: self._url(m.group(0)), text)
        text = _EMAIL.sub(self._email, text)
        bare_version = bool(_VERSION_KEY.search(key)) and not _IP_KEY.search(key)
        if not (bare_version and _IPV4.fullmatch(text)):
            text = _IPV4.sub(self._ip, text)
        text = _IPV6.sub(self._ip, text)
        return text

    def _url(self, url: str) -> str:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            self.report["credentials in a URL"] += 1
            netloc = netloc.rpartition("@")[2]
        query = parts.query
        names = [k.lower() for k, _ in parse_qsl(query, keep_blank_values=True)]
        if any(n in _SIGNING or n.startswith(_SIGNING_PREFIXES) for n in names):
            self.report["signed URL query"] += 1
            query = ""
        path = parts.path
        for real, number in self._ids.items():  # /avatars/4242.png names its user
            if len(real) >= 3 and real in path:
                pseudo = str(self._id_form(int(real) if real.isdigit() else real, number))
                path = re.sub(rf"(?<![A-Za-z0-9]){re.escape(real)}(?![A-Za-z0-9])", pseudo, path)
        for real, number in self._names.items():
            if len(real) >= 3 and real in path:
                path = re.sub(rf"(?<![A-Za-z0-9]){re.escape(real)}(?![A-Za-z0-9])", f"user{number:04d}", path)
        return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))

    def _uri(self, uri: str) -> str:
        for source, target in self.origins.items():
            if uri.startswith(source):
                uri = target + uri[len(source) :]
        for secret in self.secrets:
            for form in (secret, quote(secret, safe=""), quote_plus(secret)):
                if form in uri:
                    self.report["credential"] += 1
                    uri = uri.replace(form, REDACTED)
        uri = self._url(uri)
        parts = urlsplit(uri)
        segments = []
        for segment in parts.path.split("/"):
            plain = unquote(segment)
            mapped = str(self._mapped(plain))
            segments.append(segment if mapped == plain else quote(mapped, safe="@:-._~"))
        query = parts.query
        if query:
            fields = parse_qsl(query, keep_blank_values=True)
            scrubbed = [(k, self._query_value(k, v)) for k, v in fields]
            if scrubbed != fields:
                query = urlencode(scrubbed)
        return urlunsplit((parts.scheme, parts.netloc, "/".join(segments), query, parts.fragment))

    def _query_value(self, key: str, value: str) -> str:
        if key.lower() in SECRET_FIELDS and value and value != REDACTED:
            self.report["secret field"] += 1
            return REDACTED
        if value.startswith("[") and value.endswith("]"):
            try:
                items = json.loads(value)
            except ValueError:
                items = None
            if isinstance(items, list):
                mapped = [self._mapped(i) for i in items]
                return value if mapped == items else json.dumps(mapped, separators=(",", ":"))
        if "," in value:
            value = ",".join(str(self._mapped(v)) for v in value.split(","))
        return self._text(str(self._mapped(value)), key=key.lower())

    # -- pseudonyms ------------------------------------------------------------------------------

    def _mapped(self, value: Any) -> Any:
        """A request value: the pseudonym of a real id or name an answer revealed, else unchanged."""
        if isinstance(value, bool) or not isinstance(value, str | int):
            return value
        text = str(value)
        if text in self._ids:
            return self._id_form(value, self._ids[text])
        if text in self._names:
            return f"user{self._names[text]:04d}"
        return value

    def _pseudonym_id(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._pseudonym_id(v) for v in value]
        if not isinstance(value, str | int) or _is_pseudonym(value) or value in ("", 0):
            return value
        number = self._ids.setdefault(str(value), len(self._ids) + 1)
        self.report["user id"] += 1
        return self._id_form(value, number)

    @staticmethod
    def _id_form(original: Any, number: int) -> Any:
        if isinstance(original, int):
            return _PSEUDO_INT + number
        if original.isdigit():
            return str(_PSEUDO_INT + number)
        if _UUID.match(original):
            return f"00000000-0000-4000-8000-{number:012d}"
        return f"U{number:07d}"

    def _pseudonym_name(self, value: str) -> str:
        if _is_pseudonym(value):
            return value
        number = self._names.setdefault(value, len(self._names) + 1)
        self.report["user name"] += 1
        return f"user{number:04d}"

    def _email(self, match: re.Match[str]) -> str:
        address = match.group(0)
        domain = address.rpartition("@")[2]
        if _RESERVED_DOMAIN.search(domain):
            return address
        number = self._emails.setdefault(address.lower(), len(self._emails) + 1)
        self.report["e-mail address"] += 1
        return f"person{number}@example.invalid"

    def _ip(self, match: re.Match[str]) -> str:
        text = match.group(0)
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return text
        if address.is_loopback or address in _V4_DOC or address in _V6_DOC:
            return text
        number = self._ips.setdefault(text, len(self._ips) + 1)
        self.report["IP address"] += 1
        if address.version == 4:
            return f"192.0.2.{number % 254 + 1}"
        return f"2001:db8::{number:x}"


_V4_DOC = ipaddress.ip_network("192.0.2.0/24")
_V6_DOC = ipaddress.ip_network("2001:db8::/32")
