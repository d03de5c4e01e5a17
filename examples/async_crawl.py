"""Crawl Modrinth's search concurrently with asyncio, with a progress bar.

    python examples/async_crawl.py "QUERY" [--type mod] [--limit 500] [--concurrency 8]

Pages of search results are fetched by a few tasks at once (one shared client: one connection
pool, one rate limiter, so the crawl stays inside Modrinth's 300 requests a minute), and each
project's versions are fetched for the hits. A rich progress bar shows the work; it hides itself
when stdout is not a terminal.

Environment: `MODRINTH_BASE_URL` points at another API root.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import craftapis
from rich.progress import Progress


async def crawl(query: str, project_type: str | None, limit: int, concurrency: int) -> dict[str, int]:
    facets = craftapis.Facets().project_type(project_type) if project_type else None
    async with craftapis.AsyncModrinth(
        user_agent="craftapis-examples/async-crawl (https://github.com/craftapis/craftapis)",
        base_url=os.environ.get("MODRINTH_BASE_URL"),
    ) as modrinth:
        hits = [hit async for hit in modrinth.search(query, facets=facets, limit=limit)]
        counts: dict[str, int] = {}
        gate = asyncio.Semaphore(concurrency)
        with Progress(disable=not sys.stdout.isatty()) as progress:
            task = progress.add_task("versions", total=len(hits))

            async def one(project_id: str, slug: str) -> None:
                async with gate:
                    counts[slug] = len(await modrinth.get_project_versions(project_id))
                progress.advance(task)

            await asyncio.gather(*(one(hit.project_id, hit.slug or hit.project_id) for hit in hits))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("query")
    parser.add_argument("--type", dest="project_type")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    counts = asyncio.run(crawl(args.query, args.project_type, args.limit, args.concurrency))
    for slug, n in sorted(counts.items(), key=lambda kv: -kv[1])[:10]:
        print(f"{slug}: {n} versions")
    print(f"{len(counts)} projects, {sum(counts.values())} versions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
