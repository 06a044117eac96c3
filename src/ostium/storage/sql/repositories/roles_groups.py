"""Roles (realm and client), their composites and grants, and groups with their members."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Row,
    delete,
    insert,
    select,
    update,
)

from ostium.domain import (
    Group,
    Role,
    User,
)
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.base import SqlRepository
from ostium.storage.sql.repositories.users import user_from_row

__all__ = ["SqlGroupRepository", "SqlRoleRepository"]

# --- roles --------------------------------------------------------------------------------


def _role(row: Row[Any]) -> Role:
    return Role(
        id=row.id,
        realm_id=row.realm_id,
        name=row.name,
        client_id=row.client_id,
        description=row.description,
        composite=row.composite,
        attributes=json.loads(row.attributes),
    )


class SqlRoleRepository(SqlRepository):
    def _row(self, role: Role) -> dict[str, Any]:
        return {
            "id": role.id,
            "realm_id": role.realm_id,
            "client_id": role.client_id,
            "container_id": role.client_id or role.realm_id,
            "name": role.name,
            "description": role.description,
            "composite": role.composite,
            "attributes": json.dumps(role.attributes),
        }

    async def get(self, role_id: str) -> Role | None:
        row = await self._one(select(t.roles).where(t.roles.c.id == role_id))
        return _role(row) if row else None

    async def get_realm_role(self, realm_id: str, name: str) -> Role | None:
        row = await self._one(
            select(t.roles).where(
                t.roles.c.container_id == realm_id,
                t.roles.c.client_id.is_(None),
                t.roles.c.name == name,
            )
        )
        return _role(row) if row else None

    async def get_client_role(self, client_internal_id: str, name: str) -> Role | None:
        row = await self._one(
            select(t.roles).where(t.roles.c.client_id == client_internal_id, t.roles.c.name == name)
        )
        return _role(row) if row else None

    async def list_realm_roles(self, realm_id: str) -> list[Role]:
        rows = await self._all(
            select(t.roles)
            .where(t.roles.c.realm_id == realm_id, t.roles.c.client_id.is_(None))
            .order_by(t.roles.c.name)
        )
        return [_role(r) for r in rows]

    async def list_client_roles(self, client_internal_id: str) -> list[Role]:
        rows = await self._all(
            select(t.roles)
            .where(t.roles.c.client_id == client_internal_id)
            .order_by(t.roles.c.name)
        )
        return [_role(r) for r in rows]

    async def add(self, role: Role) -> None:
        await self._write(insert(t.roles).values(**self._row(role)))

    async def update(self, role: Role) -> None:
        await self._write(update(t.roles).where(t.roles.c.id == role.id).values(**self._row(role)))

    async def delete(self, role_id: str) -> None:
        await self.conn.execute(delete(t.roles).where(t.roles.c.id == role_id))

    async def add_composites(self, role_id: str, child_ids: Sequence[str]) -> None:
        await self._ignore_duplicate(
            t.role_composites, [{"parent_id": role_id, "child_id": c} for c in child_ids]
        )

    async def remove_composites(self, role_id: str, child_ids: Sequence[str]) -> None:
        await self.conn.execute(
            delete(t.role_composites).where(
                t.role_composites.c.parent_id == role_id,
                t.role_composites.c.child_id.in_(list(child_ids)),
            )
        )

    async def composites_of(self, role_ids: Sequence[str]) -> dict[str, list[Role]]:
        result: dict[str, list[Role]] = {r: [] for r in role_ids}
        if not role_ids:
            return result
        rows = await self._all(
            select(t.role_composites.c.parent_id, t.roles)
            .join(t.roles, t.roles.c.id == t.role_composites.c.child_id)
            .where(t.role_composites.c.parent_id.in_(list(role_ids)))
            .order_by(t.roles.c.name)
        )
        for row in rows:
            result[row.parent_id].append(_role(row))
        return result

    async def grant_to_user(self, user_id: str, role_ids: Sequence[str]) -> None:
        await self._ignore_duplicate(
            t.user_roles, [{"user_id": user_id, "role_id": r} for r in role_ids]
        )

    async def revoke_from_user(self, user_id: str, role_ids: Sequence[str]) -> None:
        await self.conn.execute(
            delete(t.user_roles).where(
                t.user_roles.c.user_id == user_id, t.user_roles.c.role_id.in_(list(role_ids))
            )
        )

    async def user_roles(self, user_id: str) -> list[Role]:
        rows = await self._all(
            select(t.roles)
            .join(t.user_roles, t.user_roles.c.role_id == t.roles.c.id)
            .where(t.user_roles.c.user_id == user_id)
            .order_by(t.roles.c.name)
        )
        return [_role(r) for r in rows]

    async def members(self, role_id: str, *, first: int = 0, max: int | None = None) -> list[User]:
        rows = await self._all(
            select(t.users)
            .join(t.user_roles, t.user_roles.c.user_id == t.users.c.id)
            .where(t.user_roles.c.role_id == role_id)
            .order_by(t.users.c.username)
            .offset(first)
            .limit(max)
        )
        return [user_from_row(r) for r in rows]

    async def grant_to_group(self, group_id: str, role_ids: Sequence[str]) -> None:
        await self._ignore_duplicate(
            t.group_roles, [{"group_id": group_id, "role_id": r} for r in role_ids]
        )

    async def revoke_from_group(self, group_id: str, role_ids: Sequence[str]) -> None:
        await self.conn.execute(
            delete(t.group_roles).where(
                t.group_roles.c.group_id == group_id, t.group_roles.c.role_id.in_(list(role_ids))
            )
        )

    async def group_roles(self, group_ids: Sequence[str]) -> list[Role]:
        if not group_ids:
            return []
        rows = await self._all(
            select(t.roles)
            .distinct()
            .join(t.group_roles, t.group_roles.c.role_id == t.roles.c.id)
            .where(t.group_roles.c.group_id.in_(list(group_ids)))
            .order_by(t.roles.c.name)
        )
        return [_role(r) for r in rows]


# --- groups -------------------------------------------------------------------------------


def _group(row: Row[Any]) -> Group:
    return Group(
        id=row.id,
        realm_id=row.realm_id,
        name=row.name,
        parent_id=row.parent_id,
        attributes=json.loads(row.attributes),
    )


class SqlGroupRepository(SqlRepository):
    def _row(self, group: Group) -> dict[str, Any]:
        return {
            "id": group.id,
            "realm_id": group.realm_id,
            "parent_id": group.parent_id,
            "parent_key": group.parent_id or group.realm_id,
            "name": group.name,
            "attributes": json.dumps(group.attributes),
        }

    async def get(self, group_id: str) -> Group | None:
        row = await self._one(select(t.groups).where(t.groups.c.id == group_id))
        return _group(row) if row else None

    async def list_all(self, realm_id: str) -> list[Group]:
        rows = await self._all(
            select(t.groups).where(t.groups.c.realm_id == realm_id).order_by(t.groups.c.name)
        )
        return [_group(r) for r in rows]

    async def add(self, group: Group) -> None:
        await self._write(insert(t.groups).values(**self._row(group)))

    async def update(self, group: Group) -> None:
        await self._write(
            update(t.groups).where(t.groups.c.id == group.id).values(**self._row(group))
        )

    async def delete(self, group_id: str) -> None:
        await self.conn.execute(delete(t.groups).where(t.groups.c.id == group_id))

    async def add_member(self, group_id: str, user_id: str) -> None:
        await self._ignore_duplicate(t.group_members, [{"group_id": group_id, "user_id": user_id}])

    async def remove_member(self, group_id: str, user_id: str) -> None:
        await self.conn.execute(
            delete(t.group_members).where(
                t.group_members.c.group_id == group_id, t.group_members.c.user_id == user_id
            )
        )

    async def user_groups(self, user_id: str) -> list[Group]:
        rows = await self._all(
            select(t.groups)
            .join(t.group_members, t.group_members.c.group_id == t.groups.c.id)
            .where(t.group_members.c.user_id == user_id)
            .order_by(t.groups.c.name)
        )
        return [_group(r) for r in rows]

    async def members(self, group_id: str, *, first: int = 0, max: int | None = None) -> list[User]:
        rows = await self._all(
            select(t.users)
            .join(t.group_members, t.group_members.c.user_id == t.users.c.id)
            .where(t.group_members.c.group_id == group_id)
            .order_by(t.users.c.username)
            .offset(first)
            .limit(max)
        )
        return [user_from_row(r) for r in rows]
