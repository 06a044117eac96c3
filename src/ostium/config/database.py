"""The database URL SQLAlchemy opens, from the database options."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from ostium.config.declare import ConfigError, port_is_valid
from ostium.config.options_database import POSTGRES_SCHEMES, SQLITE_SCHEMES, redact_url, url_scheme
from ostium.config.registry import Config

__all__ = ["database_url"]


def database_url(config: Config) -> str:
    """The SQLAlchemy async URL for the configured database.

    Operators bring URLs written for Keycloak (JDBC) or for psql (libpq); both are turned into
    the asyncpg form here so that the rest of the code sees one shape.
    """
    if config.db == "sqlite":
        if config.db_url is None:
            return f"sqlite+aiosqlite:///{config.data_dir.absolute() / 'ostium.db'}"
        if url_scheme(config.db_url) not in SQLITE_SCHEMES:
            raise ConfigError(
                f"Invalid value for option '--db-url': {redact_url(config.db_url)!r}"
                " is a PostgreSQL URL but --db is sqlite; set --db=postgres"
            )
        return "sqlite+aiosqlite://" + config.db_url.partition("://")[2]
    if config.db_url is None:
        if config.db_url_host is None:
            raise ConfigError(
                "Missing option '--db-url': --db=postgres needs --db-url or --db-url-host"
            )
        host = config.db_url_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        database = quote(config.db_url_database, safe="")
        url = f"postgresql://{host}:{config.db_url_port}/{database}"
    else:
        url = config.db_url
    return _postgres_url(url, config.db_username, config.db_password)


# JDBC parameters with an asyncpg equivalent; others (currentSchema, …) would fail at connect.
_JDBC_PARAMETERS = ("user", "password", "ssl", "sslmode")


def _postgres_url(url: str, username: str | None, password: str | None) -> str:
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme not in POSTGRES_SCHEMES:
        raise ConfigError(
            f"Invalid value for option '--db-url': {redact_url(url)!r}"
            " is a SQLite URL but --db is postgres; set --db=sqlite"
        )
    jdbc = scheme == "jdbc:postgresql"
    parts = urlsplit("postgresql://" + rest)
    if not parts.hostname or not port_is_valid(parts):
        raise ConfigError(
            f"Invalid value for option '--db-url': {redact_url(url)!r} has no valid host"
        )
    userinfo, _, hostport = parts.netloc.rpartition("@")
    url_user, _, url_password = userinfo.partition(":")
    query: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if jdbc and key not in _JDBC_PARAMETERS:
            raise ConfigError(
                f"Invalid value for option '--db-url': the JDBC parameter {key!r} is not"
                f" supported; supported: {', '.join(_JDBC_PARAMETERS)}"
            )
        if jdbc and key == "user":
            url_user = quote(value, safe="")
        elif jdbc and key == "password":
            url_password = quote(value, safe="")
        elif jdbc and key == "ssl":
            # pgJDBC's ssl=true means "encrypt and verify the server certificate".
            query.append(("ssl", "verify-full" if value.lower() == "true" else "disable"))
        elif key == "sslmode" and scheme != "postgresql+asyncpg":
            # asyncpg spells libpq's sslmode as ssl, with the same values.
            query.append(("ssl", value))
        else:
            query.append((key, value))
    if username is not None:
        url_user = quote(username, safe="")
    if password is not None:
        url_password = quote(password, safe="")
    credentials = url_user + (f":{url_password}" if url_password else "")
    netloc = f"{credentials}@{hostport}" if credentials else hostport
    encoded = f"?{urlencode(query)}" if query else ""
    return f"postgresql+asyncpg://{netloc}{parts.path}{encoded}"
