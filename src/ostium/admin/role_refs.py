"""Resolving the role lists that role-mapping and composite calls carry in their bodies."""

from __future__ import annotations

from typing import Any

from ostium.admin.errors import BadRequest, NotFound
from ostium.domain import Realm, Role
from ostium.storage.interfaces import Repositories

__all__ = ["change_composites", "roles_named"]


async def roles_named(
    repos: Repositories,
    realm: Realm,
    body: Any,
    *,
    client_uuid: str | None = None,
    any_container: bool = False,
) -> list[Role]:
    """Roles given as RoleRepresentations (by `id`, else by `name`): realm roles, or the
    roles of the client `client_uuid`; `any_container` accepts any role of the realm by
    id (composites mix realm and client roles). Any unknown role fails the whole call."""
    if not isinstance(body, list):
        raise BadRequest("Expected a list of roles")
    if client_uuid is not None and await repos.clients.get(realm.id, client_uuid) is None:
        raise NotFound("Client not found")
    roles: list[Role] = []
    for item in body:
        role = None
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            role = await repos.roles.get(item["id"])
        if role is None and isinstance(item, dict) and isinstance(item.get("name"), str):
            role = (
                await repos.roles.get_client_role(client_uuid, item["name"])
                if client_uuid is not None
                else await repos.roles.get_realm_role(realm.id, item["name"])
            )
        if role is None or role.realm_id != realm.id:
            raise NotFound("Role not found")
        if role.client_id != client_uuid and not any_container:
            raise NotFound("Role not found")
        roles.append(role)
    return roles


async def change_composites(
    repos: Repositories, realm: Realm, role: Role, body: Any, *, add: bool
) -> None:
    """Add or remove the composite children named in `body` (realm or client roles)."""
    children = await roles_named(repos, realm, body, client_uuid=role.client_id, any_container=True)
    ids = [c.id for c in children]
    if add:
        await repos.roles.add_composites(role.id, ids)
        if ids and not role.composite:
            role.composite = True
            await repos.roles.update(role)
    else:
        await repos.roles.remove_composites(role.id, ids)
