"""/realms/{realm}/roles-by-id/{role-id}: any role of the realm, realm or client, by its id
(Keycloak: RoleByIdResource; Terraform and the admin console address roles this way).

A realm role needs `view-realm`/`manage-realm`, a client role `view-clients`/
`manage-clients`, as in Keycloak. Updates, deletion and composite changes are the same
rules as under `roles/{name}` (admin/roles.py, admin/role_refs.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, Int32, admin, json_body, json_object, page_of
from ostium.admin.errors import NotFound
from ostium.admin.representations import role_representation
from ostium.admin.role_refs import change_composites
from ostium.admin.roles import check_deletable, store_role_update
from ostium.domain import Realm, Role
from ostium.storage.interfaces import Repositories

__all__ = ["router"]

router = APIRouter(tags=["Roles (by ID)"])
BASE = "/realms/{realm}/roles-by-id/{role_id}"


async def _load(
    a: Admin, repos: Repositories, realm: str, role_id: str, action: str
) -> tuple[Realm, Role]:
    """The realm and its role, after the caller's right to `action` ("view"/"manage")
    roles of that kind."""
    a.principal.require_any(realm)
    loaded = await repos.realms.get_by_name(realm)
    if loaded is None:
        raise NotFound("Realm not found.")
    role = await repos.roles.get(role_id)
    if role is None or role.realm_id != loaded.id:
        raise NotFound("Could not find role with id")
    a.principal.require(realm, f"{action}-clients" if role.client_role else f"{action}-realm")
    return loaded, role


async def _children(repos: Repositories, role: Role) -> list[Role]:
    return sorted((await repos.roles.composites_of([role.id]))[role.id], key=lambda r: r.name)


@router.get(BASE)
async def get_role(realm: str, role_id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        _, role = await _load(a, repos, realm, role_id, "view")
    return role_representation(role)


@router.put(BASE, status_code=204)
async def update_role(
    realm: str, role_id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        _, role = await _load(a, repos, realm, role_id, "manage")
        await store_role_update(repos, role, body)
    return Response(status_code=204)


@router.delete(BASE, status_code=204)
async def delete_role(realm: str, role_id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded, role = await _load(a, repos, realm, role_id, "manage")
        check_deletable(loaded, role)
        await repos.roles.delete(role.id)
    return Response(status_code=204)


@router.get(BASE + "/composites")
async def list_composites(
    realm: str,
    role_id: str,
    search: str | None = None,
    first: Int32 = 0,
    max: Int32 = -1,
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    """The direct children; `search` keeps those whose name contains it."""
    async with a.transaction() as repos:
        _, role = await _load(a, repos, realm, role_id, "view")
        children = await _children(repos, role)
    if search:
        children = [c for c in children if search.lower() in c.name.lower()]
    return [role_representation(c, brief=True) for c in page_of(children, first, max)]


@router.post(BASE + "/composites", status_code=204)
async def add_composites(
    realm: str, role_id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    async with a.transaction() as repos:
        loaded, role = await _load(a, repos, realm, role_id, "manage")
        await change_composites(repos, loaded, role, body, add=True)
    return Response(status_code=204)


@router.delete(BASE + "/composites", status_code=204)
async def remove_composites(
    realm: str, role_id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    async with a.transaction() as repos:
        loaded, role = await _load(a, repos, realm, role_id, "manage")
        await change_composites(repos, loaded, role, body, add=False)
    return Response(status_code=204)


@router.get(BASE + "/composites/realm")
async def realm_composites(
    realm: str, role_id: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    """The direct children that are realm roles."""
    async with a.transaction() as repos:
        _, role = await _load(a, repos, realm, role_id, "view")
        children = await _children(repos, role)
    return [role_representation(c, brief=True) for c in children if not c.client_role]


@router.get(BASE + "/composites/clients/{client_uuid}")
async def client_composites(
    realm: str, role_id: str, client_uuid: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    """The direct children that are roles of the client with internal id `client_uuid`."""
    async with a.transaction() as repos:
        loaded, role = await _load(a, repos, realm, role_id, "view")
        if await repos.clients.get(loaded.id, client_uuid) is None:
            raise NotFound("Could not find client")
        children = await _children(repos, role)
    return [role_representation(c, brief=True) for c in children if c.client_id == client_uuid]
