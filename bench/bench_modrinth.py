"""How fast craftapis fetches and parses Modrinth responses, against the clients its users would otherwise use.

    python bench/bench_modrinth.py                  # every job, sync and async, then memory
    python bench/bench_modrinth.py --job project    # one job
    python bench/bench_modrinth.py --quick          # a tenth of the calls: a smoke run
    python bench/bench_modrinth.py --gzip           # the server gzips bodies (as Modrinth's CDN does)

A loopback server in its own process (bench/_server.py) answers with Modrinth-shaped JSON.
Every row does one job sequentially on one reused client: fetch, then parse to a dict
(httpx, requests) or to the generated model (craftapis ``call()``). The calls of every row
of one job are interleaved one by one, in random order (see _harness.py), and each row
reports its median time per call and the ratio to the baseline of the same run:
``httpx.Client`` for sync rows, ``httpx.AsyncClient`` for async rows. A ratio below 1.00 is
faster than the baseline. The "control" row is a second baseline client: its ratio (ideally
1.00) shows how much noise the run had.
The ``craftapis.modrinth.Modrinth`` rows are the shipped client (Modrinth's profile: its
rate limiter reading the ``x-ratelimit-*`` headers, its error decoding, its User-Agent); the
``craftapis call()`` rows are a bare ``SyncAPIClient`` with a Modrinth-like profile.
The "reference" rows are not peers: they show the floor (a raw socket and ``json.loads``, no
HTTP library) and what the model costs on top of httpx (``Project.from_dict``).

Memory: the peak that tracemalloc sees while one client fetches the ~1 MB version list,
parses it and iterates every version (min of 3), with the ratio to httpx's peak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Case, Result, format_table, measure_peak, run_interleaved, use_source_tree
from _server import BenchServer

use_source_tree()

import httpx  # noqa: E402
from craftapis._base import ApiProfile, AsyncAPIClient, SyncAPIClient  # noqa: E402
from craftapis._fasttransport import AsyncFastHTTPTransport, FastHTTPTransport  # noqa: E402
from craftapis.modrinth import AsyncModrinth, Modrinth  # noqa: E402

try:
    import requests
except ImportError:  # optional peer
    requests = None  # type: ignore[assignment]

#: craftapis.modrinth.Modrinth wants to know who is calling (Modrinth blocks bare library agents).
USER_AGENT = "craftapis-bench/1.0 (bench@example.invalid)"

#: What a craftapis Modrinth client is to the policy engine (no rate limiter: the fake server's
#: headers are constant, and pacing is not what this measures).
PROFILE = ApiProfile(
    name="modrinth", package="craftapis_generated.modrinth", base_url="https://api.modrinth.com/v2"
)


class BenchModrinth(SyncAPIClient):
    _profile = PROFILE


class AsyncBenchModrinth(AsyncAPIClient):
    _profile = PROFILE


# One job: a path for the raw clients, an operation and its arguments for craftapis' call().
JOBS: dict[str, dict[str, Any]] = {
    "project": {
        "what": "get one ~23 KB project",
        "path": "/project/fabric-api",
        "params": None,
        "operation": "projects.get_project",
        "kwargs": {"id_slug": "fabric-api"},
        "iterations": 1000,
    },
    "search": {
        "what": "one search page of 20 hits",
        "path": "/search",
        "params": {"query": "shaders", "index": "relevance", "offset": 0, "limit": 20},
        "operation": "projects.search_projects",
        "kwargs": {"query": "shaders", "limit": 20},
        "iterations": 1000,
    },
    "versions": {
        "what": "a ~1 MB version list",
        "path": "/project/fabric-api/version",
        "params": None,
        "operation": "versions.get_project_versions",
        "kwargs": {"id_slug": "fabric-api"},
        "iterations": 100,
    },
}


class RawSocketClient:
    """The floor: one keep-alive socket, a hand-written HTTP/1.1 exchange and json.loads.

    Not a usable client (no TLS, no chunked bodies, no errors): it shows what is left when
    no HTTP library is involved, so the ratios above it are what the libraries cost.
    """

    def __init__(self, port: int, prefix: str) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._sock.makefile("rb", buffering=65536)
        self._prefix = prefix

    def get_json(self, target: str) -> Any:
        self._sock.sendall(
            f"GET {self._prefix}{target} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept-encoding: identity\r\n\r\n".encode()
        )
        length = 0
        while (line := self._file.readline()) != b"\r\n":
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return json.loads(self._file.read(length))

    def close(self) -> None:
        self._file.close()
        self._sock.close()


#: A second, identical baseline client: its ratio shows how far this run's noise goes.
_CONTROL = "  control: the baseline again, second client"


def _target(job: dict[str, Any]) -> str:
    params = job["params"]
    return job["path"] + ("?" + str(httpx.QueryParams(params)) if params else "")


def sync_cases(server: BenchServer, job: dict[str, Any]) -> list[Case]:
    url = server.url + job["path"]
    params = job["params"]
    operation, kwargs = job["operation"], job["kwargs"]
    cases: list[Case] = []

    client = httpx.Client()
    cases.append(
        Case(
            "httpx.Client + .json()",
            "sync",
            lambda: client.get(url, params=params).json(),
            baseline=True,
            close=client.close,
        )
    )
    twin = httpx.Client()
    cases.append(Case(_CONTROL, "sync", lambda: twin.get(url, params=params).json(), close=twin.close))
    if requests is not None:
        session = requests.Session()
        cases.append(
            Case(
                "requests.Session + .json()",
                "sync",
                lambda: session.get(url, params=params).json(),
                close=session.close,
            )
        )
    for label, transport in (("httpx transport", None), ("FastHTTPTransport", FastHTTPTransport())):
        sdk = BenchModrinth(base_url=server.url, transport=transport)
        cases.append(
            Case(
                f"craftapis call() -> model ({label})",
                "sync",
                _bind(sdk.call, operation, kwargs),
                close=sdk.close,
            )
        )
        sdk_raw = BenchModrinth(base_url=server.url, transport=FastHTTPTransport() if transport else None)
        path = job["path"]
        cases.append(
            Case(
                f"craftapis request().json() ({label})",
                "sync",
                lambda sdk_raw=sdk_raw, path=path: sdk_raw.request("GET", path, params=params).json(),
                close=sdk_raw.close,
            )
        )
    for label, transport in (("httpx transport", None), ("FastHTTPTransport", FastHTTPTransport())):
        real = Modrinth(user_agent=USER_AGENT, base_url=server.url, transport=transport)
        cases.append(
            Case(
                f"craftapis.modrinth.Modrinth call() -> model ({label})",
                "sync",
                _bind(real.call, operation, kwargs),
                close=real.close,
            )
        )
    fast = httpx.Client(transport=FastHTTPTransport())
    cases.append(
        Case(
            "httpx.Client(transport=FastHTTPTransport) + .json()",
            "sync",
            lambda: fast.get(url, params=params).json(),
            close=fast.close,
        )
    )
    raw = RawSocketClient(server.port, "/v2")
    target = _target(job)
    cases.append(
        Case(
            "reference: raw socket + json.loads",
            "sync",
            lambda: raw.get_json(target),
            note="floor",
            close=raw.close,
        )
    )
    return cases


def _bind(call: Callable[..., Any], operation: str, kwargs: dict[str, Any]) -> Callable[[], Any]:
    return lambda: call(operation, **kwargs)


def async_cases(server: BenchServer, job: dict[str, Any], runner: asyncio.Runner) -> list[Case]:
    url = server.url + job["path"]
    params = job["params"]
    operation, kwargs = job["operation"], job["kwargs"]
    cases: list[Case] = []

    async def make() -> list[Case]:
        client = httpx.AsyncClient()

        async def httpx_get() -> Any:
            return (await client.get(url, params=params)).json()

        made = [
            Case(
                "httpx.AsyncClient + .json()",
                "async",
                acall=httpx_get,
                baseline=True,
                close=lambda: runner.run(client.aclose()),
            )
        ]
        twin = httpx.AsyncClient()

        async def twin_get() -> Any:
            return (await twin.get(url, params=params)).json()

        made.append(Case(_CONTROL, "async", acall=twin_get, close=lambda: runner.run(twin.aclose())))
        for label, transport in (
            ("httpx transport", None),
            ("AsyncFastHTTPTransport", AsyncFastHTTPTransport()),
        ):
            sdk = AsyncBenchModrinth(base_url=server.url, transport=transport)

            async def sdk_call(sdk: AsyncBenchModrinth = sdk) -> Any:
                return await sdk.call(operation, **kwargs)

            made.append(
                Case(
                    f"async craftapis call() -> model ({label})",
                    "async",
                    acall=sdk_call,
                    close=lambda sdk=sdk: runner.run(sdk.aclose()),
                )
            )
            sdk_raw = AsyncBenchModrinth(
                base_url=server.url, transport=AsyncFastHTTPTransport() if transport else None
            )
            path = job["path"]

            async def sdk_request(sdk: AsyncBenchModrinth = sdk_raw, path: str = path) -> Any:
                return (await sdk.request("GET", path, params=params)).json()

            made.append(
                Case(
                    f"async craftapis request().json() ({label})",
                    "async",
                    acall=sdk_request,
                    close=lambda sdk=sdk_raw: runner.run(sdk.aclose()),
                )
            )
        for label, transport in (
            ("httpx transport", None),
            ("AsyncFastHTTPTransport", AsyncFastHTTPTransport()),
        ):
            real = AsyncModrinth(user_agent=USER_AGENT, base_url=server.url, transport=transport)

            async def real_call(real: AsyncModrinth = real) -> Any:
                return await real.call(operation, **kwargs)

            made.append(
                Case(
                    f"async craftapis.modrinth.AsyncModrinth call() -> model ({label})",
                    "async",
                    acall=real_call,
                    close=lambda real=real: runner.run(real.aclose()),
                )
            )
        fast = httpx.AsyncClient(transport=AsyncFastHTTPTransport())

        async def fast_get() -> Any:
            return (await fast.get(url, params=params)).json()

        made.append(
            Case(
                "httpx.AsyncClient(transport=AsyncFastHTTPTransport) + .json()",
                "async",
                acall=fast_get,
                close=lambda: runner.run(fast.aclose()),
            )
        )
        return made

    cases.extend(runner.run(make()))
    return cases


def model_reference(server: BenchServer, job_name: str) -> Case | None:
    """httpx plus the generated model's from_dict: what parsing into a model costs by itself."""
    if job_name != "project":
        return None
    from craftapis_generated.modrinth.models.project import Project

    client = httpx.Client()
    url = server.url + JOBS["project"]["path"]
    return Case(
        "reference: httpx.Client + Project.from_dict",
        "sync",
        lambda: Project.from_dict(client.get(url).json()),
        note="model",
        close=client.close,
    )


