"""The realm's required-action providers as the admin API and realm import change them
(Keycloak's AuthenticationManagementResource required-actions methods and
RepresentationToModel's import of `requiredActions`), and a user's actions being done.

Every rule works on the loaded `Realm`; the caller stores it in the same transaction, so a
refused change writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ostium.domain import Realm, User
from ostium.domain.required_actions import (
    CONFIGURABLE,
    KNOWN_PROVIDERS,
    UPDATE_PASSWORD,
    RequiredActionProvider,
    known_provider,
    ordered,
)
from ostium.services.password_policy import password_change_required
from ostium.storage.interfaces import Repositories

__all__ = [
    "RequiredActionError",
    "RequiredActionNotFound",
    "add_default_actions",
    "complete_action",
    "delete_action",
    "evaluate_triggers",
    "move_action",
    "parse_required_actions",
    "register_action",
    "representation",
    "unregistered",
    "update_action",
    "update_config",
]


class RequiredActionError(ValueError):
    """A change Keycloak answers with 400, and its message."""


class RequiredActionNotFound(RequiredActionError):
    """Keycloak's 404 for an alias the realm does not have."""


def representation(action: RequiredActionProvider) -> dict[str, Any]:
    """RequiredActionProviderRepresentation, as AuthenticationManagementResource writes it."""
    return {
        "alias": action.alias,
        "name": action.name,
        "providerId": action.provider_id,
        "enabled": action.enabled,
        "defaultAction": action.default_action,
        "priority": action.priority,
        "config": dict(action.config),
    }


def find(
    realm: Realm, alias: str, message: str = "Failed to find required action"
) -> RequiredActionProvider:
    found = realm.required_action(alias)
    if found is None:
        raise RequiredActionNotFound(message)
    return found


