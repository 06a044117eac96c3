"""A user choosing a new password on the UPDATE_PASSWORD page: checking the form, then
storing the password under the realm's password policy (services/password_policy.py,
the one way every path sets a password: policy, history, hash settings)."""

from __future__ import annotations

from ostium.domain import Realm, User
from ostium.domain.password_policy import PolicyViolation
from ostium.services.hashing import PasswordHashing
from ostium.services.password_policy import PasswordPolicyError, set_password
from ostium.storage.interfaces import Repositories

__all__ = ["MISSING", "NOT_MATCHING", "check_new_password", "store_new_password"]

MISSING = "missingPasswordMessage"
NOT_MATCHING = "notMatchPasswordMessage"


def check_new_password(password: str, confirmation: str) -> str | None:
    """Keycloak's UpdatePassword.processAction order: given, then confirmed (the policy
    comes next, in `store_new_password`)."""
    if not password:
        return MISSING
    if password != confirmation:
        return NOT_MATCHING
    return None


async def store_new_password(
    repos: Repositories,
    hashing: PasswordHashing,
    realm: Realm,
    user: User,
    password: str,
    *,
    now: int,
) -> PolicyViolation | None:
    """The password becomes the user's, or the policy's first objection comes back and
    nothing is written."""
    try:
        await set_password(repos, hashing, realm, user, password, now=now)
    except PasswordPolicyError as refused:
        return refused.violation
    return None
