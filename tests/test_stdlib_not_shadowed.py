"""tests/ holds folders named like standard-library modules (`secrets/`, `typing/`): with tests/ on
sys.path ahead of the standard library, `import secrets` in any library (redis-py does it) would
get the test package. The conftest puts tests/ last; this proves the standard modules win."""

from __future__ import annotations

import importlib.machinery
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_secrets_and_typing_resolve_to_the_standard_library() -> None:
    for name in ("secrets", "typing"):
        # searches sys.path as a fresh import would, ignoring modules imported already
        spec = importlib.machinery.PathFinder.find_spec(name, sys.path)
        assert spec is not None and spec.origin is not None, name
        assert TESTS not in Path(spec.origin).resolve().parents, f"{name} resolves to {spec.origin}"
