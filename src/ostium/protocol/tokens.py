"""Access, ID and refresh tokens: their claims (Keycloak's), signing and validation.

Validation says *why* a token fails (seed 000: "token not valid" with no reason cost
Argo Workflows' users a day): the reason goes to the event log and the
`error_description`, e.g. "Token signed with unknown key 'abc' (rotated out or from
another realm)".
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from ostium.domain import Client, ProtocolMapper, Realm, RealmKey, User, UserSession
from ostium.keys import TokenRejected, active_key, decode, sign
from ostium.protocol.claims import user_claims
from ostium.protocol.context import RealmContext
from ostium.protocol.mappers import MapperInput, apply_mappers
from ostium.protocol.mappers import audiences as mapper_audiences
from ostium.protocol.scopes import scope_claim
from ostium.services.groups import user_group_paths
from ostium.services.roles import effective_roles, role_claims
from ostium.services.sessions import live_user_session, new_id, session_expires_at
from ostium.storage.interfaces import Repositories

__all__ = [
    "ACCESS",
    "ID",
    "OFFLINE",
    "REFRESH",
    "IssuedTokens",
    "TokenProblem",
    "check_token",
    "issue_tokens",
    "mapper_input",
    "signing_key",
    "token_mappers",
    "verify_token",
]

ACCESS = "Bearer"
ID = "ID"
REFRESH = "Refresh"
OFFLINE = "Offline"
IDENTITY = "Serialized-ID"  # the KEYCLOAK_IDENTITY cookie's token

# Internal tokens (refresh, identity cookie) are only ever read by this server, so a
# symmetric key is enough and faster, as in Keycloak.
INTERNAL_ALGORITHM = "HS512"


class TokenProblem(Exception):
    """Why a token is not valid; `reason` is short and machine-readable."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description


