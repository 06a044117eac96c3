"""Token introspection (RFC 7662), for confidential clients.

An inactive token is `{"active": false}` as §2.2 asks, plus, for the authenticated
client that asked, `error_description` saying why (§2.2 allows extra members; Keycloak
gives none, which is how "token not valid" cost seed 000's operators a day).
"""

from __future__ import annotations

from collections.abc import Mapping

from ostium.errors import InvalidRequest, OAuthError, UnauthorizedClient
from ostium.protocol.client_auth import authenticate_client
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.results import JsonResult
from ostium.protocol.tokens import (
    ACCESS,
    ID,
    OFFLINE,
    REFRESH,
    TokenProblem,
    check_token,
    record_rejection,
)

__all__ = ["introspection"]

INTROSPECTABLE = frozenset({ACCESS, ID, REFRESH, OFFLINE})
NO_STORE = {"Cache-Control": "no-store"}


async def introspection(
    ctx: RealmContext, form: Mapping[str, str], info: RequestInfo
) -> JsonResult:
    token = form.get("token")
    client_id = None
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
            client_id = authenticated.client.client_id
            if authenticated.client.public_client:
                raise UnauthorizedClient("Public clients are not allowed to introspect tokens")
            if not token:
                raise InvalidRequest("Missing form parameter: token")
            try:
                checked = await check_token(ctx, repos, token, types=INTROSPECTABLE)
            except TokenProblem as problem:
                record_rejection(ctx, "INTROSPECT_TOKEN_ERROR", problem, client_id, info)
                # §2.2: an invalid, expired or revoked token is simply not active.
                inactive = {"active": False, "error_description": problem.description}
                return JsonResult(inactive, headers=dict(NO_STORE))
    except OAuthError as error:
        ctx.record(
            "INTROSPECT_TOKEN_ERROR",
            client_id=client_id or form.get("client_id"),
            ip_address=info.ip_address,
            error=error.event,
            details={"reason": error.detail or error.description},
        )
        raise
    claims = dict(checked.claims)
    body: dict[str, object] = {**claims, "active": True}
    body["client_id"] = claims.get("azp")
    body["username"] = checked.user.username
    body["token_type"] = claims.get("typ")
    return JsonResult(body, headers=dict(NO_STORE))
