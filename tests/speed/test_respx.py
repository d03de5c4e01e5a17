"""respx with craftapis' clients: what docs/testing.md says works, tested with respx itself.

* `transport=httpx.MockTransport(router.handler)` (sync) / `router.async_handler` (async), the router
  from `respx.mock(using=None)` (routes and assertions, no patching): both kinds of client, whatever
  their default transport is.
* `with respx.mock:` (respx's default mocker patches httpcore's connections and pools) reaches a sync
  client on its default transport (`_wire.WireTransport`: while httpcore's connection is patched, its
  pool opens httpcore's connections), whether the client was built before the mock or inside it, and
  whether the wire was first imported inside it (a subprocess); once the mock is gone, the llhttp wire
  serves again.

Async clients' default transport is craftapis' own, not httpcore's, so `respx.mock`'s patches do not
reach it: docs/testing.md says to pass the router as the transport instead.
"""

from __future__ import annotations

import os

import httpx
import pytest
from craftapis import _wire
from craftapis._async_base import AsyncAPIClient
from craftapis._base import ApiProfile
from craftapis._sync_base import SyncAPIClient

from .test_wire import KEEP, serving
from .test_wire_llhttp import run_python

# respx is in the test dependency group; under CI (where the project's own files install it) its
# absence is a failure, not a skip.
if os.environ.get("CI"):
    import respx
else:
    respx = pytest.importorskip("respx", reason="respx (the test group) is not installed here")

BASE = "http://127.0.0.1:9"  # nothing listens there: only respx can answer
PROFILE = ApiProfile(name="respx", package="craftapis_generated.modrinth", base_url=BASE)


class Client(SyncAPIClient):
    _profile = PROFILE


class AsyncClient(AsyncAPIClient):
    _profile = PROFILE


def test_a_router_as_the_transport_answers_a_sync_client() -> None:
    with respx.mock(using=None, base_url=BASE) as router:
        route = router.get("/thing", params={"q": "1"}).respond(json={"mocked": "sync"})
        with Client(base_url=BASE, transport=httpx.MockTransport(router.handler)) as client:
            assert client.request("GET", "/thing", params={"q": "1"}).json() == {"mocked": "sync"}
        assert route.call_count == 1
        assert route.calls.last.request.headers["Accept-Encoding"] == "gzip, deflate"


async def test_a_router_as_the_transport_answers_an_async_client() -> None:
    with respx.mock(using=None, base_url=BASE) as router:
        route = router.post("/thing", json={"a": 1}).respond(201, json={"mocked": "async"})
        async with AsyncClient(base_url=BASE, transport=httpx.MockTransport(router.async_handler)) as client:
            response = await client.request("POST", "/thing", json={"a": 1})
        assert (response.status_code, response.json()) == (201, {"mocked": "async"})
        assert route.call_count == 1


def test_respx_mock_answers_a_sync_client_on_the_default_transport() -> None:
    built_before = Client(base_url=BASE)
    try:
        with respx.mock(base_url=BASE) as router:
            route = router.get("/thing").respond(json={"mocked": 1})
            with Client(base_url=BASE) as built_inside:
                assert built_inside.request("GET", "/thing").json() == {"mocked": 1}
            assert built_before.request("GET", "/thing").json() == {"mocked": 1}
            assert route.call_count == 2
    finally:
        built_before.close()


def test_after_respx_mock_the_default_transport_is_the_llhttp_wire_again() -> None:
    with serving(KEEP) as server, _wire.WireTransport() as transport:
        with respx.mock(assert_all_called=False):
            pass
        request = httpx.Request("GET", server.url, extensions={"timeout": {"read": 2.0, "pool": 2.0}})
        response = transport.handle_request(request)
        assert response.read() == b"ok"
        response.close()
        if _wire.LlhttpConnection is not None:
            assert [type(c) for c in transport._pool.connections] == [_wire.LlhttpConnection]


FIRST_IMPORT_INSIDE = """
import sys
import respx

with respx.mock(base_url=sys.argv[1]) as router:
    route = router.get("/thing").respond(json={"mocked": 1})
    from craftapis._base import ApiProfile
    from craftapis._sync_base import SyncAPIClient

    class Client(SyncAPIClient):
        _profile = ApiProfile(name="respx", package="craftapis_generated.modrinth", base_url=sys.argv[1])

    with Client(base_url=sys.argv[1]) as client:  # the first client: the wire is imported here
        print(client.request("GET", "/thing").json(), route.call_count)
"""


def test_respx_mock_answers_when_the_wire_is_first_imported_inside_it() -> None:
    """The first client of a process built inside `with respx.mock:` imports the wire then; before
    the wire told httpcore's function by its code, it took respx's patch for httpcore's own and sent the
    request to the network instead (here: a closed port)."""
    done = run_python(FIRST_IMPORT_INSIDE, BASE)
    assert done.stdout.split("\n")[0] == "{'mocked': 1} 1"
