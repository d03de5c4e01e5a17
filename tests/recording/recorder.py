"""Re-record the live-scenario cassettes from the real APIs (or from the fakes, or any server).

    nox -s record -- --api modrinth|builtbybit|builtbybit_v1|postal|railcraft|all [options]
    python scripts/record.py --api ...            (the same, in an environment that has the test deps)

Credentials come from environment variables only, never from arguments:

    modrinth       MODRINTH_TOKEN            (optional: MODRINTH_USER_AGENT, MODRINTH_RECORD_PROJECT,
                                              MODRINTH_RECORD_GAME_VERSION, MODRINTH_RECORD_LOADER)
    builtbybit     BUILTBYBIT_TOKEN
    builtbybit_v1  BUILTBYBIT_V1_TOKEN       (a Private token)
    postal         POSTAL_URL, POSTAL_KEY    (optional: POSTAL_RECORD_MESSAGE_ID)
    railcraft      RAILCRAFT_URL, RAILCRAFT_CLIENT_ID, RAILCRAFT_CLIENT_SECRET

Without them the command names the missing ones and records nothing. With them it refuses to run
when the `CI` variable is set, unless `--allow-ci` is given. Only read-only scenarios run unless
`--writes` is given: Modrinth's writes then go to its staging API (and need
MODRINTH_WRITE_PROJECT, a staging project of yours); Postal's send one real e-mail (and need
POSTAL_RECORD_TO, POSTAL_RECORD_FROM) after a warning you must answer `yes` to; the other APIs
define no write scenario.

Options:
    --base-url URL | API=URL  talk to another server (a loopback "live-like" server, a mirror):
                              cassettes still hold the public host names
    --synthetic               record from the tests' in-process fakes (no credentials, no network)
    --out DIR                 write cassettes to DIR/<api>/ instead of tests/<api>/cassettes/live/
    --scenario NAME           only this scenario (repeatable)
    --list                    print the scenarios and exit

Each scenario is recorded into a temporary file that replaces its cassette only when the scenario
succeeded; every request and response goes through `tests/recording/scrub.py` first.
Exit codes: 0 recorded, 1 a scenario failed or a write was declined, 2 refused (missing variables,
CI, bad arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx

from .cassettes import KEY, ROOT, metadata, record_vcr
from .scenarios import APIS, Api, Params, Scenario, fake, parameters
from .scrub import Scrubber

ALL = "all"


def live_dir(api: str) -> Path:
    """Where an API's live-scenario cassettes live."""
    return ROOT / "tests" / api / "cassettes" / "live"


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def commands(api: str, scenario: str) -> dict[str, str]:
    """How to re-record one live-scenario cassette, both ways."""
    return {
        "live": f"nox -s record -- --api {api} --scenario {scenario}",
        "synthetic": f"python scripts/record.py --api {api} --synthetic --scenario {scenario}",
    }


