"""A stand-in for the application a browser test signs in to: an HTTP server on a free
loopback port whose redirect URI answers a plain page, so the browser has somewhere to
land with its code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["callback_application"]


class _Application(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!DOCTYPE html><title>app</title><p>back in the application</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def callback_application() -> Iterator[str]:
    """Yields the application's redirect URI (`http://127.0.0.1:<port>/callback`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Application)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callback"
    finally:
        server.shutdown()
        server.server_close()
