"""Grants by `grant_type`: a new grant is one module plus one line in `GRANTS`."""

from __future__ import annotations

from ostium.protocol.grants.authorization_code import AuthorizationCodeGrant
from ostium.protocol.grants.base import Grant, GrantRequest
from ostium.protocol.grants.client_credentials import ClientCredentialsGrant
from ostium.protocol.grants.password import PasswordGrant
from ostium.protocol.grants.refresh_token import RefreshTokenGrant

__all__ = ["GRANTS", "Grant", "GrantRequest"]

GRANTS: dict[str, Grant] = {
    grant.GRANT_TYPE: grant
    for grant in (
        AuthorizationCodeGrant(),
        RefreshTokenGrant(),
        ClientCredentialsGrant(),
        PasswordGrant(),
    )
}
