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
    "role_claims",
]


async def effective_roles(repos: Repositories, user: User) -> list[Role]:
    direct = await repos.roles.user_roles(user.id)
    inherited = await _lineage_roles(repos, await repos.groups.user_groups(user.id))
    return await expand_composites(repos, [*direct, *inherited])


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
