"""A realm as Keycloak's realm-export JSON (what `ostium export` writes), built from
the same representations the admin API serves.

Users' password hashes go out exactly as stored — Keycloak's `secretData` and
`credentialData` — so Keycloak and Ostium read each other's exports.
"""

from __future__ import annotations

from typing import Any

from ostium.admin.representations import (
    authenticator_config_representation,
    bindings_of,
    client_representation,
    client_scope_representation,
    fields_of,
    flow_representation,
)
from ostium.domain import Group, Realm, RealmKey, Role, User
from ostium.domain.otp import supported_applications
from ostium.domain.required_actions import ordered
from ostium.domain.user_profile import PROVIDER_TYPE as PROFILE_PROVIDER_TYPE
from ostium.domain.user_profile import component_representation
from ostium.keys.providers import PROVIDER_TYPE, component_config
from ostium.services.realm_import import REALM_FIELDS, USER_FIELDS, webauthn_policy_lists
from ostium.services.required_actions import representation as required_action_representation
from ostium.storage.interfaces import Repositories

__all__ = ["export_realm", "export_users", "user_json"]


async def _role_json(repos: Repositories, role: Role, client_ids: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": role.id,
        "name": role.name,
        "composite": role.composite,
        "clientRole": role.client_role,
        "containerId": role.client_id or role.realm_id,
        "attributes": {k: list(v) for k, v in role.attributes.items()},
    }
    if role.description is not None:
        body["description"] = role.description
    if role.composite:
        children = (await repos.roles.composites_of([role.id]))[role.id]
        composites: dict[str, Any] = {}
        realm_children = sorted(c.name for c in children if c.client_id is None)
        if realm_children:
            composites["realm"] = realm_children
        client_children: dict[str, list[str]] = {}
        for child in children:
            if child.client_id is not None and child.client_id in client_ids:
                client_children.setdefault(client_ids[child.client_id], []).append(child.name)
        if client_children:
            composites["client"] = {k: sorted(v) for k, v in sorted(client_children.items())}
        body["composites"] = composites
    return body


def _grants(roles: list[Role], client_ids: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"realmRoles": sorted(r.name for r in roles if r.client_id is None)}
    client_roles: dict[str, list[str]] = {}
    for role in roles:
        if role.client_id is not None and role.client_id in client_ids:
            client_roles.setdefault(client_ids[role.client_id], []).append(role.name)
    if client_roles:
        body["clientRoles"] = {k: sorted(v) for k, v in sorted(client_roles.items())}
    return body


async def _group_json(
    repos: Repositories, group: Group, groups: list[Group], path: str, client_ids: dict[str, str]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "path": path,
        "attributes": {k: list(v) for k, v in group.attributes.items()},
    }
    body.update(_grants(await repos.roles.group_roles([group.id]), client_ids))
    body["subGroups"] = [
        await _group_json(repos, child, groups, f"{path}/{child.name}", client_ids)
        for child in sorted((g for g in groups if g.parent_id == group.id), key=lambda g: g.name)
    ]
    return body


async def export_users(repos: Repositories, realm: Realm) -> list[dict[str, Any]]:
    clients = await repos.clients.list_all(realm.id)
    client_ids = {c.id: c.client_id for c in clients}
    groups = {g.id: g for g in await repos.groups.list_all(realm.id)}
    users = await repos.users.search(realm.id)
    users += [u for c in clients if (u := await repos.users.get_service_account(c.id)) is not None]
    return [
        await user_json(repos, u, client_ids, groups)
        for u in sorted(users, key=lambda u: u.username)
    ]


