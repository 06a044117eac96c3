"""grant_type=password (RFC 6749 §4.3), only for clients with direct access grants.

Failures answer as Keycloak's direct-grant flow does: a wrong password, an unknown user
and a brute-force lockout are all 401 `invalid_grant` "Invalid user credentials" (the
lockout is not revealed); a disabled account is 400 `invalid_grant` "Account disabled",
here only once its password is proven, so the answer never tells a stranger that an
account exists.
"""

from __future__ import annotations

from typing import ClassVar

from ostium.errors import InvalidGrant, InvalidUserCredentials, UnauthorizedClient
from ostium.protocol.grants.base import GrantRequest, GrantResult, required
from ostium.protocol.login import USER_DISABLED, check_credentials
from ostium.protocol.mtls import confirmation_for
from ostium.protocol.offline_access import token_session
from ostium.protocol.scopes import granted_scopes
from ostium.protocol.tokens import issue_tokens
from ostium.services.sessions import attach_client, create_user_session

__all__ = ["PasswordGrant"]


class PasswordGrant:
    GRANT_TYPE: ClassVar[str] = "password"

    async def handle(self, request: GrantRequest) -> GrantResult:
        ctx, repos, client, form = request.ctx, request.repos, request.client, request.form
        if not client.direct_access_grants_enabled:
            raise UnauthorizedClient("Client not allowed for direct access grants")
        username = required(form, "username")
        password = required(form, "password")
        now = ctx.clock.now()
        checked = await check_credentials(
            ctx, repos, client, username, password, request.info, grant_type=self.GRANT_TYPE
        )
        user = checked.user
        if user is None:
            if checked.error == USER_DISABLED:
                raise InvalidGrant("Account disabled", event=USER_DISABLED)
            raise InvalidUserCredentials("Invalid user credentials", event=checked.error)
        scopes = granted_scopes(client, form.get("scope"))
        session = await create_user_session(
            repos,
            ctx.realm,
            user,
            now=now,
            ip_address=request.info.ip_address,
            login_username=username,
            issuer=ctx.issuer,
        )
        await attach_client(
            repos, session, client.id, now=now, redirect_uri=None, scope=" ".join(scopes)
        )
        session = await token_session(ctx, repos, client, user, session, scopes)
        return await issue_tokens(
            ctx,
            repos,
            client=client,
            user=user,
            session=session,
            scopes=scopes,
            auth_time=now,
            confirmation=confirmation_for(client, request.info.client_certificate_chain),
        )
