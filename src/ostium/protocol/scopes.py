"""Which scopes a request gets, and what the `scope` value says (Keycloak's client scopes)."""

from __future__ import annotations

from ostium.domain import Client

__all__ = ["OPENID", "granted_scopes", "scope_claim"]

OPENID = "openid"

# Keycloak's built-in client scopes. Only those with "include.in.token.scope" appear in
# the `scope` value of tokens; the others (roles, web-origins, acr, basic) act silently.
BUILTIN_SCOPES = frozenset(
    {
        "profile",
        "email",
        "roles",
        "web-origins",
        "acr",
        "basic",
        "address",
        "phone",
        "offline_access",
        "microprofile-jwt",
        "organization",
    }
)
_SILENT = frozenset({"roles", "web-origins", "acr", "basic"})


def granted_scopes(client: Client, requested: str | None) -> list[str]:
    """The client's default scopes, plus the optional ones the request names.

    Unknown requested scopes are ignored, as Keycloak does, rather than failing the flow.
    """
    names = (requested or "").split()
    granted: list[str] = []
    if OPENID in names:
        granted.append(OPENID)
    for scope in client.default_client_scopes:
        if scope not in granted:
            granted.append(scope)
    for scope in names:
        if scope in client.optional_client_scopes and scope not in granted:
            granted.append(scope)
    return granted


def scope_claim(granted: list[str]) -> str:
    return " ".join(s for s in granted if s not in _SILENT)
