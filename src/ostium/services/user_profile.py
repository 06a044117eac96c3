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
    USER,
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
    "editable_attributes",
    "profile_config",
    "profile_rules",
    "store_profile_config",
    "update_profile_form",
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


def update_profile_form(
    realm: Realm, user: User, form: Mapping[str, str]
) -> tuple[bool, list[ProfileError]]:
    """The UPDATE_PROFILE page's form, in the user's context (Keycloak's
    UPDATE_PROFILE context, the `user` pseudo-role): only attributes the user may edit are
    read from the form, the username only when the realm lets users change it. Returns
    whether the e-mail changed, and the errors (the user is untouched when there are any).
    A changed address is no longer verified, as Keycloak."""
    rules = profile_rules(realm, USER)
    current = user_profile_values(user)
    proposed = {k: list(v) for k, v in current.items()}
    for attribute in rules.config.get("attributes", []):
        name = attribute["name"]
        if name == "username" and not realm.edit_username_allowed:
            continue
        if rules.can_edit(attribute) and name in form:
            proposed[name] = [form[name].strip()]
    values, errors = rules.check(proposed, current)
    if errors:
        return False, errors
    email = _single(values.pop("email", []))
    changed = (email or "").lower() != (user.email or "").lower()
    username = _single(values.pop("username", []))
    if username and realm.edit_username_allowed:
        user.username = username.lower()
    user.email = email.lower() if email else None
    if changed:
        user.email_verified = False
    user.first_name = _single(values.pop("firstName", []))
    user.last_name = _single(values.pop("lastName", []))
    user.attributes = values
    return changed, errors


def editable_attributes(realm: Realm) -> list[dict[str, Any]]:
    """The attributes the UPDATE_PROFILE page shows, in the profile's order: those the
    user may view, each with whether they may edit it and whether it is required."""
    rules = profile_rules(realm, USER)
    shown = []
    for attribute in rules.config.get("attributes", []):
        name = attribute["name"]
        if not rules.can_view(attribute):
            continue
        editable = rules.can_edit(attribute) and (name != "username" or realm.edit_username_allowed)
        shown.append(
            {
                "name": name,
                "display_name": attribute.get("displayName") or name,
                "required": rules.is_required(attribute, service_account=False),
                "read_only": not editable,
            }
        )
    return shown
