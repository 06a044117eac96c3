"""Access, ID and refresh tokens: their claims (Keycloak's), signing and validation.

Validation says *why* a token fails (seed 000: "token not valid" with no reason cost
Argo Workflows' users a day): every rejection is a `TokenProblem` with one stable reason
code (the event's `error`) and a description naming the specifics (the event's details,
introspection's `error_description`, userinfo's `WWW-Authenticate`):

| reason                  | when                                                        |
|-------------------------|-------------------------------------------------------------|
| `malformed`             | not a JWS compact token, or not base64url JSON              |
| `algorithm_not_allowed` | `alg` unsupported, or not the algorithm of the named key     |
| `unknown_kid`           | no enabled key of the realm has the token's `kid`           |
| `bad_signature`         | the signature does not verify with the named key            |
| `wrong_issuer`          | `iss` is not this realm's issuer                            |
| `wrong_type`            | `typ` is not accepted where the token was presented         |
| `wrong_audience`        | an audience was required and `aud` does not name it         |
| `expired`               | `exp` is past (or missing)                                  |
| `not_yet_valid`         | `nbf` or `iat` is in the future beyond `CLOCK_SKEW`          |
| `revoked`               | revoked at the revocation endpoint, or issued before the     |
|                         | realm's or the user's not-before (push-revocation, logout)   |
| `user_not_found`        | the token's user was deleted                                |
| `user_disabled`         | the token's user is disabled                                |
| `client_not_found`      | the token's `azp` client was deleted (or none is named)     |
| `client_disabled`       | the token's `azp` client is disabled                        |
| `session_ended`         | the user session, or the client's place in it, has ended    |

Descriptions quote values taken from the token itself, so they are cut short and kept to
printable ASCII without quotes or backslashes: they go into an HTTP header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ostium.clock import Clock
from ostium.domain import Client, ProtocolMapper, Realm, RealmKey, User, UserSession
from ostium.errors import ServerError
from ostium.keys import TokenRejected, active_key, decode, sign
from ostium.keys.selection import INTERNAL_ALGORITHM
from ostium.protocol.claims import user_claims
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.mappers import MapperInput, apply_mappers
from ostium.protocol.mappers import audiences as mapper_audiences
from ostium.protocol.scopes import scope_claim
from ostium.services.groups import user_group_paths
from ostium.services.keys import fallback_key
from ostium.services.roles import effective_roles, role_claims
from ostium.services.sessions import live_user_session, new_id, session_expires_at
from ostium.storage.interfaces import Repositories

__all__ = [
    "ACCESS",
    "CLOCK_SKEW",
    "ID",
    "OFFLINE",
    "REFRESH",
    "CheckedToken",
    "IssuedTokens",
    "TokenContext",
    "TokenProblem",
    "check_token",
    "issue_tokens",
    "mapper_input",
    "peek",
    "record_rejection",
    "shown",
    "signing_key",
    "token_mappers",
    "verify_token",
    "when",
]

ACCESS = "Bearer"
ID = "ID"
REFRESH = "Refresh"
OFFLINE = "Offline"
IDENTITY = "Serialized-ID"  # the KEYCLOAK_IDENTITY cookie's token


# Tokens are minted by this server's nodes, whose clocks may differ by a little: a token
# a few seconds "from the future" is one of theirs, not a forgery or a broken clock.
CLOCK_SKEW = 10
# `peek` reads tokens a little larger than `keys.decode` accepts, to say what they are.
MAX_PEEK = 64 * 1024


class TokenProblem(Exception):
    """Why a token is not valid: `reason` is one of the stable codes in the module's
    table, `description` the specifics for a human.

    `claims` are set once the signature has verified, so an event may name the token's
    user and session without trusting a forged token's word for them."""

    def __init__(
        self, reason: str, description: str, *, claims: dict[str, object] | None = None
    ) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description
        self.claims = claims


class TokenContext(Protocol):
    """What checking a token needs: a request's `RealmContext` online, or the command
    line's view of the database offline (`ostium token inspect`)."""

    @property
    def realm(self) -> Realm: ...

    @property
    def issuer(self) -> str: ...

    @property
    def keys(self) -> Sequence[RealmKey]: ...

    @property
    def clock(self) -> Clock: ...


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


def signature_algorithm(ctx: RealmContext, client: Client | None) -> str:
    """The client's `access.token.signed.response.alg`, else the realm's default."""
    wanted = client.attributes.get("access.token.signed.response.alg") if client else None
    return wanted or ctx.realm.default_signature_algorithm or "RS256"


