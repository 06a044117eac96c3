"""Realm keys as use cases: the keys as they stand now, key provider components, rotation.

Shared by the runtime (every request's keys), the admin API (components, `/keys`,
rotation) and the command line (`ostium keys rotate`), so the three agree on what a
rotation does and on when a passive key's grace period ends. Every write goes through
`repos.keys`, whose caching layer drops the `keys` cache on every node after commit.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from ostium.domain import Realm, RealmKey
from ostium.keys import active_key, default_realm_keys
from ostium.keys.providers import (
    PROVIDER_TYPE,
    SECRET_VALUE,
    SIGNATURE_ALGORITHMS,
    KeyProviderError,
    component_config,
    generation_config,
    key_from_component,
    normalise_config,
)
from ostium.keys.rotation import DEFAULT_GRACE_PERIOD, Rotation, grace_over, plan_rotation
from ostium.keys.selection import INTERNAL_ALGORITHM
from ostium.storage.interfaces import Repositories

__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "current_keys",
    "fallback_key",
    "key_from_representation",
    "rotate_keys",
    "update_key_provider",
]


def _new_id() -> str:
    return str(uuid.uuid4())


async def current_keys(repos: Repositories, realm: Realm, now: int) -> list[RealmKey]:
    """The realm's keys at `now`, with what that takes written down: keys past their grace
    period are disabled; a realm without keys (an old backup, a hand-made import) gets the
    defaults; an algorithm the server must sign with and has no active key for gets a
    fallback key, as Keycloak creates `fallback-<alg>` providers, rather than failing every
    token request."""
    keys = await repos.keys.list_all(realm.id)
    if not keys:
        keys = default_realm_keys(realm.id, realm.name, now)
        for key in keys:
            await repos.keys.add(key)
        return keys
    settled: list[RealmKey] = []
    for key in keys:
        if grace_over(key, now):
            key = dataclasses.replace(key, enabled=False)
            await repos.keys.update(key)
        settled.append(key)
    for algorithm in sorted({INTERNAL_ALGORITHM, realm.default_signature_algorithm or "RS256"}):
        if active_key(settled, algorithm) is not None:
            continue
        fallback = await fallback_key(repos, realm, algorithm, now)
        if fallback is not None:
            settled.append(fallback)
    return settled


async def fallback_key(
    repos: Repositories, realm: Realm, algorithm: str, now: int
) -> RealmKey | None:
    """A new key for an algorithm the realm must sign with and has no active key of, as
    Keycloak's `fallback-<alg>` provider (priority -100, so any configured key wins).
    None for an algorithm no provider signs with (an encryption algorithm named where a
    signature one belongs, a typo): the token request says so itself."""
    if algorithm not in SIGNATURE_ALGORITHMS:
        return None
    try:
        provider, config = generation_config(algorithm, -100)
    except KeyProviderError:
        return None
    fallback = key_from_component(
        component_id=_new_id(),
        name=f"fallback-{algorithm}",
        provider_id=provider,
        config=config,
        realm_id=realm.id,
        realm_name=realm.name,
        now=now,
    )
    await repos.keys.add(fallback)
    return fallback


async def rotate_keys(
    repos: Repositories,
    realm: Realm,
    *,
    now: int,
    algorithm: str | None = None,
    grace_period: int = DEFAULT_GRACE_PERIOD,
) -> Rotation:
    """A new active key of `algorithm` (the realm's default signature algorithm unless
    named); the keys it replaces turn passive until `now + grace_period`, then disabled."""
    keys = await current_keys(repos, realm, now)
    rotation = plan_rotation(
        keys,
        algorithm=algorithm or realm.default_signature_algorithm or "RS256",
        grace_period=grace_period,
        now=now,
        realm_id=realm.id,
        realm_name=realm.name,
        component_id=_new_id(),
    )
    for retired in rotation.retired:
        await repos.keys.update(retired)
    await repos.keys.add(rotation.new)
    return rotation


def key_from_representation(
    raw: Mapping[str, Any], realm: Realm, now: int, *, component_id: str | None = None
) -> RealmKey:
    """A new key provider from a ComponentRepresentation (admin API) or a realm export's
    component; raises KeyProviderError with a message fit for a 400."""
    provider_type = raw.get("providerType", PROVIDER_TYPE)
    if provider_type != PROVIDER_TYPE:
        raise KeyProviderError(f"Unsupported component type: {str(provider_type)[:100]}")
    provider_id = raw.get("providerId")
    if not isinstance(provider_id, str) or not provider_id:
        raise KeyProviderError("providerId is required")
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 255):
        raise KeyProviderError("name: expected a string of at most 255 characters")
    parent = raw.get("parentId")
    if parent is not None and parent not in (realm.id, realm.name):
        raise KeyProviderError("parentId: a key provider belongs to its realm")
    given = raw.get("id")
    if component_id is None:
        component_id = given if isinstance(given, str) and 0 < len(given) <= 36 else _new_id()
    return key_from_component(
        component_id=component_id,
        name=name or provider_id,
        provider_id=provider_id,
        config=normalise_config(raw.get("config")),
        realm_id=realm.id,
        realm_name=realm.name,
        now=now,
    )


def update_key_provider(key: RealmKey, raw: Mapping[str, Any], realm: Realm) -> RealmKey:
    """The key after an update: the body's config is laid over the stored one (masked
    values keep the stored secret), so `{"config": {"active": ["false"]}}` changes just
    that; a changed key size, curve or uploaded key makes a new key, as in Keycloak."""
    config = component_config(key, secrets=True)
    for name, values in normalise_config(raw.get("config")).items():
        if values != [SECRET_VALUE]:
            config[name] = values
    name = raw.get("name", key.name)
    updated = key_from_representation(
        {"providerId": key.provider, "name": name, "config": config},
        realm,
        key.created,
        component_id=key.id,
    )
    if (updated.active and updated.enabled) or (updated.enabled and not key.enabled):
        updated.disable_at = None  # an admin brought it back: it is no longer retiring
    return updated
