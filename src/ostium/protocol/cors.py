"""CORS for browser apps (keycloak-js): the token and userinfo endpoints answer a request
from one of the client's web origins so that script may read the answer, credentials
included, as Keycloak does."""

from __future__ import annotations

from ostium.domain import Client

__all__ = ["PREFLIGHT", "cors_headers", "preflight_headers"]

PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Origin, Accept, X-Requested-With, Content-Type, Access-Control-Request-Method, "
        "Access-Control-Request-Headers, Authorization, DPoP"
    ),
    "Access-Control-Max-Age": "3600",
}


def cors_headers(client: Client | None, origin: str | None) -> dict[str, str]:
    """The headers that let `origin` read the answer: only for a registered web origin
    of the client the request was for; nothing otherwise, so the browser refuses."""
    if origin is None or client is None or not client.allows_origin(origin):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }


def preflight_headers(origin: str | None) -> dict[str, str]:
    """The preflight does not know the client yet (no body); the real answer decides."""
    if origin is None:
        return {}
    return {
        **PREFLIGHT,
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Vary": "Origin",
    }
