"""Who may call the admin API: Keycloak's model.

A bearer token from the `master` realm whose user has the realm role `admin` may manage
every realm; a token from the managed realm itself needs the `realm-management` client
roles for what it does (`view-users`, `manage-clients`, …; `realm-admin` has them all).
Roles are read from storage when the call is made, not from the token, so a revoked
role stops working at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ostium.admin.errors import Forbidden, NotFound, Unauthorized
from ostium.domain import Realm, User
from ostium.errors import AccessDenied, OAuthError
from ostium.protocol.tokens import ACCESS, TokenProblem, check_token
from ostium.services.roles import effective_roles, role_claims
from ostium.web.runtime import Runtime

__all__ = ["AdminPrincipal", "authenticate_admin"]

MASTER = "master"
MANAGEMENT_CLIENT = "realm-management"


@dataclass(frozen=True)
class AdminPrincipal:
    user: User
    realm: Realm  # the realm that issued the token
    superuser: bool  # master `admin`
    management_roles: frozenset[str]
    session_id: str | None = None  # the user session the token belongs to, if any

    def require(self, realm_name: str, role: str) -> None:
        """`role` is a realm-management role; `manage-x` implies `view-x`, as in Keycloak."""
        if self.superuser:
            return
        if self.realm.name != realm_name:
            raise Forbidden("HTTP 403 Forbidden")
        implied = {role}
        if role.startswith(("view-", "query-")):
            implied.add("manage-" + role.split("-", 1)[1])
        if not (implied & self.management_roles):
            raise Forbidden("HTTP 403 Forbidden")

    def require_any(self, realm_name: str) -> None:
        """Some admin role in the realm, before anything of it is looked up: a caller
        with none learns nothing from the difference between 404 and 403."""
        if self.superuser:
            return
        if self.realm.name != realm_name or not self.management_roles:
            raise Forbidden("HTTP 403 Forbidden")

    def can_view_realm(self, realm_name: str) -> bool:
        """Keycloak's RealmsPermissions.canView: `view-realm` or `manage-realm` there."""
        if self.superuser:
            return True
        roles = {"view-realm", "manage-realm"}
        return self.realm.name == realm_name and bool(roles & self.management_roles)

    def is_admin_of(self, realm_name: str) -> bool:
        """Keycloak's RealmsPermissions.isAdmin: some admin role in the realm."""
        return self.superuser or (self.realm.name == realm_name and bool(self.management_roles))

    def require_superuser(self) -> None:
        if not self.superuser:
            raise Forbidden("HTTP 403 Forbidden")


async def authenticate_admin(runtime: Runtime, request: Request) -> AdminPrincipal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("HTTP 401 Unauthorized")
    token = token.strip()
    realm_name = _issuer_realm(token)
    if realm_name is None:
        raise Unauthorized("HTTP 401 Unauthorized")
    try:
        ctx = await runtime.realm_context(request, realm_name)
    except (OAuthError, AccessDenied):
        raise Unauthorized("HTTP 401 Unauthorized") from None
    async with runtime.storage.transaction() as repos:
        try:
            checked = await check_token(ctx, repos, token, types=frozenset({ACCESS}))
        except TokenProblem:
            raise Unauthorized("HTTP 401 Unauthorized") from None
        roles = await role_claims(repos, ctx.realm.id, await effective_roles(repos, checked.user))
    superuser = ctx.realm.name == MASTER and "admin" in roles.realm_roles
    # The master realm's own management client is `master-realm` (Keycloak's naming).
    client = f"{MASTER}-realm" if ctx.realm.name == MASTER else MANAGEMENT_CLIENT
    management = frozenset(roles.client_roles.get(client, []))
    session_id = checked.session.id if checked.session is not None else None
    return AdminPrincipal(checked.user, ctx.realm, superuser, management, session_id)


def _issuer_realm(token: str) -> str | None:
    """The realm named in the unverified `iss`; the signature is checked against that
    realm's keys right after, so a forged `iss` gains nothing."""
    import base64
    import binascii
    import json

    parts = token.split(".")
    if len(parts) != 3 or len(token) > 16384:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    iss = payload.get("iss") if isinstance(payload, dict) else None
    if not isinstance(iss, str) or "/realms/" not in iss:
        return None
    return iss.rsplit("/realms/", 1)[1] or None


def not_found(what: str) -> NotFound:
    return NotFound(f"{what} not found")
