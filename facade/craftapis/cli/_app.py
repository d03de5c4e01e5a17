"""The root `craftapis` command: its groups, `--version`, and shell completion (Typer's)."""

from __future__ import annotations

from typing import Annotated

import typer

from .._version import __version__
from . import _bbb, _modrinth, _postal, _railcraft
from ._core import EXIT_CODES_HELP, config_path

__all__ = ["app"]

app = typer.Typer(
    name="craftapis",
    help=(
        "craftapis: Modrinth, BuiltByBit, Postal and the Railcraft pack server from a shell.\n\n"
        "Credentials come from environment variables (MODRINTH_TOKEN, BUILTBYBIT_TOKEN, POSTAL_KEY, "
        "RAILCRAFT_CLIENT_ID/RAILCRAFT_CLIENT_SECRET) or the config file (CRAFTAPIS_CONFIG, default "
        f"{config_path()}), never from the command line, and are never printed.\n\n"
        "Every command takes --json (for scripts), --quiet and --verbose; every group takes --base-url.\n\n"
        "Examples:\n\n"
        "  craftapis modrinth update ./mods --loader fabric --game-version 1.20.1 --yes\n\n"
        "  craftapis bbb license-check --resource 1234 --member 5678\n\n"
        "Shell completion: craftapis --install-completion\n\n" + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(_modrinth.app, name="modrinth")
app.add_typer(_bbb.app, name="bbb")
app.add_typer(_postal.app, name="postal")
app.add_typer(_railcraft.app, name="railcraft")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"craftapis {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    pass
