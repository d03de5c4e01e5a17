"""`craftapis modrinth ...`: search, info, versions, download, identify, update, mrpack install."""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..modrinth import Facets, Modrinth, hash_file
from ..modrinth._bulk import VERSION_TYPES
from . import _mrpack, _update
from ._core import USER_AGENT, ExitCode, Output, Settings, UsageError, api_group, command, plain

if TYPE_CHECKING:
    from craftapis_generated.modrinth.models import Version, VersionFile

app = api_group(
    (
        "Modrinth: find, download and update mods, plugins and modpacks.\n\n"
        "Token (optional; needed for private projects): MODRINTH_TOKEN, or token under \\[modrinth] in "
        "the config file. MODRINTH_USER_AGENT names your application to Modrinth.\n\n"
        "Examples:\n\n"
        "  craftapis modrinth search sodium --type mod --loader fabric --game-version 1.20.1\n\n"
        "  craftapis modrinth update ./mods --loader fabric --game-version 1.20.1 --yes\n\n"
        "  craftapis modrinth mrpack install pack.mrpack --dest ./server --server\n\n"
    ),
    url_env="MODRINTH_BASE_URL",
    url_help="API root (default https://api.modrinth.com/v2).",
)
mrpack_app = typer.Typer(help="Modrinth modpacks (.mrpack).", no_args_is_help=True)
app.add_typer(mrpack_app, name="mrpack")

PROJECT_TYPES = ("mod", "plugin", "modpack", "shader", "resourcepack", "datapack")

LoaderOpt = Annotated[
    str | None, typer.Option("--loader", "-l", help="A loader: fabric, forge, quilt, neoforge, paper...")
]
GameOpt = Annotated[
    str | None, typer.Option("--game-version", "-g", help="A Minecraft version, e.g. 1.20.1.")
]


def client(ctx: typer.Context) -> Modrinth:
    """A Modrinth client from the environment, the config file and `--base-url`."""
    settings = Settings.of(ctx, "modrinth", "MODRINTH_BASE_URL")
    return Modrinth(
        token=settings.get("token", "MODRINTH_TOKEN"),
        user_agent=settings.get("user_agent", "MODRINTH_USER_AGENT") or USER_AGENT,
        base_url=settings.base_url,
    )


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _list(value: str | None) -> list[str] | None:
    return [value] if value else None


def _newest(versions: list[Version]) -> Version | None:
    # Modrinth lists a project's versions newest first; sort by publication date to be sure.
    return max(versions, key=lambda v: v.date_published, default=None)


def _primary(version: Version) -> VersionFile:
    files = list(version.files)
    if not files:
        raise UsageError(f"version {version.version_number} ({version.id}) has no files")
    return next((f for f in files if f.primary), files[0])


# -- search, info, versions --------------------------------------------------------------------


@command(app)
def search(
    ctx: typer.Context,
    out: Output,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    type_: Annotated[
        str | None, typer.Option("--type", "-t", help=f"One of {', '.join(PROJECT_TYPES)}.")
    ] = None,
    loader: LoaderOpt = None,
    game_version: GameOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help="At most this many hits.")
    ] = 10,
) -> None:
    """Search projects.

    Example: craftapis modrinth search "chunk loading" --type mod --loader fabric -g 1.20.1 -n 5
    """
    if type_ is not None and type_ not in PROJECT_TYPES:
        raise UsageError(f"--type must be one of {', '.join(PROJECT_TYPES)}, not {type_!r}")
    facets = Facets()
    if type_:
        facets = facets.project_type(type_)
    if loader:
        facets = facets.categories(loader)
    if game_version:
        facets = facets.versions(game_version)
    with client(ctx) as modrinth:
        hits = list(modrinth.search(query, facets=facets if facets.to_list() else None, limit=limit))
    if out.json:
        out.emit([plain(h) for h in hits])
        return
    out.table(
        f"{len(hits)} result(s) for {query!r}",
        ["slug", "title", "type", "downloads", "latest", "id"],
        ([h.slug, h.title, h.project_type, h.downloads, h.latest_version, h.project_id] for h in hits),
    )


