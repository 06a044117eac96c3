"""RFC 8705 §3 certificate-bound access tokens (Keycloak: client attribute
`tls.client.certificate.bound.access.tokens`, "OAuth 2.0 Mutual TLS Certificate Bound Access
Tokens Enabled").

A bound client's access tokens carry `cnf.x5t#S256`, the base64url SHA-256 of the client
certificate's DER (§3.1); a public client's refresh tokens too, since it has no other
credential (Keycloak does the same). A token request from a bound client without a
certificate gets no token. Userinfo takes a bound token only over a request with the same
certificate; introspection returns `cnf` for the resource server to compare (§3.2).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ostium.domain import Client
from ostium.errors import InvalidRequest

__all__ = [
    "BOUND_TOKENS",
    "THUMBPRINT",
    "binding_holds",
    "confirmation_for",
    "thumbprint",
]

BOUND_TOKENS = "tls.client.certificate.bound.access.tokens"
THUMBPRINT = "x5t#S256"


def thumbprint(certificate: x509.Certificate) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(certificate.public_bytes(serialization.Encoding.DER))
    return base64.urlsafe_b64encode(digest.finalize()).rstrip(b"=").decode("ascii")


def confirmation_for(client: Client, chain: tuple[x509.Certificate, ...]) -> dict[str, str] | None:
    """The `cnf` claim for `client`'s tokens; None when it does not bind them."""
    if client.attributes.get(BOUND_TOKENS, "false").strip().lower() != "true":
        return None
    if not chain:
        raise InvalidRequest(
            "Client certificate missing for certificate-bound access tokens",
            detail="no client certificate",
        )
    return {THUMBPRINT: thumbprint(chain[0])}


def binding_holds(claims: Mapping[str, object], chain: tuple[x509.Certificate, ...]) -> bool:
    """Whether a token's `cnf.x5t#S256`, if it has one, names the request's certificate."""
    cnf = claims.get("cnf")
    if not isinstance(cnf, Mapping) or THUMBPRINT not in cnf:
        return True
    expected = cnf[THUMBPRINT]
    if not chain or not isinstance(expected, str):
        return False
    return hmac.compare_digest(expected, thumbprint(chain[0]))
