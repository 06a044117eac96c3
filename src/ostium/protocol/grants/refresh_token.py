"""grant_type=refresh_token (RFC 6749 §6), rotating: every refresh returns a new one."""

from __future__ import annotations

from typing import ClassVar

from ostium.domain import Realm
from ostium.errors import InvalidGrant, InvalidScope
from ostium.protocol.grants.base import GrantRequest, GrantResult, required
from ostium.protocol.mtls import binding_holds, confirmation_for
from ostium.protocol.tokens import OFFLINE, REFRESH, TokenProblem, issue_tokens, verify_token
from ostium.services.sessions import auth_time, live_user_session

__all__ = ["RefreshTokenGrant"]


CURRENT = "refresh_token_id"
USES = "refresh_token_use_count"


def check_reuse(
    realm: Realm, notes: dict[str, str], last_refresh: int, jti: str, iat: int
) -> dict[str, str]:
    """Keycloak's `revokeRefreshToken`: a refresh token older than the client session's
    last refresh is stale, and the current one may be used `refreshTokenMaxReuse` + 1
    times. Returns the client session's notes to keep."""
    current = notes.get(CURRENT)
    uses = int(notes.get(USES, "0"))
    if current and jti != current and iat < last_refresh:
        raise InvalidGrant("Stale token", event="refresh_token_reused")
    if jti != current:
        current, uses = jti, 0
    if uses > realm.refresh_token_max_reuse:
        raise InvalidGrant(
            "Maximum allowed refresh token reuse exceeded", event="refresh_token_reused"
        )
    return {**notes, CURRENT: current, USES: str(uses + 1)}


class RefreshTokenGrant:
    GRANT_TYPE: ClassVar[str] = "refresh_token"

    async def handle(self, request: GrantRequest) -> GrantResult:
        ctx, repos, client, form = request.ctx, request.repos, request.client, request.form
        token = required(form, "refresh_token")
        try:
            claims = verify_token(ctx, token, types=frozenset({REFRESH, OFFLINE}))
        except TokenProblem as problem:
            message = (
                "Token is not active" if problem.reason == "expired" else "Invalid refresh token"
            )
            raise InvalidGrant(message, detail=problem.description, event=problem.reason) from None
        if claims.get("azp") != client.client_id:
            # §6: "the refresh token was issued to the authenticated client".
            raise InvalidGrant(
                "Invalid refresh token. Token client and authorized client don't match",
                event="invalid_client_credentials",
            )
        if not binding_holds(claims, request.info.client_certificate_chain):
            # RFC 8705 §4: a public client's refresh token is bound to its certificate.
            raise InvalidGrant(
                "Client certificate missing, or its thumbprint and the refresh token's differ",
                event="not_allowed",
            )
        sid = claims.get("sid")
        now = ctx.clock.now()
        session = (
            await live_user_session(repos, ctx.realm, sid, now=now)
            if isinstance(sid, str)
            else None
        )
        if session is None:
            raise InvalidGrant("Session not active", event="session_ended")
        client_session = await repos.sessions.get_client_session(session.id, client.id)
        if client_session is None:
            raise InvalidGrant("Session doesn't have required client", event="session_ended")
        user = await repos.users.get(ctx.realm.id, session.user_id)
        if user is None:
            raise InvalidGrant("User not found", event="user_not_found")
        if not user.enabled:
            raise InvalidGrant("User disabled", event="user_disabled")
        iat = claims.get("iat")
        if isinstance(iat, int) and iat < user.not_before:
            raise InvalidGrant("Stale token", event="revoked")
        granted = str(claims.get("scope", "")).split()
        requested = form.get("scope")
        if requested:
            # §6: the new scope MUST NOT include any scope not originally granted.
            extra = set(requested.split()) - set(granted)
            if extra:
                raise InvalidScope(f"Invalid scopes: {' '.join(sorted(extra))}")
            wanted = set(requested.split())
            granted = [s for s in granted if s in wanted or s in client.default_client_scopes]
        if ctx.realm.revoke_refresh_token:
            jti, iat = claims.get("jti"), claims.get("iat")
            client_session.notes = check_reuse(
                ctx.realm,
                client_session.notes,
                client_session.timestamp,
                jti if isinstance(jti, str) else "",
                iat if isinstance(iat, int) else 0,
            )
        client_session.timestamp = now
        await repos.sessions.update_client_session(client_session)
        await repos.sessions.touch(session.id, now)
        session.last_refresh = now
        return await issue_tokens(
            ctx,
            repos,
            client=client,
            user=user,
            session=session,
            scopes=granted,
            auth_time=auth_time(session),
            confirmation=confirmation_for(client, request.info.client_certificate_chain),
        )
