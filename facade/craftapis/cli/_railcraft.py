"""`craftapis railcraft download`: the Railcraft pack archive, size-verified, atomic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..railcraft import RailcraftPack
from ._core import Output, Settings, api_group, command

app = api_group(
    (
        "The Railcraft pack server.\n\n"
        "Credentials: RAILCRAFT_CLIENT_ID and RAILCRAFT_CLIENT_SECRET (or client_id / client_secret "
        "under \\[railcraft] in the config file).\n\n"
        "Example:\n\n  craftapis railcraft download --dest railcraft.zip\n\n"
    ),
    url_env="RAILCRAFT_BASE_URL",
    url_help="The site root (default https://towerofawesome.org/railcraftpack).",
)


def client(ctx: typer.Context) -> RailcraftPack:
    """A Railcraft pack client from the environment, the config file and `--base-url`."""
    settings = Settings.of(ctx, "railcraft", "RAILCRAFT_BASE_URL")
    return RailcraftPack(
        client_id=settings.require("client_id", "RAILCRAFT_CLIENT_ID", "the Railcraft client id"),
        client_secret=settings.require(
            "client_secret", "RAILCRAFT_CLIENT_SECRET", "the Railcraft client secret"
        ),
        base_url=settings.base_url,
    )


@command(app)
def download(
    ctx: typer.Context,
    out: Output,
    dest: Annotated[Path, typer.Option("--dest", "-d", help="The file to write.")] = Path(
        "railcraft-pack.zip"
    ),
    patch_from: Annotated[
        str | None, typer.Option("--patch-from", help="Only the patch from this tag.")
    ] = None,
    opt_mod: Annotated[
        list[str] | None, typer.Option("--opt-mod", help="An optional mod to include (repeatable).")
    ] = None,
) -> None:
    """Download the pack archive; it appears at --dest only complete and of the announced size.

    Example: craftapis railcraft download --dest pack.zip --opt-mod 3
    """
    with client(ctx) as railcraft, out.progress(f"download {dest.name}") as bar:
        details = railcraft.download_pack(
            dest,
            patch_from=patch_from,
            opt_mods=opt_mod,
            progress=lambda done, total: bar.update(done, total),
        )
    size = dest.stat().st_size
    if out.json:
        out.emit({"path": str(dest), "id": getattr(details, "id", None), "size": size})
        return
    out.say(f"{dest} ({size} bytes)")
