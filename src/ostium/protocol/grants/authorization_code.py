"""grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6)."""

from __future__ import annotations

from typing import ClassVar

from ostium.errors import InvalidGrant
from ostium.protocol import pkce
from ostium.protocol.codes import code_hash
from ostium.protocol.grants.base import GrantRequest, GrantResult, required
from ostium.protocol.mtls import confirmation_for
from ostium.protocol.offline_access import token_session
from ostium.protocol.tokens import issue_tokens
from ostium.services.sessions import live_user_session

__all__ = ["AuthorizationCodeGrant"]

CODE_NOT_VALID = "Code not valid"


class AuthorizationCodeGrant:
    GRANT_TYPE: ClassVar[str] = "authorization_code"

    async def handle(self, request: GrantRequest) -> GrantResult:
        ctx, repos, client, form = request.ctx, request.repos, request.client, request.form
        code = required(form, "code")
        consumed = await repos.codes.consume(code_hash(code))
        if consumed is None or consumed[0].realm_id != ctx.realm.id:
            raise InvalidGrant(CODE_NOT_VALID, event="invalid_code")
        stored, first_use = consumed
        if not first_use:
            # RFC 6749 §4.1.2: a code used twice SHOULD revoke what it issued; the
            # client session goes, so its refresh tokens and access tokens die with it.
            await repos.sessions.delete_client_session(stored.user_session_id, stored.client_id)
            return InvalidGrant(CODE_NOT_VALID, event="code_reused")
        if stored.client_id != client.id:
            raise InvalidGrant(CODE_NOT_VALID, event="code_client_mismatch")
        if stored.expires < ctx.clock.now():
            raise InvalidGrant(CODE_NOT_VALID, event="code_expired")
        # §4.1.3: redirect_uri must be identical to the one in the authorization request.
        if form.get("redirect_uri") != stored.redirect_uri:
            raise InvalidGrant("Incorrect redirect_uri", event="invalid_redirect_uri")
        verifier = form.get("code_verifier")
        if stored.code_challenge is not None:
            if not verifier:
                raise InvalidGrant("PKCE code verifier not specified", event="pkce_missing")
            method = stored.code_challenge_method or "plain"
            if not pkce.verify(verifier, stored.code_challenge, method):
                raise InvalidGrant("PKCE verification failed", event="pkce_mismatch")
        elif verifier:
            raise InvalidGrant(
                "PKCE code verifier specified but challenge not present in authorization",
                event="pkce_unexpected",
            )
        session = await live_user_session(
            repos, ctx.realm, stored.user_session_id, now=ctx.clock.now()
        )
        if (
            session is None
            or await repos.sessions.get_client_session(session.id, client.id) is None
        ):
            raise InvalidGrant("Session not active", event="session_ended")
        user = await repos.users.get(ctx.realm.id, session.user_id)
        if user is None or not user.enabled:
            raise InvalidGrant("User disabled", event="user_disabled")
        scopes = stored.scope.split()
        session = await token_session(ctx, repos, client, user, session, scopes)
        return await issue_tokens(
            ctx,
            repos,
            client=client,
            user=user,
            session=session,
            scopes=scopes,
            nonce=stored.nonce,
            auth_time=stored.auth_time,
            confirmation=confirmation_for(client, request.info.client_certificate_chain),
        )
