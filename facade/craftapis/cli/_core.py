"""What every command shares: exit codes, credentials, output (tables, JSON, progress) and errors."""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import json
import logging
import os
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import platformdirs
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from .._errors import APIError
from .._version import __version__

__all__ = [
    "CONFIG_ENV",
    "ExitCode",
    "Output",
    "Settings",
    "api_group",
    "command",
    "config_path",
    "guarded",
    "load_config",
]

P = ParamSpec("P")
R = TypeVar("R")

#: The environment variable naming another config file.
CONFIG_ENV = "CRAFTAPIS_CONFIG"


class ExitCode(enum.IntEnum):
    """The exit codes every command uses (scripts can branch on them)."""

    #: Done.
    OK = 0
    #: An API answered with an error, could not be reached, or sent something invalid (a file whose
    #: hash does not match, a modpack with unsafe paths).
    API_ERROR = 1
    #: Wrong usage: an unknown option, a bad value, a missing credential.
    USAGE = 2
    #: The answer is "something to look at": updates are available (`identify`, `update --dry-run`),
    #: no valid license (`license-check`).
    FOUND = 3
    #: Partly done: some items failed, the others succeeded (`update`, `mrpack install`).
    PARTIAL = 4
    #: Interrupted (Ctrl-C / SIGINT); whatever was finished stays finished.
    INTERRUPTED = 130


EXIT_CODES_HELP = "Exit codes: " + ", ".join(
    f"{code.value} {text}"
    for code, text in (
        (ExitCode.OK, "done"),
        (ExitCode.API_ERROR, "API error"),
        (ExitCode.USAGE, "usage error"),
        (ExitCode.FOUND, "updates available / no valid license"),
        (ExitCode.PARTIAL, "partly failed"),
        (ExitCode.INTERRUPTED, "interrupted"),
    )
)


class UsageError(Exception):
    """A mistake of the caller's (exit code 2); the message says what to pass instead."""


class BadInput(ValueError):
    """Input from elsewhere (a modpack, a server's answer) is invalid or unsafe (exit code 1)."""


# -- credentials and settings ------------------------------------------------------------------


def config_path() -> Path:
    """The config file: `$CRAFTAPIS_CONFIG`, else `config.toml` in the platform's config folder."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named)
    return Path(platformdirs.user_config_dir("craftapis", appauthor=False)) / "config.toml"


def load_config(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The config file's tables (`[modrinth]`, `[builtbybit]`, `[postal]`, `[railcraft]`), or {}."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsageError(f"cannot read the config file {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"the config file {path} is not valid TOML ({exc}); fix or remove it") from exc
    return {k: v for k, v in data.items() if isinstance(v, dict)}


@dataclass
class Settings:
    """Where one API's settings come from: an environment variable first, then the config file."""

    section: str
    config: Mapping[str, Mapping[str, Any]]
    base_url: str | None = None

    def get(self, key: str, env: str) -> str | None:
        value = os.environ.get(env)
        if value:
            return value
        found = self.config.get(self.section, {}).get(key)
        return str(found) if found is not None else None

    def require(self, key: str, env: str, what: str) -> str:
        value = self.get(key, env)
        if value is None:
            raise UsageError(
                f'{what} is missing: set {env}, or put {key} = "..." under [{self.section}] in '
                f"{config_path()} (never on the command line)"
            )
        return value

    @classmethod
    def of(cls, ctx: typer.Context, section: str, url_env: str, url_key: str = "base_url") -> Settings:
        """The settings of ``section``, ``base_url`` from the group's ``--base-url``, else ``url_env``,
        else ``url_key`` in the config file."""
        settings = cls(section, load_config())
        settings.base_url = ctx.obj if isinstance(ctx.obj, str) else settings.get(url_key, url_env)
        return settings


# -- output ------------------------------------------------------------------------------------


@dataclass
class Output:
    """Tables or JSON on stdout, messages on stderr, progress bars only for a person watching."""

    json: bool = False
    quiet: bool = False
    verbose: bool = False
    out: Console = field(default_factory=lambda: _console(sys.stdout))
    err: Console = field(default_factory=lambda: _console(sys.stderr))

    def __post_init__(self) -> None:
        if self.verbose:
            _log_to(self.err)

    @property
    def progress_enabled(self) -> bool:
        return not (self.quiet or self.json) and sys.stdout.isatty() and self.err.is_terminal

    def emit(self, document: Any) -> None:
        """One JSON document on stdout (with `--json`)."""
        self.out.file.write(json.dumps(document, default=_jsonable, ensure_ascii=False) + "\n")
        self.out.file.flush()

    def line(self, document: Any) -> None:
        """One JSON line of a stream (with `--json`), flushed at once."""
        self.out.file.write(
            json.dumps(document, default=_jsonable, ensure_ascii=False, separators=(",", ":"))
        )
        self.out.file.write("\n")
        self.out.file.flush()

    def table(self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        table = Table(title=title, title_justify="left", header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        self.out.print(table)

    def say(self, message: str) -> None:
        """A line for the person (stdout, not with `--json` or `--quiet`)."""
        if not (self.json or self.quiet):
            self.out.print(message, highlight=False)

    def note(self, message: str) -> None:
        """A remark on stderr (not with `--quiet`)."""
        if not self.quiet:
            self.err.print(message, highlight=False)

    @contextlib.contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[Bar]:
        """A progress bar on stderr while the block runs (a silent one when not wanted)."""
        if not self.progress_enabled:
            yield Bar(None, None)
            return
        columns = [TextColumn("{task.description}"), BarColumn()]
        columns += (
            [DownloadColumn(), TransferSpeedColumn()] if description.startswith("download") else []
        ) + [TimeRemainingColumn()]
        with Progress(*columns, console=self.err, transient=False) as progress:
            yield Bar(progress, progress.add_task(description, total=total))


@dataclass
class Bar:
    """One progress task: `advance()`, `update(completed, total)`, `describe(text)`; silent without one."""

    progress: Progress | None
    task: TaskID | None

    def update(self, completed: float, total: float | None = None) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=completed, total=total)

    def advance(self, by: float = 1) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, by)

    def describe(self, text: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=text)


