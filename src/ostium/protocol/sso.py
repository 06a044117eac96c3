"""The browser's single sign-on cookies, named as Keycloak's.

- `KEYCLOAK_IDENTITY`: a signed token naming the user session; HttpOnly.
- `KEYCLOAK_SESSION`: `<realm>/<user id>/<session id>`, readable by scripts so the
  session-status iframe can compare it with `sid`; it carries ids only, no secret.
- `AUTH_SESSION_ID`: `<session id>.<node>`; the suffix is a load-balancer route and is
  ignored when read, so any node can serve the request.
"""

from __future__ import annotations

from ostium.domain import User, UserSession
from ostium.keys import sign
from ostium.protocol.context import RealmContext
from ostium.protocol.remember_me import remember_me_cookie
from ostium.protocol.results import Cookie
from ostium.protocol.tokens import IDENTITY, TokenProblem, signing_key, verify_token
from ostium.services.sessions import (
    live_user_session,
    new_id,
    session_limits,
)
from ostium.storage.interfaces import Repositories

__all__ = [
    "AUTH_SESSION_ID",
    "KEYCLOAK_IDENTITY",
    "KEYCLOAK_SESSION",
    "auth_session_cookie",
    "auth_session_id",
    "expired_sso_cookies",
    "sso_cookies",
    "sso_session",
]

AUTH_SESSION_ID = "AUTH_SESSION_ID"
KEYCLOAK_IDENTITY = "KEYCLOAK_IDENTITY"
KEYCLOAK_SESSION = "KEYCLOAK_SESSION"


def auth_session_id(cookies: dict[str, str]) -> str | None:
    value = cookies.get(AUTH_SESSION_ID, "")
    session_id = value.split(".", 1)[0]
    return session_id or None


def auth_session_cookie(ctx: RealmContext, session_id: str) -> Cookie:
    value = f"{session_id}.{ctx.node_name}" if ctx.node_name else session_id
    return Cookie(AUTH_SESSION_ID, value, ctx.cookie_path)


def sso_cookies(ctx: RealmContext, session: UserSession, user: User) -> list[Cookie]:
    now = ctx.clock.now()
    _, max_lifespan = session_limits(ctx.realm, session)
    claims: dict[str, object] = {
        # A remember-me session lives as long as its own max lifespan (Keycloak's
        # AuthenticationManager.createIdentityToken).
        "exp": session.started + max_lifespan,
        "iat": now,
        "jti": new_id(),
        "iss": ctx.issuer,
        "sub": user.id,
        "typ": IDENTITY,
        "sid": session.id,
    }
    token = sign(claims, signing_key(ctx, internal=True))
    # Browser-session cookies unless "remember me": closing the browser ends SSO, as in
    # Keycloak. A remembered session's cookies last until its max lifespan (Keycloak:
    # the remember-me max lifespan), not its idle timeout: SSO does not renew them, and a
    # user active every day must not lose them after one idle period. The server-side
    # session enforces the idle timeout either way.
    max_age = max(session.started + max_lifespan - now, 0) if session.remember_me else None
    value = f"{ctx.realm.name}/{user.id}/{session.id}"
    return [
        Cookie(KEYCLOAK_IDENTITY, token, ctx.cookie_path, max_age=max_age),
        Cookie(KEYCLOAK_SESSION, value, ctx.cookie_path, max_age=max_age, http_only=False),
        remember_me_cookie(ctx, session),
    ]


def expired_sso_cookies(ctx: RealmContext) -> list[Cookie]:
    return [
        Cookie(KEYCLOAK_IDENTITY, "", ctx.cookie_path, max_age=0),
        Cookie(KEYCLOAK_SESSION, "", ctx.cookie_path, max_age=0, http_only=False),
    ]


async def sso_session(
    ctx: RealmContext, repos: Repositories, cookies: dict[str, str]
) -> tuple[UserSession, User] | None:
    """The live session the identity cookie names, with its enabled user, or None."""
    token = cookies.get(KEYCLOAK_IDENTITY)
    if not token:
        return None
    try:
        claims = verify_token(ctx, token, types=frozenset({IDENTITY}))
    except TokenProblem:
        return None
    sid, sub = claims.get("sid"), claims.get("sub")
    if not isinstance(sid, str) or not isinstance(sub, str):
        return None
    session = await live_user_session(repos, ctx.realm, sid, now=ctx.clock.now())
    if session is None or session.user_id != sub:
        return None
    user = await repos.users.get(ctx.realm.id, sub)
    if user is None or not user.enabled:
        return None
    return session, user
