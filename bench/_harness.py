"""Timing and memory harness shared by the benchmark scripts.

A *case* is a named way of doing one job (e.g. "fetch and parse a project with httpx").
`run_interleaved` alternates single calls of every case, in a new random order every
iteration, so that slow phases of a noisy machine are spread over every case instead of
landing on one; the time of a case is its median per-call time.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Case", "Result", "format_table", "measure_peak", "run_interleaved", "use_source_tree"]


def use_source_tree() -> None:
    """Import craftapis and craftapis_generated from this checkout when they are not installed."""
    root = Path(__file__).resolve().parents[1]
    for path in (root / "facade", root / "generated"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


@dataclass
class Case:
    """One way of doing the job. Exactly one of ``call`` (sync) and ``acall`` (async) is set."""

    name: str
    group: str  # rows are compared with the baseline of their group
    call: Callable[[], Any] | None = None
    acall: Callable[[], Awaitable[Any]] | None = None
    baseline: bool = False
    note: str = ""
    close: Callable[[], Any] | None = None


@dataclass
class Result:
    case: Case
    wall: list[float] = field(default_factory=list)  # seconds, one entry per call
    cpu: list[float] = field(default_factory=list)  # this process's CPU seconds per call (not the server's)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def ratio(self, baseline: Result, *, cpu: bool = False) -> float:
        """Median time per call relative to the baseline's (the calls were interleaved one by one)."""
        if cpu:
            return self.cpu_median / baseline.cpu_median
        return self.median / baseline.median


def run_interleaved(
    cases: list[Case], *, iterations: int, warmup: int, runner: asyncio.Runner
) -> list[Result]:
    """Time every case ``iterations`` times, one call at a time, in a fresh random order each iteration.

    Calls of different cases alternate, so whatever a busy machine does at some moment falls on
    every case alike, and per-call medians stay comparable on a loaded machine. (Batches of
    calls per case were tried first: two identical clients then differed by up to 20 % on a
    loaded 2-CPU machine.) The order is shuffled, not rotated: with a fixed rotation a case
    always runs right after the same neighbour, and a case following a near twin runs on warm
    caches (an identical control client ran 10-15 % faster than the baseline it followed).
    The shuffle is seeded, so runs are repeatable. Sync calls run inside the event loop
    that runs the async ones, blocking it.
    """
    results = [Result(case) for case in cases]
    runner.run(_interleave(results, iterations, warmup))
    return results


async def _interleave(results: list[Result], iterations: int, warmup: int) -> None:
    for result in results:  # warm up: connections opened, modules imported, caches filled
        case = result.case
        for _ in range(warmup):
            if case.call is not None:
                case.call()
            else:
                assert case.acall is not None
                await case.acall()
    clock, cpu_clock = time.perf_counter, time.process_time
    shuffle = random.Random(20251123).shuffle
    order = list(results)
    for iteration in range(iterations):
        shuffle(order)
        if iteration % 200 == 0:
            gc.collect()  # collections at predictable points, not inside one unlucky case
        for result in order:
            case = result.case
            call = case.call
            if call is not None:
                cpu, start = cpu_clock(), clock()
                call()
                end, cpu_end = clock(), cpu_clock()
            else:
                acall = case.acall
                assert acall is not None
                cpu, start = cpu_clock(), clock()
                await acall()
                end, cpu_end = clock(), cpu_clock()
            result.wall.append(end - start)
            result.cpu.append(cpu_end - cpu)


def measure_peak(
    job: Callable[[], Any] | None,
    ajob: Callable[[], Awaitable[Any]] | None,
    runner: asyncio.Runner,
    repeat: int = 3,
) -> int:
    """Peak bytes allocated (tracemalloc) above the starting point while running one job; min of ``repeat``."""
    peaks = []
    for _ in range(repeat):
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            if job is not None:
                job()
            else:
                assert ajob is not None
                runner.run(ajob())
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
        finally:
            tracemalloc.stop()
    return min(peaks)


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table, columns padded for reading in a terminal."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    out = [
        line(headers),
        "|"
        + "|".join(("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths))
        + "|",
    ]
    out += [line(r) for r in rows]
    return "\n".join(out)
