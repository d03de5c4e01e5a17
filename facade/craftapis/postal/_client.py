"""What `AsyncPostal` (`_async_client.py`, written once) and `Postal` (`_sync_client.py`, generated from it)
share: the Postal mail server's HTTP API v1, on the moonrope clients.

Besides the friendly methods below, the four generated operations are there as
``client.api.send.send_message(body=...)``, ``client.api.send.send_raw_message(...)``,
``client.api.messages.get_message(...)``, ``client.api.messages.get_message_deliveries(...)``
(or ``client.call("send.send_message", body=...)``), with the same error mapping and retries.
"""

from __future__ import annotations

from typing import ClassVar

from . import _errors as _errors  # registers Postal's error codes before the first call
from ._webhooks import parse_webhook, verify_webhook

__all__ = ["API_KEY_HEADER"]

#: the header Postal reads the server API key from
API_KEY_HEADER = "X-Server-API-Key"


class _PostalDeployment:
    """What makes a moonrope client a Postal client: data only, shared by the twins."""

    _deployment: ClassVar[str] = "Postal"
    _generated_package: ClassVar[str | None] = "craftapis_generated.postal"
    #: reads: safe to send twice. send/message and send/raw are never resent (a duplicate e-mail)
    _default_safe_actions: ClassVar[frozenset[str]] = frozenset({"messages/message", "messages/deliveries"})

    #: check a webhook's signature (see `craftapis.postal.verify_webhook`); no client needed
    verify_webhook = staticmethod(verify_webhook)
    #: parse a webhook body into a typed event (see `craftapis.postal.parse_webhook`)
    parse_webhook = staticmethod(parse_webhook)


_DOC_ARGS = """
    Args:
        base_url: your Postal web server, e.g. ``https://postal.example.com``.
        api_key: a server API credential (Postal: the mail server's Credentials page, type API). Sent as
            ``X-Server-API-Key``; never shown in reprs, errors or logs.
        safe_actions: actions retried on 5xx/connection errors (default: ``messages/message`` and
            ``messages/deliveries``; sends are never resent, as that would send a message twice).
        **options: as every client (`AsyncClientOptions`) and as for `Moonrope`.

    Errors: Postal's codes are raised as their own classes (``NoRecipientsError``,
    ``UnauthenticatedFromAddressError``, ``InvalidServerAPIKeyError``, ... in `craftapis.postal`), all
    `MoonropeError` subclasses.
"""
