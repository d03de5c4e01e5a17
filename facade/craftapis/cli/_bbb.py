"""`craftapis bbb ...`: purchases, licenses, reviews, license-check, events listen (BuiltByBit v2)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..builtbybit import BuiltByBit, EventsConsumer
from ._core import ExitCode, Output, Settings, UsageError, api_group, command, plain

if TYPE_CHECKING:
    from craftapis_generated.builtbybit_v2.models import Event

app = api_group(
    (
        "BuiltByBit (API v2): your sales, licenses, reviews and API events.\n\n"
        "Token: BUILTBYBIT_TOKEN (the value from API Credentials, without 'Token '), or token under "
        "\\[builtbybit] in the config file.\n\n"
        "Examples:\n\n"
        "  craftapis bbb purchases --resource 1234 --limit 20\n\n"
        "  craftapis bbb license-check --resource 1234 --member 5678 && echo licensed\n\n"
        "  craftapis bbb events listen --exec ./on-event.sh\n\n"
    ),
    url_env="BUILTBYBIT_BASE_URL",
    url_help="API host (default https://api.builtbybit.com).",
)
events_app = typer.Typer(help="API events (purchases, updates, ...).", no_args_is_help=True)
app.add_typer(events_app, name="events")

ResourceOpt = Annotated[
    list[int] | None, typer.Option("--resource", "-r", help="Only this resource (repeatable).")
]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many rows.")]


def client(ctx: typer.Context) -> BuiltByBit:
    """A BuiltByBit client from the environment, the config file and `--base-url`."""
    settings = Settings.of(ctx, "builtbybit", "BUILTBYBIT_BASE_URL")
    token = settings.require("token", "BUILTBYBIT_TOKEN", "a BuiltByBit API token")
    return BuiltByBit(token=token, base_url=settings.base_url)


def _rows(items: Iterable[Any], columns: list[str]) -> list[list[Any]]:
    out = []
    for item in items:
        data = plain(item)
        out.append([data.get(c) for c in columns])
    return out


def _listing(out: Output, title: str, items: list[Any], columns: list[str]) -> None:
    if out.json:
        out.emit([plain(i) for i in items])
        return
    out.table(f"{len(items)} {title}", columns, _rows(items, columns))


def _listing_command(name: str, doc: str, title: str, columns: list[str]) -> None:
    """Register ``name``: rows of the client method of that name (`resource_ids=`, `limit=`) as a table."""

    def listing(ctx: typer.Context, out: Output, resource: ResourceOpt = None, limit: LimitOpt = 25) -> None:
        with client(ctx) as bbb:
            items = list(getattr(bbb, name)(resource_ids=resource, limit=limit))
        _listing(out, title, items, columns)

    listing.__doc__ = doc
    command(app, name)(listing)


_listing_command(
    "purchases",
    "Purchases of your resources, newest first.\n\nExample: craftapis bbb purchases --resource 1234 --limit 50 --json",
    "purchase(s)",
    ["purchase_id", "content_id", "buyer_id", "created_at", "external_tid"],
)
_listing_command(
    "licenses",
    "Licenses of your resources.\n\nExample: craftapis bbb licenses --resource 1234",
    "license(s)",
    ["content_type", "content_id", "buyer_id", "permanent", "active", "end_date"],
)
_listing_command(
    "reviews",
    "Reviews of your resources.\n\nExample: craftapis bbb reviews --resource 1234 --limit 10",
    "review(s)",
    ["review_id", "resource_id", "reviewer_id", "stars", "message"],
)


@command(app, "license-check")
def license_check(
    ctx: typer.Context,
    out: Output,
    resource: Annotated[int, typer.Option("--resource", "-r", help="Your resource's id.")],
    member: Annotated[int, typer.Option("--member", "-m", help="The member's id.")],
) -> None:
    """Does a member hold a valid license for your resource? Exit code 0 yes, 3 no.

    Example: craftapis bbb license-check --resource 1234 --member 5678 --quiet || echo "no license"
    """
    with client(ctx) as bbb:
        check = bbb.check_license(resource, member)
    if out.json:
        out.emit(
            {
                "valid": check.valid,
                "status": check.status.value,
                "reason": check.reason,
                "resource_id": check.resource_id,
                "member_id": check.member_id,
                "licenses_seen": check.licenses_seen,
            }
        )
    else:
        out.say(
            f"{'VALID' if check.valid else 'NOT VALID'}: member {member}, resource {resource}: {check.reason}"
        )
    if not check.valid:
        raise typer.Exit(ExitCode.FOUND)


class CommandFailed(Exception):
    """The --exec command exited non-zero: the event stays pending and comes again."""


@command(events_app, "listen")
def events_listen(
    ctx: typer.Context,
    out: Output,
    exec_: Annotated[
        str,
        typer.Option(
            "--exec",
            "-e",
            help="The command run for each event, with the event as JSON on stdin (split like a shell, not run by one).",
        ),
    ],
    max_events: Annotated[
        int | None, typer.Option("--max-events", min=1, help="Stop after this many events.")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Stop when no event is pending.")] = False,
    idle_max: Annotated[
        float, typer.Option("--idle-max", min=0.01, help="Longest wait between empty polls (s).")
    ] = 60.0,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.1, help="Kill CMD after this many seconds.")
    ] = None,
) -> None:
    """Run CMD for every API event, at least once: an event is completed only when CMD exits 0.

    A CMD that fails (or times out) leaves the event pending: it comes again on a later poll, so make
    CMD idempotent (the JSON has event_id). SIGINT/SIGTERM stop cleanly after the current event.
    With --json, one JSON line per event handled.

    Example: craftapis bbb events listen --exec "python3 grant_rank.py"
    """
    argv = shlex.split(exec_)
    if not argv:
        raise UsageError("--exec needs a command")
    idle_initial = min(1.0, idle_max)

    def handle(event: Event) -> None:
        document = plain(event)
        try:
            # CMD's own output goes to stderr: stdout stays this command's (JSON lines with --json)
            done = subprocess.run(
                argv, input=json.dumps(document).encode(), timeout=timeout, check=False, capture_output=True
            )
        except FileNotFoundError as exc:
            raise UsageError(f"--exec: {argv[0]} not found") from exc
        except subprocess.TimeoutExpired:
            code: int | str = "timeout"
        else:
            code = done.returncode
            for chunk in (done.stdout, done.stderr):
                if chunk:
                    sys.stderr.write(chunk.decode(errors="replace"))
            sys.stderr.flush()
        ok = code == 0
        if out.json:
            out.line(
                {
                    "event_id": document.get("event_id"),
                    "trigger_type": document.get("trigger_type"),
                    "exit": code,
                    "completed": ok,
                }
            )
        else:
            out.note(
                f"event {document.get('event_id')} ({document.get('trigger_type')}): exit {code}"
                + ("" if ok else ", left pending")
            )
        if not ok:
            raise CommandFailed(f"{argv[0]} exited {code}")

    def on_error(event: Event, error: Exception) -> None:
        if isinstance(error, UsageError):
            raise error

    with client(ctx) as bbb:
        consumer = EventsConsumer(
            bbb,
            handle,
            idle_initial=idle_initial,
            idle_max=idle_max,
            batch_delay=min(5.0, idle_max),
            on_error=on_error,
            install_signal_handlers=True,
        )
        stats = consumer.run(max_events=max_events, stop_when_idle=once)
    if not out.json:
        out.note(f"stopped: {stats}")
