"""A fake BuiltByBit events feed on 127.0.0.1 that behaves like the real one where it hurts.

`GET /v2/events?page=&per_page=` lists the pending events by page number (so completing while
paging shifts the pages); `POST /v2/events/complete {"event_ids": [...]}` completes them, but
answers 400 to a batch holding an id that is not pending any more (completed elsewhere), completing
none of it. `completions` counts confirmed completions per id; `rejected_batches` the 400s.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter, OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["EventsFeed"]


class EventsFeed:
    def __init__(self, events: int, first_id: int = 1) -> None:
        self.lock = threading.Lock()
        self.pending: OrderedDict[int, dict[str, Any]] = OrderedDict(
            (
                i,
                {
                    "event_id": i,
                    "listener_id": 7,
                    "created_at": 1_780_000_000 + i,
                    "trigger_type": "new_purchase",
                    "trigger_data": {"purchase_id": 90_000 + i},
                },
            )
            for i in range(first_id, first_id + events)
        )
        self.all_ids = list(self.pending)
        self.completions: Counter[int] = Counter()
        self.rejected_batches: list[list[int]] = []
        self.complete_posts = 0
        feed = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                page = int(query.get("page", ["1"])[0])
                per_page = int(query.get("per_page", ["25"])[0])
                with feed.lock:
                    items = list(feed.pending.values())
                total = len(items)
                chunk = items[(page - 1) * per_page : page * per_page]
                stats = {
                    "total": total,
                    "page": page,
                    "per_page": per_page,
                    "max_page": max(1, math.ceil(total / per_page)),
                }
                self._send(200, {"result": "success", "data": {"events": chunk, "stats": stats}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                ids = [int(i) for i in json.loads(self.rfile.read(length) or b"{}").get("event_ids", [])]
                with feed.lock:
                    feed.complete_posts += 1
                    if any(i not in feed.pending for i in ids):
                        feed.rejected_batches.append(ids)
                        self._send(
                            400,
                            {
                                "result": "error",
                                "error": {
                                    "code": "InvalidParameterError",
                                    "message": "an event id is not pending",
                                },
                            },
                        )
                        return
                    for i in ids:
                        feed.pending.pop(i)
                        feed.completions[i] += 1
                self._send(200, {"result": "success", "data": "ok"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def complete_elsewhere(self, event_id: int) -> None:
        """Another instance completes this event (it leaves the pending list)."""
        with self.lock:
            if self.pending.pop(event_id, None) is not None:
                self.completions[event_id] += 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> EventsFeed:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
