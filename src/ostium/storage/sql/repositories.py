"""The storage interfaces over SQLAlchemy Core: rows in, domain objects out."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    delete,
    func,
    insert,
    intersect,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ostium.domain import (
    AuthorizationCode,
    Client,
    ClientScope,
    ClientSession,
    Credential,
    Group,
    ProtocolMapper,
    Realm,
    RealmKey,
    Role,
    User,
    UserSession,
)
from ostium.storage.interfaces import DuplicateError, UserFilter
from ostium.storage.sql import tables as t

if TYPE_CHECKING:
    from ostium.storage.sql.storage import LazyConnection

__all__ = [
    "SqlClientRepository",
    "SqlClientScopeRepository",
    "SqlCodeRepository",
    "SqlCredentialRepository",
    "SqlGroupRepository",
    "SqlKeyRepository",
    "SqlRealmRepository",
    "SqlRevokedTokenRepository",
    "SqlRoleRepository",
    "SqlUserRepository",
    "SqlUserSessionRepository",
    "attribute_rows",
    "attribute_search_key",
    "user_search_query",
]

D = TypeVar("D")


def _is_unique_violation(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text


class _Repository:
    def __init__(self, conn: LazyConnection) -> None:
        self.conn = conn

    async def _write(self, statement: Any, rows: list[dict[str, Any]] | None = None) -> int:
        """Runs a write (with `rows`, an executemany) in a savepoint so a constraint
        violation leaves the outer transaction usable, and turns unique violations into
        DuplicateError."""
        try:
            conn = await self.conn.connection()
            async with conn.begin_nested():
                result = await conn.execute(statement, rows)
        except IntegrityError as error:
            if _is_unique_violation(error):
                raise DuplicateError(str(error.orig).splitlines()[0]) from None
            raise ValueError(f"Integrity error: {str(error.orig).splitlines()[0]}") from None
        return int(result.rowcount or 0)

    async def _ignore_duplicate(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Idempotent link inserts (role mappings, memberships)."""
        for row in rows:
            exists = await self.conn.execute(
                select(func.count())
                .select_from(table)
                .where(*[table.c[k] == v for k, v in row.items()])
            )
            if not exists.scalar_one():
                await self._write(insert(table).values(**row))

    async def _one(self, statement: Any) -> Row[Any] | None:
        return (await self.conn.execute(statement)).first()

    async def _all(self, statement: Any) -> Sequence[Row[Any]]:
        return (await self.conn.execute(statement)).all()


def _settings(obj: Any, stored_columns: set[str]) -> str:
    """The dataclass fields not stored in their own column, as JSON."""
    values = {k: v for k, v in dataclasses.asdict(obj).items() if k not in stored_columns}
    return json.dumps(values)


def _from_settings(cls: type[D], row: Row[Any], stored_columns: set[str]) -> D:
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {k: v for k, v in json.loads(row.settings).items() if k in known}
    values.update({c: getattr(row, c) for c in stored_columns})
    return cls(**values)


# --- realms -------------------------------------------------------------------------------

_REALM_COLUMNS = {"id", "name", "enabled"}


class SqlRealmRepository(_Repository):
    def _row(self, realm: Realm) -> dict[str, Any]:
        return {
            "id": realm.id,
            "name": realm.name,
            "enabled": realm.enabled,
            "settings": _settings(realm, _REALM_COLUMNS),
        }

    async def get(self, realm_id: str) -> Realm | None:
        row = await self._one(select(t.realms).where(t.realms.c.id == realm_id))
        return _from_settings(Realm, row, _REALM_COLUMNS) if row else None

    async def get_by_name(self, name: str) -> Realm | None:
        row = await self._one(select(t.realms).where(t.realms.c.name == name))
        return _from_settings(Realm, row, _REALM_COLUMNS) if row else None

    async def list_all(self) -> list[Realm]:
        rows = await self._all(select(t.realms).order_by(t.realms.c.name))
        return [_from_settings(Realm, r, _REALM_COLUMNS) for r in rows]

    async def add(self, realm: Realm) -> None:
        await self._write(insert(t.realms).values(**self._row(realm)))

    async def update(self, realm: Realm) -> None:
        await self._write(
            update(t.realms).where(t.realms.c.id == realm.id).values(**self._row(realm))
        )

    async def delete(self, realm_id: str) -> None:
        # Users reference clients (service accounts) and clients reference the realm;
        # deleting in dependency order keeps it correct without relying on cascade order.
        await self.conn.execute(delete(t.users).where(t.users.c.realm_id == realm_id))
        await self.conn.execute(delete(t.realms).where(t.realms.c.id == realm_id))


