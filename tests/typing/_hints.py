"""`typing.get_type_hints` for code that imports its annotation types under `TYPE_CHECKING` (as
craftapis does, to stay lazy): the `if TYPE_CHECKING:` imports of the object's module are executed
into the namespace the annotations are evaluated in."""

from __future__ import annotations

import ast
import functools
import inspect
import sys
import typing
from typing import Any


@functools.cache
def type_checking_namespace(module_name: str) -> dict[str, Any]:
    module = sys.modules[module_name]
    namespace: dict[str, Any] = dict(vars(module))
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return namespace
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
            and "not" not in ast.unparse(node.test)
        ):
            code = compile(
                ast.Module(body=node.body, type_ignores=[]), module.__file__ or module_name, "exec"
            )
            exec(code, {"__name__": module_name, "__package__": module.__package__}, namespace)
    return namespace


def resolved_hints(obj: Any) -> dict[str, Any]:
    """The evaluated annotations of a function, method or class, TYPE_CHECKING imports included."""
    target = inspect.unwrap(obj)
    module = getattr(target, "__module__", None)
    namespace = type_checking_namespace(module) if module in sys.modules else None
    return typing.get_type_hints(target, globalns=namespace, localns=namespace)
