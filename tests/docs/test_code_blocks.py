"""The code in the documentation is code: every Python block in docs/ and the README compiles, and
every craftapis name and client method it uses exists, so a rename cannot leave the pages behind."""

from __future__ import annotations

import re
from pathlib import Path

import craftapis
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
#: the variable names the pages use for each client
CLIENTS = {
    "modrinth": "Modrinth",
    "bbb": "BuiltByBit",
    "v1": "BuiltByBitV1",
    "postal": "Postal",
    "pack": "RailcraftPack",
    "api": "Moonrope",
}


def blocks() -> list[tuple[str, int, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append((page.relative_to(ROOT).as_posix(), line, match.group(1)))
    return found


def _id(block: tuple[str, int, str]) -> str:
    return f"{block[0]}:{block[1]}"


@pytest.mark.parametrize("block", blocks(), ids=_id)
def test_block_compiles_and_names_exist(block: tuple[str, int, str]) -> None:
    page, line, code = block
    compile(code, f"{page}:{line}", "exec")
    for name in re.findall(r"\bcraftapis\.([A-Za-z_]\w*)", code):
        if name in {"modrinth", "builtbybit", "builtbybit_v1", "moonrope", "postal", "railcraft"}:
            continue
        assert hasattr(craftapis, name), f"{page}:{line} uses craftapis.{name}, which does not exist"
    for variable, method in re.findall(r"\b(modrinth|bbb|v1|postal|pack|api)\.([a-z_]\w*)\(", code):
        cls = getattr(craftapis, CLIENTS[variable])
        assert hasattr(cls, method), f"{page}:{line} calls {variable}.{method}(), which {cls.__name__} lacks"


def test_the_pages_have_code() -> None:
    assert len(blocks()) >= 20
