"""Group paths (`/parent/child`), as Keycloak names groups in tokens and exports."""

from __future__ import annotations

from ostium.domain import Group, User
from ostium.storage.interfaces import Repositories

__all__ = ["group_path", "user_group_paths"]


async def group_path(repos: Repositories, group: Group) -> str:
    names = [group.name]
    parent_id = group.parent_id
    while parent_id is not None:
        parent = await repos.groups.get(parent_id)
        if parent is None:
            break
        names.append(parent.name)
        parent_id = parent.parent_id
    return "/" + "/".join(reversed(names))


async def user_group_paths(repos: Repositories, user: User) -> list[str]:
    return sorted([await group_path(repos, g) for g in await repos.groups.user_groups(user.id)])
