"""The claims each granted scope contributes (Keycloak's default protocol mappers)."""

from __future__ import annotations

from ostium.domain import User

__all__ = ["user_claims"]


def user_claims(user: User, scopes: list[str], *, id_token: bool = False) -> dict[str, object]:
    """Profile and email claims by scope; `sub` is always set by the caller."""
    claims: dict[str, object] = {}
    if "email" in scopes:
        claims["email_verified"] = user.email_verified
        if user.email:
            claims["email"] = user.email
    if "profile" in scopes:
        if user.full_name:
            claims["name"] = user.full_name
        claims["preferred_username"] = user.username
        if user.first_name:
            claims["given_name"] = user.first_name
        if user.last_name:
            claims["family_name"] = user.last_name
        locale = user.attributes.get("locale")
        if locale:
            claims["locale"] = locale[0]
    return claims