# --- clients ------------------------------------------------------------------------------

_CLIENT_COLUMNS = {"id", "realm_id", "client_id", "enabled", "secret"}


def _client(row: Row[Any]) -> Client:
    """Nested protocol mappers come back from their JSON as dataclasses."""
    client = _from_settings(Client, row, _CLIENT_COLUMNS)
    client.protocol_mappers = [
        m if isinstance(m, ProtocolMapper) else ProtocolMapper(**m) for m in client.protocol_mappers
    ]
    return client


class SqlClientRepository(_Repository):
    def _row(self, client: Client) -> dict[str, Any]:
        return {
            "id": client.id,
            "realm_id": client.realm_id,
            "client_id": client.client_id,
            "enabled": client.enabled,
            "secret": client.secret,
            "settings": _settings(client, _CLIENT_COLUMNS),
        }

    async def get(self, realm_id: str, id: str) -> Client | None:
        row = await self._one(
            select(t.clients).where(t.clients.c.id == id, t.clients.c.realm_id == realm_id)
        )
        return _client(row) if row else None

    async def get_by_client_id(self, realm_id: str, client_id: str) -> Client | None:
        row = await self._one(
            select(t.clients).where(
                t.clients.c.client_id == client_id, t.clients.c.realm_id == realm_id
            )
        )
        return _client(row) if row else None

    async def list_all(
        self, realm_id: str, *, first: int = 0, max: int | None = None
    ) -> list[Client]:
        query = (
            select(t.clients)
            .where(t.clients.c.realm_id == realm_id)
            .order_by(t.clients.c.client_id)
            .offset(first)
            .limit(max)
        )
        return [_client(r) for r in await self._all(query)]

    async def add(self, client: Client) -> None:
        await self._write(insert(t.clients).values(**self._row(client)))

    async def update(self, client: Client) -> None:
        await self._write(
            update(t.clients).where(t.clients.c.id == client.id).values(**self._row(client))
        )

    async def delete(self, realm_id: str, id: str) -> None:
        await self.conn.execute(
            delete(t.clients).where(t.clients.c.id == id, t.clients.c.realm_id == realm_id)
        )


# --- client scopes ------------------------------------------------------------------------

_SCOPE_COLUMNS = {"id", "realm_id", "name"}


def _scope(row: Row[Any]) -> ClientScope:
    scope = _from_settings(ClientScope, row, _SCOPE_COLUMNS)
    scope.protocol_mappers = [
        m if isinstance(m, ProtocolMapper) else ProtocolMapper(**m) for m in scope.protocol_mappers
    ]
    return scope


class SqlClientScopeRepository(_Repository):
    def _row(self, scope: ClientScope) -> dict[str, Any]:
        return {
            "id": scope.id,
            "realm_id": scope.realm_id,
            "name": scope.name,
            "settings": _settings(scope, _SCOPE_COLUMNS),
        }

    async def get(self, realm_id: str, id: str) -> ClientScope | None:
        c = t.client_scopes.c
        row = await self._one(select(t.client_scopes).where(c.id == id, c.realm_id == realm_id))
        return _scope(row) if row else None

    async def get_by_name(self, realm_id: str, name: str) -> ClientScope | None:
        c = t.client_scopes.c
        row = await self._one(select(t.client_scopes).where(c.name == name, c.realm_id == realm_id))
        return _scope(row) if row else None

    async def list_all(self, realm_id: str) -> list[ClientScope]:
        c = t.client_scopes.c
        rows = await self._all(
            select(t.client_scopes).where(c.realm_id == realm_id).order_by(c.name)
        )
        return [_scope(r) for r in rows]

    async def add(self, scope: ClientScope) -> None:
        await self._write(insert(t.client_scopes).values(**self._row(scope)))

    async def update(self, scope: ClientScope) -> None:
        await self._write(
            update(t.client_scopes)
            .where(t.client_scopes.c.id == scope.id)
            .values(**self._row(scope))
        )

    async def delete(self, realm_id: str, id: str) -> None:
        c = t.client_scopes.c
        await self.conn.execute(delete(t.client_scopes).where(c.id == id, c.realm_id == realm_id))


# --- users --------------------------------------------------------------------------------


def _user(row: Row[Any]) -> User:
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


