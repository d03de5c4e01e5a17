"""The User-Agent Modrinth requires: the user's application first, then craftapis."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from typing import Final

from .._version import __version__

__all__ = ["LIBRARY_AGENT", "MissingUserAgentWarning", "resolve_user_agent"]

#: What craftapis appends to every User-Agent, so Modrinth can tell which library misbehaves.
LIBRARY_AGENT: Final = f"craftapis/{__version__}"

_warned = False
_warned_lock = threading.Lock()


class MissingUserAgentWarning(UserWarning):
    """No `user_agent=` was given: Modrinth may block requests that only name the library."""


def _warn_once(stacklevel: int) -> None:
    global _warned
    with _warned_lock:
        if _warned:
            return
        _warned = True
    warnings.warn(
        "Modrinth requires a User-Agent that identifies your application and blocks bare library "
        f"user agents such as {LIBRARY_AGENT!r}. Pass one, ideally with contact details: "
        "Modrinth(user_agent='your_github_name/your_project/1.0.0 (you@example.com)'). "
        "(This warning is shown once per process.)",
        MissingUserAgentWarning,
        stacklevel=stacklevel + 1,
    )


def resolve_user_agent(
    user_agent: str | None, headers: Mapping[str, str] | None, *, stacklevel: int = 1
) -> dict[str, str]:
    """The client's default headers, with `User-Agent: <app> craftapis/<version>`.

    The application comes from `user_agent`, else from a `User-Agent` in `headers`. With
    neither, warn once per process (`MissingUserAgentWarning`) and send `craftapis/<version>`.
    `stacklevel` counts frames from the caller of this function to the user's code.
    """
    merged = {k: v for k, v in (headers or {}).items() if k.lower() != "user-agent"}
    if user_agent is None:
        user_agent = next((v for k, v in (headers or {}).items() if k.lower() == "user-agent"), None)
    app = (user_agent or "").strip()
    if any(c in app for c in "\r\n\0"):
        raise ValueError("user_agent must be one line: it cannot contain CR, LF or NUL characters")
    if not app:
        _warn_once(stacklevel + 1)
        merged["User-Agent"] = LIBRARY_AGENT
    elif app.endswith(LIBRARY_AGENT):
        merged["User-Agent"] = app
    else:
        merged["User-Agent"] = f"{app} {LIBRARY_AGENT}"
    return merged
