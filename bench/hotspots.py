"""Where one job's time goes: cProfile of J1, J2, J3 (sync) or J4 (async) in this process, against the
benchmarks' loopback server, grouped by package and then by craftapis function.

    python bench/hotspots.py J1            # 300 `get_project` calls (the default)
    python bench/hotspots.py J2 --calls 10 # the 886-version list
    python bench/hotspots.py J4            # 16 tasks, 2,000 fetches on one AsyncModrinth

Run it with craftapis importable (the bench venv, or PYTHONPATH=facade:generated). cProfile adds a
fixed cost to every Python function call, so shares lean towards code with many small calls; compare
the shares of one printout, and time with `run.py`. This prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import os
import pstats
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import BenchServer

USER_AGENT = "craftapis-bench/1.0 (bench@example.invalid)"


def _group(filename: str, name: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0]
    if "craftapis_generated" in filename:
        return "craftapis generated models/operations"
    if "/craftapis/" in filename:
        return "craftapis facade"
    if filename.endswith("hotspots.py"):
        return "the profiled loop (freeing each result is counted here)"
    if filename == "~":
        if "socket" in name:
            return "socket I/O"
        return "builtins: " + name.split(" of ")[0].strip("<>{}")[:40]
    return "stdlib: " + os.path.basename(filename)


def _job(job: str, url: str, calls: int) -> Callable[[], Any]:
    if job == "J4":
        from craftapis.modrinth import AsyncModrinth

        async def run() -> None:
            async with AsyncModrinth(user_agent=USER_AGENT, base_url=url) as client:
                left = calls

                async def task() -> None:
                    nonlocal left
                    while left > 0:
                        left -= 1
                        await client.get_project("fabric-api")

                await asyncio.gather(*(task() for _ in range(16)))

        return lambda: asyncio.run(run())
    from craftapis.modrinth import Modrinth

    client = Modrinth(user_agent=USER_AGENT, base_url=url)
    one = {
        "J1": lambda: client.get_project("fabric-api"),
        "J2": lambda: client.get_project_versions("viaversion"),
        "J3": lambda: client.search_page("x", limit=20),
    }[job]

    def run_sync() -> None:
        for _ in range(calls):
            one()

    return run_sync


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("job", nargs="?", default="J1", choices=["J1", "J2", "J3", "J4"])
    parser.add_argument("--calls", type=int, help="calls profiled (J1/J3 300, J2 10, J4 2000)")
    parser.add_argument("--top", type=int, default=15, help="functions listed (by own time)")
    args = parser.parse_args()
    calls = args.calls or {"J1": 300, "J2": 10, "J3": 300, "J4": 2000}[args.job]
    with BenchServer() as server:
        run = _job(args.job, server.url, max(calls // 10, 1))
        run()  # warm: connections, imports, lazily built tables
        run = _job(args.job, server.url, calls)
        profile = cProfile.Profile()
        profile.enable()
        run()
        profile.disable()
    stats = pstats.Stats(profile)
    groups: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for (filename, line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        groups[_group(filename, name)] += tottime
        if "/craftapis" in filename:
            own[f"{filename.split('/craftapis')[-1].lstrip('/')}:{line}({name})"] += tottime
    total = sum(groups.values())
    print(f"{args.job}: {calls} calls, {total:.3f} s under cProfile")
    print("| where | share |\n|---|---:|")
    for group, seconds in groups.most_common(12):
        print(f"| {group} | {seconds / total:.0%} |")
    print(f"\ncraftapis functions by own time (top {args.top}):")
    for function, seconds in own.most_common(args.top):
        print(f"  {seconds / total:6.1%}  {function}")


if __name__ == "__main__":
    main()