@command(app)
def info(
    ctx: typer.Context,
    out: Output,
    project: Annotated[str, typer.Argument(help="A project id or slug.")],
) -> None:
    """Show a project.

    Example: craftapis modrinth info sodium
    """
    with client(ctx) as modrinth:
        found = modrinth.get_project(project)
    if out.json:
        out.emit(plain(found))
        return
    rows = [
        ("title", found.title),
        ("slug", found.slug),
        ("id", found.id),
        ("type", found.project_type),
        ("description", found.description),
        ("downloads", found.downloads),
        ("loaders", ", ".join(_strings(found.loaders))),
        ("game versions", ", ".join(_strings(found.game_versions)[-8:])),
        ("client / server", f"{found.client_side} / {found.server_side}"),
        ("updated", found.updated),
    ]
    out.table(None, ["field", "value"], rows)


@command(app)
def versions(
    ctx: typer.Context,
    out: Output,
    project: Annotated[str, typer.Argument(help="A project id or slug.")],
    loader: LoaderOpt = None,
    game_version: GameOpt = None,
) -> None:
    """List a project's versions, newest first.

    Example: craftapis modrinth versions sodium --loader fabric --game-version 1.20.1
    """
    with client(ctx) as modrinth:
        found = modrinth.get_project_versions(
            project, loaders=_list(loader), game_versions=_list(game_version)
        )
    found.sort(key=lambda v: v.date_published, reverse=True)
    if out.json:
        out.emit([plain(v) for v in found])
        return
    out.table(
        f"{len(found)} version(s) of {project}",
        ["version", "type", "loaders", "game versions", "published", "id"],
        (
            [
                v.version_number,
                v.version_type,
                ", ".join(v.loaders),
                ", ".join(v.game_versions),
                v.date_published,
                v.id,
            ]
            for v in found
        ),
    )


# -- download ----------------------------------------------------------------------------------


def _pick_version(
    modrinth: Modrinth, project: str, version: str | None, loader: str | None, game_version: str | None
) -> Version:
    candidates = modrinth.get_project_versions(
        project, loaders=_list(loader), game_versions=_list(game_version)
    )
    if version is not None:
        candidates = [v for v in candidates if version in (v.id, v.version_number)]
    chosen = _newest(candidates)
    if chosen is None:
        wanted = " ".join(x for x in (version, loader, game_version) if x) or "any"
        raise UsageError(f"{project} has no version matching {wanted}")
    return chosen


@command(app)
def download(
    ctx: typer.Context,
    out: Output,
    project: Annotated[str, typer.Argument(help="A project id or slug.")],
    version: Annotated[
        str | None, typer.Option("--version", help="A version number or id (default: newest).")
    ] = None,
    loader: LoaderOpt = None,
    game_version: GameOpt = None,
    dest: Annotated[Path, typer.Option("--dest", "-d", help="The folder to write into.")] = Path("."),
) -> None:
    """Download the newest compatible version's primary file, hash-verified and atomic.

    Example: craftapis modrinth download lithium --loader fabric --game-version 1.20.1 --dest mods
    """
    if not dest.is_dir():
        raise UsageError(f"--dest {dest} is not a folder: create it first")
    with client(ctx) as modrinth:
        chosen = _pick_version(modrinth, project, version, loader, game_version)
        file = _primary(chosen)
        with out.progress(f"download {file.filename}", total=file.size) as bar:
            path = modrinth.download_version_file(
                file, dest, progress=lambda done, total: bar.update(done, total)
            )
    if out.json:
        out.emit({"path": str(path), "version_id": chosen.id, "version_number": chosen.version_number})
        return
    out.say(f"{path} ({chosen.version_number}, {file.size} bytes, verified)")


# -- identify ----------------------------------------------------------------------------------


def _file_hash(version: Version) -> str | None:
    value = _primary(version).hashes.sha512
    return value.lower() if isinstance(value, str) else None


def _paths(items: list[Path]) -> list[Path]:
    paths: list[Path] = []
    for item in items:
        if item.is_dir():
            paths.extend(_update.jars_in(item))
        elif item.is_file():
            paths.append(item)
        else:
            raise UsageError(f"{item} is neither a file nor a folder")
    return paths


