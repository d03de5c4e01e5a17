"""`craftapis` is typed for checkers (every lazy name imported under TYPE_CHECKING, a static `__all__`)
and stays lazy at runtime (importing it loads no API client and no generated package)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import craftapis

INIT = Path(craftapis.__file__)


def _type_checking_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in stmt.names)
    return names


def _static_all(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            assert isinstance(node.value, ast.List), "__all__ must be a literal list so checkers can read it"
            out = []
            for elt in node.value.elts:
                assert isinstance(elt, ast.Constant) and isinstance(elt.value, str), (
                    f"__all__ holds a non-literal entry ({ast.dump(elt)}): checkers cannot read it"
                )
                out.append(elt.value)
            return out
    raise AssertionError("craftapis/__init__.py has no __all__")


def test_every_lazy_name_is_imported_for_checkers() -> None:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    missing = sorted(set(craftapis._LAZY) - _type_checking_names(tree))
    assert not missing, f"lazy names without a TYPE_CHECKING import (untyped for users): {missing}"


def test_static_all_lists_every_public_name() -> None:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    listed = _static_all(tree)
    assert len(listed) == len(set(listed)), "duplicate names in __all__"
    assert set(craftapis._LAZY) <= set(listed), sorted(set(craftapis._LAZY) - set(listed))
    for name in listed:
        assert getattr(craftapis, name) is not None, name


def test_import_stays_lazy() -> None:
    code = (
        "import sys, craftapis\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('craftapis_generated')"
        " or m.split('.')[:2] in (['craftapis','modrinth'], ['craftapis','builtbybit'],"
        " ['craftapis','builtbybit_v1'], ['craftapis','moonrope'], ['craftapis','postal'],"
        " ['craftapis','railcraft']))\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"`import craftapis` loaded API modules eagerly: {out.stdout}"
