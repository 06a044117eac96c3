"""Token introspection (RFC 7662), for confidential clients."""

from __future__ import annotations

from collections.abc import Mapping

from ostium.errors import InvalidRequest, UnauthorizedClient
from ostium.protocol.client_auth import authenticate_client
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.results import JsonResult
from ostium.protocol.tokens import ACCESS, ID, OFFLINE, REFRESH, TokenProblem, check_token

__all__ = ["introspection"]

INTROSPECTABLE = frozenset({ACCESS, ID, REFRESH, OFFLINE})


async def introspection(
    ctx: RealmContext, form: Mapping[str, str], info: RequestInfo
) -> JsonResult:
    token = form.get("token")
    async with ctx.storage.transaction() as repos:
        authenticated = await authenticate_client(repos, ctx.realm.id, form, info.authorization)
        if authenticated.client.public_client:
            raise UnauthorizedClient("Public clients are not allowed to introspect tokens")
        if not token:
            raise InvalidRequest("Missing form parameter: token")
        try:
            checked = await check_token(ctx, repos, token, types=INTROSPECTABLE)
        except TokenProblem:
            # §2.2: an invalid, expired or revoked token is simply not active.
            return JsonResult({"active": False}, headers={"Cache-Control": "no-store"})
    claims = dict(checked.claims)
    body: dict[str, object] = {**claims, "active": True}
    body["client_id"] = claims.get("azp")
    body["username"] = checked.user.username
    body["token_type"] = claims.get("typ")
    return JsonResult(body, headers={"Cache-Control": "no-store"})
