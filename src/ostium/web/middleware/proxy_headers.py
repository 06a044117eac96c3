"""Applies a trusted reverse proxy's forwarding headers to the ASGI scope.

`--proxy-headers` (Keycloak's option): the scope's `scheme`, `Host` header, `server` and
`client` become what the first proxy saw, so every reader downstream — the issuer and each
URL built from the request, the cookies' `Secure` flag, the address in events, brute-force
records, sessions and logs — follows with no change of its own. It runs outermost, before
anything reads the request.

From a peer outside `--proxy-trusted-addresses` the headers change nothing. A header from a
trusted peer that does not parse changes nothing either (never half-applied, never a 500)
and is logged once per request as a warning, since it means a misconfigured proxy.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from ostium.web.forwarded import Forwarded, MalformedForwarding, ProxyTrust

__all__ = ["ProxyHeadersMiddleware", "forwarded_scope"]

_log = logging.getLogger(__name__)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class ProxyHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, trust: ProxyTrust) -> None:
        self.app = app
        self.trust = trust

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = forwarded_scope(scope, self.trust)
        await self.app(scope, receive, send)


def forwarded_scope(scope: Scope, trust: ProxyTrust) -> Scope:
    """`scope` as the client sent it to the proxy; `scope` itself when the peer is not
    trusted, sent no forwarding header, or sent one that does not parse."""
    client = scope.get("client")
    peer = client[0] if client else None
    if not trust.trusts(peer):
        return scope
    try:
        forwarded = trust.parse(scope.get("headers", []))
    except MalformedForwarding as exc:
        _log.warning("Ignoring the forwarding headers of a request from proxy %s: %s", peer, exc)
        return scope
    if forwarded is None:
        return scope
    return _apply(scope, forwarded)


def _apply(scope: Scope, forwarded: Forwarded) -> Scope:
    headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
    old_host, old_port = _host_of(scope, headers)
    scheme: str = forwarded.scheme or scope.get("scheme", "http")
    host = forwarded.host or old_host
    if forwarded.port is not None:
        port: int | None = forwarded.port
    elif forwarded.host is not None or forwarded.scheme is not None:
        # A proxy that names the scheme or host without a port means the default one (Quarkus).
        port = None
    else:
        port = old_port
    if port == _DEFAULT_PORTS.get(scheme):
        port = None
    authority = host if port is None else f"{host}:{port}"
    headers = [(name, value) for name, value in headers if name != b"host"]
    headers.insert(0, (b"host", authority.encode("ascii")))
    new = dict(scope)
    new["headers"] = headers
    new["scheme"] = scheme
    new["server"] = (host.strip("[]"), port or _DEFAULT_PORTS.get(scheme, 80))
    if forwarded.client_host is not None:
        old_client_port = scope["client"][1] if scope.get("client") else 0
        new["client"] = (forwarded.client_host, forwarded.client_port or old_client_port)
    return new


def _host_of(scope: Scope, headers: list[tuple[bytes, bytes]]) -> tuple[str, int | None]:
    """The request's own host and port: its Host header, else the server address."""
    for name, value in headers:
        if name == b"host":
            text = value.decode("latin-1")
            if text.startswith("["):
                inside, _, rest = text.partition("]")
                return f"{inside}]", int(rest[1:]) if rest[1:].isdigit() else None
            host, _, port = text.partition(":")
            return host, int(port) if port.isdigit() else None
    server = scope.get("server")
    if server:
        return str(server[0]), int(server[1])
    return "localhost", None
