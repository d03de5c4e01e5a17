"""Scrubbing for cassettes: fake credentials and issued session tokens never reach a file."""

from __future__ import annotations

import re
from typing import Any

from .fake import CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX

_TOKEN = re.compile(re.escape(TOKEN_PREFIX).encode() + rb"[\w-]+")


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes):
        body = _TOKEN.sub(b"REDACTED-SESSION-TOKEN", body)
        for secret in (CLIENT_ID, CLIENT_SECRET):
            body = body.replace(secret.encode(), b"REDACTED")
        response["body"]["string"] = body
    return response
