"""Token revocation (RFC 7009)."""

from __future__ import annotations

from collections.abc import Mapping

from ostium.errors import InvalidRequest, UnauthorizedClient, UnsupportedTokenType
from ostium.protocol.client_auth import authenticate_client
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.results import JsonResult
from ostium.protocol.tokens import ACCESS, OFFLINE, REFRESH, TokenProblem, verify_token

__all__ = ["revocation"]

TOKEN_TYPE_HINTS = frozenset({"access_token", "refresh_token"})


async def revocation(ctx: RealmContext, form: Mapping[str, str], info: RequestInfo) -> JsonResult:
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
        token = form.get("token")
        if not token:
            raise InvalidRequest("Missing form parameter: token")
        hint = form.get("token_type_hint")
        if hint is not None and hint not in TOKEN_TYPE_HINTS:
            raise UnsupportedTokenType(f"Unsupported token_type_hint: {hint}")
        try:
            claims = verify_token(
                ctx, token, types=frozenset({ACCESS, REFRESH, OFFLINE}), check_expiry=False
            )
        except TokenProblem:
            # §2.2: invalid tokens do not cause an error response.
            return JsonResult({})
        if claims.get("azp") != authenticated.client.client_id:
            # §2.1: the server verifies the token was issued to the requesting client.
            raise UnauthorizedClient("Unmatching clients", event="revoke_wrong_client")
        if claims.get("typ") == ACCESS:
            jti, exp = claims.get("jti"), claims.get("exp")
            if isinstance(jti, str) and isinstance(exp, int):
                await repos.revoked_tokens.revoke(jti, exp)
        else:
            # A refresh token stands for the client's place in the session: revoking it
            # ends that client session, and so every token derived from it.
            sid = claims.get("sid")
            if isinstance(sid, str):
                await repos.sessions.delete_client_session(sid, authenticated.client.id)
    return JsonResult({})
