"""What the async transports (`_aiowire.AsyncWireTransport`, `_aiohttp_transport.AiohttpTransport`)
share, kept apart from both so that neither imports the other's dependency (httptools, aiohttp):
httpx's default TLS context, made once per process and setting, and response headers filled in as
httpx's own constructor would make them."""

from __future__ import annotations

import os
import ssl
from itertools import chain

import httpx

__all__ = ["default_ssl_context", "fill_headers"]

#: One TLS context per value of the variables httpx reads: loading certifi's bundle takes about 20 ms,
#: which httpx-aiohttp paid for every client, https or not. aiohttp shares its own contexts the same way.
_TLS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def default_ssl_context() -> ssl.SSLContext:
    """httpx's default TLS context (`httpx.create_ssl_context()`: certifi's roots, `SSL_CERT_FILE` and
    `SSL_CERT_DIR` honoured), made once per process and setting, offering ALPN `http/1.1` only."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _TLS.get(key)
    if context is None:
        context = httpx.create_ssl_context()
        context.set_alpn_protocols(["http/1.1"])
        _TLS[key] = context
    return context


def fill_headers(
    headers: httpx.Headers, raw: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]
) -> None:
    """Make the empty `headers` what `httpx.Headers(raw)` is for byte pairs: the same three-tuples httpx's
    constructor makes of them (bytes kept as they are, the key lower-cased), without its per-item type
    dispatch; and, when every byte is ASCII, the encoding its `encoding` property would settle on after
    decoding every header (at the first lookup: the cookie check). Filled in place:
    `httpx.Response(headers=...)` copies a `Headers` and forgets its encoding."""
    headers._list = [(key, key.lower(), value) for key, value in raw]
    if all(map(bytes.isascii, chain.from_iterable(raw))):  # C all the way: no generator frame per header
        headers._encoding = "ascii"
