"""One process of a fleet: `python _crawler.py CONFIG_JSON` crawls its share of items with threads.

CONFIG: {"api": "modrinth"|"builtbybit", "url", "redis", "items": [...], "threads", "token"?}.
Every item is fetched once (a failed call is reported, not retried by hand); prints one JSON line:
{"done": [...items...], "failed": [[item, error text], ...], "throttled": 429s this process met}.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "facade", _ROOT / "generated"):
    sys.path.insert(0, str(_path))

from craftapis import APIError  # noqa: E402
from craftapis._ratelimit import BucketRateLimiter, HeaderRateLimiter, RedisRateLimiter  # noqa: E402


def main() -> None:
    config = json.loads(sys.argv[1])
    # The API's own pacing (what the client would pick), its state in Redis.
    policy = HeaderRateLimiter() if config["api"] == "modrinth" else BucketRateLimiter()
    # "redis": null runs the same crawl with each process pacing alone (the before picture).
    limiter = RedisRateLimiter(config["redis"], policy=policy) if config["redis"] else None
    if config["api"] == "modrinth":
        from craftapis.modrinth import Modrinth

        client = Modrinth(
            user_agent="craftapis-tests/fleet/1.0 (tests@example.invalid)",
            base_url=config["url"],
            rate_limiter=limiter,
        )
        path = "/project/{}"
    else:
        from craftapis.builtbybit import BuiltByBit

        client = BuiltByBit(token=config["token"], base_url=config["url"], rate_limiter=limiter)
        path = "/v2/resources/{}"
    work: queue.Queue[str] = queue.Queue()
    for item in config["items"]:
        work.put(item)
    done: list[str] = []
    failed: list[list[str]] = []
    lock = threading.Lock()

    def crawl() -> None:
        while True:
            try:
                item = work.get_nowait()
            except queue.Empty:
                return
            try:
                client.request("GET", path.format(item))
            except APIError as error:
                with lock:
                    failed.append([item, str(error)])
            else:
                with lock:
                    done.append(item)

    threads = [threading.Thread(target=crawl) for _ in range(config["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    transport = client._http._transport  # the policy transport: its counters
    throttled = getattr(getattr(transport, "stats", None), "throttled", -1)
    client.close()
    print(json.dumps({"done": done, "failed": failed, "throttled": throttled}))


if __name__ == "__main__":
    main()
