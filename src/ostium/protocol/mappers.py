"""Keycloak's OIDC protocol mappers: what each adds to which token. Pure: the caller
gathers the user's data (groups, roles) once and passes it in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ostium.domain import ProtocolMapper, User

__all__ = ["MAPPER_TYPES", "MapperInput", "Target", "apply_mappers", "audiences"]

Target = Literal["access", "id", "userinfo", "introspection"]

_FLAG = {
    "access": "access.token.claim",
    "id": "id.token.claim",
    "userinfo": "userinfo.token.claim",
    "introspection": "introspection.token.claim",
}
# Keycloak's UserModel properties reachable by the "User Property" mapper.
_PROPERTIES = {
    "username": "username",
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "emailVerified": "email_verified",
    "id": "id",
    "enabled": "enabled",
}


# The `protocolMapper` provider ids this module gives a meaning to. Keycloak refuses a mapper
# whose provider it does not know (400 from ProtocolMappersResource); the admin API refuses
# the ones outside this set the same way, since Ostium would store them and never apply them.
MAPPER_TYPES = frozenset(
    {
        "oidc-hardcoded-claim-mapper",
        "oidc-usermodel-attribute-mapper",
        "oidc-usermodel-property-mapper",
        "oidc-usersessionmodel-note-mapper",
        "oidc-group-membership-mapper",
        "oidc-usermodel-realm-role-mapper",
        "oidc-usermodel-client-role-mapper",
        "oidc-audience-mapper",
    }
)


@dataclass(frozen=True)
class MapperInput:
    user: User
    group_paths: list[str] = field(default_factory=list)
    realm_roles: list[str] = field(default_factory=list)
    client_roles: dict[str, list[str]] = field(default_factory=dict)
    session_notes: dict[str, str] = field(default_factory=dict)


def _enabled(mapper: ProtocolMapper, target: Target) -> bool:
    # Keycloak's default for a missing flag: on for access/id/userinfo tokens.
    return mapper.config.get(_FLAG[target], "true").lower() == "true"


def _typed(value: Any, label: str | None) -> Any:
    """jsonType.label conversions, as Keycloak's OIDCAttributeMapperHelper."""
    try:
        if label == "int" or label == "long":
            return int(value)
        if label == "boolean":
            return str(value).lower() == "true"
        if label == "JSON":
            return json.loads(value) if isinstance(value, str) else value
    except (ValueError, TypeError):
        return None
    return value


def _put(claims: dict[str, Any], name: str, value: Any) -> None:
    """Dots nest (`address.street`), unless escaped as `\\.`, as in Keycloak."""
    parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", name)]
    target = claims
    for part in parts[:-1]:
        nested = target.get(part)
        if not isinstance(nested, dict):
            nested = {}
            target[part] = nested
        target = nested
    target[parts[-1]] = value


def _value(mapper: ProtocolMapper, data: MapperInput) -> tuple[bool, Any]:
    config = mapper.config
    multivalued = config.get("multivalued", "false").lower() == "true"
    label = config.get("jsonType.label")
    kind = mapper.protocol_mapper
    if kind == "oidc-hardcoded-claim-mapper":
        return True, _typed(config.get("claim.value"), label)
    if kind == "oidc-usermodel-attribute-mapper":
        values = data.user.attributes.get(config.get("user.attribute", ""), [])
        if not values:
            return False, None
        typed = [_typed(v, label) for v in values]
        return True, typed if multivalued else typed[0]
    if kind == "oidc-usermodel-property-mapper":
        attribute = _PROPERTIES.get(config.get("user.attribute", ""))
        value = getattr(data.user, attribute) if attribute else None
        return value is not None, _typed(value, label)
    if kind == "oidc-usersessionmodel-note-mapper":
        # Keycloak's "User Session Note" mapper; its built-in "Impersonator User ID" and
        # "Impersonator Username" mappers read IMPERSONATOR_ID / IMPERSONATOR_USERNAME.
        note = data.session_notes.get(config.get("user.session.note", ""))
        return note is not None, _typed(note, label)
    if kind == "oidc-group-membership-mapper":
        full = config.get("full.path", "true").lower() == "true"
        return True, [p if full else p.rsplit("/", 1)[-1] for p in data.group_paths]
    if kind == "oidc-usermodel-realm-role-mapper":
        prefix = config.get("usermodel.realmRoleMapping.rolePrefix", "")
        return True, [prefix + r for r in data.realm_roles]
    if kind == "oidc-usermodel-client-role-mapper":
        client_id = config.get("usermodel.clientRoleMapping.clientId", "")
        prefix = config.get("usermodel.clientRoleMapping.rolePrefix", "")
        roles = [prefix + r for r in data.client_roles.get(client_id, [])]
        return bool(roles), roles
    return False, None


def apply_mappers(
    mappers: Iterable[ProtocolMapper], target: Target, claims: dict[str, Any], data: MapperInput
) -> None:
    for mapper in mappers:
        if mapper.protocol != "openid-connect" or not _enabled(mapper, target):
            continue
        if mapper.protocol_mapper == "oidc-audience-mapper":
            continue  # audiences are collected separately, see `audiences`
        name = mapper.config.get("claim.name")
        present, value = _value(mapper, data)
        if name and present:
            _put(claims, name, value)


def audiences(mappers: Iterable[ProtocolMapper], target: Target) -> list[str]:
    """What audience mappers add to `aud` (a client id or a custom audience)."""
    result: list[str] = []
    for mapper in mappers:
        if mapper.protocol_mapper != "oidc-audience-mapper" or not _enabled(mapper, target):
            continue
        for key in ("included.client.audience", "included.custom.audience"):
            value = mapper.config.get(key)
            if value and value not in result:
                result.append(value)
    return result
