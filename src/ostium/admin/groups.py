"""/realms/{realm}/groups: the group tree and members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, admin, json_body, require_object
from ostium.admin.errors import BadRequest, Conflict, NotFound
from ostium.admin.representations import (
    group_representation,
    role_representation,
    user_representation,
)
from ostium.admin.role_refs import roles_named
from ostium.domain import Group, Realm
from ostium.services.groups import group_path
from ostium.services.realm_setup import new_id
from ostium.storage.interfaces import Repositories

__all__ = ["group_path", "router"]

router = APIRouter(tags=["Groups"])
BASE = "/realms/{realm}/groups"


def _tree(groups: list[Group], parent: Group | None, prefix: str) -> list[dict[str, Any]]:
    children = [g for g in groups if g.parent_id == (parent.id if parent else None)]
    return [
        group_representation(
            g, f"{prefix}/{g.name}", sub_groups=_tree(groups, g, f"{prefix}/{g.name}")
        )
        for g in sorted(children, key=lambda g: g.name)
    ]


async def _group(repos: Repositories, realm: Realm, id: str) -> Group:
    group = await repos.groups.get(id)
    if group is None or group.realm_id != realm.id:
        raise NotFound("Could not find group by id")
    return group


async def _create(a: Admin, request: Request, realm: str, parent_id: str | None) -> Response:
    body = require_object(await json_body(request))
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise BadRequest("Group name is missing or invalid")
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        if parent_id is not None:
            await _group(repos, loaded, parent_id)
        siblings = [g for g in await repos.groups.list_all(loaded.id) if g.parent_id == parent_id]
        if any(g.name == name for g in siblings):
            raise Conflict(f"Top level group named '{name}' already exists.")
        group = Group(new_id(), loaded.id, name, parent_id=parent_id)
        await repos.groups.add(group)
    return Response(status_code=201, headers={"Location": a.location(group.id)})


@router.get(BASE)
async def list_groups(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "query-groups")
        groups = await repos.groups.list_all(loaded.id)
    return _tree(groups, None, "")


@router.post(BASE, status_code=201)
async def create_group(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    return await _create(a, request, realm, None)


@router.get(BASE + "/{id}")
async def get_group(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        group = await _group(repos, loaded, id)
        groups = await repos.groups.list_all(loaded.id)
        path = await group_path(repos, group)
    return group_representation(group, path, sub_groups=_tree(groups, group, path))


@router.delete(BASE + "/{id}", status_code=204)
async def delete_group(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        await repos.groups.delete((await _group(repos, loaded, id)).id)
    return Response(status_code=204)


@router.post(BASE + "/{id}/children", status_code=201)
async def create_subgroup(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    return await _create(a, request, realm, id)


@router.get(BASE + "/{id}/members")
async def members(
    realm: str, id: str, first: int = 0, max: int = 100, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        group = await _group(repos, loaded, id)
        users = await repos.groups.members(
            group.id, first=first if first > 0 else 0, max=max if max >= 0 else None
        )
    return [user_representation(u) for u in users]


async def _change_mappings(
    a: Admin, realm: str, id: str, body: Any, client: str | None, *, add: bool
) -> Response:
    """Grant or revoke the realm roles (client None) or one client's roles in `body`."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        group = await _group(repos, loaded, id)
        ids = [r.id for r in await roles_named(repos, loaded, body, client_uuid=client)]
        if add:
            await repos.roles.grant_to_group(group.id, ids)
        else:
            await repos.roles.revoke_from_group(group.id, ids)
    return Response(status_code=204)


@router.get(BASE + "/{id}/role-mappings/realm")
async def group_realm_roles(realm: str, id: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        group = await _group(repos, loaded, id)
        roles = await repos.roles.group_roles([group.id])
    return [role_representation(r) for r in roles if not r.client_role]


@router.post(BASE + "/{id}/role-mappings/realm", status_code=204)
async def add_group_realm_roles(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    return await _change_mappings(a, realm, id, body, None, add=True)


@router.delete(BASE + "/{id}/role-mappings/realm", status_code=204)
async def remove_group_realm_roles(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    return await _change_mappings(a, realm, id, body, None, add=False)


@router.get(BASE + "/{id}/role-mappings/clients/{client}")
async def group_client_roles(
    realm: str, id: str, client: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        group = await _group(repos, loaded, id)
        roles = await repos.roles.group_roles([group.id])
    return [role_representation(r) for r in roles if r.client_id == client]


@router.post(BASE + "/{id}/role-mappings/clients/{client}", status_code=204)
async def add_group_client_roles(
    realm: str, id: str, client: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    return await _change_mappings(a, realm, id, body, client, add=True)


@router.delete(BASE + "/{id}/role-mappings/clients/{client}", status_code=204)
async def remove_group_client_roles(
    realm: str, id: str, client: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    return await _change_mappings(a, realm, id, body, client, add=False)
