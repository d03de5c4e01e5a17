"""Measure proposed edits to craftapis' shared modules before anyone makes them.

    python bench/whatif_shared.py            # in-memory transport: CPU cost per call, low noise
    python bench/whatif_shared.py --loopback # through the loopback server: wall time per call

Each variant applies one proposed change to `_base.py` / `_http.py` *at run time* (a subclass
or an attribute set on one client), so the shared modules are not edited. Every variant
runs the same job as the baseline -- ``request("GET", "/project/fabric-api").json()`` and
``call("projects.get_project", ...)`` on the ~23 KB project -- and the table gives its time
per call and its ratio to the unchanged client, paired round by round (see _harness.py).

In-memory runs answer from a canned response (the loopback server's headers and body)
inside the process, so the numbers are the client's own CPU cost, free of network and
server noise: that is where these edits act.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Case, format_table, run_interleaved, use_source_tree
from _server import _HEADERS, BenchServer, project_payload

use_source_tree()

import httpx  # noqa: E402
from craftapis._base import ApiProfile, SyncAPIClient  # noqa: E402
from craftapis._fasttransport import FastHTTPTransport  # noqa: E402

PROFILE = ApiProfile(
    name="modrinth", package="craftapis_generated.modrinth", base_url="https://api.modrinth.com/v2"
)
BODY = json.dumps(project_payload(), indent=2).encode()
RAW_HEADERS = [tuple(line.split(b": ", 1)) for line in _HEADERS.strip().split(b"\r\n")] + [
    (b"content-length", str(len(BODY)).encode())
]


class CannedTransport(httpx.BaseTransport):
    """Answers every request with the bench server's project response, without I/O."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers=RAW_HEADERS,
            stream=httpx.ByteStream(BODY),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": b"OK"},
        )


class Current(SyncAPIClient):
    """craftapis as it is."""

    _profile = PROFILE


# -- E1 (_base.py): cache the generated operation modules -------------------------------------------


class ModuleCache(Current):
    _modules: dict[str, ModuleType]

    def _module(self, dotted: str) -> ModuleType:
        try:
            return self._modules[dotted]
        except AttributeError:
            self._modules = {}
        except KeyError:
            pass
        module = self._modules[dotted] = importlib.import_module(f"{self._profile.package}.api.{dotted}")
        return module


# -- E2 (_base.py): hand httpx an absolute URL ------------------------------------------------------


class AbsoluteURL(Current):
    """`_send`: join base URL and path as strings, so httpx parses one URL instead of merging two."""

    def _send(
        self, kwargs: dict[str, Any], *, auth: httpx.Auth | None = None, check: bool = True
    ) -> tuple[httpx.Response, Any]:
        url = kwargs["url"]
        if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
            kwargs["url"] = self.base_url + url
        return super()._send(kwargs, auth=auth, check=check)


# -- E3 (_http.py): skip cookie extraction when the response sets no cookie ------------------------


class SetCookieOnlyJar(http.cookiejar.CookieJar):
    """A CookieJar that skips the work when the response has no Set-Cookie header (public API)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        headers = response.response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response, request)


class SetCookieOnlyCookies(httpx.Cookies):
    """httpx.Cookies that skips building urllib compatibility objects when no cookie is set."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def jar_variant(client: SyncAPIClient) -> SyncAPIClient:
    client._http.cookies = SetCookieOnlyJar()  # type: ignore[assignment]
    return client


def cookies_variant(client: SyncAPIClient) -> SyncAPIClient:
    client._http._cookies = SetCookieOnlyCookies(client._http.cookies)
    return client


class AllEdits(ModuleCache, AbsoluteURL):
    """E1 + E2, plus E3b applied by the factory."""


def variants(transport: Callable[[], httpx.BaseTransport], base_url: str) -> list[tuple[str, SyncAPIClient]]:
    return [
        ("current craftapis", Current(base_url=base_url, transport=transport())),
        ("  control: current craftapis, second client", Current(base_url=base_url, transport=transport())),
        ("E1 cache operation modules (_base)", ModuleCache(base_url=base_url, transport=transport())),
        ("E2 absolute URL to httpx (_base)", AbsoluteURL(base_url=base_url, transport=transport())),
        (
            "E3a cookie jar skips responses without Set-Cookie (_http)",
            jar_variant(Current(base_url=base_url, transport=transport())),
        ),
        (
            "E3b httpx.Cookies skips them (_http, private attr)",
            cookies_variant(Current(base_url=base_url, transport=transport())),
        ),
        ("E1+E2+E3b", cookies_variant(AllEdits(base_url=base_url, transport=transport()))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--loopback", action="store_true", help="through the loopback server instead of in memory"
    )
    parser.add_argument("--iterations", type=int, default=3000, help="calls per variant")
    args = parser.parse_args()
    with asyncio.Runner() as runner:
        if args.loopback:
            with BenchServer() as server:
                sections = [
                    ("loopback, httpx transport", variants(lambda: None, server.url)),  # type: ignore[arg-type,return-value]
                    (
                        "loopback, FastHTTPTransport (E4: the default in _http.build_client)",
                        variants(FastHTTPTransport, server.url),
                    ),
                ]
                _report(sections, args, runner, cpu=False)
        else:
            _report(
                [("in memory (CannedTransport)", variants(CannedTransport, PROFILE.base_url))],
                args,
                runner,
                cpu=True,
            )


def _report(
    sections: list[tuple[str, list[tuple[str, SyncAPIClient]]]],
    args: argparse.Namespace,
    runner: asyncio.Runner,
    *,
    cpu: bool,
) -> None:
    for title, clients in sections:
        for job, make_call in (
            ("request().json()", lambda c: lambda: c.request("GET", "/project/fabric-api").json()),
            ("call() -> Project", lambda c: lambda: c.call("projects.get_project", id_slug="fabric-api")),
        ):
            cases = [
                Case(name, "sync", make_call(client), baseline=i == 0)
                for i, (name, client) in enumerate(clients)
            ]
            results = run_interleaved(cases, iterations=args.iterations, warmup=50, runner=runner)
            base = results[0]
            rows = []
            for result in results:
                mine, theirs = (result.cpu_median, base.cpu_median) if cpu else (result.median, base.median)
                rows.append(
                    [
                        result.case.name,
                        f"{mine * 1e6:,.1f}",
                        f"{(theirs - mine) * 1e6:+,.1f}",
                        f"{mine / theirs:.3f}x",
                    ]
                )
            unit = "CPU us/call" if cpu else "wall us/call"
            print(f"### {title}: {job} ({args.iterations} calls per variant, interleaved; medians)\n")
            headers = ["variant", unit, "saved us", "vs current"]
            print(format_table(headers, rows), end="\n\n", flush=True)
        for _, client in clients:
            client.close()


if __name__ == "__main__":
    main()
