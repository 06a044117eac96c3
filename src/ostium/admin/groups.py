"""/realms/{realm}/groups: the group tree and members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, Int32, admin, json_body, json_object, page_of, paging
from ostium.admin.errors import BadRequest, Conflict, NotFound
from ostium.admin.representations import (
    group_representation,
    role_representation,
    user_representation,
)
from ostium.admin.role_refs import roles_named
from ostium.admin.search_query import InvalidSearchQueryError, parse_search_query
from ostium.domain import Group, Realm
from ostium.services.groups import group_path
from ostium.services.realm_setup import new_id
from ostium.storage.interfaces import Repositories

__all__ = ["group_path", "load_group", "router"]

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


async def load_group(repos: Repositories, realm: Realm, id: str) -> Group:
    group = await repos.groups.get(id)
    if group is None or group.realm_id != realm.id:
        raise NotFound("Could not find group by id")
    return group


def _attributes(body: dict[str, Any]) -> dict[str, list[str]] | None:
    """A GroupRepresentation's `attributes` (an object of string lists), None when absent."""
    attributes = body.get("attributes")
    if attributes is None:
        return None
    if not (
        isinstance(attributes, dict)
        and all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in attributes.values()
        )
    ):
        raise BadRequest("attributes: expected an object of string lists")
    return {k: list(v) for k, v in attributes.items()}


def _sibling_conflict(parent_id: str | None, name: str) -> Conflict:
    if parent_id is None:
        return Conflict(f"Top level group named '{name}' already exists.")
    return Conflict(f"Sibling group named '{name}' already exists.")


async def _move(repos: Repositories, realm: Realm, child_id: str, parent_id: str | None) -> None:
    """Keycloak's GroupResource.addChild / GroupsResource.addTopLevelGroup when the body names
    an existing group by `id`: that group (with its subtree) moves under the parent, or to
    the top level; as in Keycloak the body's name and attributes are not applied to it. A
    missing group is a 404, a same-named sibling a 409, and a group moved under itself or
    its own descendant a 400 (it would cut the subtree off the tree)."""
    child = await repos.groups.get(child_id)
    if child is None or child.realm_id != realm.id:
        raise NotFound("Could not find child by id")
    if child.parent_id == parent_id:
        return
    groups = await repos.groups.list_all(realm.id)
    by_id = {g.id: g for g in groups}
    ancestor = parent_id
    while ancestor is not None:
        if ancestor == child.id:
            raise BadRequest("A group cannot be moved under itself or one of its subgroups")
        ancestor = by_id[ancestor].parent_id if ancestor in by_id else None
    if any(g.parent_id == parent_id and g.name == child.name for g in groups):
        raise _sibling_conflict(parent_id, child.name)
    child.parent_id = parent_id
    await repos.groups.update(child)


async def _create(a: Admin, request: Request, realm: str, parent_id: str | None) -> Response:
    """POST groups and POST groups/{id}/children: a body with the `id` of an existing group
    moves it (204), otherwise a new group is created with its attributes (201)."""
    body = await json_object(request)
    given_id = body.get("id")
    if given_id is not None and not isinstance(given_id, str):
        raise BadRequest("id: expected a string")
    name = body.get("name")
    # Keycloak asks for a name even when the body only names a group to move.
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise BadRequest("Group name is missing or invalid")
    attributes = _attributes(body)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        if parent_id is not None:
            await load_group(repos, loaded, parent_id)
        if given_id:
            await _move(repos, loaded, given_id, parent_id)
            return Response(status_code=204)
        siblings = [g for g in await repos.groups.list_all(loaded.id) if g.parent_id == parent_id]
        if any(g.name == name for g in siblings):
            raise _sibling_conflict(parent_id, name)
        group = Group(new_id(), loaded.id, name, parent_id=parent_id)
        group.attributes = attributes or {}
        await repos.groups.add(group)
    return Response(status_code=201, headers={"Location": a.location(group.id)})


def _matches(groups: list[Group], group: Group, search: str, exact: bool) -> bool:
    """Whether the group or one of its descendants has a matching name."""
    name = group.name if exact else group.name.lower()
    if (name == search) if exact else (search.lower() in name):
        return True
    return any(_matches(groups, g, search, exact) for g in groups if g.parent_id == group.id)


def _attribute_matches(group: Group, wanted: dict[str, str]) -> bool:
    """Keycloak's searchGroupsByAttributes: every pair must match one value of the attribute
    (the key exactly, the value ignoring case)."""
    return all(
        any(v.lower() == value.lower() for v in group.attributes.get(key, []))
        for key, value in wanted.items()
    )


def _pruned_tree(groups: list[Group], matched: set[str]) -> list[dict[str, Any]]:
    """The top-level groups holding a match, each cut down to the branches that lead to one
    (Keycloak's populateHierarchy for a searched group list)."""
    by_id = {g.id: g for g in groups}
    keep: set[str] = set()
    for group_id in matched:
        current: str | None = group_id
        while current is not None and current not in keep:
            keep.add(current)
            current = by_id[current].parent_id if current in by_id else None
    return _tree([g for g in groups if g.id in keep], None, "")


def _flat(groups: list[Group], matched: list[Group]) -> list[dict[str, Any]]:
    """Matched groups on their own (populateHierarchy=false), each with its full path."""
    by_id = {g.id: g for g in groups}

    def path(group: Group) -> str:
        parent = by_id.get(group.parent_id) if group.parent_id else None
        return (path(parent) if parent else "") + "/" + group.name

    return [group_representation(g, path(g)) for g in sorted(matched, key=lambda g: g.name)]


