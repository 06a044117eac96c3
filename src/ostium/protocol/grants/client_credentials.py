"""grant_type=client_credentials (RFC 6749 §4.4), as the client's service-account user."""

from __future__ import annotations

from typing import ClassVar

from ostium.errors import UnauthorizedClient
from ostium.protocol.grants.base import GrantRequest, GrantResult
from ostium.protocol.mtls import confirmation_for
from ostium.protocol.scopes import granted_scopes
from ostium.protocol.tokens import issue_tokens

__all__ = ["ClientCredentialsGrant"]


class ClientCredentialsGrant:
    GRANT_TYPE: ClassVar[str] = "client_credentials"

    async def handle(self, request: GrantRequest) -> GrantResult:
        ctx, repos, client = request.ctx, request.repos, request.client
        if client.public_client:
            raise UnauthorizedClient("Public client not allowed to retrieve service account")
        if not client.service_accounts_enabled:
            raise UnauthorizedClient("Client not enabled to retrieve service account")
        user = await repos.users.get_service_account(client.id)
        if user is None or not user.enabled:
            raise UnauthorizedClient("Client has no usable service account user")
        # No user session and no refresh token: the client can always ask again
        # (Keycloak's default since 12: `client_credentials.use_refresh_token` off).
        return await issue_tokens(
            ctx,
            repos,
            client=client,
            user=user,
            session=None,
            scopes=granted_scopes(client, request.form.get("scope")),
            with_refresh=False,
            confirmation=confirmation_for(client, request.info.client_certificate_chain),
        )
