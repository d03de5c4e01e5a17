"""Cassette plumbing shared by the recorder, the replay tests and every cassette folder.

- `metadata(...)`: what every cassette says about itself (`craftapis:` in the cassette's vcrpy
  metadata): `source` (`live`, `synthetic` or `base-url`), `recorded_at`, `api`, `api_version`
  (the API's own version and the spec the client was generated from), and the commands that
  re-record it both ways. vcrpy stores it next to the interactions (`Cassette.get_metadata`), and in
  record mode `none` a cassette without it fails (`MissingMetadataError`), so none can lack it.
- `replay_vcr(...)` / `record_vcr(...)`: the vcrpy configuration of the live-scenario cassettes,
  with the scrubber's hooks and a body matcher that compares scrubbed bodies.
- `mismatch_note(exc)`: the note added to a failing test whose request no cassette matches: the
  request that differed, the cassette, and the command that re-records it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import vcr
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

from .scrub import Scrubber

ROOT = Path(__file__).resolve().parents[2]
KEY = "craftapis"
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "scrubbed_body")

#: the spec entry in specs/lock.json, and the API version in the URLs, of each API
_LOCK_NAMES = {
    "modrinth": "modrinth",
    "builtbybit": "builtbybit_v2",
    "builtbybit_v1": "builtbybit_v1",
    "postal": "postal",
    "railcraft": "railcraft",
}
API_VERSIONS = {
    "modrinth": "v2",
    "builtbybit": "v2",
    "builtbybit_v1": "v1",
    "postal": "v1",
    "railcraft": "unversioned",
}


@cache
def spec_version(api: str) -> str:
    """The version of the spec the client was generated from: `info.version` (or the sha256
    prefix of an upstream document that has none), read from specs/lock.json."""
    lock = json.loads((ROOT / "specs" / "lock.json").read_text())
    entry = lock["apis"][_LOCK_NAMES[api]]
    if entry.get("info_version"):
        return str(entry["info_version"])
    if entry.get("kind") == "authored":
        info = yaml.safe_load((ROOT / entry["path"]).read_text()).get("info", {})
        return str(info.get("version", "unknown"))
    return f"sha256:{str(entry.get('sha256', ''))[:12]}"


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def metadata(
    api: str,
    *,
    source: str,
    recorded_from: str,
    rerecord: dict[str, str],
    **extra: Any,
) -> dict[str, Any]:
    """The `craftapis:` metadata of a cassette."""
    from craftapis import __version__

    return {
        "source": source,
        "recorded_at": now(),
        "api": api,
        "api_version": API_VERSIONS[api],
        "spec_version": spec_version(api),
        "recorded_from": recorded_from,
        "craftapis_version": __version__,
        "rerecord": rerecord,
        **extra,
    }


#: how the synthetic cassettes of each folder are re-recorded (they come from the pytest suites)
SYNTHETIC_RERECORD = {
    "modrinth": "pytest tests/modrinth/test_cassettes.py --record-mode=rewrite",
    "builtbybit": "pytest tests/builtbybit/test_cassettes.py --record-mode=rewrite",
    "builtbybit_v1": "CRAFTAPIS_RECORD_CASSETTES=1 pytest tests/builtbybit_v1/test_cassettes.py -k replays",
    "postal": "pytest tests/postal/test_cassettes.py --record-mode=rewrite",
    "railcraft": "CRAFTAPIS_RECORD_CASSETTES=1 pytest tests/railcraft/test_cassettes.py -k replays",
}


def suite_metadata(api: str, cassette: Path) -> dict[str, Any]:
    """Metadata of a cassette a pytest suite records from its fake (see tests/conftest.py)."""
    return metadata(
        api,
        source="synthetic",
        recorded_from=f"the fake in tests/{api}/ behind the real host name (no network)",
        rerecord={"synthetic": SYNTHETIC_RERECORD[api]},
        cassette=cassette.name,
    )


def api_of(path: Path) -> str | None:
    """The API a cassette belongs to, from its folder (`tests/<api>/cassettes/...`)."""
    parts = path.resolve().parts
    if "cassettes" in parts:
        folder = parts[parts.index("cassettes") - 1]
        if folder in API_VERSIONS:
            return folder
    return None


# -- vcrpy configuration of the live-scenario cassettes ---------------------------------------------


def _normalised(body: Any, content_type: str) -> Any:
    raw = body if isinstance(body, bytes) else (body or "").encode()
    if "multipart/" in content_type:
        return None  # random boundaries: never compared
    if not raw:
        return b""
    try:
        return json.loads(raw)
    except ValueError:
        pass
    text = raw.decode("utf-8", "replace")
    if "=" in text:
        return sorted(parse_qsl(text, keep_blank_values=True))
    return raw


def _content_type(request: Any) -> str:
    return next((str(v) for k, v in dict(request.headers).items() if k.lower() == "content-type"), "")


def scrubbed_body(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the (already scrubbed) bodies are equal as JSON, as form fields, or as bytes.
    Multipart bodies are not compared (their boundary is random)."""
    one = _normalised(r1.body, _content_type(r1))
    two = _normalised(r2.body, _content_type(r2))
    if one is None or two is None:
        return
    if one != two:
        raise AssertionError(f"bodies differ: {one!r} != {two!r}")


