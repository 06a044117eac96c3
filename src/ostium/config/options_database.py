"""Database options: SQLite for one node, PostgreSQL (Keycloak's JDBC URLs accepted) otherwise."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ostium.config.declare import MASK, BadValue, check_port, option

__all__ = [
    "POSTGRES_SCHEMES",
    "SQLITE_SCHEMES",
    "DatabaseOptions",
    "redact_url",
    "url_scheme",
]


POSTGRES_SCHEMES = ("jdbc:postgresql", "postgresql", "postgres", "postgresql+asyncpg")
SQLITE_SCHEMES = ("sqlite", "sqlite+aiosqlite")


def url_scheme(url: str) -> str:
    return url.partition("://")[0].lower()


def _parse_db_url(raw: str) -> str:
    if "://" not in raw or url_scheme(raw) not in POSTGRES_SCHEMES + SQLITE_SCHEMES:
        raise BadValue(
            f"{redact_url(raw)!r} is not a PostgreSQL or SQLite URL"
            " (postgresql://…, jdbc:postgresql://…, sqlite:///…)"
        )
    return raw


def redact_url(url: str) -> str:
    """Hide a password in a URL's user info or in a JDBC ``password=`` parameter."""
    scheme, sep, rest = url.partition("://")
    if sep:
        query_at = rest.find("?")
        at = rest.rfind("@", 0, query_at if query_at >= 0 else len(rest))
        user, colon, _password = rest[: max(at, 0)].partition(":")
        if at >= 0 and colon:
            rest = f"{user}:{MASK}{rest[at:]}"
    redacted = f"{scheme}{sep}{rest}"
    return re.sub(r"([?&]password=)[^&]*", rf"\g<1>{MASK}", redacted, flags=re.IGNORECASE)


@dataclass(frozen=True, repr=False)
class DatabaseOptions:
    """Which database, and how to reach it."""

    db: Literal["sqlite", "postgres"] = field(
        default="sqlite",
        metadata=option(
            category="Database",
            description=(
                "The database: sqlite, a file under --data-dir for a single node, or postgres for"
                " production and clusters. Keycloak's dev-file is read as sqlite."
            ),
            aliases={"dev-file": "sqlite"},
        ),
    )
    db_url: str | None = field(
        default=None,
        metadata=option(
            category="Database",
            description=(
                "The database URL: postgresql://host:5432/db, postgresql+asyncpg://…, Keycloak's"
                " jdbc:postgresql://host:5432/db, or sqlite:///path. When set, --db-url-host,"
                " --db-url-port and --db-url-database are not used."
            ),
            parse=_parse_db_url,
            show=redact_url,
        ),
    )
    db_username: str | None = field(
        default=None,
        metadata=option(
            category="Database",
            description="The database user; takes precedence over a user in --db-url.",
        ),
    )
    db_password: str | None = field(
        default=None,
        metadata=option(
            category="Database",
            description="The database password; takes precedence over a password in --db-url.",
            secret=True,
        ),
    )
    db_url_host: str | None = field(
        default=None,
        metadata=option(
            category="Database",
            description="The PostgreSQL host, used to build the URL when --db-url is not set.",
        ),
    )
    db_url_port: int = field(
        default=5432,
        metadata=option(
            category="Database",
            description="The PostgreSQL port, used with --db-url-host.",
            check=check_port,
        ),
    )
    db_url_database: str = field(
        default="ostium",
        metadata=option(
            category="Database",
            description="The PostgreSQL database name, used with --db-url-host.",
        ),
    )
