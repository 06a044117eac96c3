"""The UserInfo endpoint (OIDC Core §5.3), bearer token per RFC 6750."""

from __future__ import annotations

from collections.abc import Mapping

from ostium.errors import InvalidRequest, InvalidToken, OAuthError
from ostium.protocol.claims import user_claims
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.cors import cors_headers
from ostium.protocol.mappers import apply_mappers
from ostium.protocol.mtls import binding_holds
from ostium.protocol.results import JsonResult
from ostium.protocol.tokens import (
    ACCESS,
    TokenProblem,
    check_token,
    mapper_input,
    record_rejection,
    token_mappers,
)

__all__ = ["bearer_token", "userinfo"]


def bearer_token(info: RequestInfo, form: Mapping[str, str]) -> str:
    """RFC 6750 §2.1 header or §2.2 form body, never both (§2: "MUST NOT use more than
    one method")."""
    header = info.authorization
    in_form = form.get("access_token")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("Missing or malformed bearer token")
        if in_form:
            raise InvalidRequest("Token sent in more than one way")
        return value.strip()
    if in_form:
        return in_form
    raise InvalidToken("Missing bearer token")


async def userinfo(ctx: RealmContext, form: Mapping[str, str], info: RequestInfo) -> JsonResult:
    """A rejected token is 401 with `error_description` saying why, in the body and in
    the RFC 6750 §3 challenge, and an event with the reason code."""
    try:
        token = bearer_token(info, form)
    except OAuthError as error:
        ctx.record(
            "USERINFO_REQUEST_ERROR",
            ip_address=info.ip_address,
            error=error.event,
            details={"reason": error.description},
        )
        raise
    async with ctx.storage.transaction() as repos:
        try:
            checked = await check_token(ctx, repos, token, types=frozenset({ACCESS}))
        except TokenProblem as problem:
            azp = (problem.claims or {}).get("azp")
            client_id = azp if isinstance(azp, str) else None
            record_rejection(ctx, "USERINFO_REQUEST_ERROR", problem, client_id, info)
            raise InvalidToken(problem.description, event=problem.reason) from None
        if not binding_holds(checked.claims, info.client_certificate_chain):
            # RFC 8705 §3: a bound token is used only with the certificate it is bound to.
            description = "Client certificate missing, or its thumbprint and the token's differ"
            ctx.record(
                "USERINFO_REQUEST_ERROR",
                client_id=checked.client.client_id if checked.client else None,
                ip_address=info.ip_address,
                error="not_allowed",
                details={"reason": description},
            )
            raise InvalidToken(description, event="not_allowed")
        scopes = str(checked.claims.get("scope", "")).split()
        body: dict[str, object] = {"sub": checked.user.id, **user_claims(checked.user, scopes)}
        mappers = (
            await token_mappers(repos, checked.client, scopes) if checked.client is not None else []
        )
        if mappers:
            data = await mapper_input(repos, ctx.realm.id, checked.user, checked.session)
            apply_mappers(mappers, "userinfo", body, data)
    cors = cors_headers(checked.client, info.origin)
    return JsonResult(body, headers={"Cache-Control": "no-store", **cors})
