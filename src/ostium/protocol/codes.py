"""Authorization codes: issuing them at the end of a login (RFC 6749 §4.1.2)."""

from __future__ import annotations

import hashlib

from ostium.domain import AuthorizationCode, User, UserSession
from ostium.protocol.authorization.request import PendingAuthorization
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.response_modes import respond
from ostium.protocol.results import Cookie, Result
from ostium.services.sessions import attach_client, auth_time, new_secret_token
from ostium.storage.interfaces import Repositories

__all__ = ["code_hash", "respond_with_code"]


def code_hash(code: str) -> str:
    """Codes are stored hashed: a copy of the database yields none that can be redeemed."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


async def respond_with_code(
    ctx: RealmContext,
    repos: Repositories,
    pending: PendingAuthorization,
    session: UserSession,
    user: User,
    info: RequestInfo,
    *,
    cookies: list[Cookie] | None = None,
    extra: dict[str, str] | None = None,
) -> Result:
    """RFC 6749 §4.1.2: a single-use, short-lived code bound to client, redirect URI,
    session and PKCE challenge."""
    now = ctx.clock.now()
    code = new_secret_token()
    await attach_client(
        repos,
        session,
        pending.client_id,
        now=now,
        redirect_uri=pending.redirect_uri,
        scope=pending.scope,
    )
    await repos.codes.add(
        AuthorizationCode(
            code_hash=code_hash(code),
            realm_id=ctx.realm.id,
            client_id=pending.client_id,
            user_session_id=session.id,
            redirect_uri=pending.redirect_uri,
            scope=pending.scope,
            expires=now + ctx.realm.access_code_lifespan,
            nonce=pending.nonce,
            code_challenge=pending.code_challenge,
            code_challenge_method=pending.code_challenge_method,
            auth_time=auth_time(session),
        )
    )
    client = await repos.clients.get(ctx.realm.id, pending.client_id)
    ctx.record(
        "LOGIN",
        client_id=client.client_id if client else None,
        user_id=user.id,
        session_id=session.id,
        ip_address=info.ip_address,
        details={"redirect_uri": pending.redirect_uri, "username": user.username},
    )
    params: dict[str, str] = {}
    if pending.state is not None:
        params["state"] = pending.state
    params["session_state"] = session.id
    params["iss"] = ctx.issuer
    params["code"] = code
    params.update(extra or {})
    return respond(pending.redirect_uri, pending.response_mode, params, cookies=cookies)