class SqlUserRepository(_Repository):
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
        return _user(row) if row else None

    async def get_by_username(self, realm_id: str, username: str) -> User | None:
        row = await self._one(
            select(t.users).where(
                t.users.c.realm_id == realm_id, t.users.c.username == username.lower()
            )
        )
        return _user(row) if row else None

    async def get_by_email(self, realm_id: str, email: str) -> list[User]:
        rows = await self._all(
            select(t.users)
            .where(t.users.c.realm_id == realm_id, t.users.c.email == email.lower())
            .order_by(t.users.c.username)
        )
        return [_user(r) for r in rows]

    async def get_service_account(self, client_internal_id: str) -> User | None:
        row = await self._one(
            select(t.users).where(t.users.c.service_account_client_id == client_internal_id)
        )
        return _user(row) if row else None

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
        return [_user(r) for r in await self._all(query)]

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


class SqlCredentialRepository(_Repository):
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


class SqlRoleRepository(_Repository):
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
        return [_user(r) for r in rows]

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


class SqlGroupRepository(_Repository):
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
        return [_user(r) for r in rows]


# --- keys ---------------------------------------------------------------------------------


class SqlKeyRepository(_Repository):
    async def list_all(self, realm_id: str) -> list[RealmKey]:
        rows = await self._all(
            select(t.realm_keys)
            .where(t.realm_keys.c.realm_id == realm_id)
            .order_by(t.realm_keys.c.created, t.realm_keys.c.kid)
        )
        return [RealmKey(**row._asdict()) for row in rows]

    async def add(self, key: RealmKey) -> None:
        await self._write(insert(t.realm_keys).values(**dataclasses.asdict(key)))

    async def update(self, key: RealmKey) -> None:
        await self._write(
            update(t.realm_keys)
            .where(t.realm_keys.c.id == key.id)
            .values(**dataclasses.asdict(key))
        )

    async def delete(self, key_id: str) -> None:
        await self.conn.execute(delete(t.realm_keys).where(t.realm_keys.c.id == key_id))


# --- sessions -----------------------------------------------------------------------------


def _user_session(row: Row[Any]) -> UserSession:
    values = row._asdict()
    values["notes"] = json.loads(values["notes"])
    return UserSession(**values)


def _client_session(row: Row[Any]) -> ClientSession:
    values = row._asdict()
    values["notes"] = json.loads(values["notes"])
    return ClientSession(**values)