@dataclass
class Outcome:
    api: str
    scenario: str
    path: Path | None = None
    interactions: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="record",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--api", required=True, choices=[*APIS, ALL])
    parser.add_argument("--base-url", action="append", default=[], metavar="[API=]URL")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--writes", action="store_true")
    parser.add_argument("--allow-ci", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--scenario", action="append", default=[])
    parser.add_argument("--list", action="store_true")
    return parser


def _base_urls(values: Sequence[str], apis: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if sep and name in APIS:
            out[name] = url
        elif len(apis) == 1:
            out[apis[0]] = value
        else:
            raise SystemExit(f"record: with --api all, give --base-url as API=URL (got {value!r})")
    return out


def missing_variables(apis: Sequence[Api], writes: bool, environ: dict[str, str]) -> list[str]:
    needed = [v for api in apis for v in (*api.env, *(api.write_env if writes else ()))]
    return [v for v in dict.fromkeys(needed) if not environ.get(v)]


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    names = list(APIS) if args.api == ALL else [args.api]
    apis = [APIS[n] for n in names]
    if args.list:
        for api in apis:
            for s in api.scenarios:
                print(f"{api.name:14} {s.name:26} {'write ' if s.write else 'read  '} {s.doc}", file=out)
        return 0
    unknown = [s for s in args.scenario if not any(s == x.name for api in apis for x in api.scenarios)]
    if unknown:
        print(f"record: no scenario named {', '.join(unknown)} (see --list)", file=out)
        return 2
    base_urls = _base_urls(args.base_url, names)
    environ = dict(os.environ)

    if not args.synthetic:
        missing = missing_variables(apis, args.writes, environ)
        if missing:
            print(
                "record: nothing recorded: set these environment variables first: " + ", ".join(missing),
                file=out,
            )
            return 2
        if environ.get("CI") and not args.allow_ci:
            print(
                "record: refusing to record in CI (the CI variable is set): recording talks to the real "
                "APIs with real credentials. Pass --allow-ci to do it anyway.",
                file=out,
            )
            return 2
    if args.writes:
        refusal = _confirm_writes(apis, base_urls, args.synthetic, stdin, out)
        if refusal is not None:
            return refusal

    outcomes: list[Outcome] = []
    report: Counter[str] = Counter()
    for api in apis:
        target = (args.out / api.name) if args.out else live_dir(api.name)
        target.mkdir(parents=True, exist_ok=True)
        source_fake = fake(api.name) if args.synthetic else None
        creds = (
            source_fake.creds
            if source_fake
            else {v: environ[v] for v in (*api.env, *api.params) if environ.get(v)}
        )
        params = parameters(api, {**environ, **(source_fake.params if source_fake else {})})
        for scenario in api.scenarios:
            if args.scenario and scenario.name not in args.scenario:
                continue
            if scenario.write and not args.writes:
                continue
            lacking = [v for v in scenario.needs if not _param_set(api, v, params)]
            if lacking:
                outcomes.append(
                    Outcome(api.name, scenario.name, skipped=f"set {', '.join(lacking)} to record it")
                )
                continue
            outcome, counts = record_one(
                api,
                scenario,
                creds=creds,
                params=params,
                base_url=base_urls.get(api.name),
                transport=httpx.MockTransport(source_fake.app) if source_fake else None,
                target=target,
                source="synthetic" if args.synthetic else ("base-url" if api.name in base_urls else "live"),
            )
            outcomes.append(outcome)
            report.update(counts)
    _summary(outcomes, report, out)
    return 1 if any(o.error for o in outcomes) else 0


def _param_set(api: Api, variable: str, params: Params) -> bool:
    key = {"POSTAL_RECORD_MESSAGE_ID": "message_id"}.get(variable, variable)
    return bool(params.get(key))


def _confirm_writes(
    apis: Sequence[Api], base_urls: dict[str, str], synthetic: bool, stdin: TextIO, out: TextIO
) -> int | None:
    warned = []
    for api in apis:
        writes = [s for s in api.scenarios if s.write]
        if not writes:
            print(f"record: {api.name} defines no write scenario; --writes records its reads only", file=out)
            continue
        target = base_urls.get(api.name)
        if api.staging_url:  # Modrinth: writes only ever go to staging (or a loopback server)
            if target and not is_loopback(target):
                print(
                    f"record: refusing: {api.name} writes go to {api.staging_url} only, not {target}",
                    file=out,
                )
                return 2
            continue
        if synthetic or (target and is_loopback(target)):
            continue
        warned.append(f"  {api.name}: {api.write_warning}")
    if warned:
        print("WARNING: --writes changes real data on a real server:", file=out)
        print("\n".join(warned), file=out)
        print("Type yes to continue: ", end="", file=out, flush=True)
        answer = stdin.readline().strip().lower()
        if answer != "yes":
            print("\nrecord: writes declined; nothing recorded", file=out)
            return 1
    return None


def record_one(
    api: Api,
    scenario: Scenario,
    *,
    creds: dict[str, str],
    params: Params,
    base_url: str | None,
    transport: httpx.BaseTransport | None,
    target: Path,
    source: str,
) -> tuple[Outcome, Counter[str]]:
    """Record one scenario into `target/<scenario>.yaml` (replaced only when it succeeds)."""
    public = api.staging_url if (scenario.write and api.staging_url) else api.public_url
    talk_to = base_url or (api.staging_url if scenario.write and api.staging_url else None)
    actual = talk_to or (creds.get("POSTAL_URL") if api.name == "postal" else None)
    actual = actual or (creds.get("RAILCRAFT_URL") if api.name == "railcraft" else None) or public
    origins = {origin(actual): origin(public)} if origin(actual) != origin(public) else {}
    secrets = [v for k, v in creds.items() if k not in api.params and not k.endswith("_URL")]
    from .scenarios import INVALID_POSTAL_KEY

    scrubber = Scrubber([*secrets, INVALID_POSTAL_KEY], origins=origins)
    path = target / f"{scenario.name}.yaml"
    partial = target / f".{scenario.name}.partial.yaml"
    partial.unlink(missing_ok=True)
    outcome = Outcome(api.name, scenario.name)
    recorder = record_vcr(scrubber)
    try:
        with recorder.use_cassette(str(partial)) as cassette:
            summary = asyncio.run(_run(api, scenario, creds, actual, transport, params))
            cassette.get_metadata(
                KEY,
                metadata(
                    api.name,
                    source=source,
                    recorded_from=_described(source, public),
                    rerecord=commands(api.name, scenario.name),
                    scenario=scenario.name,
                    base_url=public,
                    parameters={k: scrubber.value(v) for k, v in params.items()},
                    result=summary,
                ),
            )
            outcome.interactions = [f"{r.method} {r.uri}" for r in cassette.requests]
    except Exception as error:
        outcome.error = f"{type(error).__name__}: {scrubber._text(str(error))}"
        partial.unlink(missing_ok=True)
        return outcome, scrubber.report
    partial.replace(path)
    outcome.path = path
    return outcome, scrubber.report


def _described(source: str, public: str) -> str:
    return {
        "live": f"the real API at {public}",
        "synthetic": "the tests' in-process fake behind the real host name (no network)",
        "base-url": f"a server given by --base-url, recorded as {public}",
    }[source]


async def _run(
    api: Api,
    scenario: Scenario,
    creds: dict[str, str],
    base_url: str,
    transport: httpx.BaseTransport | None,
    params: Params,
) -> Any:
    def make(**override: str) -> Any:
        return api.make("sync", {**creds, **override}, base_url, transport=transport)

    bound = Params(params)
    bound.make = make
    client = make()
    try:
        return await scenario.run(client, bound)
    finally:
        client.close()


def _summary(outcomes: Sequence[Outcome], report: Counter[str], out: TextIO) -> None:
    for o in outcomes:
        if o.skipped:
            print(f"- {o.api}/{o.scenario}: not recorded ({o.skipped})", file=out)
        elif o.error:
            print(f"! {o.api}/{o.scenario}: FAILED, cassette left unchanged: {o.error}", file=out)
        else:
            print(f"+ {o.api}/{o.scenario}: {len(o.interactions)} interaction(s) -> {o.path}", file=out)
            for line in o.interactions:
                print(f"    {line}", file=out)
    if report:
        print("scrubbed:", file=out)
        for kind, count in sorted(report.items()):
            print(f"  {count:5d}  {kind}", file=out)


async def replay(api: Api, scenario: Scenario, path: Path, mode: str) -> tuple[Any, dict[str, Any]]:
    """Replay one live-scenario cassette offline with the `mode` client; returns the scenario's
    summary and the cassette's metadata. A request the cassette lacks fails (record mode none)."""
    from .cassettes import replay_vcr

    with replay_vcr().use_cassette(str(path)) as cassette:
        meta = cassette.get_metadata(KEY, None)
        creds = {v: f"replay-{v.lower()}" for v in api.env}
        creds.update({v: meta["base_url"] for v in api.env if v.endswith("_URL")})

        def make(**override: str) -> Any:
            return api.make(mode, {**creds, **override}, meta["base_url"])

        bound = Params(meta.get("parameters", {}))
        bound.make = make
        client = make()
        try:
            summary = await scenario.run(client, bound)
        finally:
            await _aclose(client)
    return summary, meta


async def _aclose(client: Any) -> None:
    closing = client.aclose() if hasattr(client, "aclose") else client.close()
    if asyncio.iscoroutine(closing):
        await closing
