"""One consumer of a fleet: `python _consumer.py URL REDIS_URL LOG` handles events until the feed is empty.

Each handling writes `<pid> start|end <event_id> <time>` lines to LOG (appended, one write each).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "facade", _ROOT / "generated"):
    sys.path.insert(0, str(_path))

from craftapis import RetryPolicy  # noqa: E402
from craftapis.builtbybit import BuiltByBit, EventsConsumer  # noqa: E402
from craftapis.builtbybit._leases import RedisEventLeases  # noqa: E402


def main() -> None:
    url, redis_url, log_path = sys.argv[1:4]
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    pid = os.getpid()

    def handle(event: object) -> None:
        event_id = event.event_id  # type: ignore[attr-defined]
        os.write(log, f"{pid} start {event_id} {time.time():.6f}\n".encode())
        time.sleep(0.01)
        os.write(log, f"{pid} end {event_id} {time.time():.6f}\n".encode())

    client = BuiltByBit(token="fleetEventsTOKEN", base_url=url, retry=RetryPolicy(initial_backoff=0.01))
    leases = RedisEventLeases(redis_url, key="fleet-test", lease=2.0)
    consumer = EventsConsumer(
        client,
        handle,
        leases=leases,
        per_page=20,
        batch_size=10,
        batch_delay=0.5,
        idle_initial=0.05,
        idle_max=0.2,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        consumer.run(stop_when_idle=True)
        if not list(client.events(per_page=1, limit=1)):
            break
        time.sleep(0.1)  # events leased by others: wait for them to complete or their leases to expire
    client.close()
    print(consumer.stats)


if __name__ == "__main__":
    main()