class SqlUserSessionRepository(_Repository):
    async def add(self, session: UserSession) -> None:
        values = dataclasses.asdict(session)
        values["notes"] = json.dumps(session.notes)
        await self._write(insert(t.user_sessions).values(**values))

    async def get(self, session_id: str) -> UserSession | None:
        row = await self._one(select(t.user_sessions).where(t.user_sessions.c.id == session_id))
        return _user_session(row) if row else None

    async def touch(self, session_id: str, last_refresh: int) -> None:
        await self.conn.execute(
            update(t.user_sessions)
            .where(t.user_sessions.c.id == session_id)
            .values(last_refresh=last_refresh)
        )

    async def update(self, session: UserSession) -> None:
        await self.conn.execute(
            update(t.user_sessions)
            .where(t.user_sessions.c.id == session.id)
            .values(
                last_refresh=session.last_refresh,
                remember_me=session.remember_me,
                notes=json.dumps(session.notes),
            )
        )

    async def delete(self, session_id: str) -> None:
        await self.conn.execute(delete(t.user_sessions).where(t.user_sessions.c.id == session_id))

    async def list_for_user(self, user_id: str) -> list[UserSession]:
        rows = await self._all(
            select(t.user_sessions)
            .where(t.user_sessions.c.user_id == user_id)
            .order_by(t.user_sessions.c.started)
        )
        return [_user_session(r) for r in rows]

    async def list_for_realm(self, realm_id: str) -> list[UserSession]:
        rows = await self._all(
            select(t.user_sessions)
            .where(t.user_sessions.c.realm_id == realm_id)
            .order_by(t.user_sessions.c.started)
        )
        return [_user_session(r) for r in rows]

    async def list_for_client(self, client_id: str) -> list[UserSession]:
        rows = await self._all(
            select(t.user_sessions)
            .join(t.client_sessions, t.client_sessions.c.user_session_id == t.user_sessions.c.id)
            .where(t.client_sessions.c.client_id == client_id)
            .order_by(t.user_sessions.c.started)
        )
        return [_user_session(r) for r in rows]

    async def list_expired(
        self,
        realm_id: str,
        *,
        offline: bool,
        remember_me: bool,
        idle_before: int,
        started_before: int,
    ) -> list[UserSession]:
        c = t.user_sessions.c
        rows = await self._all(
            select(t.user_sessions).where(
                c.realm_id == realm_id,
                c.offline == offline,
                c.remember_me == remember_me,
                or_(c.last_refresh < idle_before, c.started < started_before),
            )
        )
        return [_user_session(r) for r in rows]

    async def _delete_where(self, condition: Any) -> list[str]:
        ids = [r.id for r in await self._all(select(t.user_sessions.c.id).where(condition))]
        if ids:
            await self.conn.execute(delete(t.user_sessions).where(t.user_sessions.c.id.in_(ids)))
        return ids

    async def delete_for_user(self, user_id: str) -> list[str]:
        return await self._delete_where(t.user_sessions.c.user_id == user_id)

    async def delete_for_realm(self, realm_id: str) -> list[str]:
        return await self._delete_where(t.user_sessions.c.realm_id == realm_id)

    async def add_client_session(self, session: ClientSession) -> None:
        await self.delete_client_session(session.user_session_id, session.client_id)
        values = dataclasses.asdict(session)
        values["notes"] = json.dumps(session.notes)
        await self._write(insert(t.client_sessions).values(**values))

    async def update_client_session(self, session: ClientSession) -> None:
        c = t.client_sessions.c
        await self.conn.execute(
            update(t.client_sessions)
            .where(c.user_session_id == session.user_session_id, c.client_id == session.client_id)
            .values(timestamp=session.timestamp, notes=json.dumps(session.notes))
        )

    async def get_client_session(
        self, user_session_id: str, client_id: str
    ) -> ClientSession | None:
        row = await self._one(
            select(t.client_sessions).where(
                t.client_sessions.c.user_session_id == user_session_id,
                t.client_sessions.c.client_id == client_id,
            )
        )
        return _client_session(row) if row else None

    async def list_client_sessions(self, user_session_id: str) -> list[ClientSession]:
        rows = await self._all(
            select(t.client_sessions).where(t.client_sessions.c.user_session_id == user_session_id)
        )
        return [_client_session(r) for r in rows]

    async def delete_client_session(self, user_session_id: str, client_id: str) -> None:
        await self.conn.execute(
            delete(t.client_sessions).where(
                t.client_sessions.c.user_session_id == user_session_id,
                t.client_sessions.c.client_id == client_id,
            )
        )


# --- codes and revoked tokens -------------------------------------------------------------


class SqlCodeRepository(_Repository):
    async def add(self, code: AuthorizationCode) -> None:
        await self._write(insert(t.authorization_codes).values(**dataclasses.asdict(code)))

    async def consume(self, code_hash: str) -> tuple[AuthorizationCode, bool] | None:
        # The conditional UPDATE is the atomic step: of two concurrent redemptions only
        # one sees a row change.
        changed = await self.conn.execute(
            update(t.authorization_codes)
            .where(
                t.authorization_codes.c.code_hash == code_hash,
                t.authorization_codes.c.consumed.is_(False),
            )
            .values(consumed=True)
        )
        row = await self._one(
            select(t.authorization_codes).where(t.authorization_codes.c.code_hash == code_hash)
        )
        if row is None:
            return None
        return AuthorizationCode(**row._asdict()), bool(changed.rowcount)

    async def purge_expired(self, now: int) -> None:
        await self.conn.execute(
            delete(t.authorization_codes).where(t.authorization_codes.c.expires < now)
        )


class SqlRevokedTokenRepository(_Repository):
    async def revoke(self, jti: str, expires: int) -> None:
        await self._ignore_duplicate(t.revoked_tokens, [{"jti": jti, "expires": expires}])

    async def is_revoked(self, jti: str) -> bool:
        row = await self._one(select(t.revoked_tokens.c.jti).where(t.revoked_tokens.c.jti == jti))
        return row is not None

    async def list_unexpired(self, now: int) -> list[tuple[str, int]]:
        c = t.revoked_tokens.c
        rows = await self._all(select(c.jti, c.expires).where(c.expires >= now))
        return [(row.jti, row.expires) for row in rows]

    async def purge_expired(self, now: int) -> None:
        await self.conn.execute(delete(t.revoked_tokens).where(t.revoked_tokens.c.expires < now))
