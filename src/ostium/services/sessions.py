"""The life of user and client sessions (persistent: the database is their source)."""

from __future__ import annotations

import secrets
import uuid

from ostium.domain import ClientSession, Realm, User, UserSession
from ostium.domain.session import session_expires_at, session_limits
from ostium.storage.interfaces import Repositories

__all__ = [
    "attach_client",
    "auth_time",
    "create_offline_session",
    "create_user_session",
    "live_user_session",
    "new_id",
    "new_secret_token",
    "session_expires_at",
    "session_limits",
]


def new_id() -> str:
    return str(uuid.uuid4())


def new_secret_token() -> str:
    """256 bits of randomness, URL-safe: codes, CSRF tokens, tab ids."""
    return secrets.token_urlsafe(32)


async def create_user_session(
    repos: Repositories,
    realm: Realm,
    user: User,
    *,
    now: int,
    ip_address: str | None,
    login_username: str | None = None,
    session_id: str | None = None,
    issuer: str | None = None,
    remember_me: bool = False,
) -> UserSession:
    """`remember_me`: the user ticked "Remember me" (Keycloak's UserSessionModel
    rememberMe): the session has the realm's remember-me lifespans and persistent cookies.
    `session_id` is the authentication session's root id when a browser logs in: as
    in Keycloak, the user session keeps the id the AUTH_SESSION_ID cookie already
    carries, so a load balancer's stickiness holds across the login."""
    session = UserSession(
        id=session_id or new_id(),
        realm_id=realm.id,
        user_id=user.id,
        login_username=login_username or user.username,
        started=now,
        last_refresh=now,
        ip_address=ip_address,
        remember_me=remember_me,
        # The issuer the client saw: a back-channel logout token must carry the same.
        notes={"auth_time": str(now), **({"iss": issuer} if issuer else {})},
    )
    await repos.sessions.add(session)
    return session


async def live_user_session(
    repos: Repositories, realm: Realm, session_id: str, *, now: int
) -> UserSession | None:
    """The session if it exists, belongs to the realm and has not expired.

    An expired one is refused here at once but left for the expiry sweep to end, which
    also tells its clients through their back-channels.
    """
    session = await repos.sessions.get(session_id)
    if session is None or session.realm_id != realm.id:
        return None
    idle, max_lifespan = session_limits(realm, session)
    if session.expired(now, idle, max_lifespan):
        return None
    return session


async def attach_client(
    repos: Repositories,
    session: UserSession,
    client_internal_id: str,
    *,
    now: int,
    redirect_uri: str | None,
    scope: str,
) -> ClientSession:
    client_session = ClientSession(
        user_session_id=session.id,
        client_id=client_internal_id,
        timestamp=now,
        redirect_uri=redirect_uri,
        scope=scope,
        offline=session.offline,
    )
    await repos.sessions.add_client_session(client_session)
    return client_session


async def create_offline_session(
    repos: Repositories,
    online: UserSession,
    client_internal_id: str,
    *,
    now: int,
    scope: str,
) -> UserSession:
    """The offline twin of an online session (`offline_access`): persisted, with the
    realm's offline timeouts, and untouched by SSO logout, so offline tokens outlive
    the browser session and every restart (Keycloak: offline sessions)."""
    offline = UserSession(
        id=new_id(),
        realm_id=online.realm_id,
        user_id=online.user_id,
        login_username=online.login_username,
        started=now,
        last_refresh=now,
        ip_address=online.ip_address,
        auth_method=online.auth_method,
        offline=True,
        notes={**online.notes, "online_session_id": online.id},
    )
    await repos.sessions.add(offline)
    await attach_client(repos, offline, client_internal_id, now=now, redirect_uri=None, scope=scope)
    return offline


def auth_time(session: UserSession) -> int:
    """When the user last proved who they are: a prompt=login re-authentication resets it."""
    value = session.notes.get("auth_time", "")
    return int(value) if value.isdigit() else session.started
