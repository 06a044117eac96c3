"""Effective and available role mappings of users and groups: one implementation for both.

Keycloak's RoleMapperResource and ClientRoleMappingsResource serve `users/{id}/role-mappings`
and `groups/{id}/role-mappings` alike:
- `realm/composite`, `clients/{client}/composite`: the roles the user or group *has*
  (mapped directly, through groups and their ancestors, through composites), realm roles
  or one client's; `briefRepresentation=false` adds the roles' attributes.
- `realm/available`, `clients/{client}/available`: the roles that could still be mapped,
  i.e. every realm (client) role that is not mapped *directly*, in brief form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends

from ostium.admin.context import Admin, admin
from ostium.admin.errors import NotFound
from ostium.admin.groups import load_group
from ostium.admin.representations import role_representation
from ostium.domain import Realm, Role
from ostium.services.roles import effective_group_roles, effective_roles
from ostium.storage.interfaces import Repositories

__all__ = ["RoleMapper", "router"]

router = APIRouter(tags=["Role Mapper"])


@dataclass(frozen=True)
class RoleMapper:
    """What role-mapping reads need of a user or a group."""

    direct: list[Role]
    effective: list[Role]


async def _user_mapper(repos: Repositories, realm: Realm, id: str) -> RoleMapper:
    user = await repos.users.get(realm.id, id)
    if user is None:
        raise NotFound("User not found")
    return RoleMapper(await repos.roles.user_roles(user.id), await effective_roles(repos, user))


async def _group_mapper(repos: Repositories, realm: Realm, id: str) -> RoleMapper:
    group = await load_group(repos, realm, id)
    return RoleMapper(
        await repos.roles.group_roles([group.id]), await effective_group_roles(repos, group)
    )


Loader = Callable[[Repositories, Realm, str], Awaitable[RoleMapper]]
_LOADERS: dict[str, Loader] = {"users": _user_mapper, "groups": _group_mapper}


async def _roles_of(
    a: Admin, realm: str, kind: str, id: str, client: str | None, *, effective: bool
) -> tuple[list[Role], list[Role]]:
    """(the container's roles, the mapper's direct or effective roles among them): the
    container is the realm (client None) or the client with internal id `client`."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        mapper = await _LOADERS[kind](repos, loaded, id)
        if client is None:
            container = await repos.roles.list_realm_roles(loaded.id)
        else:
            if await repos.clients.get(loaded.id, client) is None:
                raise NotFound("Client not found")
            container = await repos.roles.list_client_roles(client)
    return container, mapper.effective if effective else mapper.direct


def _sorted(roles: list[Role]) -> list[Role]:
    return sorted(roles, key=lambda r: r.name)


async def composite(
    a: Admin, realm: str, kind: str, id: str, client: str | None, brief: bool
) -> list[dict[str, Any]]:
    container, has = await _roles_of(a, realm, kind, id, client, effective=True)
    ids = {r.id for r in has}
    return [role_representation(r, brief=brief) for r in _sorted(container) if r.id in ids]


async def available(
    a: Admin, realm: str, kind: str, id: str, client: str | None
) -> list[dict[str, Any]]:
    container, direct = await _roles_of(a, realm, kind, id, client, effective=False)
    ids = {r.id for r in direct}
    return [role_representation(r, brief=True) for r in _sorted(container) if r.id not in ids]


async def all_mappings(a: Admin, realm: str, kind: str, id: str) -> dict[str, Any]:
    """Direct mappings, realm roles and per-client roles (Keycloak's MappingsRepresentation:
    `realmMappings`, `clientMappings` keyed by clientId; an empty part is left out)."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        direct = _sorted((await _LOADERS[kind](repos, loaded, id)).direct)
        body: dict[str, Any] = {}
        realm_roles = [role_representation(r) for r in direct if not r.client_role]
        if realm_roles:
            body["realmMappings"] = realm_roles
        clients: dict[str, Any] = {}
        for role in (r for r in direct if r.client_id):
            client = await repos.clients.get(loaded.id, role.client_id or "")
            if client is None:
                continue
            entry = clients.setdefault(
                client.client_id, {"id": client.id, "client": client.client_id, "mappings": []}
            )
            entry["mappings"].append(role_representation(role))
        if clients:
            body["clientMappings"] = clients
    return body


def _add_routes(kind: str) -> None:
    """Users and groups share every route; `kind` is the path segment."""
    base = f"/realms/{{realm}}/{kind}/{{id}}/role-mappings"

    @router.get(base, name=f"{kind}_role_mappings")
    async def mappings(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
        """Every direct mapping (Keycloak: RoleMapperResource.getRoleMappings)."""
        return await all_mappings(a, realm, kind, id)

    @router.get(base + "/realm/composite", name=f"{kind}_effective_realm_roles")
    async def realm_composite(
        realm: str, id: str, briefRepresentation: bool = True, a: Admin = Depends(admin)
    ) -> list[dict[str, Any]]:
        """Effective realm roles (Keycloak: getCompositeRealmRoleMappings)."""
        return await composite(a, realm, kind, id, None, briefRepresentation)

    @router.get(base + "/realm/available", name=f"{kind}_available_realm_roles")
    async def realm_available(
        realm: str, id: str, a: Admin = Depends(admin)
    ) -> list[dict[str, Any]]:
        """Realm roles not mapped directly (Keycloak: getAvailableRealmRoleMappings)."""
        return await available(a, realm, kind, id, None)

    @router.get(base + "/clients/{client}/composite", name=f"{kind}_effective_client_roles")
    async def client_composite(
        realm: str,
        id: str,
        client: str,
        briefRepresentation: bool = True,
        a: Admin = Depends(admin),
    ) -> list[dict[str, Any]]:
        """Effective roles of one client (Keycloak: getCompositeClientRoleMappings)."""
        return await composite(a, realm, kind, id, client, briefRepresentation)

    @router.get(base + "/clients/{client}/available", name=f"{kind}_available_client_roles")
    async def client_available(
        realm: str, id: str, client: str, a: Admin = Depends(admin)
    ) -> list[dict[str, Any]]:
        """The client's roles not mapped directly (Keycloak:
        getAvailableClientRoleMappings)."""
        return await available(a, realm, kind, id, client)


_add_routes("users")
_add_routes("groups")
