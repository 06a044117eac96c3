"""A user's recovery codes (domain/recovery_codes.py): one credential holding the codes
not used yet. Setting new ones replaces the old set whole, as Keycloak's
CONFIGURE_RECOVERY_AUTHN_CODES does; using one removes it from the set."""

from __future__ import annotations

from ostium.domain import Credential, User
from ostium.domain.recovery_codes import RECOVERY_CODES, RecoveryCodes, RecoveryCodesError
from ostium.services.sessions import new_id
from ostium.storage.interfaces import Repositories

__all__ = ["recovery_codes_of", "set_recovery_codes", "use_recovery_code"]


async def recovery_codes_of(
    repos: Repositories, user: User
) -> tuple[Credential, RecoveryCodes] | None:
    """The user's set, while a code of it is left (a set stored broken counts as none)."""
    for credential in await repos.credentials.list_for_user(user.id, RECOVERY_CODES):
        try:
            codes = RecoveryCodes.parse(credential.secret_data, credential.credential_data)
        except RecoveryCodesError:
            continue
        if codes.next_number is not None:
            return credential, codes
    return None


async def use_recovery_code(
    repos: Repositories, credential: Credential, codes: RecoveryCodes, typed: str
) -> RecoveryCodes | None:
    """The set once `typed` (the next code) is spent and stored; None if it is wrong."""
    left = codes.use(typed)
    if left is None:
        return None
    credential.secret_data = left.secret_data()
    credential.credential_data = left.credential_data()
    await repos.credentials.update(credential)
    return left


async def set_recovery_codes(
    repos: Repositories, user: User, codes: list[str], *, now: int
) -> Credential:
    """A new set in place of the old one, after the user's other credentials."""
    existing = await repos.credentials.list_for_user(user.id)
    for old in existing:
        if old.type == RECOVERY_CODES:
            await repos.credentials.delete(old.id)
    kept = [c for c in existing if c.type != RECOVERY_CODES]
    made = RecoveryCodes.new(codes)
    credential = Credential(
        id=new_id(),
        user_id=user.id,
        type=RECOVERY_CODES,
        secret_data=made.secret_data(),
        credential_data=made.credential_data(),
        created_date=now * 1000,
        priority=max((c.priority for c in kept), default=0) + 10,
    )
    await repos.credentials.add(credential)
    return credential