def signing_key(
    ctx: RealmContext, client: Client | None = None, *, internal: bool = False
) -> RealmKey:
    algorithm = INTERNAL_ALGORITHM if internal else signature_algorithm(ctx, client)
    key = active_key(ctx.keys, algorithm, use="sig")
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
    confirmation: dict[str, str] | None = None,
) -> IssuedTokens:
    """Mint the token set for one client in one user session (None: no session,
    as for client_credentials, where Keycloak issues no refresh token either).
    `confirmation`: the RFC 8705 `cnf` claim binding the tokens to a certificate."""
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
        dict(session.notes) if session is not None else {},
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
        access["allowed-origins"] = client.allowed_origins()
    if "roles" in scopes:
        access["realm_access"] = {"roles": claims_of_roles.realm_roles}
        if claims_of_roles.client_roles:
            access["resource_access"] = {
                cid: {"roles": names} for cid, names in claims_of_roles.client_roles.items()
            }
    access["scope"] = scope
    if confirmation is not None:
        access["cnf"] = confirmation
    access.update(user_claims(user, scopes))
    apply_mappers(mappers, "access", access, mapper_data)
    algorithm = signature_algorithm(ctx, client)
    if active_key(ctx.keys, algorithm, use="sig") is None:
        # Keycloak's DefaultKeyManager makes a `fallback-<alg>` key for an algorithm a
        # client asks for and the realm has no key of (ES256 is not among the defaults).
        made = await fallback_key(repos, realm, algorithm, now)
        if made is not None:
            ctx.keys = [*ctx.keys, made]
    try:
        key = signing_key(ctx, client)
    except TokenProblem:
        # A client set up with an algorithm nothing signs with (RSA-OAEP, a typo): the
        # server's configuration is at fault, not the request; say which setting.
        raise ServerError(
            f"No key signs with {algorithm[:32]}, the signature algorithm set for client "
            f"'{client.client_id}'",
            event="no_key",
        ) from None
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
        if confirmation is not None and client.public_client:
            refresh["cnf"] = confirmation
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


async def mapper_input(
    repos: Repositories, realm_id: str, user: User, session: UserSession | None = None
) -> MapperInput:
    """Everything protocol mappers may read about a user (and their session's notes)."""
    roles = await role_claims(repos, realm_id, await effective_roles(repos, user))
    return MapperInput(
        user,
        await user_group_paths(repos, user),
        roles.realm_roles,
        roles.client_roles,
        dict(session.notes) if session is not None else {},
    )


def peek(token: str) -> tuple[dict[str, object], dict[str, object]] | None:
    """The header and claims as written, unverified: for messages and `token inspect`,
    never for a decision. None when the token is not three base64url JSON segments."""
    parts = token.split(".") if len(token) <= MAX_PEEK else []
    if len(parts) != 3:
        return None
    try:
        header, claims = (
            json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            for part in parts[:2]
        )
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def shown(value: object, limit: int = 64) -> str:
    """A value from the token, fit for a description that goes into an HTTP header
    (RFC 6750 §3: error_description is printable ASCII without `"` or `\\`)."""
    text = "".join(
        c if " " <= c <= "~" and c not in '"\\' else "?" for c in str(value)[: limit + 1]
    )
    return text if len(text) <= limit else text[:limit] + "..."


def when(timestamp: int) -> str:
    """A JWT time as people read it in logs (UTC, ISO 8601)."""
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def _rejected(ctx: TokenContext, token: str, rejected: TokenRejected) -> TokenProblem:
    """`keys.decode`'s rejection, told with what the header names."""
    peeked = peek(token)
    header = peeked[0] if peeked else {}
    kid, alg = header.get("kid"), header.get("alg")
    realm = shown(ctx.realm.name)
    if rejected.reason == "unknown_kid":
        if not isinstance(kid, str):
            return TokenProblem(
                "unknown_kid", "unknown kid: the token's header names no key (no 'kid')"
            )
        disabled = any(k.kid == kid and not k.enabled for k in ctx.keys)
        why = (
            f"realm '{realm}' has that key but it is disabled"
            if disabled
            else f"no key of realm '{realm}' has it (a key rotated out and removed, a token"
            " from another realm or server, or keys missing from a restored backup)"
        )
        return TokenProblem("unknown_kid", f"unknown kid '{shown(kid)}': {why}")
    if rejected.reason == "bad_signature":
        return TokenProblem(
            "bad_signature",
            f"bad signature: the token does not verify with key '{shown(kid)}' ({shown(alg)})"
            " of realm '" + realm + "' (altered, or signed by someone else)",
        )
    if rejected.reason == "algorithm_not_allowed":
        return TokenProblem(
            "algorithm_not_allowed",
            f"algorithm not allowed: '{shown(alg)}' (kid '{shown(kid)}')",
        )
    message = shown(str(rejected), 200)
    return TokenProblem(rejected.reason, f"malformed token: {message[:1].lower()}{message[1:]}")


