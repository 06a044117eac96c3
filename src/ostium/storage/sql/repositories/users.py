"""Users, their searchable attributes and their credentials."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    delete,
    func,
    insert,
    intersect,
    or_,
    select,
    update,
)

from ostium.domain import (
    Credential,
    User,
)
from ostium.storage.interfaces import UserFilter
from ostium.storage.sql import tables as t
from ostium.storage.sql.repositories.base import SqlRepository

__all__ = [
    "SqlCredentialRepository",
    "SqlUserRepository",
    "attribute_rows",
    "attribute_search_key",
    "user_from_row",
    "user_search_query",
]

# --- users --------------------------------------------------------------------------------


def user_from_row(row: Row[Any]) -> User:
    return User(
        id=row.id,
        realm_id=row.realm_id,
        username=row.username,
        email=row.email,
        email_verified=row.email_verified,
        first_name=row.first_name,
        last_name=row.last_name,
        enabled=row.enabled,
        created_timestamp=row.created_timestamp,
        attributes=json.loads(row.attributes),
        required_actions=json.loads(row.required_actions),
        service_account_client_id=row.service_account_client_id,
        not_before=row.not_before,
    )


def user_search_query(query: Any, realm_id: str, filters: UserFilter) -> Any:
    """`query` (a select of users, or of their count) narrowed by Keycloak's user search
    predicates (JpaUserProvider.searchForUserStream), ANDed: `search` over the four name
    columns, the named columns (substring unless `exact`), the two flags, and one
    semi-join on user_attributes per `q` pair, which the (realm_id, name, value) index
    answers."""
    c = t.users.c
    query = query.where(c.realm_id == realm_id)
    if not filters.include_service_accounts:
        query = query.where(c.service_account_client_id.is_(None))
    if filters.search:
        pattern = f"%{_escape_like(filters.search.lower())}%"
        query = query.where(
            or_(
                c.username.like(pattern, escape="\\"),
                c.email.like(pattern, escape="\\"),
                func.lower(c.first_name).like(pattern, escape="\\"),
                func.lower(c.last_name).like(pattern, escape="\\"),
            )
        )
    for column, value, lower in (
        (c.username, filters.username, True),
        (c.email, filters.email, True),
        (c.first_name, filters.first_name, False),
        (c.last_name, filters.last_name, False),
    ):
        if value is None:
            continue
        target = func.lower(column) if not lower else column
        if filters.exact:
            query = query.where(target == value.lower())
        else:
            query = query.where(target.like(f"%{_escape_like(value.lower())}%", escape="\\"))
    if filters.enabled is not None:
        query = query.where(c.enabled == filters.enabled)
    if filters.email_verified is not None:
        query = query.where(c.email_verified == filters.email_verified)
    a = t.user_attributes.c
    matching: list[Any] = []
    for name, value in filters.attributes.items():
        key = attribute_search_key(value, lower=True)
        # Attribute values match whole (case-insensitively) unless `exact=false` was
        # asked for explicitly: Keycloak's default for attributes is exact.
        matches: ColumnElement[bool]
        if filters.exact is False and key == value.lower():
            matches = a.value.like(f"%{_escape_like(key)}%", escape="\\")
        else:
            matches = a.value == key
        matching.append(
            select(a.user_id).where(
                a.realm_id == realm_id, a.name == attribute_search_key(name, lower=False), matches
            )
        )
    # One set of user ids per pair, intersected before users is touched: each set is an
    # index-only scan of (realm_id, name, value, user_id), and the planners (PostgreSQL's
    # especially, which underestimates correlated name/value pairs) would otherwise
    # probe pairs one user at a time.
    if len(matching) == 1:
        query = query.where(c.id.in_(matching[0]))
    elif matching:
        query = query.where(c.id.in_(intersect(*matching)))
    return query


class SqlUserRepository(SqlRepository):
    def _row(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "realm_id": user.realm_id,
            "username": user.username.lower(),
            "email": user.email.lower() if user.email else None,
            "email_verified": user.email_verified,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "enabled": user.enabled,
            "created_timestamp": user.created_timestamp,
            "attributes": json.dumps(user.attributes),
            "required_actions": json.dumps(user.required_actions),
            "service_account_client_id": user.service_account_client_id,
            "not_before": user.not_before,
        }

    async def get(self, realm_id: str, id: str) -> User | None:
        row = await self._one(
            select(t.users).where(t.users.c.id == id, t.users.c.realm_id == realm_id)
        )
        return user_from_row(row) if row else None

    async def get_by_username(self, realm_id: str, username: str) -> User | None:
        row = await self._one(
            select(t.users).where(
                t.users.c.realm_id == realm_id, t.users.c.username == username.lower()
            )
        )
        return user_from_row(row) if row else None

    async def get_by_email(self, realm_id: str, email: str) -> list[User]:
        rows = await self._all(
            select(t.users)
            .where(t.users.c.realm_id == realm_id, t.users.c.email == email.lower())
            .order_by(t.users.c.username)
        )
        return [user_from_row(r) for r in rows]

    async def get_service_account(self, client_internal_id: str) -> User | None:
        row = await self._one(
            select(t.users).where(t.users.c.service_account_client_id == client_internal_id)
        )
        return user_from_row(row) if row else None

    async def search(
        self,
        realm_id: str,
        filters: UserFilter | None = None,
        *,
        first: int = 0,
        max: int | None = None,
    ) -> list[User]:
        query = user_search_query(select(t.users), realm_id, filters or UserFilter())
        query = query.order_by(t.users.c.username).offset(first).limit(max)
        return [user_from_row(r) for r in await self._all(query)]

    async def count(self, realm_id: str, filters: UserFilter | None = None) -> int:
        query = user_search_query(
            select(func.count()).select_from(t.users), realm_id, filters or UserFilter()
        )
        return int((await self.conn.execute(query)).scalar_one())

    async def _write_attributes(self, user: User, *, replace: bool) -> None:
        """The search rows of the user's attributes, in the caller's transaction."""
        if replace:
            await self.conn.execute(
                delete(t.user_attributes).where(t.user_attributes.c.user_id == user.id)
            )
        rows = attribute_rows(user.id, user.realm_id, user.attributes)
        if rows:
            await self._write(insert(t.user_attributes), rows)

    async def add(self, user: User) -> None:
        await self._write(insert(t.users).values(**self._row(user)))
        await self._write_attributes(user, replace=False)

    async def update(self, user: User) -> None:
        await self._write(update(t.users).where(t.users.c.id == user.id).values(**self._row(user)))
        await self._write_attributes(user, replace=True)

    async def delete(self, realm_id: str, id: str) -> None:
        # user_attributes rows go with the user (ON DELETE CASCADE).
        await self.conn.execute(
            delete(t.users).where(t.users.c.id == id, t.users.c.realm_id == realm_id)
        )


# Keycloak keeps values over 255 characters out of its (name, value) index and matches
# them by a hash of the lower-cased value (USER_ATTRIBUTE.LONG_VALUE_HASH_LOWER_CASE).
# The same here, for names too, so no index entry outgrows PostgreSQL's B-tree limit.
_LONGEST_INDEXED = 255


def attribute_search_key(text: str, *, lower: bool) -> str:
    """What user_attributes stores for an attribute name (as given: Keycloak matches names
    case-sensitively) or value (lower-cased: Keycloak matches values case-insensitively)."""
    key = text.lower() if lower else text
    if len(key) <= _LONGEST_INDEXED:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def attribute_rows(
    user_id: str, realm_id: str, attributes: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """One user_attributes row per distinct (name, value key); used by the repository and
    by the migration that backfills the table."""
    keys = {
        (attribute_search_key(name, lower=False), attribute_search_key(value, lower=True))
        for name, values in attributes.items()
        for value in values
        if isinstance(value, str)
    }
    return [
        {"user_id": user_id, "realm_id": realm_id, "name": name, "value": value}
        for name, value in sorted(keys)
    ]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- credentials --------------------------------------------------------------------------


class SqlCredentialRepository(SqlRepository):
    async def list_for_user(self, user_id: str, type: str | None = None) -> list[Credential]:
        query = select(t.credentials).where(t.credentials.c.user_id == user_id)
        if type is not None:
            query = query.where(t.credentials.c.type == type)
        rows = await self._all(
            query.order_by(t.credentials.c.priority, t.credentials.c.created_date)
        )
        return [Credential(**row._asdict()) for row in rows]

    async def add(self, credential: Credential) -> None:
        await self._write(insert(t.credentials).values(**dataclasses.asdict(credential)))

    async def update(self, credential: Credential) -> None:
        await self._write(
            update(t.credentials)
            .where(t.credentials.c.id == credential.id)
            .values(**dataclasses.asdict(credential))
        )

    async def delete(self, credential_id: str) -> None:
        await self.conn.execute(delete(t.credentials).where(t.credentials.c.id == credential_id))
