"""Receive Postal's webhooks and trust only the signed ones.

    POSTAL_PUBLIC_KEY="MIIBIjANBgkq..." python examples/postal_webhook_receiver.py [--port 8025]

A small HTTP server (the standard library's) that reads each POST's raw body, verifies Postal's
RSA signature over it with the server's public key (Postal shows it in the server's settings),
and only then parses the event. A forged or modified request gets 403 and is never parsed.

Environment: `POSTAL_PUBLIC_KEY` (PEM, or the bare base64 Postal shows).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import craftapis
from craftapis.postal import parse_webhook, verify_webhook

MAX_BODY = 1024 * 1024


class WebhookHandler(BaseHTTPRequestHandler):
    public_key = ""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            self.send_error(413 if length else 411)
            return
        body = self.rfile.read(length)
        try:
            verify_webhook(body, dict(self.headers.items()), self.public_key)
        except craftapis.SignatureError as exc:
            print(f"rejected: {exc}", flush=True)
            self.send_error(403, "signature does not verify")
            return
        event = parse_webhook(body)
        print(f"verified {event.event}: {event.payload}", flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    key = os.environ.get("POSTAL_PUBLIC_KEY")
    if not key:
        print("set POSTAL_PUBLIC_KEY", file=sys.stderr)
        return 2
    handler = type("Handler", (WebhookHandler,), {"public_key": key})
    with ThreadingHTTPServer((args.host, args.port), handler) as server:
        print(f"listening on http://{args.host}:{server.server_address[1]}/", flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the server quietly
            server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
