"""The `offline_access` scope (OIDC Core §11): tokens bound to an offline session."""

from __future__ import annotations

from ostium.domain import Client, User, UserSession
from ostium.errors import NotAllowed
from ostium.protocol.context import RealmContext
from ostium.services.roles import effective_roles, role_claims
from ostium.services.sessions import create_offline_session
from ostium.storage.interfaces import Repositories

__all__ = ["OFFLINE_ACCESS", "token_session"]

OFFLINE_ACCESS = "offline_access"


async def token_session(
    ctx: RealmContext,
    repos: Repositories,
    client: Client,
    user: User,
    session: UserSession,
    scopes: list[str],
) -> UserSession:
    """The session the tokens belong to: the online one, or, when `offline_access` was
    granted, a new offline session. Keycloak: the user needs the `offline_access` role."""
    if OFFLINE_ACCESS not in scopes:
        return session
    roles = await role_claims(repos, ctx.realm.id, await effective_roles(repos, user))
    if OFFLINE_ACCESS not in roles.realm_roles:
        raise NotAllowed("Offline tokens not allowed for the user or client")
    return await create_offline_session(
        repos, session, client.id, now=ctx.clock.now(), scope=" ".join(scopes)
    )
