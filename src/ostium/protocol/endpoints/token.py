"""The token endpoint (RFC 6749 §3.2): client authentication, then the grant's handler."""

from __future__ import annotations

from collections.abc import Mapping

from ostium.errors import InvalidRequest, OAuthError, UnsupportedGrantType
from ostium.protocol.client_auth import authenticate_client
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.cors import cors_headers
from ostium.protocol.grants import GRANTS, GrantRequest
from ostium.protocol.results import JsonResult

__all__ = ["NO_STORE", "token"]

# RFC 6749 §5.1: responses carrying tokens MUST NOT be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def token(ctx: RealmContext, form: Mapping[str, str], info: RequestInfo) -> JsonResult:
    grant_type = form.get("grant_type")
    if not grant_type:
        raise InvalidRequest("Missing form parameter: grant_type")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise UnsupportedGrantType(f"Unsupported grant_type: {grant_type}")
    client_id = None
    client = None
    try:
        async with ctx.storage.transaction() as repos:
            authenticated = await authenticate_client(
                repos,
                ctx.realm.id,
                form,
                info.authorization,
                now=ctx.clock.now(),
                certificate_chain=info.client_certificate_chain,
                certificate_rejected=info.client_certificate_rejected,
            )
            client = authenticated.client
            client_id = client.client_id
            result = await grant.handle(GrantRequest(ctx, repos, authenticated.client, form, info))
        if isinstance(result, OAuthError):
            raise result
    except OAuthError as error:
        ctx.record(
            "CODE_TO_TOKEN_ERROR" if grant_type == "authorization_code" else "TOKEN_ERROR",
            client_id=client_id or form.get("client_id"),
            ip_address=info.ip_address,
            error=error.event,
            details={"grant_type": grant_type, "reason": error.detail or error.description},
        )
        raise
    return JsonResult(result.response(), headers={**NO_STORE, **cors_headers(client, info.origin)})
