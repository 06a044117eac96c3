"""/realms/{realm}/roles: realm roles and their composites."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, Int32, admin, json_body, json_object, page_of, paging
from ostium.admin.errors import BadRequest, Conflict, NotFound
from ostium.admin.representations import role_representation, user_representation
from ostium.admin.role_refs import change_composites
from ostium.domain import Realm, Role
from ostium.services.realm_setup import new_id
from ostium.storage.interfaces import Repositories

__all__ = ["check_deletable", "role_list", "router", "store_role_update"]

router = APIRouter(tags=["Roles"])
BASE = "/realms/{realm}/roles"


def _apply(role: Role, body: dict[str, Any]) -> None:
    """A RoleRepresentation applied to a role (Keycloak: updateRole): a non-blank `name`
    renames it, `description` replaces it, `attributes`, when given, replace them all."""
    name, description, attributes = (
        body.get("name"),
        body.get("description"),
        body.get("attributes"),
    )
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise BadRequest("Role name must not be empty")
    if description is not None and not isinstance(description, str):
        raise BadRequest("description: expected a string")
    if attributes is not None and not (
        isinstance(attributes, dict)
        and all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in attributes.values()
        )
    ):
        raise BadRequest("attributes: expected an object of string lists")
    if name is not None:
        role.name = name
    if "description" in body:
        role.description = description
    if attributes is not None:
        role.attributes = {k: list(v) for k, v in attributes.items()}


async def store_role_update(repos: Repositories, role: Role, body: dict[str, Any]) -> None:
    """Apply and store the update; a new name another role of the same container has
    is a conflict (409), as Keycloak answers."""
    old_name = role.name
    _apply(role, body)
    if role.name != old_name:
        twin = (
            await repos.roles.get_client_role(role.client_id, role.name)
            if role.client_id is not None
            else await repos.roles.get_realm_role(role.realm_id, role.name)
        )
        if twin is not None and twin.id != role.id:
            raise Conflict(f"Role with name {role.name} already exists")
    await repos.roles.update(role)


def check_deletable(realm: Realm, role: Role) -> None:
    """The realm's default role holds what every new user gets; Keycloak refuses to
    delete it."""
    if role.client_id is None and role.name == realm.default_role_name:
        raise BadRequest("The default role cannot be deleted")


async def _role(repos: Repositories, realm: Realm, name: str) -> Role:
    role = await repos.roles.get_realm_role(realm.id, name)
    if role is None:
        raise NotFound("Could not find role")
    return role


def role_list(
    roles: list[Role], search: str | None, first: int, max: int, brief: bool
) -> list[dict[str, Any]]:
    """A role container's `GET …/roles`, realm or client (Keycloak's RoleContainerResource):
    ordered by name; `search` is a case-insensitive substring of the name or description
    (Keycloak's searchForRealmRoles/searchForClientRoles queries); then `first`/`max`; the
    brief representation (the default) leaves the attributes out."""
    if search:
        needle = search.lower()
        roles = [
            r for r in roles if needle in r.name.lower() or needle in (r.description or "").lower()
        ]
    page = page_of(sorted(roles, key=lambda r: r.name), first, max)
    bodies = [role_representation(r) for r in page]
    if brief:
        for body in bodies:
            body.pop("attributes", None)
    return bodies


@router.get(BASE)
async def list_roles(
    realm: str,
    search: str | None = None,
    first: Int32 = -1,
    max: Int32 = -1,
    briefRepresentation: bool = True,
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        roles = await repos.roles.list_realm_roles(loaded.id)
    return role_list(roles, search, first, max, briefRepresentation)


@router.post(BASE, status_code=201)
async def create_role(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    body = await json_object(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("Role name is required")
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        if await repos.roles.get_realm_role(loaded.id, name) is not None:
            raise Conflict(f"Role with name {name} already exists")
        description = body.get("description") if isinstance(body.get("description"), str) else None
        await repos.roles.add(Role(new_id(), loaded.id, name, description=description))
    return Response(status_code=201, headers={"Location": a.location(name)})


@router.get(BASE + "/{name}")
async def get_role(realm: str, name: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        return role_representation(await _role(repos, loaded, name))


@router.put(BASE + "/{name}", status_code=204)
async def update_role(
    realm: str, name: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        role = await _role(repos, loaded, name)
        await store_role_update(repos, role, body)
    return Response(status_code=204)


@router.delete(BASE + "/{name}", status_code=204)
async def delete_role(realm: str, name: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        role = await _role(repos, loaded, name)
        check_deletable(loaded, role)
        await repos.roles.delete(role.id)
    return Response(status_code=204)


@router.get(BASE + "/{name}/composites")
async def list_composites(realm: str, name: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        role = await _role(repos, loaded, name)
        children = (await repos.roles.composites_of([role.id]))[role.id]
    return [role_representation(r) for r in children]


@router.post(BASE + "/{name}/composites", status_code=204)
async def add_composites(
    realm: str, name: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        role = await _role(repos, loaded, name)
        await change_composites(repos, loaded, role, body, add=True)
    return Response(status_code=204)


@router.delete(BASE + "/{name}/composites", status_code=204)
async def remove_composites(
    realm: str, name: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        role = await _role(repos, loaded, name)
        await change_composites(repos, loaded, role, body, add=False)
    return Response(status_code=204)


@router.get(BASE + "/{name}/users")
async def role_members(
    realm: str,
    name: str,
    first: Int32 = 0,
    max: Int32 = 100,
    briefRepresentation: bool = True,
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    """The users the role is mapped to directly (not through groups or composites), as
    Keycloak's "Users in role"."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        role = await _role(repos, loaded, name)
        users = await repos.roles.members(role.id, **paging(first, max))
    return [user_representation(u, brief=briefRepresentation) for u in users]
