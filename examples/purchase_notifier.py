"""Announce every new BuiltByBit purchase, at least once, from the API events feed.

    BUILTBYBIT_TOKEN=... python examples/purchase_notifier.py [--once]

`EventsConsumer` polls the pending events, hands each to `announce()` and marks it complete only
after `announce()` returned, so a crash never loses a purchase (it is announced again instead).
Runs until Ctrl-C / SIGTERM; `--once` stops when no event is pending.

Environment: `BUILTBYBIT_BASE_URL` points at another API root.
"""

from __future__ import annotations

import argparse
import os
import sys

import craftapis
from craftapis_generated.builtbybit_v2.models import Event


def announce(event: Event) -> None:
    if event.trigger_type != "new_purchase":
        return
    data = event.trigger_data.to_dict() if event.trigger_data is not None else {}
    print(f"new purchase: {data}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--once", action="store_true", help="stop when no event is pending")
    args = parser.parse_args(argv)
    token = os.environ.get("BUILTBYBIT_TOKEN")
    if not token:
        print("set BUILTBYBIT_TOKEN", file=sys.stderr)
        return 2
    with craftapis.BuiltByBit(token=token, base_url=os.environ.get("BUILTBYBIT_BASE_URL")) as bbb:
        consumer = craftapis.EventsConsumer(bbb, announce, batch_delay=0.5, install_signal_handlers=True)
        stats = consumer.run(stop_when_idle=args.once)
    print(f"handled {stats.handled}, completed {stats.completed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
