"""Which stored key signs, and which verifies."""

from __future__ import annotations

from collections.abc import Iterable

from ostium.domain import RealmKey

__all__ = ["INTERNAL_ALGORITHM", "active_key", "key_for_kid"]

# Internal tokens (refresh, identity cookie) are only ever read by this server, so a
# symmetric key is enough and faster, as in Keycloak (its hmac-generated-hs512 provider).
INTERNAL_ALGORITHM = "HS512"


def active_key(
    keys: Iterable[RealmKey], algorithm: str, *, use: str | None = None
) -> RealmKey | None:
    """The enabled, active key of that algorithm with the highest priority (then newest);
    `use="sig"` when the key is to sign, so an encryption key never does."""
    candidates = [
        k
        for k in keys
        if k.algorithm == algorithm and k.enabled and k.active and (use is None or k.use == use)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda k: (k.priority, k.created))


def key_for_kid(keys: Iterable[RealmKey], kid: str) -> RealmKey | None:
    """Passive keys still verify: tokens signed before a rotation stay valid."""
    return next((k for k in keys if k.kid == kid and k.enabled), None)
