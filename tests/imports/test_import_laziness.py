"""What `from craftapis import Modrinth` loads (issue 12: import time), asserted as behaviour, not time.

A sync Modrinth user must not pay for the async stack (asyncio, aiohttp, the async client and
transports), for the generated operations (loaded on first `client.api`/call), for orjson (and the
uuid/platform modules it drags in: loaded on the first decode) or for difflib (loaded when a mistake
needs a "did you mean"). Each check runs in a fresh interpreter, so what other tests imported does not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: modules a sync `from craftapis import Modrinth` must not load, and why
NOT_FOR_SYNC = {
    "asyncio": "the async stack is for the async clients",
    "aiohttp": "the async default transport",
    "httpx_aiohttp": "no longer used at all (craftapis._aiohttp_transport replaced it)",
    "craftapis._aiohttp_transport": "the async default transport",
    "craftapis.modrinth._async_client": "AsyncModrinth loads on first use",
    "craftapis._async_base": "the async client base",
    "craftapis._async_transport": "the async policy transport",
    "craftapis._async_http": "the async HTTP seam",
    "orjson": "loaded on the first JSON decode (it imports uuid and platform)",
    "uuid": "only orjson wanted it",
    "difflib": "loaded when a misspelt name needs close matches",
    "craftapis_generated.modrinth.operations": "the typed operations load on first client.api use",
    "craftapis_generated.modrinth.models": "models load with the first parsed response",
}


def _loaded_after(code: str) -> set[str]:
    """The modules loaded by `code` in a fresh interpreter (on this checkout's facade and generated)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "facade"), str(ROOT / "generated")]),
    }
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _new_after(code: str) -> set[str]:
    """What `code` loads beyond `import httpx` (which, with some optional packages installed, loads
    some of these itself: that is not craftapis' doing)."""
    return _loaded_after(f"import httpx\n{code}") - _loaded_after("import httpx")


def test_the_sync_modrinth_client_loads_no_async_stack_operations_orjson_or_difflib() -> None:
    loaded = _new_after("from craftapis import Modrinth")
    wrong = {name: why for name, why in NOT_FOR_SYNC.items() if name in loaded}
    assert not wrong, f"`from craftapis import Modrinth` loaded: {wrong}"
    assert "craftapis.modrinth._sync_client" in loaded  # and it did load what it needs


def test_a_constructed_client_still_loads_nothing_it_has_not_used() -> None:
    loaded = _new_after(
        "from craftapis import Modrinth\nModrinth(user_agent='me/test/1.0 (me@example.invalid)').close()"
    )
    wrong = {name: why for name, why in NOT_FOR_SYNC.items() if name in loaded}
    assert not wrong, f"constructing a Modrinth client loaded: {wrong}"


def test_first_api_use_loads_the_operations_and_a_decode_loads_orjson() -> None:
    loaded = _loaded_after(
        "from craftapis import Modrinth\n"
        "from craftapis._base import loads\n"
        "client = Modrinth(user_agent='me/test/1.0 (me@example.invalid)')\n"
        "client.api.projects\n"
        "assert loads(b'{\"a\": [1, 2]}') == {'a': [1, 2]}\n"
    )
    assert "craftapis_generated.modrinth.operations" in loaded
    assert "orjson" in loaded
    assert "craftapis._async_base" not in loaded  # still a sync-only program


@pytest.mark.parametrize(
    "code",
    [
        "from craftapis import AsyncModrinth",
        "from craftapis.modrinth import AsyncModrinth",
        "import craftapis.modrinth as m; m.AsyncModrinth",
    ],
)
def test_the_async_client_loads_on_first_use(code: str) -> None:
    loaded = _loaded_after(code)
    assert "craftapis.modrinth._async_client" in loaded


def test_the_modrinth_package_still_lists_and_serves_every_name() -> None:
    import craftapis.modrinth as modrinth

    assert "AsyncModrinth" in dir(modrinth) and "AsyncModrinth" in modrinth.__all__
    for name in modrinth.__all__:
        assert getattr(modrinth, name) is not None, name
    with pytest.raises(AttributeError, match="has no attribute 'AsyncModrinht'"):
        _ = modrinth.AsyncModrinht  # type: ignore[attr-defined]


def test_async_lock_still_resolves_lazily() -> None:
    import asyncio

    from craftapis import _primitives

    assert _primitives.AsyncLock is asyncio.Lock
    with pytest.raises(AttributeError):
        _ = _primitives.NoSuchThing  # type: ignore[attr-defined]