async def user_json(
    repos: Repositories, user: User, client_ids: dict[str, str], groups: dict[str, Group]
) -> dict[str, Any]:
    body: dict[str, Any] = {"id": user.id, "username": user.username}
    body.update(fields_of(user, USER_FIELDS))
    if user.attributes:
        body["attributes"] = {k: list(v) for k, v in user.attributes.items()}
    if user.service_account_client_id is not None:
        body["serviceAccountClientId"] = client_ids.get(user.service_account_client_id)
    body["credentials"] = [
        {
            "id": c.id,
            "type": c.type,
            "userLabel": c.user_label,
            "createdDate": c.created_date,
            "secretData": c.secret_data,
            "credentialData": c.credential_data,
        }
        for c in await repos.credentials.list_for_user(user.id)
    ]
    body["requiredActions"] = list(user.required_actions)
    consents = [
        {
            "clientId": client_ids[c.client_id],
            "grantedClientScopes": list(c.granted_scopes),
            "createdDate": c.created_date,
            "lastUpdatedDate": c.last_updated_date,
        }
        for c in await repos.consents.list_for_user(user.id)
        if c.client_id in client_ids
    ]
    if consents:
        body["clientConsents"] = consents
    body.update(_grants(await repos.roles.user_roles(user.id), client_ids))
    paths = []
    for group in await repos.groups.user_groups(user.id):
        names, current = [group.name], group
        while current.parent_id is not None and current.parent_id in groups:
            current = groups[current.parent_id]
            names.append(current.name)
        paths.append("/" + "/".join(reversed(names)))
    body["groups"] = sorted(paths)
    return body


def _key_provider_json(key: RealmKey) -> dict[str, Any]:
    """Keycloak's ComponentExportRepresentation of a key provider, key material included."""
    return {
        "id": key.id,
        "name": key.name or key.provider,
        "providerId": key.provider,
        "subComponents": {},
        "config": component_config(key, secrets=True),
    }


async def export_realm(
    repos: Repositories, realm: Realm, *, include_users: bool, include_keys: bool = False
) -> dict[str, Any]:
    """`include_keys` writes the key providers with their private keys and secrets, so an
    import keeps the `kid`s and the tokens already issued; without it the file holds no
    key material and the importing realm gets fresh keys."""
    clients = sorted(await repos.clients.list_all(realm.id), key=lambda c: c.client_id)
    client_ids = {c.id: c.client_id for c in clients}
    body: dict[str, Any] = {"id": realm.id, "realm": realm.name}
    body.update(fields_of(realm, REALM_FIELDS))
    body["supportedLocales"] = list(realm.supported_locales)
    body.update(webauthn_policy_lists(realm))
    body["otpSupportedApplications"] = supported_applications(realm.otp_policy)
    body["browserSecurityHeaders"] = dict(realm.browser_security_headers)
    # In full, as `kc.sh export` writes it (client secrets too); partial-export masks it.
    body["smtpServer"] = dict(realm.smtp_server)
    body["attributes"] = dict(realm.attributes)
    # Flows as Keycloak's ExportUtils writes them, sub-flows and configs named by alias.
    body["authenticationFlows"] = [
        flow_representation(realm, f) for f in realm.authentication_flows
    ]
    body["authenticatorConfig"] = [
        authenticator_config_representation(c) for c in realm.authenticator_config
    ]
    body.update(bindings_of(realm))
    body["requiredActions"] = [
        required_action_representation(r) for r in ordered(realm.required_actions)
    ]
    body["localizationTexts"] = {
        locale: dict(texts) for locale, texts in sorted(realm.localization_texts.items())
    }
    body["roles"] = {
        "realm": [
            await _role_json(repos, r, client_ids)
            for r in await repos.roles.list_realm_roles(realm.id)
        ],
        "client": {
            c.client_id: [
                await _role_json(repos, r, client_ids)
                for r in await repos.roles.list_client_roles(c.id)
            ]
            for c in clients
        },
    }
    all_groups = await repos.groups.list_all(realm.id)
    body["groups"] = [
        await _group_json(repos, g, all_groups, f"/{g.name}", client_ids)
        for g in sorted((g for g in all_groups if g.parent_id is None), key=lambda g: g.name)
    ]
    body["clients"] = [client_representation(c) for c in clients]
    body["clientScopes"] = [
        client_scope_representation(s) for s in await repos.client_scopes.list_all(realm.id)
    ]
    if include_users:
        body["users"] = await export_users(repos, realm)
    if include_keys:
        keys = sorted(await repos.keys.list_all(realm.id), key=lambda k: (k.created, k.kid))
        body["components"] = {PROVIDER_TYPE: [_key_provider_json(k) for k in keys]}
    if realm.user_profile_config is not None:
        # The profile as Keycloak exports it: its realm component. The id is derived from
        # the realm's, so exporting twice writes the same file.
        profile = component_representation(f"{realm.id[:30]}-up", realm.user_profile_config)
        body.setdefault("components", {})[PROFILE_PROVIDER_TYPE] = [profile]
    return body
