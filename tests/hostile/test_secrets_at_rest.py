"""Finding 11 (secrets): nothing a client or an error keeps shows a credential: `vars(client)`, and
`exc.response.request` (its headers, URL and form body), sync and async, for every client."""

from __future__ import annotations

import pickle

import pytest
from craftapis import APIError

from tests.faults.apis import Api, close, fast_retry, resolve
from tests.railcraft import fake as rc_fake

from .server import HostileServer, Raw, response
from .test_redirects import ALL_SECRETS


async def test_vars_of_a_railcraft_client_hide_the_secret(mode: str) -> None:
    from tests.faults.apis import RAILCRAFT

    client = RAILCRAFT.make(mode, "http://127.0.0.1:9")
    try:
        shown = repr(vars(client)) + repr(client)
        assert rc_fake.CLIENT_SECRET not in shown
        assert "Secret('***')" in shown
    finally:
        await close(client)


async def test_an_error_keeps_no_credential_in_its_request(
    api: Api, hostile: HostileServer, mode: str
) -> None:
    call = api.write if api.name == "railcraft" else api.read
    path = (api.write_request if api.name == "railcraft" else api.read_request)[1]
    hostile.script(Raw(response(403, {"error": "forbidden", "message": "no"})), path=path)
    client = api.make(mode, hostile.url, retry=fast_retry(api.default_retry, max_attempts=1))
    try:
        with pytest.raises(APIError) as caught:
            await resolve(call(client))
    finally:
        await close(client)
    error = caught.value
    assert error.response is not None
    request = error.response.request
    kept = repr(request.headers.multi_items()) + str(request.url) + repr(request.content)
    kept += repr(pickle.loads(pickle.dumps(error)).__dict__)
    assert [s for s in [api.secret, *ALL_SECRETS] if s in kept] == []
    assert hostile.count(path) == 1  # and the server did get what it needed
    assert any(api.secret.encode() in s.raw + s.body for s in hostile.seen)