def _brief(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keycloak's brief GroupRepresentation has no attributes, down the whole tree."""
    for body in bodies:
        body.pop("attributes", None)
        _brief(body.get("subGroups", []))
    return bodies


@router.get(BASE)
async def list_groups(
    realm: str,
    search: str | None = None,
    q: str | None = None,
    exact: bool = False,
    first: Int32 = 0,
    max: Int32 = 100,
    briefRepresentation: bool = True,
    populateHierarchy: bool = True,
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    """The top-level groups with their subtrees; with `search` (a name) or `q` (attribute
    `key:value` pairs, Keycloak's SearchQueryUtils syntax) the matching groups, in their
    hierarchy unless `populateHierarchy=false` (Keycloak's GroupsResource.getGroups)."""
    try:
        wanted = parse_search_query(q) if q is not None else None
    except InvalidSearchQueryError as exc:
        raise BadRequest(str(exc)) from None
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "query-groups")
        groups = await repos.groups.list_all(loaded.id)
    if wanted is not None:
        matched = [g for g in groups if _attribute_matches(g, wanted)]
        if search:
            needle = search if exact else search.lower()
            matched = [
                g for g in matched if (g.name == needle if exact else needle in g.name.lower())
            ]
        if populateHierarchy:
            bodies = _pruned_tree(groups, {g.id for g in matched})
        else:
            bodies = _flat(groups, matched)
    elif search and not populateHierarchy:
        needle = search if exact else search.lower()
        bodies = _flat(
            groups,
            [g for g in groups if (g.name == needle if exact else needle in g.name.lower())],
        )
    else:
        if search:
            groups = [
                g for g in groups if g.parent_id is not None or _matches(groups, g, search, exact)
            ]
        bodies = _tree(groups, None, "")
    page = page_of(bodies, first, max)
    return _brief(page) if briefRepresentation else page


@router.get(BASE + "/count")
async def count_groups(
    realm: str, search: str | None = None, top: bool = False, a: Admin = Depends(admin)
) -> dict[str, int]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "query-groups")
        groups = await repos.groups.list_all(loaded.id)
    if top:
        groups = [g for g in groups if g.parent_id is None]
    if search:
        groups = [g for g in groups if search.lower() in g.name.lower()]
    return {"count": len(groups)}


@router.get("/realms/{realm}/group-by-path/{path:path}")
async def group_by_path(realm: str, path: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        groups = await repos.groups.list_all(loaded.id)
        for group in groups:
            if await group_path(repos, group) == "/" + path.strip("/"):
                return group_representation(
                    group,
                    "/" + path.strip("/"),
                    sub_groups=_tree(groups, group, "/" + path.strip("/")),
                )
    raise NotFound("Group path does not exist")


@router.post(BASE, status_code=201)
async def create_group(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    return await _create(a, request, realm, None)


@router.get(BASE + "/{id}")
async def get_group(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        group = await load_group(repos, loaded, id)
        groups = await repos.groups.list_all(loaded.id)
        path = await group_path(repos, group)
    return group_representation(group, path, sub_groups=_tree(groups, group, path))


@router.put(BASE + "/{id}", status_code=204)
async def update_group(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """Renames the group and, when `attributes` is given, replaces them (Keycloak's
    updateGroup)."""
    body = await json_object(request)
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip() or "/" in name):
        raise BadRequest("Group name is missing or invalid")
    attributes = _attributes(body)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        group = await load_group(repos, loaded, id)
        if name is not None and name != group.name:
            siblings = await repos.groups.list_all(loaded.id)
            if any(g.parent_id == group.parent_id and g.name == name for g in siblings):
                raise Conflict(f"Sibling group named '{name}' already exists.")
            group.name = name
        if attributes is not None:
            group.attributes = attributes
        await repos.groups.update(group)
    return Response(status_code=204)


@router.delete(BASE + "/{id}", status_code=204)
async def delete_group(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        await repos.groups.delete((await load_group(repos, loaded, id)).id)
    return Response(status_code=204)


@router.get(BASE + "/{id}/children")
async def subgroups(
    realm: str,
    id: str,
    search: str | None = None,
    exact: bool = False,
    first: Int32 = 0,
    max: Int32 = 10,
    briefRepresentation: bool = True,
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    """The direct children, each with its `subGroupCount` (Keycloak 23+ pages the tree this
    way instead of nesting it)."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        parent = await load_group(repos, loaded, id)
        groups = await repos.groups.list_all(loaded.id)
        path = await group_path(repos, parent)
    children = [g for g in groups if g.parent_id == parent.id]
    if search:
        children = [g for g in children if _matches(groups, g, search, exact)]
    children = page_of(children, first, max)
    return [
        group_representation(
            g,
            f"{path}/{g.name}",
            sub_group_count=sum(1 for c in groups if c.parent_id == g.id),
        )
        for g in children
    ]


@router.post(BASE + "/{id}/children", status_code=201)
async def create_subgroup(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    return await _create(a, request, realm, id)


@router.get(BASE + "/{id}/members")
async def members(
    realm: str, id: str, first: Int32 = 0, max: Int32 = 100, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        group = await load_group(repos, loaded, id)
        users = await repos.groups.members(group.id, **paging(first, max))
    return [user_representation(u) for u in users]


async def _change_mappings(
    a: Admin, realm: str, id: str, body: Any, client: str | None, *, add: bool
) -> Response:
    """Grant or revoke the realm roles (client None) or one client's roles in `body`."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        group = await load_group(repos, loaded, id)
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
        group = await load_group(repos, loaded, id)
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
        group = await load_group(repos, loaded, id)
        if await repos.clients.get(loaded.id, client) is None:
            raise NotFound("Client not found")
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
