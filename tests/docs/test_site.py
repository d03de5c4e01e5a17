"""The built documentation site, looked at as a person would: every page served from 127.0.0.1 and
loaded in headless Chromium, failing on a console error, a request that 404s, a link to a page that
does not exist, or a page without content; a screenshot of each page is saved for a human to look at.

Chromium is Debian's `chromium` package: installed by the test run where it can be (root with
apt-get), skipped with a message where it cannot, and required when `CI` is set.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: where the screenshots go (git-ignored); CRAFTAPIS_TEST_OUTPUT moves it
OUTPUT = Path(os.environ.get("CRAFTAPIS_TEST_OUTPUT", ROOT / ".test-output")) / "docs-screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the browser test is required", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "install", "-y", "-q", "chromium"], env=env, capture_output=True, check=False)
        found = shutil.which("chromium")
        if found:
            return found
    _unavailable(
        "Chromium is not installed and could not be installed (needs root and apt-get: Debian's chromium)"
    )
    raise AssertionError("unreachable")


class _Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves the site and records the status of every request the browser makes."""

    statuses: list[tuple[str, int]]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.statuses.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[tuple[str, list[tuple[str, int]]]]:
    statuses: list[tuple[str, int]] = []
    handler = type("Handler", (_Recorder,), {"statuses": statuses})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", statuses
    finally:
        server.shutdown()
        server.server_close()


def _pages(site: Path) -> list[str]:
    return sorted(
        str(p.relative_to(site).parent).replace("\\", "/").strip(".") + "/"
        for p in site.rglob("index.html")
        if "assets" not in p.parts
    )


def test_every_page_loads_clean_in_chromium(site: Path, served: tuple[str, list[tuple[str, int]]]) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (it is in the project's test dependencies)")
    chromium = _chromium()
    base, statuses = served
    pages = _pages(site)
    assert len(pages) >= 20, pages
    OUTPUT.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    links: set[str] = set()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            for path in pages:
                errors.clear()
                url = urljoin(base, path.lstrip("/"))
                response = page.goto(url, wait_until="networkidle")
                if response is None or response.status != 200:
                    problems.append(f"{path}: HTTP {response.status if response else 'no response'}")
                text = page.inner_text("article") if page.query_selector("article") else ""
                if len(text.strip()) < 80:
                    problems.append(f"{path}: the page is empty ({len(text.strip())} characters of content)")
                problems.extend(f"{path}: console error: {e}" for e in errors)
                for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                    target, _ = urldefrag(href)
                    if urlparse(target).netloc == urlparse(base).netloc:
                        links.add(target)
                name = path.strip("/").replace("/", "__") or "index"
                page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=False)
            for link in sorted(links):
                response = page.request.get(link)
                if response.status != 200:
                    problems.append(f"link {link}: HTTP {response.status}")
        finally:
            browser.close()
    problems.extend(f"request {p}: HTTP {s}" for p, s in statuses if s >= 400)
    assert not problems, "\n".join(problems)
    assert (OUTPUT / "index.png").stat().st_size > 10_000


def test_the_check_sees_a_broken_link(site: Path, served: tuple[str, list[tuple[str, int]]]) -> None:
    """The recorder really sees a 404 (so an empty list above means something)."""
    import urllib.error
    import urllib.request

    base, statuses = served
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(urljoin(base, "no-such-page/"), timeout=5)
    assert ("/no-such-page/", 404) in statuses
    statuses.remove(("/no-such-page/", 404))