@command(app)
def identify(
    ctx: typer.Context,
    out: Output,
    paths: Annotated[list[Path], typer.Argument(help="Jars, or folders of jars.")],
    loader: LoaderOpt = None,
    game_version: GameOpt = None,
) -> None:
    """Say which project and version each jar is, and whether a newer compatible one exists.

    One bulk lookup for the files, one for the newest versions (filtered by --loader and
    --game-version when given). Exit code 3 when a newer version exists for any file.

    Example: craftapis modrinth identify mods/ --loader fabric --game-version 1.20.1
    """
    files = _paths(paths)
    with client(ctx) as modrinth:
        found = modrinth.identify(files) if files else {}
        # any file of a version names its project: ask for the newest versions by those hashes
        key = {p: _file_hash(v) for p, v in found.items() if v is not None}
        latest = modrinth.latest_versions_from_hashes(
            sorted({h for h in key.values() if h}),
            algorithm="sha512",
            loaders=_list(loader),
            game_versions=_list(game_version),
        )
    rows = []
    for path in files:
        version = found.get(path)
        digest = key.get(path)
        newest = latest.get(digest) if digest else None
        newer = newest is not None and version is not None and newest.id != version.id
        rows.append(
            {
                "path": str(path),
                "project_id": version.project_id if version else None,
                "version_id": version.id if version else None,
                "version_number": version.version_number if version else None,
                "newer_version_id": newest.id if newer and newest else None,
                "newer_version_number": newest.version_number if newer and newest else None,
            }
        )
    if out.json:
        out.emit(rows)
    else:
        out.table(
            f"{len(rows)} file(s)",
            ["file", "project", "version", "newer"],
            (
                [
                    Path(str(r["path"])).name,
                    r["project_id"] or "unknown",
                    r["version_number"] or "-",
                    r["newer_version_number"] or ("" if r["version_id"] else "-"),
                ]
                for r in rows
            ),
        )
    if any(r["newer_version_id"] for r in rows):
        raise typer.Exit(ExitCode.FOUND)


# -- update ------------------------------------------------------------------------------------


