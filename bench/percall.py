"""What craftapis does per call ABOVE the transport: `Modrinth.get_project` / `AsyncModrinth.get_project`
through the whole client and policy stack (request build, `send_lean`, the policy transport, the body
reader, the rate limiter, validation, parsing into `Project`), over a canned transport that answers
every request with the same prepared 23 KB project response and never touches a socket.

    python bench/percall.py                       # us/call: the floor, sync, async (2,000 calls each)
    python bench/percall.py --mode async --calls 5000
    python bench/percall.py --callgrind           # instructions per call, the same three (valgrind)

The response is the benchmarks' own (`_server.py`): the real fabric-api document when
`../shared/real-responses/` (or `$CRAFTAPIS_REAL_RESPONSES`) has it, else the synthetic one of the same
shape and size, with the benchmark server's headers (Modrinth's `x-ratelimit-*` included, so the
limiter reads them on every answer). The client's rate limiter is a `HeaderRateLimiter` with a limit so
high that it never waits (the default limiter would pace a long run to minutes); it still reserves and
observes every call. The floor row is what any client pays for this answer (the canned response, its
body joined and decoded with `orjson.loads`): craftapis' own per-call work is a row minus the floor.

Instructions per call (`--callgrind`, load-independent, unlike wall-clock time on a shared machine):
each mode runs once under `valgrind --tool=callgrind --dump-before=os_getppid` (`PYTHONHASHSEED=0`):
the timed loop is bracketed by two `os.getppid()` calls (`_mark`), before each of which callgrind dumps
its counters, so the second dump holds exactly the 200 counted calls (after 50 warm-up calls), without
start-up, imports or the warm-up. By hand, the same is

    PYTHONHASHSEED=0 valgrind --tool=callgrind --dump-before=os_getppid --callgrind-out-file=cg \
        python bench/percall.py --mode sync --calls 200 --warmup 50
    grep totals: cg.2          # instructions of the 200 calls; cg.1 is start-up and warm-up

Run it with craftapis importable (PYTHONPATH=facade:generated, or the bench venv). This prints; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import _HEADERS, project_payload

USER_AGENT = "craftapis-bench/1.0 (bench@example.invalid)"
#: the calls `--callgrind` counts, after its warm-up
COUNTED, WARMUP = 200, 50


def _mark() -> None:
    """A syscall nothing else here makes: `--callgrind` dumps its counters before each one
    (`--dump-before=os_getppid`), so the counted calls are exactly those between two marks."""
    os.getppid()


def _canned() -> tuple[httpx.Headers, bytes]:
    """The benchmark server's project answer: its headers and its 23 KB body."""
    body = json.dumps(project_payload(real=True), indent=2).encode()
    headers = [
        tuple(part.strip() for part in line.split(b":", 1)) for line in _HEADERS.split(b"\r\n") if line
    ]
    headers.append((b"content-length", b"%d" % len(body)))
    # a `Headers` made once: `httpx.Response` copies its list, as a real wire hands over parsed headers
    return httpx.Headers(headers), body


_EXTENSIONS = {"http_version": b"HTTP/1.1", "reason_phrase": b"OK"}


class _Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body in one chunk, read once as a socket's would be (not an in-memory `ByteStream`,
    which httpx reads at once: the policy would take its in-memory path). Its own iterator, as the
    real wires' streams are: no generator (and no asyncio async-generator hooks) per response."""

    __slots__ = ("_body",)

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        body = self._body
        if body is None:
            raise StopIteration
        self._body = None
        return body

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        body = self._body
        if body is None:
            raise StopAsyncIteration
        self._body = None
        return body


class CannedTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers every request with the prepared response, sync or async, without a socket."""

    def __init__(self) -> None:
        self.headers, self.body = _canned()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=self.headers, stream=_Body(self.body), extensions=_EXTENSIONS)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=self.headers, stream=_Body(self.body), extensions=_EXTENSIONS)


def _limiter() -> object:
    from craftapis import HeaderRateLimiter

    return HeaderRateLimiter(limit=10**9)


def run_sync(calls: int, warmup: int) -> float:
    """Seconds for `calls` sync `get_project` calls, after `warmup` of them."""
    from craftapis.modrinth import Modrinth

    with Modrinth(user_agent=USER_AGENT, transport=CannedTransport(), rate_limiter=_limiter()) as client:
        for _ in range(warmup):
            client.get_project("fabric-api")
        _mark()
        start = time.perf_counter()
        for _ in range(calls):
            client.get_project("fabric-api")
        seconds = time.perf_counter() - start
        _mark()
        return seconds


def run_floor(calls: int, warmup: int) -> float:
    """Seconds for `calls` of what any client pays here: the canned answer, its body read and decoded
    with orjson (what craftapis adds is the difference)."""
    import orjson

    transport = CannedTransport()
    request = httpx.Request("GET", "https://api.modrinth.com/v2/project/fabric-api")

    def one() -> None:
        response = transport.handle_request(request)
        orjson.loads(b"".join(response.stream))  # type: ignore[arg-type]

    for _ in range(warmup):
        one()
    _mark()
    start = time.perf_counter()
    for _ in range(calls):
        one()
    seconds = time.perf_counter() - start
    _mark()
    return seconds


def run_async(calls: int, warmup: int) -> float:
    """Seconds for `calls` async `get_project` calls (one task, one event loop), after `warmup`."""
    from craftapis.modrinth import AsyncModrinth

    async def main() -> float:
        async with AsyncModrinth(
            user_agent=USER_AGENT, transport=CannedTransport(), rate_limiter=_limiter()
        ) as client:
            for _ in range(warmup):
                await client.get_project("fabric-api")
            _mark()
            start = time.perf_counter()
            for _ in range(calls):
                await client.get_project("fabric-api")
            seconds = time.perf_counter() - start
            _mark()
            return seconds

    return asyncio.run(main())


_TOTALS = re.compile(rb"^(?:summary|totals): (\d+)", re.M)


def _instructions(mode: str, out: Path) -> int:
    """Instructions (Ir) of the counted calls of one run of this script under callgrind: the dump
    taken at the second mark holds what ran since the first."""
    command = ["valgrind", "--tool=callgrind", "--dump-before=os_getppid", f"--callgrind-out-file={out}"]
    command += [sys.executable, __file__, "--mode", mode, "--calls", str(COUNTED), "--warmup", str(WARMUP)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dumps = sorted(out.parent.glob(out.name + ".*"), key=lambda path: int(path.suffix[1:]))
    if len(dumps) != 2:  # start-up to the first mark, the counted calls
        raise SystemExit(f"expected 2 dumps of {out}, found {len(dumps)}: something else calls os.getppid")
    found = _TOTALS.search(dumps[1].read_bytes())
    if found is None:
        raise SystemExit(f"no totals in {dumps[1]}")
    return int(found.group(1))


def callgrind(modes: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
        # side by side: instruction counts ignore the load
        runs = {mode: pool.submit(_instructions, mode, Path(tmp) / mode) for mode in modes}
        for mode, run in runs.items():
            counted = run.result()
            print(
                f"{mode:5}  {counted / COUNTED:12,.0f} instructions/call  (Ir {counted:,} for {COUNTED} calls)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mode",
        choices=["sync", "async", "floor", "all"],
        default="all",
        help="sync, async, the floor (canned answer + orjson.loads alone) or all three (the default)",
    )
    parser.add_argument("--calls", type=int, default=2000, help="calls timed (default 2,000)")
    parser.add_argument("--warmup", type=int, default=200, help="calls before the timed ones (default 200)")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help=f"instructions per call under valgrind ({COUNTED} calls counted)",
    )
    args = parser.parse_args()
    modes = ["floor", "sync", "async"] if args.mode == "all" else [args.mode]
    if args.callgrind:
        callgrind(modes)
        return
    for mode in modes:
        seconds = {"sync": run_sync, "async": run_async, "floor": run_floor}[mode](args.calls, args.warmup)
        print(f"{mode:5}  {seconds / args.calls * 1e6:8.1f} us/call  ({args.calls} calls)")


if __name__ == "__main__":
    main()
