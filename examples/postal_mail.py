"""Send a mail with an attachment through a Postal server, then look up its delivery.

    POSTAL_URL=https://postal.example.com POSTAL_KEY=... python examples/postal_mail.py \
        --from shop@example.com --to buyer@example.org --subject "Your invoice" --attach invoice.pdf

Environment: `POSTAL_URL` (the server) and `POSTAL_KEY` (a server API key).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import craftapis
from craftapis_generated.postal.models import MessageStatusInfo
from craftapis_generated.postal.types import Unset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--from", dest="sender", required=True)
    parser.add_argument("--to", action="append", required=True)
    parser.add_argument("--subject", required=True)
    parser.add_argument("--body", default="Please find the attachment enclosed.")
    parser.add_argument("--attach", action="append", type=Path, default=[])
    args = parser.parse_args(argv)
    url, key = os.environ.get("POSTAL_URL"), os.environ.get("POSTAL_KEY")
    if not url or not key:
        print("set POSTAL_URL and POSTAL_KEY", file=sys.stderr)
        return 2
    with craftapis.Postal(base_url=url, api_key=key) as postal:
        result = postal.send_message(
            from_=args.sender,
            to=args.to,
            subject=args.subject,
            plain_body=args.body,
            attachments=[str(path) for path in args.attach],
        )
        print(f"sent {result.message_id}")
        sent = {} if isinstance(result.messages, Unset) else result.messages.additional_properties
        for address, ref in sent.items():
            message = postal.get_message(ref.id, expansions=["status"])
            state = message.status.status if isinstance(message.status, MessageStatusInfo) else "unknown"
            print(f"  {address}: message {message.id}, {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
