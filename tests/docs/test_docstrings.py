"""Every public name of craftapis has a docstring: the API reference is rendered from them, so a
name without one is a blank entry in the documentation."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = [
    "craftapis",
    "craftapis.modrinth",
    "craftapis.builtbybit",
    "craftapis.builtbybit_v1",
    "craftapis.moonrope",
    "craftapis.postal",
    "craftapis.railcraft",
]


def _undocumented(package: str) -> list[str]:
    module = importlib.import_module(package)
    missing: list[str] = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(f"{package}.{name}")
        if not inspect.isclass(obj):
            continue
        for attr, value in vars(obj).items():
            if attr.startswith("_"):
                continue
            func = value.fget if isinstance(value, property) else value
            func = getattr(func, "__func__", func)
            if inspect.isfunction(func) and not (inspect.getdoc(getattr(obj, attr)) or "").strip():
                missing.append(f"{package}.{name}.{attr}")
    return missing


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_has_a_docstring(package: str) -> None:
    missing = _undocumented(package)
    assert not missing, "public names without a docstring (the API reference would be blank):\n" + "\n".join(
        missing
    )


def test_the_check_sees_a_missing_docstring(monkeypatch: pytest.MonkeyPatch) -> None:
    import craftapis

    class Undocumented:
        def method(self) -> None:
            pass

    monkeypatch.setattr(craftapis, "Undocumented", Undocumented, raising=False)
    monkeypatch.setattr(craftapis, "__all__", [*craftapis.__all__, "Undocumented"])
    assert _undocumented("craftapis")[-2:] == ["craftapis.Undocumented", "craftapis.Undocumented.method"]