def _vcr(**kwargs: Any) -> vcr.VCR:
    made = vcr.VCR(match_on=MATCH_ON, decode_compressed_response=True, **kwargs)
    made.register_matcher("scrubbed_body", scrubbed_body)
    return made


def record_vcr(scrubber: Scrubber) -> vcr.VCR:
    """Records every request afresh, scrubbed on the way to the file."""
    return _vcr(
        record_mode="all",
        before_record_request=scrubber.request,
        before_record_response=scrubber.response,
        drop_unused_requests=True,
    )


def replay_vcr() -> vcr.VCR:
    """Replays only (record mode `none`): a request no interaction matches fails. Requests are
    scrubbed the same stateless way before they are matched (secrets, signed queries)."""
    return _vcr(record_mode="none", before_record_request=Scrubber().request)


# -- the note a mismatch adds to a failing test -------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += list(getattr(current, "exceptions", ()))


def mismatch_of(exc: BaseException) -> CannotOverwriteExistingCassetteException | None:
    """The vcrpy 'no interaction matches' error behind `exc`, if there is one."""
    return next((e for e in _chain(exc) if isinstance(e, CannotOverwriteExistingCassetteException)), None)


def mismatch_note(exc: BaseException, test: str | None = None) -> str | None:
    """A note naming the request no interaction of a cassette matched, the cassette, and the
    command that re-records it (narrowed to `test`, a test function's name, when that command is
    a pytest run); None when `exc` is not a cassette mismatch."""
    found = mismatch_of(exc)
    if found is None or found.failed_request is None:
        return None
    cassette = found.cassette
    path = Path(str(cassette._path))
    request = found.failed_request
    stored = getattr(cassette, "_metadata", {}).get(KEY, {})
    commands = dict(stored.get("rerecord", {}))
    if not commands:
        api = api_of(path)
        commands = {"synthetic": SYNTHETIC_RERECORD[api]} if api else {}
    lines = [
        f"cassette mismatch: {request.method} {request.uri} matches no interaction of {path.name}",
        f"  (in {path.parent}); the client now sends a request the cassette did not record.",
    ]
    similar = getattr(found, "similar_requests", [])
    if similar:
        best, _ok, failed = similar[0]
        lines.append(f"  closest recorded request: {best.method} {best.uri}")
        lines += [f"    differs in {name}: {message}" for name, message in failed]
    if commands:
        lines.append("  re-record it with:")
        for kind, command in sorted(commands.items()):
            if test and command.startswith(("pytest ", "CRAFTAPIS_")) and " -k " not in command:
                command += f" -k {test}"
            lines.append(f"    {kind}: {command}")
    return "\n".join(lines)