def _config(raw: object, where: str) -> dict[str, str]:
    """Keycloak keeps config values as strings and drops empty ones (removeEmptyString)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise RequiredActionError(f"{where}: expected an object of strings")
    config: dict[str, str] = {}
    for key, value in raw.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise RequiredActionError(f"{where}.{key}: expected a string")
        config[str(key)] = str(value)
    return config


def _bool(body: Mapping[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RequiredActionError(f"{key}: expected true or false")
    return value


def _int(body: Mapping[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**31:
        raise RequiredActionError(f"{key}: expected a 32-bit integer")
    return value


def _text(body: Mapping[str, Any], key: str, default: str | None) -> str | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, str):
        raise RequiredActionError(f"{key}: expected a string")
    return value


def update_action(realm: Realm, alias: str, body: Mapping[str, Any]) -> None:
    """Keycloak's updateRequiredAction: name, alias, enabled, defaultAction, priority and
    config from the body; the provider never changes. Keycloak takes absent booleans as
    false (a primitive in its representation); so does this."""
    action = find(realm, alias)
    new_alias = _text(body, "alias", action.alias) or action.alias
    if new_alias != action.alias and realm.required_action(new_alias) is not None:
        raise RequiredActionError(f"Required action {new_alias} already exists")
    name = _text(body, "name", action.name)
    priority = _int(body, "priority", 0)
    enabled = _bool(body, "enabled", False)
    default_action = _bool(body, "defaultAction", False)
    config = _config(body.get("config"), "config")
    action.alias, action.name = new_alias, name or ""
    action.priority, action.enabled, action.default_action = priority, enabled, default_action
    action.config = config


def delete_action(realm: Realm, alias: str) -> None:
    action = find(realm, alias, "Failed to find required action.")
    realm.required_actions = [a for a in realm.required_actions if a is not action]


def move_action(realm: Realm, alias: str, *, up: bool) -> None:
    """raise-priority / lower-priority: swap priorities with the neighbour in the listed
    order; the first (or last) stays where it is."""
    action = find(realm, alias, "Failed to find required action.")
    actions = ordered(realm.required_actions)
    index = actions.index(action)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(actions):
        return
    neighbour = actions[other]
    action.priority, neighbour.priority = neighbour.priority, action.priority


def unregistered(realm: Realm) -> list[dict[str, str]]:
    """The providers this server knows that the realm has not registered."""
    have = {a.provider_id for a in realm.required_actions}
    return [
        {"name": k.name, "providerId": k.provider_id}
        for k in KNOWN_PROVIDERS
        if k.provider_id not in have
    ]


def register_action(realm: Realm, body: Mapping[str, Any]) -> RequiredActionProvider:
    """Keycloak's registerRequiredAction: alias = providerId, enabled, not a default
    action, priority one after the last."""
    provider_id = body.get("providerId")
    if not isinstance(provider_id, str) or known_provider(provider_id) is None:
        raise RequiredActionError("Required Action Provider with given providerId not found")
    if realm.required_action(provider_id) is not None:
        raise RequiredActionError(f"Required action {provider_id} already exists")
    name = _text(body, "name", None)
    actions = ordered(realm.required_actions)
    action = RequiredActionProvider(
        alias=provider_id,
        name=name or "",
        provider_id=provider_id,
        priority=actions[-1].priority + 1 if actions else 0,
    )
    realm.required_actions.append(action)
    return action


def configurable(realm: Realm, alias: str, message: str) -> RequiredActionProvider:
    action = realm.required_action(alias)
    if action is None or action.provider_id not in CONFIGURABLE:
        raise RequiredActionError(message)
    return action


def update_config(realm: Realm, alias: str, body: Mapping[str, Any] | None) -> None:
    """PUT …/config with `{"config": {…}}`; DELETE passes None and clears it."""
    action = configurable(realm, alias, "RequiredAction is not configurable")
    if body is None:
        action.config = {}
        return
    config = _config(body.get("config"), "config")
    age = config.get("max_auth_age")
    if age is not None and (not age.isdigit() or int(age) < 0):
        raise RequiredActionError("max_auth_age: expected a non-negative number of seconds")
    action.config = config


def parse_required_actions(realm: Realm, data: Mapping[str, Any]) -> None:
    """A realm file's `requiredActions` replace the defaults, as Keycloak's import does
    (an export lists every registered provider). Absent, or an empty list: the defaults
    stay. Keycloak would register none for `[]`, which hand-written files carry; taken
    literally it would quietly stop temporary passwords from being changed."""
    raw = data.get("requiredActions")
    if raw is None or raw == []:
        return
    if not isinstance(raw, list):
        raise RequiredActionError("requiredActions: expected a list")
    actions: list[RequiredActionProvider] = []
    for index, entry in enumerate(raw):
        where = f"requiredActions[{index}]"
        if not isinstance(entry, Mapping):
            raise RequiredActionError(f"{where}: expected an object")
        alias = entry.get("alias") or entry.get("providerId")
        provider_id = entry.get("providerId") or alias
        if not isinstance(alias, str) or not isinstance(provider_id, str):
            raise RequiredActionError(f"{where}: needs an alias or a providerId")
        if any(a.alias == alias for a in actions):
            raise RequiredActionError(f"{where}: duplicate alias {alias!r}")
        try:
            actions.append(
                RequiredActionProvider(
                    alias=alias,
                    name=_text(entry, "name", None) or alias,
                    provider_id=provider_id,
                    enabled=_bool(entry, "enabled", True),
                    default_action=_bool(entry, "defaultAction", False),
                    priority=_int(entry, "priority", 0),
                    config=_config(entry.get("config"), f"{where}.config"),
                )
            )
        except RequiredActionError as error:
            raise RequiredActionError(f"{where}.{error}") from None
    realm.required_actions = actions


def add_default_actions(realm: Realm, user: User) -> None:
    """Keycloak's addUser with default required actions (admin create, registration):
    every enabled provider marked `defaultAction` is added to the new user."""
    for action in ordered(realm.required_actions):
        if action.enabled and action.default_action and action.alias not in user.required_actions:
            user.required_actions.append(action.alias)


async def evaluate_triggers(repos: Repositories, realm: Realm, user: User, *, now: int) -> None:
    """Keycloak's RequiredActionProvider.evaluateTriggers, run at every sign-in: an
    expired password (the policy's forceExpiredPasswordChange) makes UPDATE_PASSWORD
    one of the user's actions, stored, so no path can sign in around it."""
    if UPDATE_PASSWORD in user.required_actions:
        return
    if await password_change_required(repos, realm, user, now=now):
        user.required_actions.append(UPDATE_PASSWORD)
        await repos.users.update(user)


def complete_action(user: User, alias: str) -> None:
    """The action is done: it leaves the user's list (Keycloak's removeRequiredAction)."""
    user.required_actions = [a for a in user.required_actions if a != alias]
