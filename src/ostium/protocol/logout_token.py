"""The `logout_token` of OIDC Back-Channel Logout 1.0 §2.4, and the front-channel URL of
OIDC Front-Channel Logout 1.0 §2: pure, so every path that ends a session builds the
same ones."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit, urlunsplit

from ostium.domain import Client

__all__ = ["BACKCHANNEL_EVENT", "LOGOUT_TOKEN_TYP", "frontchannel_url", "logout_token_claims"]

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_TYP = "logout+jwt"  # noqa: S105 - a JWT type; it keeps the token from passing as an ID token
LIFETIME = 120  # seconds: a logout token is delivered at once or not at all


def logout_token_claims(
    *, issuer: str, client: Client, user_id: str, session_id: str, now: int
) -> dict[str, object]:
    """§2.4: iss, aud, iat, exp, jti, events, and sub and/or sid; never a nonce."""
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + LIFETIME,
        "jti": str(uuid.uuid4()),
        "sub": user_id,
        "typ": "Logout",  # Keycloak's own claim, for RPs that check it
        "events": {BACKCHANNEL_EVENT: {}},
    }
    if client.backchannel_logout_session_required:
        claims["sid"] = session_id
    return claims


def frontchannel_url(client: Client, *, issuer: str, session_id: str) -> str | None:
    """§2: `iss` and `sid` are added to the RP's URL when it asks for the session."""
    url = client.frontchannel_logout_url
    if url is None:
        return None
    if not client.frontchannel_logout_session_required:
        return url
    parts = urlsplit(url)
    extra = urlencode({"iss": issuer, "sid": session_id})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
