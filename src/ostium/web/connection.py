"""Wrappers around uvicorn's per-connection HTTP protocol.

uvicorn builds one protocol object per connection from a class (`uvicorn.Config(http=…)`)
and gives it uvicorn's own keyword arguments. What Ostium must learn about a connection
before, or beside, its HTTP — the PROXY protocol header (web/proxy_protocol.py), the client
certificate of the TLS handshake (below) — is read by a wrapper that holds the real
protocol and hands it the connection.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["DelegatingProtocol", "tls_client_certificate_class"]

AsgiApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class DelegatingProtocol(asyncio.Protocol):
    """Passes every event on to `inner`, uvicorn's protocol for this connection."""

    inner_class: type[asyncio.Protocol]

    def __init__(self, **kwargs: Any) -> None:
        self.inner = self.inner_class(**kwargs)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


def tls_client_certificate_class(inner: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """uvicorn's protocol `inner` on an HTTPS listener that asks for client certificates
    (`--https-client-auth`): the certificate the TLS handshake verified reaches every
    request of the connection as the ASGI TLS extension's `client_cert_chain` (PEM), which
    uvicorn does not fill in itself."""

    class TlsClientCertificate(DelegatingProtocol):
        inner_class = inner

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            tls = transport.get_extra_info("ssl_object")
            der = tls.getpeercert(binary_form=True) if tls is not None else None
            if der:
                app: AsgiApp = self.inner.app  # type: ignore[attr-defined]
                chain = [ssl.DER_cert_to_PEM_cert(der)]
                self.inner.app = _with_client_certificate(app, chain)  # type: ignore[attr-defined]
            super().connection_made(transport)

    return TlsClientCertificate


def _with_client_certificate(app: AsgiApp, chain: list[str]) -> AsgiApp:
    async def with_certificate(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        extensions = dict(scope.get("extensions") or {})
        extensions["tls"] = {**extensions.get("tls", {}), "client_cert_chain": chain}
        await app({**scope, "extensions": extensions}, receive, send)

    return with_certificate