def _console(stream: Any) -> Console:
    # Not a terminal: no colour, and wide enough that a table never wraps into a script's input.
    terminal = hasattr(stream, "isatty") and stream.isatty()
    return Console(file=stream, width=None if terminal else 200, highlight=False, soft_wrap=not terminal)


def _log_to(console: Console) -> None:
    """`--verbose`: craftapis's own log records (retries, waits, restarts) on stderr."""
    handler = logging.StreamHandler(console.file)
    handler.setFormatter(logging.Formatter("craftapis: %(message)s"))
    logger = logging.getLogger("craftapis")
    logger.handlers = [h for h in logger.handlers if not getattr(h, "_craftapis_cli", False)]
    handler._craftapis_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def plain(model: Any) -> dict[str, Any]:
    """A generated model (or a mapping) as a plain JSON-ready dict."""
    if hasattr(model, "to_dict"):
        data: dict[str, Any] = model.to_dict()
        return data
    if isinstance(model, Mapping):
        return dict(model)
    raise TypeError(f"cannot show a {type(model).__name__}")


# -- errors --------------------------------------------------------------------------------------


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn what a command raises into a message on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except UsageError as exc:
            _fail(f"error: {exc}", ExitCode.USAGE)
        except BadInput as exc:
            _fail(f"refused: {exc}", ExitCode.API_ERROR)
        except (TypeError, ValueError) as exc:  # the facade refused an argument before sending
            _fail(f"error: {exc}", ExitCode.USAGE)
        except APIError as exc:
            _fail(f"error: {exc}", ExitCode.API_ERROR)
        except KeyboardInterrupt:
            _fail("interrupted: what was finished stays finished; run the command again to go on", 130)
        except OSError as exc:
            _fail(f"error: {exc}", ExitCode.API_ERROR)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def _fail(message: str, code: int) -> None:
    Console(file=sys.stderr, highlight=False, soft_wrap=True).print(message, markup=False)
    raise typer.Exit(code)


# -- options every command takes ---------------------------------------------------------------

JsonOpt = Annotated[
    bool, typer.Option("--json", help="One JSON document on stdout (JSON lines for streams).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars, no remarks.")]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show retries, waits and restarts on stderr.")
]

USER_AGENT = f"craftapis-cli/{__version__} (+https://pypi.org/project/craftapis/)"


#: What `command` adds to every command: the options that make its `out`.
_OUTPUT_OPTIONS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False, annotation=option)
    for name, option in (("json_", JsonOpt), ("quiet", QuietOpt), ("verbose", VerboseOpt))
]


def command(
    group: typer.Typer, name: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``func(ctx, out, ...)`` as a command of ``group``: it takes ``--json``, ``--quiet`` and
    ``--verbose`` (they make its ``out``), and what it raises becomes a message and an exit code
    (`guarded`)."""

    def register(func: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(func, eval_str=True)
        shown = [p for p in signature.parameters.values() if p.name != "out"]

        @functools.wraps(func)
        def run(
            *args: Any, json_: bool = False, quiet: bool = False, verbose: bool = False, **kwargs: Any
        ) -> None:
            func(*args, out=Output(json=json_, quiet=quiet, verbose=verbose), **kwargs)

        # what Typer reads: the command's own parameters, then the output options
        run.__signature__ = signature.replace(parameters=[*shown, *_OUTPUT_OPTIONS])  # type: ignore[attr-defined]
        return group.command(name)(guarded(run))

    return register


def api_group(help: str, *, url_env: str, url_help: str) -> typer.Typer:
    """The command group of one API: ``help`` (exit codes appended) and a ``--base-url`` option (or the
    ``url_env`` variable) that its commands find in ``ctx.obj`` (see `base_url`)."""
    group = typer.Typer(help=help + EXIT_CODES_HELP, no_args_is_help=True)

    def keep_base_url(ctx: typer.Context, base_url: str | None = None) -> None:
        ctx.obj = base_url

    option = typer.Option("--base-url", envvar=url_env, help=url_help)
    keep_base_url.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
            inspect.Parameter(
                "base_url",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[str | None, option],
            ),
        ]
    )
    group.callback()(keep_base_url)
    return group