@command(app)
def update(
    ctx: typer.Context,
    out: Output,
    folder: Annotated[Path, typer.Argument(help="The mods (or plugins) folder.")],
    loader: Annotated[str, typer.Option("--loader", "-l", help="The server's loader, e.g. fabric.")],
    game_version: Annotated[
        str, typer.Option("--game-version", "-g", help="The Minecraft version, e.g. 1.20.1.")
    ],
    version_type: Annotated[
        list[str] | None,
        typer.Option("--version-type", help="Allow only these types (repeatable): release, beta, alpha."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before replacing jars.")] = False,
    keep_backups: Annotated[
        bool, typer.Option("--keep-backups", help=f"Keep each old jar in {_update.BACKUPS}/<time>/.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=16, help="Downloads at once.")] = 4,
) -> None:
    """Update every jar of a folder to its newest compatible version (before a restart).

    One bulk request for the whole folder; each newer file is downloaded, verified, and swapped
    in atomically: killed at any moment, every jar is either the old one or the new one (the next
    run finishes what was left). Unknown jars are left alone and listed. With --dry-run, exit code
    3 means updates are available.

    Example: craftapis modrinth update ./mods --loader fabric --game-version 1.20.1 --yes --keep-backups
    """
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    for vt in version_type or []:
        if vt not in VERSION_TYPES:
            raise UsageError(f"--version-type accepts {', '.join(VERSION_TYPES)}, not {vt!r}")
    if not dry_run:
        for old, new in _update.finish_journal(folder) if (folder / _update.STAGING).exists() else []:
            out.note(f"finished an interrupted update: {old} -> {new}")
    jars = _update.jars_in(folder)
    with out.progress("hashing", total=len(jars)) as bar:
        hashes: dict[Path, str] = {}
        for jar in jars:
            hashes[jar] = hash_file(jar, "sha512")
            bar.advance()
    result: dict[str, Any] = {"dry_run": dry_run, "updated": [], "current": [], "unknown": [], "failed": []}
    with client(ctx) as modrinth:
        latest = (
            modrinth.latest_versions_from_hashes(
                list(hashes.values()),
                algorithm="sha512",
                loaders=[loader],
                game_versions=[game_version],
                version_types=version_type or None,
            )
            if hashes
            else {}
        )
        plan = _update.plan_update(hashes, latest)
        result["current"] = [{"file": j.name, "version_number": v.version_number} for j, v in plan.current]
        result["unknown"] = [j.name for j in plan.unknown]
        planned = [
            {
                "file": s.jar.name,
                "new_file": s.filename,
                "version_id": s.version.id,
                "version_number": s.version.version_number,
            }
            for s in plan.updates
        ]
        if not out.json and plan.updates:
            out.table(
                f"{len(plan.updates)} update(s) for {loader} {game_version}",
                ["jar", "new file", "version"],
                ([p["file"], p["new_file"], p["version_number"]] for p in planned),
            )
        if dry_run:
            result["planned"] = planned
        if dry_run or not plan.updates:
            _summary(out, result, plan)
            if dry_run and plan.updates:
                raise typer.Exit(ExitCode.FOUND)
            return
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError("not replacing jars without asking: pass --yes (or --dry-run to look first)")
            if not typer.confirm(f"Replace {len(plan.updates)} jar(s)?", default=False, err=True):
                raise typer.Exit(ExitCode.OK)
        _apply(modrinth, out, folder, plan, result, keep_backups=keep_backups, jobs=jobs)
    _summary(out, result, plan)
    if result["failed"]:
        raise typer.Exit(ExitCode.PARTIAL)


def _apply(
    modrinth: Modrinth,
    out: Output,
    folder: Path,
    plan: _update.Plan,
    result: dict[str, Any],
    *,
    keep_backups: bool,
    jobs: int,
) -> None:
    stage = _update.staging(folder)
    backups = _update.backup_dir(folder) if keep_backups else None

    def fetch(step: _update.Step) -> Path:
        dest = stage / f"{step.filename}.{step.version.id}.new"
        return modrinth.download_version_file(_primary(step.version), dest)

    with out.progress("updating", total=len(plan.updates)) as bar:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="craftapis-update")
        try:
            futures = {pool.submit(fetch, step): step for step in plan.updates}
            for future in concurrent.futures.as_completed(futures):
                step = futures[future]
                bar.describe(f"updating {step.jar.name}")
                try:
                    new_file = future.result()
                    placed = _update.swap(step, new_file, backups=backups)
                except Exception as exc:  # one jar failing must not stop the others
                    result["failed"].append({"file": step.jar.name, "error": str(exc)})
                else:
                    result["updated"].append(
                        {
                            "file": step.jar.name,
                            "new_file": placed.name,
                            "version_number": step.version.version_number,
                        }
                    )
                bar.advance()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    with contextlib.suppress(OSError):
        stage.rmdir()  # only when empty (a journal left by a failure stays)


def _summary(out: Output, result: dict[str, Any], plan: _update.Plan) -> None:
    if out.json:
        out.emit(result)
        return
    for name in result["unknown"]:
        out.say(f"left alone (not on Modrinth, or nothing for this loader/version): {name}")
    for failure in result["failed"]:
        out.say(f"FAILED {failure['file']}: {failure['error']}")
    done = len(result["updated"])
    verb = "would update" if result["dry_run"] else "updated"
    count = len(plan.updates) if result["dry_run"] else done
    out.say(
        f"{verb} {count}, up to date {len(result['current'])}, unknown {len(result['unknown'])}, "
        f"failed {len(result['failed'])}"
    )


# -- mrpack install ------------------------------------------------------------------------------


@contextlib.contextmanager
def _pack_file(
    modrinth: Modrinth, out: Output, source: str, loader: str | None, game: str | None
) -> Iterator[Path]:
    path = Path(source)
    if path.is_file():
        yield path
        return
    if source.endswith(".mrpack"):
        raise UsageError(f"{source} does not exist")
    chosen = _pick_version(modrinth, source, None, loader, game)
    file = _primary(chosen)
    with tempfile.TemporaryDirectory(prefix="craftapis-mrpack-") as tmp:
        with out.progress(f"download {file.filename}", total=file.size) as bar:
            got = modrinth.download_version_file(
                file, Path(tmp) / "pack.mrpack", progress=lambda d, t: bar.update(d, t)
            )
        yield got


@command(mrpack_app, "install")
def mrpack_install(
    ctx: typer.Context,
    out: Output,
    source: Annotated[str, typer.Argument(help="A .mrpack file, or a modpack project id/slug.")],
    dest: Annotated[Path, typer.Option("--dest", "-d", help="The instance or server folder.")] = Path("."),
    server: Annotated[
        bool, typer.Option("--server", help="Install the server side (server-overrides/).")
    ] = False,
    loader: LoaderOpt = None,
    game_version: GameOpt = None,
) -> None:
    """Install a Modrinth modpack: every file downloaded and verified, nothing outside --dest.

    A pack is untrusted input: a path that is absolute, has '..' or a backslash, or resolves outside
    --dest refuses the whole pack before anything is written. Files already present with the right
    hash are kept, so an interrupted install finishes when run again.

    Example: craftapis modrinth mrpack install my-pack.mrpack --dest ./server --server
    """
    dest.mkdir(parents=True, exist_ok=True)
    with client(ctx) as modrinth, _pack_file(modrinth, out, source, loader, game_version) as pack_path:
        try:
            archive = zipfile.ZipFile(pack_path)
        except zipfile.BadZipFile as exc:
            raise _mrpack.PackError(f"{pack_path} is not a zip file") from exc
        with archive:
            try:
                pack = _mrpack.read_pack(archive, server=server)
                targets = [(f, _mrpack.inside(dest, f.path)) for f in pack.files if f.wanted(server=server)]
                overrides = [(name, rel, _mrpack.inside(dest, rel)) for name, rel in pack.overrides]
            except _mrpack.PackError as exc:
                raise _mrpack.PackError(f"{pack_path.name}: {exc}; nothing was installed") from exc
            report = _install(modrinth, out, archive, targets, overrides)
    report.update(name=pack.name, version=pack.version_id, dependencies=pack.dependencies, dest=str(dest))
    if out.json:
        out.emit(report)
    else:
        deps = ", ".join(f"{k} {v}" for k, v in pack.dependencies.items())
        out.say(
            f"installed {pack.name} {pack.version_id} into {dest}: {len(report['downloaded'])} downloaded, "
            f"{len(report['kept'])} already there, {len(report['overrides'])} override(s), "
            f"{len(report['failed'])} failed" + (f"; needs {deps}" if deps else "")
        )
        for failure in report["failed"]:
            out.say(f"FAILED {failure['path']}: {failure['error']}")
    if report["failed"]:
        raise typer.Exit(ExitCode.PARTIAL)


def _install(
    modrinth: Modrinth,
    out: Output,
    archive: zipfile.ZipFile,
    targets: list[tuple[_mrpack.PackFile, Path]],
    overrides: list[tuple[str, PurePosixPath, Path]],
) -> dict[str, Any]:
    from craftapis_generated.modrinth.models import VersionFile

    report: dict[str, Any] = {"downloaded": [], "kept": [], "overrides": [], "failed": []}
    with out.progress("installing", total=len(targets) + len(overrides)) as bar:
        for file, target in targets:
            rel = str(file.path)
            if _mrpack.sha512_of(target) == file.sha512:
                report["kept"].append(rel)
                bar.advance()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            error: Exception | None = None
            for url in file.downloads:
                spec = VersionFile.from_dict(
                    {
                        "hashes": {"sha1": file.sha1, "sha512": file.sha512},
                        "url": url,
                        "filename": file.path.name,
                        "primary": True,
                        "size": file.size or 0,
                        "file_type": None,  # required in the model (the server always sends it); an ordinary file
                    }
                )
                try:
                    modrinth.download_version_file(spec, target)
                except Exception as exc:  # try the next mirror
                    error = exc
                else:
                    error = None
                    break
            if error is None:
                report["downloaded"].append(rel)
            else:
                report["failed"].append({"path": rel, "error": str(error)})
            bar.advance()
        for name, relative, target in overrides:
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(name) as member:
                _mrpack.write_atomic(target, iter(functools.partial(member.read, 1 << 16), b""))
            report["overrides"].append(str(relative))
            bar.advance()
    return report
