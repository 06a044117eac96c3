"""Finding and authenticating users."""

from __future__ import annotations

from ostium.domain import PASSWORD, Realm, User
from ostium.domain.password_policy import PolicyConfigError, parse_policy
from ostium.services.hashing import PasswordHashing
from ostium.services.passwords import needs_rehash
from ostium.storage.interfaces import Repositories

__all__ = ["authenticate", "check_password", "find_login_user"]


async def find_login_user(repos: Repositories, realm: Realm, login: str) -> User | None:
    """Keycloak's rule: by username, then by email when the realm allows email login."""
    login = login.strip()
    if not login:
        return None
    user = await repos.users.get_by_username(realm.id, login)
    if user is None and realm.login_with_email_allowed and "@" in login:
        matches = await repos.users.get_by_email(realm.id, login)
        # Ambiguous emails (duplicateEmailsAllowed) cannot identify anyone.
        user = matches[0] if len(matches) == 1 else None
    return user


async def check_password(
    repos: Repositories, hashing: PasswordHashing, realm: Realm, login: str, password: str
) -> User | None:
    """The user whose password this is, enabled or not, else None.

    Every other failure (no such user, a service account, no password, a wrong one) is
    the same None after the same hashing work, so usernames cannot be told apart by
    the answer or its timing: the dummy check runs in the same pool as a real one, so
    it also queues and is refused (503) alike. Whether a disabled account may be named is the caller's
    choice, after the password has been proven.
    """
    user = await find_login_user(repos, realm, login)
    credentials = (
        await repos.credentials.list_for_user(user.id, PASSWORD)
        if user is not None and user.service_account_client_id is None
        else []
    )
    await repos.release_reads()  # hash without holding a pooled connection
    if user is None or not credentials:
        await hashing.verify_dummy(password)
        return None
    credential = credentials[0]
    if not await hashing.verify(password, credential.secret_data, credential.credential_data):
        return None
    try:
        policy = parse_policy(realm.password_policy)
    except PolicyConfigError:  # stored policies are checked when set; never block a login
        policy = parse_policy(None)
    algorithm, iterations = policy.hash_algorithm, policy.hash_iterations
    if user.enabled and needs_rehash(credential.credential_data, algorithm, iterations):
        # A hash made otherwise than the realm's policy asks (imported pbkdf2, changed
        # hashAlgorithm/hashIterations) is re-made at the first login, as in Keycloak.
        credential.secret_data, credential.credential_data = await hashing.hash(
            password, algorithm, iterations
        )
        await repos.credentials.update(credential)
    return user


async def authenticate(
    repos: Repositories, hashing: PasswordHashing, realm: Realm, login: str, password: str
) -> User | None:
    """The user if the password is right and the account usable, else None: one answer
    for every failure, disabled accounts included."""
    user = await check_password(repos, hashing, realm, login, password)
    return user if user is not None and user.enabled else None
