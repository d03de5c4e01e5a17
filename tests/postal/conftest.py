"""Cassette settings for the Postal tests (vcrpy through pytest-recording).

Cassettes replay in record mode `none` (the default). To re-record them from the fake Postal (no
network needed): `pytest tests/postal/test_cassettes.py --record-mode=rewrite`.
"""

from __future__ import annotations

from typing import Any

import pytest

from .postal_fake import API_KEY, WRONG_KEY

#: every credential a test uses; none may reach a cassette
SECRETS = (API_KEY, WRONG_KEY)


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Postal echoes an invalid key in its error: replace any credential in a recorded body."""
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes):
        for secret in SECRETS:
            body = body.replace(secret.encode(), b"REDACTED")
        response["body"]["string"] = body
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": ["x-server-api-key", "x-auth-token", "x-auth-secret", "authorization", "cookie"],
        "before_record_response": scrub_response,
        # the body too: replay proves the client sends exactly what was recorded
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
    }
