"""Scrubbing for cassettes: the fake secrets must never be written to disk."""

from __future__ import annotations

from typing import Any

from .fake import PRIVATE_TOKEN, SHARED_TOKEN

SECRETS = (PRIVATE_TOKEN, SHARED_TOKEN)


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes):
        for secret in SECRETS:
            body = body.replace(secret.encode(), b"REDACTED")
        response["body"]["string"] = body
    return response
