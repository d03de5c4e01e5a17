"""Fakes against cassettes: replay each recorded request through the fake's routes, compare shapes.

`drift(api, cassette)` sends every request of a live-scenario cassette to a fresh in-process fake
of that API (re-authenticated with the fake's own credentials, since cassettes keep none) and
compares the recorded answer with the fake's:

- `Drift.missing`: fields the recorded answer has and the fake's lacks (`GET /v2/project/x:
  .organization (str)`): the fake no longer looks like the server, the finding a re-recording
  exists to reveal;
- `Drift.uncomparable`: answers that cannot be compared field by field (a different status, or the
  fake's list is empty where the recording's is not: ids of a real account the fake cannot know).

Lists are compared through the union of their items' fields; `null` in one and a value in the
other is not a difference (nullability is the spec's business, types are checked by parsing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import yaml

from .cassettes import KEY
from .scenarios import Fake, fake

AUTH_HEADERS = {
    "modrinth": ("Authorization", "MODRINTH_TOKEN", ""),
    "builtbybit": ("Authorization", "BUILTBYBIT_TOKEN", "Token "),
    "builtbybit_v1": ("Authorization", "BUILTBYBIT_V1_TOKEN", "Private "),
    "postal": ("X-Server-API-Key", "POSTAL_KEY", ""),
}
#: scenarios whose point is an answer the fake gives differently on purpose (a wrong key)
NOT_COMPARED = {("postal", "invalid_key")}


@dataclass
class Drift:
    cassette: Path
    missing: list[str] = field(default_factory=list)
    uncomparable: list[str] = field(default_factory=list)


def fields(value: Any, prefix: str = "") -> tuple[dict[str, str], set[str]]:
    """`{path: type}` of every non-null field under `value`, and the paths of non-empty lists."""
    out: dict[str, str] = {}
    filled: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}"
            if item is not None:
                out[path] = type(item).__name__
            sub, subfilled = fields(item, path)
            out.update(sub)
            filled |= subfilled
    elif isinstance(value, list) and value:
        filled.add(prefix)
        for item in value:
            sub, subfilled = fields(item, f"{prefix}[]")
            for path, kind in sub.items():
                out.setdefault(path, kind)
            filled |= subfilled
    return out, filled


def _payload(body: Any) -> Any:
    raw = body.get("string", b"") if isinstance(body, dict) else body
    if isinstance(raw, str):
        raw = raw.encode()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _railcraft_token(app: Fake) -> str:
    form = {
        "client_id": app.creds["RAILCRAFT_CLIENT_ID"],
        "client_secret": app.creds["RAILCRAFT_CLIENT_SECRET"],
    }
    answer = app.app(httpx.Request("POST", "https://towerofawesome.org/railcraftpack/api/auth/", data=form))
    return str(json.loads(answer.read())["token"])


def _request(api: str, app: Fake, recorded: dict[str, Any], token: list[str]) -> httpx.Request:
    headers = {k: v[0] if isinstance(v, list) else v for k, v in recorded.get("headers", {}).items()}
    body = recorded.get("body") or b""
    if isinstance(body, str):
        body = body.encode()
    if api in AUTH_HEADERS:
        name, variable, scheme = AUTH_HEADERS[api]
        headers[name] = scheme + app.creds[variable]
    if api == "railcraft" and body:
        if not token:
            token.append(_railcraft_token(app))
        replaced = {
            "client_id": app.creds["RAILCRAFT_CLIENT_ID"],
            "client_secret": app.creds["RAILCRAFT_CLIENT_SECRET"],
            "token": token[0],
        }
        form = [(k, replaced.get(k, v)) for k, v in parse_qsl(body.decode(), keep_blank_values=True)]
        body = urlencode(form).encode()
    return httpx.Request(recorded["method"], recorded["uri"], headers=headers, content=body)


def drift(api: str, cassette: Path) -> Drift:
    """Compare every recorded answer of `cassette` with the fake's answer to the same request."""
    data = yaml.safe_load(cassette.read_text())
    meta = data.get("metadata", {}).get(KEY, {})
    found = Drift(cassette)
    if (api, meta.get("scenario")) in NOT_COMPARED:
        return found
    app = fake(api, meta.get("parameters"))
    token: list[str] = []
    for interaction in data["interactions"]:
        recorded = interaction["request"]
        label = f"{recorded['method']} {recorded['uri']}"
        answer = app.app(_request(api, app, recorded, token))
        answer.read()
        status = interaction["response"]["status"]["code"]
        if answer.status_code != status:
            found.uncomparable.append(
                f"{label}: recorded HTTP {status}, the fake answers {answer.status_code}"
            )
            continue
        live, live_filled = fields(_payload(interaction["response"]["body"]))
        mine, mine_filled = fields(_payload(answer.content))
        empty = live_filled - mine_filled
        for path in sorted(empty):
            if not any(path != p and path.startswith(p) for p in empty):
                found.uncomparable.append(
                    f"{label}: the fake's list {path or '(top)'} is empty, the recording's is not"
                )
        lacking = [
            p for p in sorted(live) if p not in mine and not any(p.startswith(f"{e}[]") for e in empty)
        ]
        for path in lacking:
            if not any(path.startswith((f"{p}.", f"{p}[")) for p in lacking if p != path):
                found.missing.append(f"{label}: {path} ({live[path]})")
    return found
