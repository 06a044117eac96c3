"""Redis for the tests: the machine's server (OSTIUM_TEST_REDIS_URL, default the local one),
or a private `redis-server` process when a test must restart it or set TLS and ACLs.

Unreachable or missing: skipped with the reason, except under CI=true, where that is a
failure: CI must never go green without having run against Redis.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DEFAULT_REDIS = "redis://127.0.0.1:6379"


def _unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def redis_address() -> tuple[str, int]:
    """The shared test server's address; skips (fails in CI) when it does not answer."""
    url = urlsplit(os.environ.get("OSTIUM_TEST_REDIS_URL", DEFAULT_REDIS))
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(64).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        _unavailable(f"Redis not reachable at {host}:{port}: {exc}; set OSTIUM_TEST_REDIS_URL")
    return host, port


def namespace() -> str:
    """A key prefix of a test's own, so tests never see each other's entries."""
    return f"ostium-test-{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisProcess:
    port: int
    args: list[str]
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", *self.args],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise AssertionError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def redis_process(directory: Path, *extra: str, tls: bool = False) -> Iterator[RedisProcess]:
    """A private redis-server on a free loopback port, stopped afterwards."""
    if shutil.which("redis-server") is None:
        _unavailable("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    listen = ["--port", "0", "--tls-port", str(port)] if tls else ["--port", str(port)]
    server = RedisProcess(
        port,
        ["--bind", "127.0.0.1", *listen, "--save", "", "--appendonly", "no", *extra],
        directory,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
