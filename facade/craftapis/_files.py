"""Writing downloads safely: server-given names, file modes, leftovers of a killed run.

Shared by every client that saves files (Modrinth's version files, Railcraft's archives).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Final

from ._errors import DownloadError

__all__ = ["STALE_PART_AGE", "clean_stale_parts", "file_mode", "safe_filename"]

#: A `.part` file of the same destination untouched this long is a leftover of a killed run.
STALE_PART_AGE: Final = 3600.0
#: The longest file name written (bytes, UTF-8): most file systems' NAME_MAX.
_NAME_MAX: Final = 255
_UMASK_LOCK = threading.Lock()


def file_mode() -> int:
    """The mode a new file gets under the process umask (read by setting it and putting it back, under
    a lock): 0644 under 022, where `mkstemp` gives 0600."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def safe_filename(name: str, *, url: str | None) -> str:
    """The last component of a server-given file name, refused (`DownloadError`) unless it is a plain,
    visible file name: no NUL or control character, not a dotfile (`.bashrc`), at most 255 bytes."""
    given = name
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # its last component: no "../" escapes
    problem = None
    if not name or name in (".", ".."):
        problem = "is empty"
    elif any(ord(c) < 32 or c == "\x7f" for c in name):
        problem = "contains a control character (NUL, newline ...)"
    elif name.startswith("."):
        problem = "is a dotfile (it would be hidden, or overwrite e.g. .bashrc)"
    elif len(name.encode("utf-8", "surrogatepass")) > _NAME_MAX:
        problem = f"is longer than {_NAME_MAX} bytes"
    if problem is not None:
        raise DownloadError(
            f"the server names the file {given[:80]!r}, which {problem}; nothing was written. Pass a "
            "file path (not a folder) as the destination to choose the name yourself",
            method="GET",
            url=url,
        )
    return name


def clean_stale_parts(dest: Path) -> None:
    """Remove `.part` files of `dest` that a killed run left behind (untouched for `STALE_PART_AGE`)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for part in dest.parent.glob(f".{dest.name}.*.part"):
            with contextlib.suppress(OSError):
                if now - part.stat().st_mtime > STALE_PART_AGE:
                    part.unlink()
