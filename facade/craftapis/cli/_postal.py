"""`craftapis postal ...`: send a message, show a message (Postal mail server)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..postal import Postal
from ._core import Output, Settings, UsageError, api_group, command, plain

app = api_group(
    (
        "Postal: send mail and follow it.\n\n"
        "Server: --base-url or POSTAL_URL (or url under \\[postal]); key: POSTAL_KEY (or api_key "
        "under \\[postal] in the config file).\n\n"
        "Examples:\n\n"
        "  craftapis postal send --to a@example.org --from me@example.com --subject Hi --body-file mail.txt\n\n"
        "  craftapis postal message 1234 --json\n\n"
    ),
    url_env="POSTAL_URL",
    url_help="The Postal server, e.g. https://postal.example.com.",
)


def client(ctx: typer.Context) -> Postal:
    """A Postal client from the environment, the config file and `--base-url`."""
    settings = Settings.of(ctx, "postal", "POSTAL_URL", "url")
    if not settings.base_url:
        raise UsageError(
            "the Postal server is missing: pass --base-url, set POSTAL_URL, or url under [postal]"
        )
    api_key = settings.require("api_key", "POSTAL_KEY", "the Postal server API key")
    return Postal(base_url=settings.base_url, api_key=api_key)


@command(app)
def send(
    ctx: typer.Context,
    out: Output,
    to: Annotated[list[str], typer.Option("--to", help="A recipient (repeatable, at most 50).")],
    from_: Annotated[str, typer.Option("--from", help="The From address (a verified domain of the server).")],
    subject: Annotated[str | None, typer.Option("--subject", "-s", help="The subject.")] = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", "-b", help="The plain-text body ('-' reads stdin).")
    ] = None,
    html_file: Annotated[Path | None, typer.Option("--html-file", help="An HTML body.")] = None,
    attach: Annotated[
        list[Path] | None, typer.Option("--attach", "-a", help="A file to attach (repeatable).")
    ] = None,
    cc: Annotated[list[str] | None, typer.Option("--cc", help="A Cc recipient (repeatable).")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="A tag Postal stores with the message.")] = None,
) -> None:
    """Send a message (one per recipient); prints the message ids.

    Example: craftapis postal send --to a@example.org --from shop@example.com -s "Your key" -b key.txt -a invoice.pdf
    """
    plain_body = None
    if body_file is not None:
        plain_body = sys.stdin.read() if str(body_file) == "-" else body_file.read_text(encoding="utf-8")
    html_body = html_file.read_text(encoding="utf-8") if html_file is not None else None
    for path in attach or []:
        if not path.is_file():
            raise UsageError(f"--attach {path}: no such file")
    with client(ctx) as postal:
        result = postal.send_message(
            to=to,
            cc=cc,
            from_=from_,
            subject=subject,
            tag=tag,
            plain_body=plain_body,
            html_body=html_body,
            attachments=[str(p) for p in attach or []],
        )
    data = plain(result)
    if out.json:
        out.emit(data)
        return
    messages = data.get("messages", {})
    out.table(
        f"message {data.get('message_id')}",
        ["recipient", "id", "token"],
        ([address, m.get("id"), m.get("token")] for address, m in messages.items()),
    )


@command(app)
def message(
    ctx: typer.Context,
    out: Output,
    id: Annotated[int, typer.Argument(help="The message id.")],
) -> None:
    """Show a message: its status and details, and its delivery attempts.

    Example: craftapis postal message 1234
    """
    with client(ctx) as postal:
        found = plain(postal.get_message(id, expansions=["status", "details"]))
        deliveries = [plain(d) for d in postal.get_deliveries(id)]
    if out.json:
        out.emit({**found, "deliveries": deliveries})
        return
    status = found.get("status") or {}
    details = found.get("details") or {}
    rows = [
        ("id", found.get("id")),
        ("status", status.get("status")),
        ("to", details.get("rcpt_to")),
        ("from", details.get("mail_from")),
        ("subject", details.get("subject")),
        ("size", details.get("size")),
    ]
    out.table(f"message {id}", ["field", "value"], rows)
    if deliveries:
        out.table(
            "deliveries",
            ["status", "details", "time"],
            ([d.get("status"), d.get("details"), d.get("timestamp")] for d in deliveries),
        )
