"""The repository's scripts/ modules, loaded by file path.

`scripts/coverage.py` would shadow (or be shadowed by) the PyPI `coverage` package if imported by
name, so it is loaded under a private module name. It puts scripts/ on sys.path to import `_specs`;
that entry is taken out again, so `import coverage` elsewhere still finds the real package.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["ROOT", "coverage_script", "specs_script"]

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    module_name = f"_craftapis_scripts_{name.lstrip('_')}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


coverage_script = _load("coverage")
specs_script = sys.modules.get("_specs") or _load("_specs")
