"""The schema, as SQLAlchemy Core tables. Migrations (Alembic) are the source of change;
this module must describe the schema they produce."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id(name: str = "id") -> Column[str]:
    return Column(name, String(36), primary_key=True)


def _fk(name: str, target: str, *, nullable: bool = False, index: bool = True) -> Column[str]:
    return Column(
        name, String(36), ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index
    )


realms = Table(
    "realms",
    metadata,
    _id(),
    Column("name", String(255), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False),
    # Every typed setting of the domain Realm, as JSON: new settings need no migration.
    Column("settings", Text, nullable=False),
)

clients = Table(
    "clients",
    metadata,
    _id(),
    _fk("realm_id", "realms.id"),
    Column("client_id", String(255), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("secret", String(255), nullable=True),
    Column("settings", Text, nullable=False),
    UniqueConstraint("realm_id", "client_id", name="uq_clients_realm_client_id"),
)

client_scopes = Table(
    "client_scopes",
    metadata,
    _id(),
    _fk("realm_id", "realms.id"),
    Column("name", String(255), nullable=False),
    Column("settings", Text, nullable=False),
    UniqueConstraint("realm_id", "name", name="uq_client_scopes_realm_name"),
)

users = Table(
    "users",
    metadata,
    _id(),
    _fk("realm_id", "realms.id"),
    Column("username", String(255), nullable=False),
    Column("email", String(255), nullable=True),
    Column("email_verified", Boolean, nullable=False),
    Column("first_name", String(255), nullable=True),
    Column("last_name", String(255), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("created_timestamp", BigInteger, nullable=False),
    Column("attributes", Text, nullable=False),
    Column("required_actions", Text, nullable=False),
    Column(
        "service_account_client_id",
        String(36),
        ForeignKey("clients.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    Column("not_before", BigInteger, nullable=False),
    UniqueConstraint("realm_id", "username", name="uq_users_realm_username"),
    Index("ix_users_realm_email", "realm_id", "email"),
)

# The search side of users.attributes (the JSON column stays the read model, so loading a
# user costs no join): one row per attribute value, written with the user in one
# transaction. Keycloak's USER_ATTRIBUTE table with its (name, value) index plays the same
# part for `GET users?q=name:value`. `name` and `value` hold search keys, not the
# originals: see `attribute_search_key` in repositories/users.py.
user_attributes = Table(
    "user_attributes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _fk("user_id", "users.id"),
    Column("realm_id", String(36), nullable=False),
    Column("name", Text, nullable=False),
    Column("value", Text, nullable=False),
    # user_id last makes the index covering: `q` reads user ids without the table.
    Index("ix_user_attributes_realm_name_value", "realm_id", "name", "value", "user_id"),
)

credentials = Table(
    "credentials",
    metadata,
    _id(),
    _fk("user_id", "users.id"),
    Column("type", String(64), nullable=False),
    Column("secret_data", Text, nullable=False),
    Column("credential_data", Text, nullable=False),
    Column("created_date", BigInteger, nullable=False),
    Column("user_label", String(255), nullable=True),
    Column("priority", Integer, nullable=False),
)

# A user's consent to a client (Keycloak's USER_CONSENT and its client scopes, in one row:
# the granted scope names as a JSON list).
user_consents = Table(
    "user_consents",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "client_id",
        String(36),
        ForeignKey("clients.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("granted_scopes", Text, nullable=False),
    Column("created_date", BigInteger, nullable=False),
    Column("last_updated_date", BigInteger, nullable=False),
)

roles = Table(
    "roles",
    metadata,
    _id(),
    _fk("realm_id", "realms.id"),
    _fk("client_id", "clients.id", nullable=True),
    # The realm id for a realm role, the client's id for a client role: one non-null
    # column makes "unique per container" work the same on SQLite and PostgreSQL.
    Column("container_id", String(36), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("composite", Boolean, nullable=False),
    Column("attributes", Text, nullable=False),
    UniqueConstraint("container_id", "name", name="uq_roles_container_name"),
)

role_composites = Table(
    "role_composites",
    metadata,
    Column("parent_id", String(36), ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "child_id",
        String(36),
        ForeignKey("roles.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "role_id",
        String(36),
        ForeignKey("roles.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

groups = Table(
    "groups",
    metadata,
    _id(),
    _fk("realm_id", "realms.id"),
    _fk("parent_id", "groups.id", nullable=True),
    # Like roles' container: the parent group, or the realm for a top-level group.
    Column("parent_key", String(36), nullable=False),
    Column("name", String(255), nullable=False),
    Column("attributes", Text, nullable=False),
    UniqueConstraint("parent_key", "name", name="uq_groups_parent_name"),
)

group_roles = Table(
    "group_roles",
    metadata,
    Column("group_id", String(36), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "role_id",
        String(36),
        ForeignKey("roles.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(36), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "user_id",
        String(36),
        ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

realm_keys = Table(
    "realm_keys",
    metadata,
    _id(),
    _fk("realm_id", "realms.id"),
    Column("provider", String(64), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("use", String(8), nullable=False),
    Column("kid", String(255), nullable=False),
    Column("private_key", Text, nullable=False),
    Column("public_key", Text, nullable=True),
    Column("certificate", Text, nullable=True),
    Column("priority", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created", BigInteger, nullable=False),
    # 0003: the key provider component's name, and the end of a rotation's grace period.
    Column("name", String(255), nullable=False, server_default=""),
    Column("disable_at", BigInteger, nullable=True),
)

user_sessions = Table(
    "user_sessions",
    metadata,
    _id(),
    _fk("realm_id", "realms.id"),
    _fk("user_id", "users.id"),
    Column("login_username", String(255), nullable=False),
    Column("started", BigInteger, nullable=False),
    Column("last_refresh", BigInteger, nullable=False),
    Column("ip_address", String(64), nullable=True),
    Column("auth_method", String(64), nullable=False),
    Column("remember_me", Boolean, nullable=False),
    Column("offline", Boolean, nullable=False),
    Column("notes", Text, nullable=False),
)

client_sessions = Table(
    "client_sessions",
    metadata,
    Column(
        "user_session_id",
        String(36),
        ForeignKey("user_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "client_id",
        String(36),
        ForeignKey("clients.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("timestamp", BigInteger, nullable=False),
    Column("redirect_uri", Text, nullable=True),
    Column("scope", Text, nullable=False),
    Column("offline", Boolean, nullable=False),
    Column("notes", Text, nullable=False),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    _fk("realm_id", "realms.id"),
    _fk("client_id", "clients.id"),
    Column("user_session_id", String(36), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("expires", BigInteger, nullable=False, index=True),
    Column("nonce", Text, nullable=True),
    Column("code_challenge", String(128), nullable=True),
    Column("code_challenge_method", String(8), nullable=True),
    Column("auth_time", BigInteger, nullable=False),
    Column("consumed", Boolean, nullable=False),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(255), primary_key=True),
    Column("expires", BigInteger, nullable=False, index=True),
)
