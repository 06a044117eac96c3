"""Key rotation with a grace period, decided from `now` alone.

Rotating an algorithm's key adds a new key provider of the same kind with a higher
priority (so it signs from now on) and makes the previously active keys passive: they
stay in the JWKS and keep verifying the tokens they signed, until the grace period is
over; then they are disabled, and a token they signed is refused as signed by an unknown
key. Keycloak has the same states (active, passive, disabled) but leaves the last step to
the admin; a passive key forgotten forever is a key that can still be abused forever.

Nothing here sleeps or reads a clock: whoever loads, lists or rotates keys passes `now`,
so a test moves an injected clock past the grace period instead of waiting for it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ostium.domain import RealmKey
from ostium.keys.providers import generation_config, key_from_component

__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "Rotation",
    "as_of",
    "grace_over",
    "plan_rotation",
]

DEFAULT_GRACE_PERIOD = 86_400  # a day: longer than any access token or cached JWKS lives


def grace_over(key: RealmKey, now: int) -> bool:
    """An enabled key whose rotation grace period has ended: it must be disabled."""
    return key.enabled and key.disable_at is not None and key.disable_at <= now


def as_of(keys: list[RealmKey], now: int) -> list[RealmKey]:
    """The keys as they stand at `now`: those past their grace period count as disabled.

    Returns the very list when nothing changed (the common case, on every request)."""
    if not any(grace_over(k, now) for k in keys):
        return keys
    return [dataclasses.replace(k, enabled=False) if grace_over(k, now) else k for k in keys]


@dataclass(frozen=True)
class Rotation:
    new: RealmKey
    retired: list[RealmKey]  # the keys made passive, with the end of their grace period


def plan_rotation(
    keys: list[RealmKey],
    *,
    algorithm: str,
    grace_period: int,
    now: int,
    realm_id: str,
    realm_name: str,
    component_id: str,
) -> Rotation:
    """The new key of `algorithm` and the passive keys it leaves behind, not yet stored."""
    if grace_period < 0:
        raise ValueError("The grace period cannot be negative")
    current = as_of(keys, now)
    same = [k for k in current if k.algorithm == algorithm]
    active = [k for k in same if k.enabled and k.active]
    model = max(active, key=lambda k: (k.priority, k.created)) if active else None
    priority = max((k.priority for k in same), default=99) + 1
    provider, config = generation_config(algorithm, priority, like=model)
    new = key_from_component(
        component_id=component_id,
        name=f"{provider}-{now}",
        provider_id=provider,
        config=config,
        realm_id=realm_id,
        realm_name=realm_name,
        now=now,
    )
    retired = [dataclasses.replace(k, active=False, disable_at=now + grace_period) for k in active]
    return Rotation(new, retired)
