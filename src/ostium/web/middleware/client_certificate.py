"""Looks up the client certificate a TLS-terminating proxy passes on, once per request.

Keycloak's `x509cert-lookup` SPI: the headers are read only from a peer inside
`--proxy-trusted-addresses` — the same decision as for the forwarding headers
(`web/forwarded.py`) — so this runs outermost, while the scope's `client` is still the
peer and not the forwarded client address. The verified chain (client certificate first)
is left in the scope under `CLIENT_CERTIFICATE` for `request_info` to hand to the protocol;
a rejected one is logged as a warning and leaves nothing, so it can never authenticate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography import x509
from starlette.types import ASGIApp, Receive, Scope, Send

from ostium.web.client_certificates import CertificateLookup, RejectedCertificate
from ostium.web.forwarded import IPNetwork, peer_is_trusted

__all__ = [
    "CERTIFICATE_REJECTED",
    "CLIENT_CERTIFICATE",
    "ClientCertificateMiddleware",
    "client_certificate_of",
    "client_certificate_rejection_of",
]

CLIENT_CERTIFICATE = "ostium.client_certificate"
CERTIFICATE_REJECTED = "ostium.client_certificate_rejected"

_log = logging.getLogger(__name__)


class ClientCertificateMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        lookup: CertificateLookup,
        trusted: Sequence[IPNetwork],
        now: Callable[[], datetime],
    ) -> None:
        self.app = app
        self.lookup = lookup
        self.trusted = tuple(trusted)
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = dict(scope)
            try:
                scope[CLIENT_CERTIFICATE] = self._chain(scope)
            except RejectedCertificate as exc:
                scope[CLIENT_CERTIFICATE] = ()
                scope[CERTIFICATE_REJECTED] = str(exc)
        await self.app(scope, receive, send)

    def _chain(self, scope: Scope) -> tuple[x509.Certificate, ...]:
        client = scope.get("client")
        peer = client[0] if client else None
        headers = scope.get("headers", [])
        if not peer_is_trusted(self.trusted, peer):
            # Whatever certificate headers it sent are its own words.
            name = self.lookup.settings.header.encode("latin-1")
            if any(header == name for header, _ in headers):
                _log.warning("Ignoring the client certificate header of untrusted peer %s", peer)
                raise RejectedCertificate(f"certificate header from untrusted peer {peer}")
            return ()
        try:
            return self.lookup.lookup(headers, self.now())
        except RejectedCertificate as exc:
            _log.warning("No client certificate for a request from proxy %s: %s", peer, exc)
            raise


def client_certificate_of(scope: Scope) -> tuple[x509.Certificate, ...]:
    """The verified chain the middleware found, else the certificate the HTTPS listener's
    own handshake verified (`--https-client-auth`, the ASGI TLS extension's
    `client_cert_chain`); () without either."""
    chain = tuple(scope.get(CLIENT_CERTIFICATE, ()))
    if chain:
        return chain
    tls = (scope.get("extensions") or {}).get("tls") or {}
    return tuple(
        x509.load_pem_x509_certificate(pem.encode()) for pem in tls.get("client_cert_chain", ())
    )


def client_certificate_rejection_of(scope: Scope) -> str | None:
    """Why the middleware refused the certificate the request carried; None if it did not."""
    reason = scope.get(CERTIFICATE_REJECTED)
    return str(reason) if reason else None
