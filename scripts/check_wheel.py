"""Import every public name of an installed craftapis and report where it came from.

    python scripts/check_wheel.py      # run by `nox -s build` inside a clean virtualenv

Fails (exit 1) when a name in any package's `__all__` cannot be imported, when the package was
imported from a source checkout instead of site-packages, or when the generated raw clients are
missing from the installation.
"""

from __future__ import annotations

import importlib
import sys

PACKAGES = [
    "craftapis",
    "craftapis.modrinth",
    "craftapis.builtbybit",
    "craftapis.builtbybit_v1",
    "craftapis.moonrope",
    "craftapis.postal",
    "craftapis.railcraft",
]
GENERATED = ["modrinth", "builtbybit_v2", "builtbybit_v1", "postal", "railcraft"]


def main() -> int:
    failures: list[str] = []
    count = 0
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            try:
                getattr(module, name)
                count += 1
            except Exception as exc:  # report every failure, not only the first
                failures.append(f"{package}.{name}: {type(exc).__name__}: {exc}")
    root = importlib.import_module("craftapis")
    where = str(root.__file__)
    if "site-packages" not in where:
        failures.append(f"craftapis was imported from {where}, not from the installed wheel")
    for api in GENERATED:
        try:
            importlib.import_module(f"craftapis_generated.{api}.models")
        except ImportError as exc:
            failures.append(f"craftapis_generated.{api}: {exc}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(f"craftapis {root.__version__}: {count} public names import from the installed wheel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