@dataclass
class IssuedTokens:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    refresh_expires_in: int = 0
    id_token: str | None = None
    session_state: str | None = None
    not_before_policy: int = 0

    def response(self) -> dict[str, object]:
        """Keycloak's token response keys, in Keycloak's order."""
        body: dict[str, object] = {
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "refresh_expires_in": self.refresh_expires_in,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        body["token_type"] = "Bearer"  # noqa: S105 - the RFC 6750 token type
        if self.id_token is not None:
            body["id_token"] = self.id_token
        body["not-before-policy"] = self.not_before_policy
        if self.session_state is not None:
            body["session_state"] = self.session_state
        body["scope"] = self.scope
        return body


def signing_key(
    ctx: RealmContext, client: Client | None = None, *, internal: bool = False
) -> RealmKey:
    if internal:
        algorithm = INTERNAL_ALGORITHM
    else:
        wanted = client.attributes.get("access.token.signed.response.alg") if client else None
        algorithm = wanted or ctx.realm.default_signature_algorithm or "RS256"
    key = active_key(ctx.keys, algorithm)
    if key is None:
        raise TokenProblem("no_key", f"The realm has no active {algorithm} key")
    return key


def _half_hash(value: str, algorithm: str) -> str:
    """OIDC Core §3.1.3.6: at_hash is the left half of the hash of the token's ASCII."""
    bits = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
    digest = bits.get(algorithm[-3:], hashlib.sha256)(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


async def issue_tokens(
    ctx: RealmContext,
    repos: Repositories,
    *,
    client: Client,
    user: User,
    session: UserSession | None,
    scopes: list[str],
    nonce: str | None = None,
    auth_time: int | None = None,
    with_refresh: bool = True,
) -> IssuedTokens:
    """Mint the token set for one client in one user session (None: no session,
    as for client_credentials, where Keycloak issues no refresh token either)."""
    realm = ctx.realm
    now = ctx.clock.now()
    scope = scope_claim(scopes)
    mappers = await token_mappers(repos, client, scopes)
    # Roles and groups are read only when a scope or a mapper needs them.
    roles = await effective_roles(repos, user) if "roles" in scopes or mappers else []
    claims_of_roles = await role_claims(repos, realm.id, roles)
    mapper_data = MapperInput(
        user,
        await user_group_paths(repos, user) if mappers else [],
        claims_of_roles.realm_roles,
        claims_of_roles.client_roles,
    )
    exp = now + realm.access_token_lifespan
    if session is not None:
        # An access token never outlives its session (Keycloak caps it the same way).
        exp = min(exp, session_expires_at(realm, session))
    base: dict[str, object] = {"exp": exp, "iat": now}
    if auth_time is not None:
        base["auth_time"] = auth_time
    access: dict[str, object] = {**base, "jti": new_id(), "iss": ctx.issuer}
    audiences = (
        [c for c in claims_of_roles.client_roles if c != client.client_id]
        if "roles" in scopes
        else []
    )
    audiences += [a for a in mapper_audiences(mappers, "access") if a not in audiences]
    if audiences:
        access["aud"] = audiences[0] if len(audiences) == 1 else audiences
    access.update({"sub": user.id, "typ": ACCESS, "azp": client.client_id})
    if session is not None:
        access["sid"] = session.id
    if "acr" in scopes:
        access["acr"] = "1"
    if "web-origins" in scopes and client.web_origins:
        access["allowed-origins"] = _allowed_origins(client)
    if "roles" in scopes:
        access["realm_access"] = {"roles": claims_of_roles.realm_roles}
        if claims_of_roles.client_roles:
            access["resource_access"] = {
                cid: {"roles": names} for cid, names in claims_of_roles.client_roles.items()
            }
    access["scope"] = scope
    access.update(user_claims(user, scopes))
    apply_mappers(mappers, "access", access, mapper_data)
    key = signing_key(ctx, client)
    access_token = sign(access, key, typ="JWT")
    issued = IssuedTokens(
        access_token=access_token,
        expires_in=exp - now,
        scope=scope,
        session_state=session.id if session else None,
        not_before_policy=realm.not_before,
    )
    if "openid" in scopes:
        id_claims: dict[str, object] = {
            **base,
            "jti": new_id(),
            "iss": ctx.issuer,
            "aud": client.client_id,
            "sub": user.id,
            "typ": ID,
            "azp": client.client_id,
        }
        if nonce:
            id_claims["nonce"] = nonce
        if session is not None:
            id_claims["sid"] = session.id
        id_claims["at_hash"] = _half_hash(access_token, key.algorithm)
        id_claims["acr"] = "1"
        id_claims.update(user_claims(user, scopes, id_token=True))
        apply_mappers(mappers, "id", id_claims, mapper_data)
        issued.id_token = sign(id_claims, key, typ="JWT")
    if with_refresh and session is not None:
        refresh_exp = session_expires_at(realm, session)
        refresh: dict[str, object] = {
            "exp": refresh_exp,
            "iat": now,
            "jti": new_id(),
            "iss": ctx.issuer,
            "aud": ctx.issuer,
            "sub": user.id,
            "typ": OFFLINE if session.offline else REFRESH,
            "azp": client.client_id,
            "sid": session.id,
            "scope": " ".join(scopes),
        }
        issued.refresh_token = sign(refresh, signing_key(ctx, internal=True), typ="JWT")
        issued.refresh_expires_in = 0 if session.offline else max(refresh_exp - now, 0)
    return issued


async def token_mappers(
    repos: Repositories, client: Client, scopes: list[str]
) -> list[ProtocolMapper]:
    """The client's own mappers, then those of the granted client scopes."""
    scoped = [
        mapper
        for scope in await repos.client_scopes.list_all(client.realm_id)
        if scope.name in scopes
        for mapper in scope.protocol_mappers
    ]
    return [*client.protocol_mappers, *scoped]


async def mapper_input(repos: Repositories, realm_id: str, user: User) -> MapperInput:
    """Everything protocol mappers may read about a user."""
    roles = await role_claims(repos, realm_id, await effective_roles(repos, user))
    return MapperInput(
        user, await user_group_paths(repos, user), roles.realm_roles, roles.client_roles
    )


def _allowed_origins(client: Client) -> list[str]:
    origins: list[str] = []
    for origin in client.web_origins:
        if origin == "+":
            # "+" means the origins of the valid redirect URIs, as in Keycloak.
            for uri in client.redirect_uris:
                parts = uri.split("/")
                if len(parts) >= 3 and parts[0] in ("http:", "https:"):
                    origins.append(f"{parts[0]}//{parts[2]}")
        else:
            origins.append(origin)
    return sorted(set(origins))


def verify_token(
    ctx: RealmContext,
    token: str,
    *,
    types: frozenset[str],
    check_expiry: bool = True,
) -> dict[str, object]:
    """Signature, issuer, type and expiry; the reason for a failure is precise."""
    try:
        _, claims = decode(token, ctx.keys)
    except TokenRejected as exc:
        raise TokenProblem(exc.reason, str(exc)) from None
    if claims.get("iss") != ctx.issuer:
        raise TokenProblem(
            "wrong_issuer",
            f"Token issued by '{claims.get('iss')}', expected '{ctx.issuer}'",
        )
    if claims.get("typ") not in types:
        raise TokenProblem("wrong_type", f"Token of type '{claims.get('typ')}' not accepted here")
    exp = claims.get("exp")
    if check_expiry and (not isinstance(exp, int) or exp <= ctx.clock.now()):
        raise TokenProblem("expired", "Token is expired")
    iat = claims.get("iat")
    if isinstance(iat, int) and iat < ctx.realm.not_before:
        raise TokenProblem("not_before", "Token was issued before the realm's not-before policy")
    return claims


@dataclass
class CheckedToken:
    claims: dict[str, object]
    user: User
    session: UserSession | None
    client: Client | None


async def check_token(
    ctx: RealmContext,
    repos: Repositories,
    token: str,
    *,
    types: frozenset[str],
) -> CheckedToken:
    """verify_token, then what only storage knows: revoked, session ended, user gone."""
    claims = verify_token(ctx, token, types=types)
    realm: Realm = ctx.realm
    jti = claims.get("jti")
    if isinstance(jti, str) and await repos.revoked_tokens.is_revoked(jti):
        raise TokenProblem("revoked", "Token has been revoked")
    sub = claims.get("sub")
    user = await repos.users.get(realm.id, sub) if isinstance(sub, str) else None
    if user is None or not user.enabled:
        raise TokenProblem("user_not_found", "The token's user does not exist or is disabled")
    iat = claims.get("iat")
    if isinstance(iat, int) and iat < user.not_before:
        raise TokenProblem("not_before", "Token was issued before the user's not-before policy")
    azp = claims.get("azp")
    client = await repos.clients.get_by_client_id(realm.id, azp) if isinstance(azp, str) else None
    if client is None or not client.enabled:
        raise TokenProblem("client_not_found", "The token's client does not exist or is disabled")
    sid = claims.get("sid")
    session = None
    if isinstance(sid, str):
        session = await live_user_session(repos, realm, sid, now=ctx.clock.now())
        if session is None:
            raise TokenProblem("session_not_active", "The token's session has ended or expired")
        if await repos.sessions.get_client_session(session.id, client.id) is None:
            raise TokenProblem("session_not_active", "The client's session has been revoked")
    return CheckedToken(claims=claims, user=user, session=session, client=client)
