"""tests/ holds folders named like standard-library modules (`secrets/`, `typing/`): with tests/ on
sys.path ahead of the standard library, `import secrets` in any library (redis-py does it) would
get the test package. The conftest puts tests/ last; this proves the standard modules win."""

from __future__ import annotations

import importlib
import sys


def test_secrets_and_typing_are_the_standard_library() -> None:
    for name in ("secrets", "typing"):
        module = sys.modules.get(name) or importlib.import_module(name)
        origin = str(getattr(module, "__file__", "") or "")
        assert "tests" not in origin.replace("\\", "/").split("/")[-2:-1], origin
    import secrets
    import typing

    assert callable(secrets.token_bytes)
    assert hasattr(typing, "TYPE_CHECKING")
