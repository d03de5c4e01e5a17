"""craftapis against its peers, side by side in one run: J1-J4, memory over 100,000 paginated hits, import time.

    nox -s bench                                  # installs the peers into venvs of their own, then runs this
    python bench/run.py --peer modrinthpy=PYTHON  # by hand: every peer row names the interpreter of its venv
    python bench/run.py --quick                   # a tenth of the calls (a smoke run)

Every row runs in a worker process of its own (a peer in the interpreter of its own virtualenv, craftapis
and httpx in this one), all talking to one loopback server (bench/_server.py) that answers with the real
Modrinth payloads of ../shared/real-responses/modrinth (read at run time, never committed):

* J1: one project, ``project-fabric-api.json`` (23 KB) -> typed;
* J2: a version list, ``project-viaversion-versions.json`` (1.46 MB, 886 versions) -> typed;
* J3: one search page of 20 hits -> typed;
* J4: async, 16 tasks sharing one client, 2,000 project fetches in all, after a warm-up run of 64: requests per second;
* memory: the tracemalloc peak while iterating 100,000 search hits 100 a page, divided by the peak of
  fetching and iterating one page (1.0x = paging keeps nothing);
* import: ``import httpx`` / ``import craftapis`` / ``from craftapis import Modrinth`` in fresh interpreters.

J1-J3 are timed as single calls: in every round each worker does a batch of calls, the workers in a new
random order each round (seeded), and a row's figure is the median of all its calls. Ratios are to
``httpx.Client`` + ``.json()`` (the untyped floor every wrapper sits on) in the same run; the "control"
row is a second, identical httpx worker: how far it is from 1.00x is the noise of the run. The load
average is printed before and after: on a shared machine, compare ratios, never absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

USER_AGENT = "craftapis-bench/1.0 (bench@example.invalid)"
JOBS = ("J1", "J2", "J3")
J4_TASKS, J4_CALLS, J4_WARMUP = 16, 2000, 64


# -- the rows (run inside the workers) ------------------------------------------------------------------


def _loop_runner() -> Callable[[Any], Any]:
    loop = asyncio.new_event_loop()
    return loop.run_until_complete


def row_httpx(url: str) -> dict[str, Callable[[], Any]]:
    import httpx

    client = httpx.Client()
    return {
        "J1": lambda: client.get(f"{url}/project/fabric-api").json(),
        "J2": lambda: client.get(f"{url}/project/viaversion/version").json(),
        "J3": lambda: client.get(f"{url}/search", params={"query": "x", "limit": 20}).json(),
    }


def row_craftapis(url: str) -> dict[str, Callable[[], Any]]:
    from craftapis.modrinth import Modrinth

    client = Modrinth(user_agent=USER_AGENT, base_url=url)
    return {
        "J1": lambda: client.get_project("fabric-api"),
        "J2": lambda: client.get_project_versions("viaversion"),
        "J3": lambda: client.search_page("x", limit=20),
    }


def row_modrinthpy(url: str) -> dict[str, Callable[[], Any]]:
    import logging

    from modrinthpy import ModrinthClient

    # modrinthpy logs a WARNING for every field its models do not declare (dozens per project) and
    # turns on DEBUG logging: silenced, as any user of it would, so it is measured at its best.
    logging.disable(logging.WARNING)
    ModrinthClient.BASE_URL = url
    client = ModrinthClient()
    run = _loop_runner()
    # the worker ends when its stdin closes: close the peer's aiohttp session then, as its user would,
    # or aiohttp prints "Unclosed client session" into the run's output
    atexit.register(lambda: run(client.close()))
    return {
        "J1": lambda: run(client.get_project(slug="fabric-api")),
        "J2": lambda: run(client.get_project_versions(slug="viaversion")),
        "J3": lambda: run(client.search_projects("x", limit=20)),
    }


def row_modrinth_api_wrapper(url: str) -> dict[str, Callable[[], Any]]:
    from modrinth_api_wrapper import Client

    client = Client(endpoint=url.removesuffix("/v2"))
    return {
        "J1": lambda: client.get_project("fabric-api"),
        "J2": lambda: client.list_project_versions("viaversion"),
        "J3": lambda: client.search_project(query="x", limit=20),
    }


def row_python_modrinth(url: str) -> dict[str, Callable[[], Any]]:
    import requests
    from pyrinth.projects import Project

    # python-modrinth hard-codes https://api.modrinth.com/v2 and calls requests.get (a new session,
    # so a new connection, per call: that is its real behaviour); only the address is rewritten.
    real_get = requests.get

    def get(address: str, *args: Any, **kwargs: Any) -> Any:
        return real_get(address.replace("https://api.modrinth.com/v2", url), *args, **kwargs)

    requests.get = get  # type: ignore[assignment]
    project = Project.get("viaversion")
    return {
        "J1": lambda: Project.get("fabric-api"),
        "J2": lambda: project.get_versions(),
        "J3": lambda: Project.search("x", limit=20),
    }


def row_modrinth4py(url: str) -> dict[str, Callable[[], Any]]:
    import modrinth4py  # type: ignore[import-not-found]

    raise RuntimeError(f"modrinth4py {getattr(modrinth4py, '__version__', '?')}: no adapter written yet")


BEFORE = "craftapis Modrinth, before (--before)"

ROWS: dict[str, Callable[[str], dict[str, Callable[[], Any]]]] = {
    "httpx.Client + .json() (baseline)": row_httpx,
    "control: the baseline again": row_httpx,
    "craftapis Modrinth (default)": row_craftapis,
    BEFORE: row_craftapis,
    "modrinthpy (aiohttp)": row_modrinthpy,
    "modrinth-api-wrapper (httpx, pydantic)": row_modrinth_api_wrapper,
    "python-modrinth (requests)": row_python_modrinth,
    "modrinth4py": row_modrinth4py,
}
#: the peer a row needs (its venv's interpreter comes from --peer NAME=PYTHON); None = this interpreter
PEER_OF = {
    "modrinthpy (aiohttp)": "modrinthpy",
    "modrinth-api-wrapper (httpx, pydantic)": "modrinth-api-wrapper",
    "python-modrinth (requests)": "python-modrinth",
    "modrinth4py": "modrinth4py",
}


async def _j4_httpx(url: str, calls: int) -> int:
    import httpx

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=J4_TASKS)) as client:

        async def one() -> Any:
            return (await client.get(f"{url}/project/fabric-api")).json()

        return await _j4_drive(one, calls)


async def _j4_aiohttp(url: str, calls: int) -> int:
    import aiohttp

    async with aiohttp.ClientSession() as session:

        async def one() -> Any:
            async with session.get(f"{url}/project/fabric-api") as response:
                return await response.json()

        return await _j4_drive(one, calls)


async def _j4_craftapis(url: str, calls: int) -> int:
    from craftapis.modrinth import AsyncModrinth

    async with AsyncModrinth(user_agent=USER_AGENT, base_url=url) as client:
        return await _j4_drive(lambda: client.get_project("fabric-api"), calls)


async def _j4_modrinthpy(url: str, calls: int) -> int:
    import logging

    from modrinthpy import ModrinthClient

    logging.disable(logging.WARNING)
    ModrinthClient.BASE_URL = url
    client = ModrinthClient()
    try:
        return await _j4_drive(lambda: client.get_project(slug="fabric-api"), calls)
    finally:
        await client.close()


async def _j4_drive(one: Callable[[], Any], calls: int) -> int:
    per_task = calls // J4_TASKS

    async def task() -> None:
        for _ in range(per_task):
            await one()

    await asyncio.gather(*(task() for _ in range(J4_TASKS)))
    return per_task * J4_TASKS


J4_BEFORE = "craftapis AsyncModrinth, before (--before)"
J4_ROWS: dict[str, Callable[[str, int], Any]] = {
    "httpx.AsyncClient + .json()": _j4_httpx,
    "aiohttp + .json()": _j4_aiohttp,
    "craftapis AsyncModrinth (default)": _j4_craftapis,
    J4_BEFORE: _j4_craftapis,
    "modrinthpy (aiohttp)": _j4_modrinthpy,
}


def _mem_craftapis(url: str) -> Callable[[int], int]:
    """The client is built outside the measurement: the peak is the paging's, not the client's setup."""
    from craftapis.modrinth import Modrinth

    client = Modrinth(user_agent=USER_AGENT, base_url=url)
    return lambda hits: sum(1 for _ in client.search("x", limit=hits, page_size=100))


def _mem_httpx(url: str) -> Callable[[int], int]:
    import httpx

    client = httpx.Client()

    def run(hits: int) -> int:
        seen = offset = 0
        while seen < hits:
            page = client.get(f"{url}/search", params={"query": "x", "offset": offset, "limit": 100}).json()
            for _ in page["hits"]:
                seen += 1
            if len(page["hits"]) < 100:
                break
            offset += 100
        return seen

    return run


MEM_BEFORE = "craftapis Modrinth.search(), before (--before)"
MEM_ROWS: dict[str, Callable[[str], Callable[[int], int]]] = {
    "httpx offset loop over dicts": _mem_httpx,
    "craftapis Modrinth.search()": _mem_craftapis,
    MEM_BEFORE: _mem_craftapis,
}
#: rows that run craftapis from another checkout (--before DIR): the same run measures before and after
BEFORE_ROWS = {BEFORE, J4_BEFORE, MEM_BEFORE}
#: the checkout each worker imports craftapis from (--before sets the one of BEFORE_ROWS)
SOURCES: dict[str, Path | None] = {"now": ROOT, "before": None}


def _peak(fn: Callable[[], Any]) -> int:
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _memory_reply(make: Callable[[str], Callable[[int], int]], url: str, hits: int) -> dict[str, int]:
    run = make(url)
    run(100)  # warm up outside the measurement
    return {"page": _peak(lambda: run(100)), "all": _peak(lambda: run(hits))}


def worker(row: str, url: str) -> None:
    """Answer the orchestrator's commands on stdin, one JSON line each, until stdin closes."""
    out = sys.stdout
    try:
        jobs = ROWS[row](url) if row in ROWS else {}
        for job in jobs.values():  # warm up: imports, connections, caches
            job()
        out.write(json.dumps({"ready": True}) + "\n")
    except Exception as exc:  # a peer that cannot run says why, and its row says so
        out.write(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}"[:300]}) + "\n")
    out.flush()
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "time":
            job, times = jobs[command["job"]], []
            for _ in range(command["n"]):
                start = time.perf_counter()
                job()
                times.append(time.perf_counter() - start)
            reply: Any = {"times": times}
        elif command["do"] == "j4":
            # warm up as J1-J3 do (imports, first-call caches) with a short run of its own, so the timed
            # run measures throughput, not the import of the client's package; the timed run still makes
            # its client, its event loop and its connections, for every row alike
            asyncio.run(J4_ROWS[command["row"]](url, J4_WARMUP))
            start = time.perf_counter()
            done = asyncio.run(J4_ROWS[command["row"]](url, J4_CALLS))
            reply = {"rps": done / (time.perf_counter() - start)}
        elif command["do"] == "mem":
            reply = _memory_reply(MEM_ROWS[command["row"]], url, command["hits"])
        else:
            reply = {"error": f"unknown command {command['do']!r}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


# -- the orchestrator ----------------------------------------------------------------------------------


def _source_env(row: str) -> dict[str, str]:
    root = SOURCES["before"] if row.split(":", 1)[-1] in BEFORE_ROWS else ROOT
    assert root is not None
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "facade"), str(root / "generated")])}


