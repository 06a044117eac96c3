"""A user choosing a new password (the UPDATE_PASSWORD required action): checking it and
storing it in place of the old one.

`validate_new_password` is the one place the realm's password policy is consulted for a
password the user picks at sign-in. Until the password-policy service lands it checks
only what needs no policy; that service replaces its body with the policy's check (and
the same message keys come back for the page).
"""

from __future__ import annotations

from ostium.domain import PASSWORD, Credential, Realm, User
from ostium.services.hashing import PasswordHashing
from ostium.services.sessions import new_id
from ostium.storage.interfaces import Repositories

__all__ = [
    "MISSING",
    "NOT_MATCHING",
    "check_new_password",
    "store_new_password",
    "validate_new_password",
]

MISSING = "missingPasswordMessage"
NOT_MATCHING = "notMatchPasswordMessage"


def validate_new_password(realm: Realm, user: User, password: str) -> str | None:
    """The message key of why the realm's policy refuses `password` for `user`, or None.

    Seam for the password-policy service (Keycloak's PasswordPolicyManagerProvider
    .validate): it will call the realm's `passwordPolicy` here. Today no policy is
    enforced beyond a password being given."""
    if not password:
        return MISSING
    return None


def check_new_password(realm: Realm, user: User, password: str, confirmation: str) -> str | None:
    """Keycloak's UpdatePassword.processAction order: given, then confirmed, then policy."""
    if not password:
        return MISSING
    if password != confirmation:
        return NOT_MATCHING
    return validate_new_password(realm, user, password)


async def store_new_password(
    repos: Repositories, hashing: PasswordHashing, user: User, password: str, *, now: int
) -> None:
    """The new password replaces every stored one (hashed off the event loop)."""
    secret, data = await hashing.hash(password)
    for old in await repos.credentials.list_for_user(user.id, PASSWORD):
        await repos.credentials.delete(old.id)
    await repos.credentials.add(
        Credential(
            id=new_id(),
            user_id=user.id,
            type=PASSWORD,
            secret_data=secret,
            credential_data=data,
            created_date=now * 1000,
        )
    )
