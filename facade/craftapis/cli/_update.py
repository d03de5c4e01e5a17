"""`modrinth update`: plan a mods folder's update from one bulk request, then swap jar by jar.

The swap keeps one promise: killed at any moment, the folder holds, for every mod, exactly one jar,
either the old one or the new one. A new file is downloaded and verified in the staging folder
`.craftapis-update/` (inside the mods folder, so on the same file system), then:

1. a journal line records `old name -> new name` (fsynced);
2. the verified new file is renamed over the OLD jar's name (`os.replace`: atomic);
3. the jar is renamed to its new name (`os.rename`: atomic), and the journal line is dropped.

Between 2 and 3 the folder holds the new jar under the old name, which loads the same; the next run
finishes the rename from the journal. With `--keep-backups` the old jar is hard-linked (else
copied) into `.craftapis-backups/<time>/` before step 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from craftapis_generated.modrinth.models import Version

__all__ = ["BACKUPS", "STAGING", "Plan", "finish_journal", "plan_update", "swap"]

STAGING = ".craftapis-update"
BACKUPS = ".craftapis-backups"
JOURNAL = "journal.jsonl"


@dataclass
class Step:
    """One jar to replace: the jar, the version to install and the file of it."""

    jar: Path
    version: Version
    filename: str

    @property
    def target(self) -> Path:
        return self.jar.with_name(self.filename)


@dataclass
class Plan:
    """What one bulk answer says about a folder."""

    updates: list[Step] = field(default_factory=list)
    current: list[tuple[Path, Version]] = field(default_factory=list)
    unknown: list[Path] = field(default_factory=list)


def jars_in(folder: Path) -> list[Path]:
    """The jars of a mods folder (not hidden files, not sub-folders), sorted by name."""
    return sorted(
        p for p in folder.iterdir() if p.suffix == ".jar" and not p.name.startswith(".") and p.is_file()
    )


def _primary(version: Version) -> Any:
    files = list(version.files)
    return next((f for f in files if f.primary), files[0]) if files else None


def _hashes_of(version: Version) -> set[str]:
    out: set[str] = set()
    for file in version.files:
        props = file.hashes.to_dict()
        out.update(str(v).lower() for v in props.values() if isinstance(v, str))
    return out


def plan_update(hashes: Mapping[Path, str], latest: Mapping[str, Version]) -> Plan:
    """Sort each jar into: to update (its newest version is another file), current, unknown."""
    plan = Plan()
    for jar, digest in hashes.items():
        version = latest.get(digest)
        if version is None:
            plan.unknown.append(jar)
            continue
        if digest in _hashes_of(version):
            plan.current.append((jar, version))
            continue
        primary = _primary(version)
        if primary is None:
            plan.unknown.append(jar)
            continue
        name = Path(str(primary.filename)).name
        if name in ("", ".", "..") or not name.endswith(".jar"):
            name = jar.name  # keep the old name rather than trust an odd one
        plan.updates.append(Step(jar, version, name))
    return plan


def staging(folder: Path) -> Path:
    """The staging folder, created; files left by an interrupted run are removed first."""
    stage = folder / STAGING
    stage.mkdir(exist_ok=True)
    for leftover in stage.iterdir():
        if leftover.name != JOURNAL and leftover.is_file():
            leftover.unlink(missing_ok=True)
    return stage


def _journal(folder: Path) -> Path:
    return folder / STAGING / JOURNAL


def _write_journal(folder: Path, entries: Iterable[dict[str, str]]) -> None:
    path = _journal(folder)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as file:
        for entry in entries:
            file.write(json.dumps(entry) + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _read_journal(folder: Path) -> list[dict[str, str]]:
    try:
        lines = _journal(folder).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and {"old", "new"} <= entry.keys():
                out.append({"old": str(entry["old"]), "new": str(entry["new"])})
    return out


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _safe_name(name: str) -> bool:
    return name == Path(name).name and name not in ("", ".", "..")


def finish_journal(folder: Path) -> list[tuple[str, str]]:
    """Finish the renames an interrupted run left (step 3); returns the `(old, new)` names done."""
    done = []
    for entry in _read_journal(folder):
        old, new = entry["old"], entry["new"]
        if not (_safe_name(old) and _safe_name(new)):
            continue
        source, target = folder / old, folder / new
        if source.exists() and not target.exists():
            os.rename(source, target)
            done.append((old, new))
    if _journal(folder).exists():
        _journal(folder).unlink()
    _fsync_dir(folder)
    return done


def backup_dir(folder: Path) -> Path:
    path = folder / BACKUPS / time.strftime("%Y%m%d-%H%M%S")
    path.mkdir(parents=True, exist_ok=True)
    return path


def swap(step: Step, new_file: Path, *, backups: Path | None) -> Path:
    """Put the verified `new_file` in place of `step.jar` (see the module docstring); returns the jar."""
    folder = step.jar.parent
    target = step.target
    rename = target != step.jar and not target.exists()
    if backups is not None:
        saved = backups / step.jar.name
        try:
            os.link(step.jar, saved)
        except OSError:
            shutil.copy2(step.jar, saved)
    if rename:
        _write_journal(folder, [{"old": step.jar.name, "new": target.name}])
    os.replace(new_file, step.jar)  # step 2: the old name now holds the new jar
    _fsync_dir(folder)
    if not rename:
        return step.jar
    os.rename(step.jar, target)  # step 3
    _fsync_dir(folder)
    _journal(folder).unlink(missing_ok=True)
    return target
