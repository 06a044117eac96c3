"""Effective roles: direct, via groups (and their ancestors), via composites.

A user has a role if it is mapped to them, to one of their groups or to an ancestor of
one, or is reachable through composites from any of those (Keycloak's `UserModel.hasRole`);
a group has the roles of itself and of its ancestors, expanded the same way
(`GroupModel.hasRole`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ostium.domain import Group, Role, User
from ostium.storage.interfaces import Repositories

__all__ = [
    "RoleClaims",
    "effective_group_roles",
    "effective_roles",
    "expand_composites",
    "find_role",
    "holds_role",
    "role_claims",
]


async def effective_roles(repos: Repositories, user: User) -> list[Role]:
    direct = await repos.roles.user_roles(user.id)
    inherited = await _lineage_roles(repos, await repos.groups.user_groups(user.id))
    return await expand_composites(repos, [*direct, *inherited])


async def find_role(repos: Repositories, realm_id: str, reference: str) -> Role | None:
    """A role as Keycloak's configuration strings name it (KeycloakModelUtils
    .getRoleFromString): a realm role's name, else `clientId.role` — the client id may
    itself hold dots, so every split is tried."""
    role = await repos.roles.get_realm_role(realm_id, reference)
    if role is not None:
        return role
    for index, char in enumerate(reference):
        if char != ".":
            continue
        client = await repos.clients.get_by_client_id(realm_id, reference[:index])
        if client is not None:
            role = await repos.roles.get_client_role(client.id, reference[index + 1 :])
            if role is not None:
                return role
    return None


async def holds_role(repos: Repositories, user: User, reference: str) -> bool:
    """Keycloak's UserModel.hasRole over a configured role name: directly, through a
    group or a composite. A role that does not exist is held by no one."""
    role = await find_role(repos, user.realm_id, reference)
    return role is not None and any(r.id == role.id for r in await effective_roles(repos, user))


async def effective_group_roles(repos: Repositories, group: Group) -> list[Role]:
    """The roles a group's members get from it: its own, its ancestors', expanded."""
    return await expand_composites(repos, await _lineage_roles(repos, [group]))


async def _lineage_roles(repos: Repositories, groups: list[Group]) -> list[Role]:
    """The roles mapped to the groups and every group above them: members of a subgroup
    inherit the roles of its ancestors, as in Keycloak."""
    group_ids: set[str] = set()
    for group in groups:
        current: str | None = group.id
        while current is not None and current not in group_ids:
            group_ids.add(current)
            parent = await repos.groups.get(current)
            current = parent.parent_id if parent else None
    return await repos.roles.group_roles(sorted(group_ids)) if group_ids else []


async def expand_composites(repos: Repositories, roles: list[Role]) -> list[Role]:
    """Breadth-first over the composite graph; a cycle is harmless (visited set)."""
    seen: dict[str, Role] = {}
    frontier = roles
    while frontier:
        new = [r for r in frontier if r.id not in seen]
        for role in new:
            seen[role.id] = role
        composites = [r.id for r in new if r.composite]
        if not composites:
            break
        children = await repos.roles.composites_of(composites)
        frontier = [child for kids in children.values() for child in kids]
    return list(seen.values())


@dataclass
class RoleClaims:
    realm_roles: list[str] = field(default_factory=list)
    client_roles: dict[str, list[str]] = field(default_factory=dict)  # by clientId


async def role_claims(repos: Repositories, realm_id: str, roles: list[Role]) -> RoleClaims:
    claims = RoleClaims()
    client_ids: dict[str, str | None] = {}
    for role in sorted(roles, key=lambda r: r.name):
        if role.client_id is None:
            claims.realm_roles.append(role.name)
            continue
        if role.client_id not in client_ids:
            client = await repos.clients.get(realm_id, role.client_id)
            client_ids[role.client_id] = client.client_id if client else None
        client_id = client_ids[role.client_id]
        if client_id is not None:
            claims.client_roles.setdefault(client_id, []).append(role.name)
    return claims