def _audiences(claims: dict[str, object]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []


def verify_token(
    ctx: TokenContext,
    token: str,
    *,
    types: frozenset[str],
    check_expiry: bool = True,
    audience: str | None = None,
) -> dict[str, object]:
    """What the token itself proves: signature, issuer, type, audience (when one is
    required), lifetime and the realm's not-before. The reason for a failure is precise."""
    try:
        _, claims = decode(token, ctx.keys)
    except TokenRejected as exc:
        raise _rejected(ctx, token, exc) from None
    iss = claims.get("iss")
    if iss != ctx.issuer:
        raise TokenProblem(
            "wrong_issuer",
            f"wrong issuer: '{shown(iss, 200)}', expected '{shown(ctx.issuer, 200)}'",
            claims=claims,
        )
    if claims.get("typ") not in types:
        raise TokenProblem(
            "wrong_type",
            f"wrong token type: '{shown(claims.get('typ'))}' is not accepted here"
            f" (expected {' or '.join(sorted(types))})",
            claims=claims,
        )
    if audience is not None and audience not in _audiences(claims):
        raise TokenProblem(
            "wrong_audience",
            f"wrong audience: {shown(_audiences(claims), 200)} does not include"
            f" '{shown(audience)}'",
            claims=claims,
        )
    now = ctx.clock.now()
    exp = claims.get("exp")
    if check_expiry and not isinstance(exp, int):
        raise TokenProblem("expired", "expired: the token has no expiry time (exp)", claims=claims)
    if check_expiry and isinstance(exp, int) and exp <= now:
        raise TokenProblem("expired", f"expired at {when(exp)}, {now - exp} s ago", claims=claims)
    for claim, meaning in (("nbf", "not valid before"), ("iat", "issued at")):
        value = claims.get(claim)
        if isinstance(value, int) and value > now + CLOCK_SKEW:
            raise TokenProblem(
                "not_yet_valid",
                f"not yet valid: {meaning} {when(value)} ({claim}), {value - now} s ahead of"
                " this server's clock",
                claims=claims,
            )
    iat = claims.get("iat")
    if isinstance(iat, int) and iat < ctx.realm.not_before:
        raise TokenProblem(
            "revoked",
            f"revoked: issued at {when(iat)}, before the realm's not-before policy"
            f" ({when(ctx.realm.not_before)}: push-revocation or logout of all sessions)",
            claims=claims,
        )
    return claims


@dataclass
class CheckedToken:
    claims: dict[str, object]
    user: User
    session: UserSession | None
    client: Client | None


async def check_token(
    ctx: TokenContext,
    repos: Repositories,
    token: str,
    *,
    types: frozenset[str],
    audience: str | None = None,
) -> CheckedToken:
    """verify_token, then what only storage knows: revoked, user and client gone or
    disabled, session ended."""
    claims = verify_token(ctx, token, types=types, audience=audience)
    realm: Realm = ctx.realm
    jti = claims.get("jti")
    if isinstance(jti, str) and await repos.revoked_tokens.is_revoked(jti):
        raise TokenProblem(
            "revoked", f"revoked: token '{shown(jti)}' was revoked (RFC 7009)", claims=claims
        )
    sub = claims.get("sub")
    user = await repos.users.get(realm.id, sub) if isinstance(sub, str) else None
    if user is None:
        raise TokenProblem(
            "user_not_found", f"user '{shown(sub)}' does not exist (deleted)", claims=claims
        )
    if not user.enabled:
        raise TokenProblem(
            "user_disabled", f"user '{shown(user.username)}' is disabled", claims=claims
        )
    iat = claims.get("iat")
    if isinstance(iat, int) and iat < user.not_before:
        raise TokenProblem(
            "revoked",
            f"revoked: issued at {when(iat)}, before the user's not-before policy"
            f" ({when(user.not_before)}: the user was signed out)",
            claims=claims,
        )
    azp = claims.get("azp")
    if not isinstance(azp, str):
        raise TokenProblem(
            "client_not_found", "client not found: the token names no client (azp)", claims=claims
        )
    client = await repos.clients.get_by_client_id(realm.id, azp)
    if client is None:
        raise TokenProblem(
            "client_not_found", f"client '{shown(azp)}' does not exist (deleted)", claims=claims
        )
    if not client.enabled:
        raise TokenProblem("client_disabled", f"client '{shown(azp)}' is disabled", claims=claims)
    sid = claims.get("sid")
    session = None
    if isinstance(sid, str):
        now = ctx.clock.now()
        session = await live_user_session(repos, realm, sid, now=now)
        if session is None:
            raise TokenProblem(
                "session_ended",
                f"session ended: user session '{shown(sid)}' was logged out or expired",
                claims=claims,
            )
        if await repos.sessions.get_client_session(session.id, client.id) is None:
            raise TokenProblem(
                "session_ended",
                f"session ended: client '{shown(azp)}' is no longer in user session"
                f" '{shown(sid)}' (logged out of it, or its refresh token revoked)",
                claims=claims,
            )
    return CheckedToken(claims=claims, user=user, session=session, client=client)


def record_rejection(
    ctx: RealmContext,
    event_type: str,
    problem: TokenProblem,
    client_id: str | None,
    info: RequestInfo,
) -> None:
    """The audit event of a rejected token: the reason code as `error`, the description
    in the details; user and session only from claims whose signature verified."""
    claims = problem.claims or {}
    sub, sid, typ = claims.get("sub"), claims.get("sid"), claims.get("typ")
    details = {"reason": problem.description}
    if isinstance(typ, str):
        details["token_type"] = typ
    ctx.record(
        event_type,
        client_id=client_id,
        user_id=sub if isinstance(sub, str) else None,
        session_id=sid if isinstance(sid, str) else None,
        ip_address=info.ip_address,
        error=problem.reason,
        details=details,
    )