class Worker:
    def __init__(self, row: str, python: str, url: str) -> None:
        env = _source_env(row)
        if python != sys.executable:  # a peer's venv must not see craftapis or this venv's packages
            env.pop("PYTHONPATH")
        self.row = row
        self.process = subprocess.Popen(
            [python, str(Path(__file__)), "--worker", row, "--url", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.hello = self._read()

    def _read(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            return {"ready": False, "error": f"worker exited ({self.process.wait()})"}
        return json.loads(line)

    def ask(self, **command: Any) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _python_for(row: str, peers: dict[str, str]) -> str | None:
    peer = PEER_OF.get(row)
    if peer is None:
        return sys.executable
    return peers.get(peer)


def time_jobs(
    url: str, peers: dict[str, str], rounds: int, batch: dict[str, int], seed: int
) -> dict[str, Any]:
    results: dict[str, dict[str, list[float]]] = {row: {job: [] for job in JOBS} for row in ROWS}
    status: dict[str, str] = {}
    workers: list[Worker] = []
    for row in ROWS:
        python = _python_for(row, peers)
        if row == BEFORE and SOURCES["before"] is None:
            status[row] = "not run: no --before checkout given"
            continue
        if python is None:
            why = "needs Python >= 3.12, none on this machine; " if row == "modrinth4py" else ""
            status[row] = f"not run: {why}no interpreter for it (--peer {PEER_OF[row]}=PYTHON)"
            continue
        w = Worker(row, python, url)
        if w.hello.get("ready"):
            workers.append(w)
        else:
            status[row] = f"not run: {w.hello.get('error')}"
            w.close()
    rng = random.Random(seed)
    try:
        for _ in range(rounds):
            for job in JOBS:
                order = workers[:]
                rng.shuffle(order)
                for w in order:
                    results[w.row][job].extend(w.ask(do="time", job=job, n=batch[job])["times"])
    finally:
        for w in workers:
            w.close()
    return {"results": results, "status": status}


def j4(url: str, peers: dict[str, str], repeats: int, seed: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {row: [] for row in J4_ROWS}
    python = {row: (peers.get("modrinthpy") if "modrinthpy" in row else sys.executable) for row in J4_ROWS}
    rng = random.Random(seed)
    for _ in range(repeats):
        order = [row for row in J4_ROWS if python[row] and (row != J4_BEFORE or SOURCES["before"])]
        rng.shuffle(order)
        for row in order:
            w = Worker(f"j4:{row}", python[row] or sys.executable, url)
            try:
                reply = w.ask(do="j4", row=row)
                if "rps" in reply:
                    rates[row].append(reply["rps"])
            finally:
                w.close()
    return rates


def memory(url: str, hits: int) -> dict[str, dict[str, int]]:
    peaks = {}
    for row in MEM_ROWS:
        if row == MEM_BEFORE and SOURCES["before"] is None:
            continue
        w = Worker(f"mem:{row}", sys.executable, url)
        try:
            peaks[row] = w.ask(do="mem", row=row, hits=hits)
        finally:
            w.close()
    return peaks


IMPORTS = {
    "import httpx": "import httpx",
    "import craftapis": "import craftapis",
    "from craftapis import Modrinth": "from craftapis import Modrinth",
}


def import_times(runs: int) -> dict[str, float]:
    cases = [(name, statement, "now") for name, statement in IMPORTS.items()]
    if SOURCES["before"] is not None:
        cases += [(f"{n}, before", st, "before") for n, st in IMPORTS.items() if "craftapis" in n]
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    # An installed wheel has its bytecode compiled (pip does it); a checkout gets it on the first import,
    # unless PYTHONDONTWRITEBYTECODE forbids writing it: then every timed run would compile craftapis
    # from source while httpx loads its .pyc files. So bytecode may be written, and one untimed run each
    # writes it.
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for warm_up in [True] + [False] * runs:
        for name, statement, source in cases:
            root = SOURCES[source]
            assert root is not None
            env = {
                **base_env,
                "PYTHONPATH": os.pathsep.join([str(root / "facade"), str(root / "generated")]),
            }
            code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
            )
            if not warm_up:
                times[name].append(float(out.stdout))
    return {name: statistics.median(values) for name, values in times.items()}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--peer", action="append", default=[], metavar="NAME=PYTHON")
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="another checkout of craftapis (e.g. a git worktree of an older commit): its rows run beside",
    )
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.url)
        return
    from _server import BenchServer

    peers = dict(item.split("=", 1) for item in args.peer)
    SOURCES["before"] = args.before.resolve() if args.before else None
    scale = 10 if args.quick else 1
    rounds = max(3, 30 // scale)
    batch = {"J1": 20, "J2": 2, "J3": 20}
    load_before = _load()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with BenchServer() as server:
        timed = time_jobs(server.url, peers, rounds, batch, args.seed)
        rates = j4(server.url, peers, 1 if args.quick else 3, args.seed)
        peaks = memory(server.url, 10_000 if args.quick else 100_000)
    imports = import_times(5 if args.quick else 15)
    load_after = _load()
    print(
        report(
            timed, rates, peaks, imports, started=started, load=(load_before, load_after), sizes=server.sizes
        )
    )


def report(
    timed: dict[str, Any],
    rates: dict[str, list[float]],
    peaks: dict[str, dict[str, int]],
    imports: dict[str, float],
    *,
    started: str,
    load: tuple[str, str],
    sizes: dict[str, int],
) -> str:
    results, status = timed["results"], timed["status"]
    base = {job: statistics.median(results["httpx.Client + .json() (baseline)"][job]) for job in JOBS}
    before = SOURCES["before"]
    revision = (
        subprocess.run(
            ["git", "-C", str(before), "log", "-1", "--format=%h %s"], capture_output=True, text=True
        ).stdout
        if before
        else ""
    )
    lines = [
        f"craftapis benchmark, {started}; Python {platform.python_version()} on {platform.machine()}, "
        f"{platform.system()}; load before: {load[0]}",
        f"'before' rows: craftapis at {revision.strip()[:90]}" if before else "no 'before' rows (--before)",
        f"payloads: J1 project {sizes['project']:,} B, J2 versions {sizes['versions']:,} B, "
        f"J3 search page of 20 hits; medians of single calls, ratio to the baseline (< 1.00x is faster)",
        "",
        "| row | J1 project | J2 version list | J3 search page |",
        "|---|---:|---:|---:|",
    ]
    for row in ROWS:
        if row in status:
            lines.append(f"| {row} | {status[row]} | | |")
            continue
        cells = []
        for job in JOBS:
            median = statistics.median(results[row][job])
            cells.append(f"{median / base[job]:.2f}x ({median * 1e6:,.0f} us)")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"| J4: {J4_TASKS} tasks, {J4_CALLS:,} project fetches | requests/s (median) |",
        "|---|---:|",
    ]
    for row, values in rates.items():
        lines.append(f"| {row} | {statistics.median(values):,.0f} |" if values else f"| {row} | not run |")
    lines += ["", "| memory: iterate search hits, 100 a page | peak, one page | peak, all | all / one page |"]
    lines.append("|---|---:|---:|---:|")
    for row, peak in peaks.items():
        lines.append(
            f"| {row} | {peak['page'] / 1024:,.0f} KiB | {peak['all'] / 1024:,.0f} KiB | {peak['all'] / peak['page']:.2f}x |"
        )
    lines += ["", "| import (fresh interpreter, median) | time | vs import httpx |", "|---|---:|---:|"]
    for name, seconds in imports.items():
        label = f"`{name.removesuffix(', before')}`" + (", before" if name.endswith(", before") else "")
        lines.append(f"| {label} | {seconds * 1e3:.1f} ms | {seconds / imports['import httpx']:.2f}x |")
    lines += ["", f"load after: {load[1]}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
