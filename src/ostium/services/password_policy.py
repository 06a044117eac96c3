"""Setting a password under the realm's password policy: the one way every path sets one.

Callers: the admin API (`POST users` with `credentials`, `PUT users/{id}/reset-password`),
realm imports of plain-text passwords (services/realm_import.py, through
`import_violation`), and the update-password and registration pages. They call

    await set_password(repos, hashing, realm, user, password, now=now)

which checks the policy (domain/password_policy.py, then `passwordHistory` and
`passwordAge` against the stored hashes), hashes with the policy's `hashAlgorithm` and
`hashIterations`, stores the password credential and keeps the previous one as a
`password-history` credential, as Keycloak's PasswordCredentialProvider does. A refused
password raises `PasswordPolicyError` (its `violation` has Keycloak's message key, its
parameters and an English text) and nothing is written; required actions (`temporary`)
are the caller's business.
"""

from __future__ import annotations

from dataclasses import replace

from ostium.domain import PASSWORD, Credential, Realm, User
from ostium.domain.password_policy import (
    PasswordPolicy,
    PolicyConfigError,
    PolicyViolation,
    first_violation,
    parse_policy,
    password_expired,
)
from ostium.domain.user import PASSWORD_HISTORY
from ostium.services import password_blacklists
from ostium.services.hashing import PasswordHashing
from ostium.services.password_blacklists import PasswordBlacklists
from ostium.services.passwords import hash_password, verify_password
from ostium.services.realm_setup import new_id
from ostium.storage.interfaces import Repositories

__all__ = [
    "PASSWORD_HISTORY",
    "PasswordPolicyError",
    "checked_policy_text",
    "import_violation",
    "password_change_required",
    "realm_policy",
    "set_password",
]

_DAY_MS = 86_400_000


class PasswordPolicyError(Exception):
    """A new password the realm's policy refuses."""

    def __init__(self, violation: PolicyViolation) -> None:
        super().__init__(violation.text)
        self.violation = violation


def realm_policy(realm: Realm) -> PasswordPolicy:
    """The realm's policy; a stored one is valid (checked when set), but a policy that no
    longer parses must not lock everyone out, so it counts as none."""
    try:
        return parse_policy(realm.password_policy)
    except PolicyConfigError:
        return PasswordPolicy()


def checked_policy_text(
    text: str | None, blacklists: PasswordBlacklists | None = None
) -> str | None:
    """The canonical policy string to store, or PolicyConfigError with Keycloak's
    errorMessage: the string parses and its blacklist file is in the blacklists folder."""
    policy = parse_policy(text)
    name = policy.blacklist
    folder = blacklists or password_blacklists.current()
    if name is not None and not folder.exists(name):
        raise PolicyConfigError(
            f"Invalid config for passwordBlacklist: no file '{name}' in the password"
            " blacklists folder"
        )
    return policy.text


def _violation(
    policy: PasswordPolicy, user: User, password: str, blacklists: PasswordBlacklists | None
) -> PolicyViolation | None:
    folder = blacklists or password_blacklists.current()
    return first_violation(
        policy, password, username=user.username, email=user.email, blacklisted=folder.contains
    )


def import_violation(
    realm: Realm, user: User, password: str, blacklists: PasswordBlacklists | None = None
) -> PolicyViolation | None:
    """The policy's verdict on a plain-text password in an import file. The user is new,
    so there is no history to compare with; Keycloak refuses the whole import then."""
    return _violation(realm_policy(realm), user, password, blacklists)


async def set_password(
    repos: Repositories,
    hashing: PasswordHashing,
    realm: Realm,
    user: User,
    password: str,
    *,
    now: int,
    blacklists: PasswordBlacklists | None = None,
) -> Credential:
    """Check `password` against the realm's policy and make it the user's password.

    `now` is in seconds. Raises PasswordPolicyError before writing anything when a rule
    is broken. Hashing runs in the pool (`hashing.run`): callers are authenticated."""
    policy = realm_policy(realm)
    violation = _violation(policy, user, password, blacklists)
    stored = await repos.credentials.list_for_user(user.id)
    current = [c for c in stored if c.type == PASSWORD]
    history = sorted(
        (c for c in stored if c.type == PASSWORD_HISTORY),
        key=lambda c: c.created_date,
        reverse=True,
    )
    if violation is None:
        violation = await _reuse(policy, hashing, password, current, history, now)
    if violation is not None:
        raise PasswordPolicyError(violation)
    secret, data = await hashing.run(
        hash_password, password, policy.hash_algorithm, policy.hash_iterations
    )
    created = now * 1000
    if not current:
        credential = Credential(new_id(), user.id, PASSWORD, secret, data, created_date=created)
        await repos.credentials.add(credential)
        return credential
    old, extra = current[0], current[1:]
    for duplicate in extra:
        await repos.credentials.delete(duplicate.id)
    credential = replace(old, secret_data=secret, credential_data=data, created_date=created)
    await repos.credentials.update(credential)
    kept_id: str | None = None
    if policy.history > 1 or policy.password_age_days > 0:
        copy = replace(old, id=new_id(), type=PASSWORD_HISTORY, user_label=None)
        await repos.credentials.add(copy)
        history.insert(0, copy)
        kept_id = copy.id
    await _trim(repos, policy, history, kept_id, now)
    return credential


async def _reuse(
    policy: PasswordPolicy,
    hashing: PasswordHashing,
    password: str,
    current: list[Credential],
    history: list[Credential],
    now: int,
) -> PolicyViolation | None:
    """passwordHistory(n): neither the current password nor the n-1 before it
    (HistoryPasswordPolicyProvider); passwordAge(days): neither the current password nor
    one set within the last `days` days (AgePasswordPolicyProvider)."""

    async def matches(credentials: list[Credential]) -> bool:
        for c in credentials:
            if await hashing.run(verify_password, password, c.secret_data, c.credential_data):
                return True
        return False

    if policy.history != -1:
        recent = history[: max(0, policy.history - 1)]
        if await matches(current) or await matches(recent):
            return PolicyViolation("invalidPasswordHistoryMessage", (policy.history,))
    days = policy.password_age_days
    if days != -1:
        newer = [c for c in history if c.created_date > now * 1000 - days * _DAY_MS]
        if await matches(current) or (days > 0 and await matches(newer)):
            return PolicyViolation("invalidPasswordGenericMessage", (days,))
    return None


async def _trim(
    repos: Repositories,
    policy: PasswordPolicy,
    history: list[Credential],
    kept_id: str | None,
    now: int,
) -> None:
    """Keep the n-1 newest history entries, and any younger than passwordAge; the one
    just added is always kept (PasswordCredentialProvider.createCredential)."""
    keep = max(0, policy.history - 1)
    oldest_kept_ms = now * 1000 - max(0, policy.password_age_days) * _DAY_MS
    for entry in history[keep:]:
        if entry.id != kept_id and entry.created_date < oldest_kept_ms:
            await repos.credentials.delete(entry.id)


async def password_change_required(
    repos: Repositories, realm: Realm, user: User, *, now: int
) -> bool:
    """forceExpiredPasswordChange: whether the user's password has expired at `now`
    (seconds), so the login must require UPDATE_PASSWORD (Keycloak's UpdatePassword
    required action, `evaluateTriggers`). A user without a password has nothing to
    expire. For the required-actions code, after the password has been checked."""
    policy = realm_policy(realm)
    if policy.days_to_expire < 0:
        return False
    passwords = await repos.credentials.list_for_user(user.id, PASSWORD)
    if not passwords:
        return False
    return password_expired(policy, passwords[0].created_date, now)
