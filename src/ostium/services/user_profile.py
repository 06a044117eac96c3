"""The realm's declarative user profile: reading and storing it, and holding every user
write to it.

Keycloak keeps the profile as a realm component (`declarative-user-profile`, its JSON in
`kc.user.profile.config`); Ostium keeps the same JSON on the realm, so it is cached and
invalidated with the realm, and shows it as that component in realm exports. A realm that
never stored one has Keycloak's built-in default.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from ostium.domain import Realm, User
from ostium.domain.user_profile import (
    ADMIN,
    ProfileError,
    ProfileRules,
    canonical_config,
    default_config,
    rejection,
)
from ostium.services.realm_import import apply_user
from ostium.storage.interfaces import Repositories

__all__ = [
    "UserProfileError",
    "apply_profile",
    "profile_config",
    "profile_rules",
    "store_profile_config",
    "user_profile_values",
]


class UserProfileError(Exception):
    """A user write the profile rejects; `body` is Keycloak's 400 answer."""

    def __init__(self, errors: list[ProfileError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    @property
    def body(self) -> dict[str, Any]:
        return rejection(self.errors)


def profile_config(realm: Realm) -> dict[str, Any]:
    """The realm's UPConfig in canonical form (stored ones were checked when stored)."""
    if realm.user_profile_config is None:
        return default_config()
    stored = json.loads(realm.user_profile_config)
    assert isinstance(stored, dict)
    return stored


def profile_rules(realm: Realm, role: str = ADMIN) -> ProfileRules:
    return ProfileRules(profile_config(realm), role)


async def store_profile_config(repos: Repositories, realm: Realm, raw: object) -> dict[str, Any]:
    """Check `raw` (ProfileConfigError lists what is wrong), store it on the realm, and
    return what is stored: Keycloak's PUT answers the canonical config."""
    scopes = frozenset(s.name for s in await repos.client_scopes.list_all(realm.id))
    config = canonical_config(raw, scopes=scopes)
    realm.user_profile_config = json.dumps(config, separators=(",", ":"))
    await repos.realms.update(realm)
    return config


def user_profile_values(user: User) -> dict[str, list[str]]:
    """A user as the profile sees them: the built-in fields and the attributes, by name."""
    values: dict[str, list[str]] = {k: list(v) for k, v in user.attributes.items()}
    for name, value in (
        ("username", user.username),
        ("email", user.email),
        ("firstName", user.first_name),
        ("lastName", user.last_name),
    ):
        values.pop(name, None)
        if value:
            values[name] = [value]
    return values


def _single(values: list[str]) -> str | None:
    return values[0] if values else None


def apply_profile(
    realm: Realm, user: User, body: Mapping[str, Any], *, new: bool, path: str = "user"
) -> None:
    """Apply a UserRepresentation to `user` as the admin API does (Keycloak's USER_API
    context): validators and requirements of the profile, read-only attributes unchanged,
    unmanaged attributes as the policy says. UserProfileError leaves `user` untouched."""
    rules = profile_rules(realm)
    current = {} if new else user_profile_values(user)
    proposed = copy.deepcopy(user)
    apply_user(proposed, body, path)
    values, errors = rules.check(
        user_profile_values(proposed),
        current,
        service_account=user.service_account_client_id is not None,
    )
    if errors:
        raise UserProfileError(errors)
    proposed.email = _single(values.pop("email", []))
    proposed.first_name = _single(values.pop("firstName", []))
    proposed.last_name = _single(values.pop("lastName", []))
    values.pop("username", None)
    proposed.attributes = values
    for field in (
        "email",
        "first_name",
        "last_name",
        "attributes",
        "email_verified",
        "enabled",
        "created_timestamp",
        "not_before",
        "required_actions",
    ):
        setattr(user, field, getattr(proposed, field))