def time_job(server: BenchServer, name: str, args: argparse.Namespace, runner: asyncio.Runner) -> str:
    job = JOBS[name]
    cases = sync_cases(server, job)
    reference = model_reference(server, name)
    if reference is not None:
        cases.insert(-1, reference)
    if not args.sync_only:
        cases += async_cases(server, job, runner)
    iterations = args.iterations or max(5, job["iterations"] // (10 if args.quick else 1))
    try:
        results = run_interleaved(
            cases, iterations=iterations, warmup=max(3, iterations // 20), runner=runner
        )
    finally:
        for case in cases:
            if case.close is not None:
                case.close()
    return _timing_table(results, name, job, iterations)


def _timing_table(results: list[Result], name: str, job: dict[str, Any], iterations: int) -> str:
    baselines = {r.case.group: r for r in results if r.case.baseline}
    sync_base = baselines["sync"]
    rows = []
    for result in results:
        base = baselines[result.case.group]
        rows.append(
            [
                result.case.name,
                f"{result.median * 1e6:,.0f}",
                f"{result.ratio(base):.2f}x",
                f"{result.ratio(sync_base):.2f}x",
                f"{result.cpu_median * 1e6:,.0f}",
                f"{result.ratio(base, cpu=True):.2f}x",
            ]
        )
    if requests is None:
        rows.insert(2, ["requests.Session + .json()", "not installed", "-", "-", "-", "-"])
    title = f"### {name}: {job['what']} ({iterations} calls per row, interleaved; medians)"
    headers = ["client", "wall us/call", "vs baseline", "vs httpx.Client", "CPU us/call", "CPU vs baseline"]
    return title + "\n\n" + format_table(headers, rows)


def memory_table(server: BenchServer, runner: asyncio.Runner) -> str:
    """Peak memory while fetching, parsing and iterating the ~1 MB version list once."""
    job = JOBS["versions"]
    url = server.url + job["path"]
    operation, kwargs = job["operation"], job["kwargs"]
    rows: list[tuple[str, Callable[[], Any] | None, Any]] = []

    client = httpx.Client()

    def with_httpx() -> int:
        return sum(len(v["id"]) for v in client.get(url).json())

    rows.append(("httpx.Client + .json()", with_httpx, None))
    if requests is not None:
        session = requests.Session()

        def with_requests() -> int:
            return sum(len(v["id"]) for v in session.get(url).json())

        rows.append(("requests.Session + .json()", with_requests, None))
    for label, transport in (("httpx transport", None), ("FastHTTPTransport", FastHTTPTransport())):
        sdk = BenchModrinth(base_url=server.url, transport=transport)

        def with_sdk(sdk: BenchModrinth = sdk) -> int:
            return sum(len(v.id) for v in sdk.call(operation, **kwargs))

        rows.append((f"craftapis call() -> models ({label})", with_sdk, None))

        def with_sdk_raw(sdk: BenchModrinth = sdk) -> int:
            return sum(len(v["id"]) for v in sdk.request("GET", job["path"]).json())

        rows.append((f"craftapis request().json() ({label})", with_sdk_raw, None))
    for label, transport_factory in (
        ("httpx transport", lambda: None),
        ("AsyncFastHTTPTransport", AsyncFastHTTPTransport),
    ):
        asdk = runner.run(_make_async(server, transport_factory()))

        async def with_async(asdk: AsyncBenchModrinth = asdk) -> int:
            return sum(len(v.id) for v in await asdk.call(operation, **kwargs))

        rows.append((f"async craftapis call() -> models ({label})", None, with_async))

    table = []
    base = 0
    for label, job_call, ajob in rows:
        # warm up outside tracing: connection, imports, caches
        if job_call is not None:
            job_call()
        else:
            runner.run(ajob())
        peak = measure_peak(job_call, ajob, runner)
        base = base or peak
        table.append([label, f"{peak / 1024:,.0f}", f"{peak / base:.2f}x"])
    size = server.sizes["versions"]
    title = f"### memory: peak while fetching, parsing and iterating the {size / 1e6:.2f} MB version list"
    return title + "\n\n" + format_table(["client", "peak KiB", "vs httpx.Client"], table)


async def _make_async(server: BenchServer, transport: httpx.AsyncBaseTransport | None) -> AsyncBenchModrinth:
    return AsyncBenchModrinth(base_url=server.url, transport=transport)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", choices=[*JOBS, "all"], default="all")
    parser.add_argument(
        "--iterations",
        type=int,
        default=0,
        help="calls per row (default 1000, 100 for versions; /10 with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--gzip", action="store_true", help="the server gzips bodies for clients that accept gzip"
    )
    parser.add_argument("--sync-only", action="store_true", help="skip the async rows")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory table")
    args = parser.parse_args()

    versions = [f"Python {platform.python_version()}", f"httpx {httpx.__version__}"]
    versions.append(f"requests {requests.__version__}" if requests is not None else "requests not installed")
    print(f"## craftapis Modrinth benchmark ({', '.join(versions)}; {platform.machine()}, {_cpus()} CPUs)")
    with BenchServer(use_gzip=args.gzip) as server, asyncio.Runner() as runner:
        sizes = ", ".join(f"{k} {v / 1024:,.1f} KiB" for k, v in server.sizes.items() if k != "missing")
        print(f"\nserver: {server.url} ({'gzip' if args.gzip else 'identity'} bodies: {sizes})\n")
        for name in JOBS if args.job == "all" else [args.job]:
            print(time_job(server, name, args, runner), end="\n\n", flush=True)
        if not args.no_memory:
            print(memory_table(server, runner))


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
