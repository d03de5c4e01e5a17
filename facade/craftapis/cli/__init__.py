"""The `craftapis` command (also `python -m craftapis`): Modrinth, BuiltByBit, Postal and Railcraft from a shell.

It needs the optional extra: `pip install "craftapis[cli]"` (Typer, rich, platformdirs); the library
itself does not. Every command is a thin layer over the facade clients. `craftapis --help` lists the
commands, the exit codes and where credentials come from.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["EXTRA_HINT", "main"]

#: What to run when the CLI's dependencies are missing.
EXTRA_HINT = 'the craftapis command needs its extra: pip install "craftapis[cli]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: `sys.argv[1:]`) and return its exit code."""
    try:
        from ._app import app
    except ImportError as exc:  # typer, rich or platformdirs missing
        missing = exc.name or "a dependency"
        print(f"craftapis: {missing} is not installed; {EXTRA_HINT}", file=sys.stderr)
        return 2
    try:
        app(args=list(argv) if argv is not None else None, prog_name="craftapis")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0
