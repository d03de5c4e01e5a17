"""List every operation of every pinned spec beside the generated function for it; exit 1 if any is missing.

    python scripts/coverage.py [--api NAME] [--mirror DIR] [--quiet]

Operations are counted in the *unpatched* documents (upstream as published, authored as written), so
a patch can never hide an operation. They are matched to generated modules by HTTP method and path
shape (path parameter names are ignored, since patches rename `{id|slug}` to `{id_slug}`).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _specs import GENERATED, SpecError, apis, fetch, iter_operations, load_document, load_lock, mirror_from

_PARAM = re.compile(r"\{[^}]*\}")


def shape(path: str) -> str:
    return _PARAM.sub("{}", path.rstrip("/") or "/")


def endpoint_of(module: Path) -> tuple[str, str] | None:
    """(METHOD, URL template) a generated endpoint module sends, read from its `_get_kwargs` (or None)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    method = url = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=False):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "method"
                    and isinstance(value, ast.Constant)
                ):
                    method = str(value.value).upper()
                if isinstance(key, ast.Constant) and key.value == "url":
                    if isinstance(value, ast.Constant):
                        url = str(value.value)
                    elif (  # "/version/{id}".format(id=quote(...))
                        isinstance(value, ast.Call)
                        and isinstance(value.func, ast.Attribute)
                        and isinstance(value.func.value, ast.Constant)
                    ):
                        url = str(value.func.value.value)
                    elif isinstance(value, ast.JoinedStr):
                        url = "".join(
                            str(v.value) if isinstance(v, ast.Constant) else "{}" for v in value.values
                        )
    return (method, url) if method and url else None


def generated_operations(package: Path) -> dict[tuple[str, str], str]:
    """(METHOD, path shape) -> dotted module of each generated endpoint, read from its `_get_kwargs`."""
    found: dict[tuple[str, str], str] = {}
    for module in sorted((package / "api").rglob("*.py")):
        if module.name == "__init__.py":
            continue
        endpoint = endpoint_of(module)
        if endpoint:
            rel = module.relative_to(package.parent).with_suffix("")
            found[(endpoint[0], shape(endpoint[1]))] = ".".join(rel.parts)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--api", action="append", help="only this API (repeatable)")
    parser.add_argument(
        "--mirror", help="folder holding the upstream documents (else $CRAFTAPIS_SPEC_MIRROR)"
    )
    parser.add_argument("--generated", default=str(GENERATED), help="the generated root package folder")
    parser.add_argument("--quiet", action="store_true", help="print only the totals and what is missing")
    args = parser.parse_args(argv)
    root = Path(args.generated)
    total = covered = 0
    try:
        selected = apis(load_lock(), args.api)
        docs = {api.name: load_document(fetch(api, mirror_from(args.mirror), log=False)) for api in selected}
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for api in selected:
        gen = generated_operations(root / api.package) if (root / api.package).exists() else {}
        ops = list(iter_operations(docs[api.name]))
        hits = 0
        lines = []
        for method, path, op in ops:
            module = gen.get((method, shape(path)))
            hits += module is not None
            mark = "ok     " if module else "MISSING"
            if module is None or not args.quiet:
                lines.append(f"  {mark} {method:6} {path:60} {op.get('operationId', '-'):40} {module or ''}")
        print(f"{api.name}: {hits}/{len(ops)} operations generated ({api.kind})")
        print("\n".join(lines)) if lines else None
        total += len(ops)
        covered += hits
    print(f"total: {covered}/{total} operations generated")
    return 0 if covered == total else 1


if __name__ == "__main__":
    sys.exit(main())
