"""Action tokens: the signed, expiring, single-use links Ostium e-mails.

Keycloak's DefaultActionToken and its kinds, claim for claim: `typ` names the action
(`verify-email`, `execute-actions`, `reset-credentials`), `sub` the user, `exp`/`iat`
the lifetime, `nonce` the single-use value (Keycloak's actionVerificationNonce; also the
`jti`), `iss` and `aud` the realm's issuer, `azp` the client the link is for; per kind
`eml` (the address being verified: a link for an address the user no longer has is
refused), `rqac` (the required actions to perform), `reduri` (where to send the person
afterwards), `asid` (the authentication session a link from a login started in).

They are signed with the realm's internal HMAC key (HS512, the key that signs the
KEYCLOAK_IDENTITY cookie and refresh tokens), so only this realm's nodes can mint one and
a token of another realm fails its signature or its issuer. A token is spent through the
`actionTokens` cache (`sessions/action_tokens.py`, shared by every node): the first use
marks its nonce until the token would have expired anyway; a second use is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from ostium.domain import RealmKey
from ostium.keys import TokenRejected, active_key, decode, sign
from ostium.keys.selection import INTERNAL_ALGORITHM
from ostium.sessions.action_tokens import ActionTokens

__all__ = [
    "EXECUTE_ACTIONS",
    "KINDS",
    "RESET_CREDENTIALS",
    "VERIFY_EMAIL",
    "ActionToken",
    "ActionTokenProblem",
    "check_unspent",
    "issue_action_token",
    "read_action_token",
    "spend_action_token",
]

VERIFY_EMAIL = "verify-email"
EXECUTE_ACTIONS = "execute-actions"
RESET_CREDENTIALS = "reset-credentials"
KINDS = frozenset({VERIFY_EMAIL, EXECUTE_ACTIONS, RESET_CREDENTIALS})


class ActionTokenProblem(Exception):
    """Why a link is refused: `error` is the event's error code (Keycloak's `Errors`),
    `message_key` the page's message (Keycloak's `Messages` keys). The person sees the
    same page for a forged and for another realm's link: what was wrong is the event's."""

    def __init__(
        self, error: str, message_key: str, detail: str, *, kind: str | None = None
    ) -> None:
        super().__init__(detail)
        self.error = error
        self.message_key = message_key
        self.detail = detail
        self.kind = kind  # the token's `typ`, once its signature has verified


# Keycloak: an expired token is EXPIRED_CODE with "expiredActionTokenNoSessionMessage";
# anything that does not verify is INVALID_CODE with "invalidCodeMessage".
EXPIRED = ("expired_code", "expiredActionTokenNoSessionMessage")
INVALID = ("invalid_code", "invalidCodeMessage")


@dataclass(frozen=True)
class ActionToken:
    type: str
    user_id: str
    issuer: str
    issued_at: int
    expires: int
    nonce: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_id: str | None = None
    email: str | None = None
    required_actions: tuple[str, ...] = ()
    redirect_uri: str | None = None
    auth_session_id: str | None = None

    def claims(self) -> dict[str, object]:
        claims: dict[str, object] = {
            "exp": self.expires,
            "iat": self.issued_at,
            "jti": self.nonce,
            "iss": self.issuer,
            "aud": self.issuer,
            "sub": self.user_id,
            "typ": self.type,
            "nonce": self.nonce,
        }
        optional: dict[str, object | None] = {
            "azp": self.client_id,
            "eml": self.email,
            "rqac": list(self.required_actions) or None,
            "reduri": self.redirect_uri,
            "asid": self.auth_session_id,
        }
        claims.update({k: v for k, v in optional.items() if v is not None})
        return claims


def issue_action_token(keys: Sequence[RealmKey], token: ActionToken) -> str:
    """The token, signed with the realm's active internal HMAC key."""
    key = active_key(keys, INTERNAL_ALGORITHM, use="sig")
    if key is None:
        raise ActionTokenProblem("invalid_code", INVALID[1], "the realm has no HMAC key")
    return sign(token.claims(), key)


def _text(claims: dict[str, object], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def read_action_token(raw: str, keys: Sequence[RealmKey], *, issuer: str, now: int) -> ActionToken:
    """The verified token, or `ActionTokenProblem`: a bad signature or another realm's
    issuer is INVALID, an unknown `typ` or missing claims too, a past `exp` EXPIRED
    (checked after the signature, so a forged token never reads as merely expired)."""
    try:
        _, claims = decode(raw, keys, allowed_algorithms=[INTERNAL_ALGORITHM])
    except TokenRejected as rejected:
        raise ActionTokenProblem(*INVALID, f"signature: {rejected.reason}") from None
    if claims.get("iss") != issuer:
        raise ActionTokenProblem(*INVALID, "issued by another realm")
    kind, user_id, nonce = _text(claims, "typ"), _text(claims, "sub"), _text(claims, "nonce")
    exp, iat = claims.get("exp"), claims.get("iat")
    if kind not in KINDS or user_id is None or nonce is None:
        raise ActionTokenProblem(*INVALID, "not an action token")
    if not isinstance(exp, int) or not isinstance(iat, int) or isinstance(exp, bool):
        raise ActionTokenProblem(*INVALID, "no expiry")
    if exp <= now:
        raise ActionTokenProblem(*EXPIRED, "expired", kind=kind)
    actions = claims.get("rqac")
    if actions is not None and (
        not isinstance(actions, list) or not all(isinstance(a, str) for a in actions)
    ):
        raise ActionTokenProblem(*INVALID, "rqac is not a list of actions")
    return ActionToken(
        type=kind,
        user_id=user_id,
        issuer=issuer,
        issued_at=iat,
        expires=exp,
        nonce=nonce,
        client_id=_text(claims, "azp"),
        email=_text(claims, "eml"),
        required_actions=tuple(actions or ()),
        redirect_uri=_text(claims, "reduri"),
        auth_session_id=_text(claims, "asid"),
    )


async def check_unspent(store: ActionTokens, token: ActionToken) -> None:
    """EXPIRED when the token was used already; spends nothing (the confirmation page)."""
    if await store.used(f"action:{token.nonce}"):
        raise ActionTokenProblem(*EXPIRED, "already used", kind=token.type)


async def spend_action_token(store: ActionTokens, token: ActionToken, *, now: int) -> None:
    """Marks the token used, cluster-wide; a second use is EXPIRED, as Keycloak refuses
    a reused action token (its single-use object is already there)."""
    if not await store.use(f"action:{token.nonce}", expires=token.expires, now=now):
        raise ActionTokenProblem(*EXPIRED, "already used", kind=token.type)
