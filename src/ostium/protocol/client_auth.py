"""Client authentication at the token, introspection and revocation endpoints.

RFC 6749 §2.3.1 (client_secret_basic, client_secret_post), §2.1 public clients
(`none`) and RFC 8705 §2.1 `tls_client_auth` (Keycloak's `client-x509` authenticator, see
`client_x509`). A failed authentication is 401 `invalid_client` with a `WWW-Authenticate`
challenge (§5.2), not Keycloak's `unauthorized_client`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from cryptography import x509

from ostium.domain import Client
from ostium.domain.client_secret import secret_matches
from ostium.errors import InvalidClient, InvalidRequest, UnauthorizedClient
from ostium.protocol.client_x509 import CLIENT_X509, check_client_certificate
from ostium.storage.interfaces import Repositories

__all__ = ["AuthenticatedClient", "authenticate_client", "parse_basic"]


@dataclass(frozen=True)
class AuthenticatedClient:
    client: Client
    method: str  # client_secret_basic | client_secret_post | none | tls_client_auth


def parse_basic(header: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: both parts are form-urlencoded before the Base64 step."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        raise InvalidClient("Invalid client authentication header", detail=f"scheme {scheme!r}")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # non-ASCII input raises a plain ValueError
        raise InvalidClient("Malformed Basic authorization header") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise InvalidClient("Malformed Basic authorization header")
    return unquote_plus(client_id), unquote_plus(secret)


async def authenticate_client(
    repos: Repositories,
    realm_id: str,
    form: Mapping[str, str],
    authorization: str | None,
    *,
    now: int,
    certificate_chain: tuple[x509.Certificate, ...] = (),
    certificate_rejected: str | None = None,
) -> AuthenticatedClient:
    """`now` decides whether a rotated secret is still in its grace period;
    `certificate_chain` is the verified client certificate of the request, if any, and
    `certificate_rejected` why the one it presented was refused."""
    basic = authorization is not None and authorization.strip().lower().startswith("basic")
    if basic and "client_secret" in form:
        # RFC 6749 §2.3: "The client MUST NOT use more than one authentication method".
        raise InvalidRequest("Client used more than one authentication method")
    secret: str | None
    if basic and authorization is not None:
        client_id, secret = parse_basic(authorization)
        if form.get("client_id") not in (None, client_id):
            raise InvalidRequest("client_id does not match the authenticated client")
        method = "client_secret_basic"
    else:
        client_id = form.get("client_id", "")
        secret = form.get("client_secret")
        method = "client_secret_post" if secret is not None else "none"
        if not client_id:
            raise InvalidClient("Missing client credentials", detail="no client_id")
    client = await repos.clients.get_by_client_id(realm_id, client_id)
    if client is None:
        raise InvalidClient("Invalid client or Invalid client credentials", detail="unknown client")
    if not client.enabled:
        raise InvalidClient("Invalid client or Invalid client credentials", detail="disabled")
    if client.bearer_only:
        raise UnauthorizedClient("Bearer-only clients are not allowed to obtain tokens")
    if client.public_client:
        return AuthenticatedClient(client, "none")
    if client.client_authenticator_type == CLIENT_X509:
        # The certificate is the credential; a secret sent alongside proves nothing.
        check_client_certificate(client, certificate_chain, certificate_rejected)
        return AuthenticatedClient(client, "tls_client_auth")
    if secret is None:
        raise InvalidClient("Invalid client or Invalid client credentials", detail="no secret")
    if not secret_matches(client, secret, now):
        raise InvalidClient("Invalid client or Invalid client credentials", detail="bad secret")
    return AuthenticatedClient(client, method)
