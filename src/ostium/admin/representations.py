"""Keycloak's JSON representations of the domain objects (camelCase, nulls omitted).

The field tables are the ones import uses, so what the admin API writes and what an
export file holds cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from ostium.domain import Client, ClientScope, Group, Realm, Role, User
from ostium.services.realm_import import (
    CLIENT_FIELDS,
    REALM_FIELDS,
    USER_FIELDS,
    mapper_representation,
)

__all__ = [
    "client_representation",
    "client_scope_representation",
    "fields_of",
    "group_representation",
    "realm_representation",
    "role_representation",
    "user_representation",
]


def fields_of(obj: object, table: dict[str, tuple[str, type]]) -> dict[str, Any]:
    return {
        key: getattr(obj, attribute)
        for key, (attribute, _) in table.items()
        if getattr(obj, attribute) is not None
    }


def realm_representation(realm: Realm) -> dict[str, Any]:
    body: dict[str, Any] = {"id": realm.id, "realm": realm.name}
    body.update(fields_of(realm, REALM_FIELDS))
    body["supportedLocales"] = list(realm.supported_locales)
    body["defaultRole"] = {"name": realm.default_role_name, "composite": True, "clientRole": False}
    body["browserSecurityHeaders"] = dict(realm.browser_security_headers)
    body["attributes"] = dict(realm.attributes)
    return body


def client_representation(client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {"id": client.id, "clientId": client.client_id}
    body.update(fields_of(client, CLIENT_FIELDS))
    if not client.confidential:
        body.pop("secret", None)
    body.update(
        {
            "redirectUris": list(client.redirect_uris),
            "webOrigins": list(client.web_origins),
            "attributes": dict(client.attributes),
            "defaultClientScopes": list(client.default_client_scopes),
            "optionalClientScopes": list(client.optional_client_scopes),
            "protocolMappers": [mapper_representation(m) for m in client.protocol_mappers],
            "surrogateAuthRequired": False,
            "alwaysDisplayInConsole": False,
            "notBefore": 0,
            "nodeReRegistrationTimeout": -1,
        }
    )
    return body


def client_scope_representation(scope: ClientScope) -> dict[str, Any]:
    body: dict[str, Any] = {"id": scope.id, "name": scope.name, "protocol": scope.protocol}
    if scope.description is not None:
        body["description"] = scope.description
    body["attributes"] = dict(scope.attributes)
    body["protocolMappers"] = [mapper_representation(m) for m in scope.protocol_mappers]
    return body


def user_representation(user: User, *, brief: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"id": user.id, "username": user.username}
    body.update(fields_of(user, USER_FIELDS))
    if user.attributes and not brief:
        body["attributes"] = {k: list(v) for k, v in user.attributes.items()}
    if not brief:
        body["requiredActions"] = list(user.required_actions)
        body["totp"] = False
        body["disableableCredentialTypes"] = []
        body["access"] = {"manage": True}
    return body


def role_representation(role: Role, *, brief: bool = False) -> dict[str, Any]:
    """`brief` leaves out the attributes, as Keycloak's toBriefRepresentation."""
    body: dict[str, Any] = {
        "id": role.id,
        "name": role.name,
        "composite": role.composite,
        "clientRole": role.client_role,
        "containerId": role.client_id or role.realm_id,
    }
    if role.description is not None:
        body["description"] = role.description
    if role.attributes and not brief:
        body["attributes"] = {k: list(v) for k, v in role.attributes.items()}
    return body


def group_representation(
    group: Group,
    path: str,
    *,
    sub_groups: list[dict[str, Any]] | None = None,
    sub_group_count: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "path": path,
        "attributes": {k: list(v) for k, v in group.attributes.items()},
        "realmRoles": [],
        "clientRoles": {},
        "subGroups": sub_groups or [],
        "subGroupCount": len(sub_groups or []) if sub_group_count is None else sub_group_count,
    }
    if group.parent_id:
        body["parentId"] = group.parent_id
    return body
