"""Every server option, declared once, and how a configuration is resolved from its sources.

Options keep Keycloak's names so that a set-up written for Keycloak carries over. Each can be
given as a command-line flag (``--http-port=8080``), an environment variable
(``OSTIUM_HTTP_PORT``) or a line of ``conf/ostium.conf`` (``http-port=8080``); the command line
wins over the environment, which wins over the conf file, which wins over the defaults.

The fields of `Config` are the single declaration: the parser, ``--help``, ``show-config`` and
the documentation are derived from them, and mypy checks every ``config.<option>`` in the code.
Only the standard library is imported, so that ``--help`` and ``show-config`` start instantly.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import re
import socket
import textwrap
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "ENV_PREFIX",
    "MASK",
    "OPTIONS",
    "Config",
    "ConfigError",
    "Mode",
    "Option",
    "Source",
    "check_production",
    "database_url",
    "display_value",
    "help_text",
    "load_config",
    "option_named",
]

Mode = Literal["dev", "prod"]
Source = Literal["cli", "env", "conf file", "mode default", "default"]
Kind = Literal["bool", "int", "str", "path", "list", "choice"]

ENV_PREFIX = "OSTIUM_"
DEFAULT_CONFIG_FILE = Path("conf", "ostium.conf")
MASK = "*******"
UNSET = "<unset>"


class ConfigError(Exception):
    """A configuration the operator must fix; the message is one line naming the option."""

    def __init__(self, message: str) -> None:
        # One line, so that `ERROR: …` stays greppable in logs and never reads like a trace.
        super().__init__(" ".join(message.splitlines()))


class _BadValue(ValueError):
    """Why a raw value is rejected; the caller adds which option it was and where it came from."""


# --- value parsers and checks -------------------------------------------------------------


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise _BadValue(f"{raw!r} is not a boolean; expected true or false")
    return lowered == "true"


def _parse_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _BadValue(f"{raw!r} is not an integer") from None


def _parse_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _check_port(value: int) -> None:
    # 0 asks the OS for a free port: handy for tests, harmless otherwise.
    if not 0 <= value <= 65535:
        raise _BadValue(f"'{value}' is not a port number (0-65535)")


_HOST_NAME = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$")


def _check_positive(value: int) -> None:
    if value < 1:
        raise _BadValue(f"{value} is not a positive number")


def _check_hostname(value: str) -> None:
    # Keycloak's hostname v2 takes either a bare host name or a full URL (to set the scheme,
    # port or a path); anything else would only surface later as broken issuer URLs.
    if "://" in value:
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or not _port_is_valid(parts)
            or parts.query
        ):
            raise _BadValue(f"{value!r} is not a host name or an http(s) URL")
    elif not _HOST_NAME.match(value):
        raise _BadValue(
            f"{value!r} is not a host name; give a full URL to set a scheme, port or path"
        )


def _port_is_valid(parts: SplitResult) -> bool:
    try:
        _ = parts.port  # the property raises on a port that is not a number in range
    except ValueError:
        return False
    return True


def _check_relative_path(value: str) -> None:
    if not value.startswith("/"):
        raise _BadValue(f"{value!r} does not start with '/'")


_LOG_LEVELS = ("off", "fatal", "error", "warn", "warning", "info", "debug", "trace", "all")


def _parse_log_level(raw: str) -> str:
    """Keycloak's form: an optional root level, then ``category:level`` pairs, comma-separated."""
    entries: list[str] = []
    root_seen = False
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            raise _BadValue(f"{raw!r} has an empty entry")
        category, colon, level = item.rpartition(":")
        if colon and not category:
            raise _BadValue(f"{item!r} has no category before ':'")
        if not colon:
            if root_seen:
                raise _BadValue(f"{raw!r} sets the root level twice")
            root_seen = True
        if level.lower() not in _LOG_LEVELS:
            raise _BadValue(
                f"{level!r} is not a log level; expected one of: {', '.join(_LOG_LEVELS)}"
            )
        entries.append(f"{category}:{level.lower()}" if colon else level.lower())
    return ",".join(entries)


_FEATURE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(:v[0-9]+)?$")


def _parse_features(raw: str) -> list[str]:
    features = [item.lower() for item in _parse_list(raw)]
    for feature in features:
        if not _FEATURE.match(feature):
            raise _BadValue(f"{feature!r} is not a feature name (such as token-exchange:v1)")
    return features


def _parse_networks(raw: str) -> list[str]:
    networks = _parse_list(raw)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise _BadValue(f"{network!r} is not an IP address or CIDR range") from None
    return networks


_POSTGRES_SCHEMES = ("jdbc:postgresql", "postgresql", "postgres", "postgresql+asyncpg")
_SQLITE_SCHEMES = ("sqlite", "sqlite+aiosqlite")


def _url_scheme(url: str) -> str:
    return url.partition("://")[0].lower()


def _parse_db_url(raw: str) -> str:
    if "://" not in raw or _url_scheme(raw) not in _POSTGRES_SCHEMES + _SQLITE_SCHEMES:
        raise _BadValue(
            f"{_redact_url(raw)!r} is not a PostgreSQL or SQLite URL"
            " (postgresql://…, jdbc:postgresql://…, sqlite:///…)"
        )
    return raw


def _redact_url(url: str) -> str:
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


# --- the options --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Meta:
    """What a `Config` field carries besides its type and default."""

    category: str
    description: str
    secret: bool
    aliases: Mapping[str, str]
    parse: Callable[[str], object] | None
    check: Callable[[Any], None] | None
    show: Callable[[Any], str] | None
    default_label: str | None
    in_conf_file: bool


def _meta(
    *,
    category: str,
    description: str,
    secret: bool = False,
    aliases: Mapping[str, str] | None = None,
    parse: Callable[[str], object] | None = None,
    check: Callable[[Any], None] | None = None,
    show: Callable[[Any], str] | None = None,
    default_label: str | None = None,
    in_conf_file: bool = True,
) -> dict[str, _Meta]:
    """Mark a `Config` field as an option; its name, type and default give the rest."""
    return {
        "option": _Meta(
            category=category,
            description=description,
            secret=secret,
            aliases=aliases or {},
            parse=parse,
            check=check,
            show=show,
            default_label=default_label,
            in_conf_file=in_conf_file,
        )
    }


@dataclass(frozen=True, repr=False)
class Config:
    """The resolved configuration of one server process, typed for the code that reads it.

    Build it with `load_config`; ``Config()`` gives the option defaults (handy in tests).
    """

    # General
    config_file: Path | None = field(
        default=None,
        metadata=_meta(
            category="General",
            description=(
                "The conf file to read options from, one name=value per line; '#' starts a comment."
                " Only the command line and the environment can set it."
            ),
            default_label="conf/ostium.conf in the working directory, when it exists",
            in_conf_file=False,
        ),
    )
    optimized: bool = field(
        default=False,
        metadata=_meta(
            category="General",
            description=(
                "Accepted so that Keycloak's 'start --optimized' scripts run unchanged;"
                " Ostium has no separate build step, so it changes nothing."
            ),
        ),
    )
    # Hostname
    hostname: str | None = field(
        default=None,
        metadata=_meta(
            category="Hostname",
            description=(
                "The address at which the server is reached: a host name (auth.example.com) or a"
                " full URL (https://auth.example.com/auth) to also set the scheme, port and path."
                " Issuer URLs, redirects and links are built from it, not from request headers."
            ),
            check=_check_hostname,
        ),
    )
    hostname_strict: bool = field(
        default=True,
        metadata=_meta(
            category="Hostname",
            description=(
                "Refuse to start in production mode without --hostname. When false, URLs follow"
                " each request's host, which a client can forge unless a trusted proxy sets it."
            ),
        ),
    )
    # HTTP(S)
    http_enabled: bool = field(
        default=False,
        metadata=_meta(
            category="HTTP(S)",
            description=(
                "Serve plain HTTP. Production mode needs it only behind a proxy that terminates"
                " TLS; development mode turns it on."
            ),
        ),
    )
    http_host: str = field(
        default="0.0.0.0",  # noqa: S104 - a server listens on every interface unless told otherwise
        metadata=_meta(
            category="HTTP(S)",
            description="The address the HTTP(S) and management listeners bind to.",
        ),
    )
    http_port: int = field(
        default=8080,
        metadata=_meta(
            category="HTTP(S)",
            description="The port of the plain HTTP listener.",
            check=_check_port,
        ),
    )
    https_port: int = field(
        default=8443,
        metadata=_meta(
            category="HTTP(S)",
            description="The port of the HTTPS listener.",
            check=_check_port,
        ),
    )
    https_certificate_file: Path | None = field(
        default=None,
        metadata=_meta(
            category="HTTP(S)",
            description="The server certificate (chain) in PEM format; setting it turns HTTPS on.",
        ),
    )
    https_certificate_key_file: Path | None = field(
        default=None,
        metadata=_meta(
            category="HTTP(S)",
            description="The private key of --https-certificate-file, in PEM format.",
        ),
    )
    http_relative_path: str = field(
        default="/",
        metadata=_meta(
            category="HTTP(S)",
            description=(
                "The path prefix of every endpoint, such as /auth for the layout of Keycloak 16"
                " and older."
            ),
            check=_check_relative_path,
        ),
    )
    # Management
    http_management_port: int = field(
        default=9000,
        metadata=_meta(
            category="Management",
            description=(
                "The port of the management listener (health checks and metrics), kept apart from"
                " the public port so that a proxy never exposes it."
            ),
            check=_check_port,
        ),
    )
    # Health
    health_enabled: bool = field(
        default=False,
        metadata=_meta(
            category="Health",
            description=(
                "Serve /health, /health/live, /health/ready and /health/started on the"
                " management port."
            ),
        ),
    )
    # Metrics
    metrics_enabled: bool = field(
        default=False,
        metadata=_meta(
            category="Metrics",
            description="Serve Prometheus metrics at /metrics on the management port.",
        ),
    )
    # Proxy
    proxy_headers: Literal["forwarded", "xforwarded"] | None = field(
        default=None,
        metadata=_meta(
            category="Proxy",
            description=(
                "The headers a reverse proxy in front uses to pass on the client's address, scheme"
                " and host: forwarded (RFC 7239) or xforwarded (X-Forwarded-*)."
                " When unset, these headers are ignored."
            ),
        ),
    )
    proxy_trusted_addresses: list[str] = field(
        default_factory=list,
        metadata=_meta(
            category="Proxy",
            description=(
                "The proxies, as IP addresses or CIDR ranges separated by commas, whose forwarding"
                " headers are honoured; the headers of any other peer are ignored."
            ),
            parse=_parse_networks,
        ),
    )
    # Database
    db: Literal["sqlite", "postgres"] = field(
        default="sqlite",
        metadata=_meta(
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
        metadata=_meta(
            category="Database",
            description=(
                "The database URL: postgresql://host:5432/db, postgresql+asyncpg://…, Keycloak's"
                " jdbc:postgresql://host:5432/db, or sqlite:///path. When set, --db-url-host,"
                " --db-url-port and --db-url-database are not used."
            ),
            parse=_parse_db_url,
            show=_redact_url,
        ),
    )
    db_username: str | None = field(
        default=None,
        metadata=_meta(
            category="Database",
            description="The database user; takes precedence over a user in --db-url.",
        ),
    )
    db_password: str | None = field(
        default=None,
        metadata=_meta(
            category="Database",
            description="The database password; takes precedence over a password in --db-url.",
            secret=True,
        ),
    )
    db_url_host: str | None = field(
        default=None,
        metadata=_meta(
            category="Database",
            description="The PostgreSQL host, used to build the URL when --db-url is not set.",
        ),
    )
    db_url_port: int = field(
        default=5432,
        metadata=_meta(
            category="Database",
            description="The PostgreSQL port, used with --db-url-host.",
            check=_check_port,
        ),
    )
    db_url_database: str = field(
        default="ostium",
        metadata=_meta(
            category="Database",
            description="The PostgreSQL database name, used with --db-url-host.",
        ),
    )
    # Cache
    cache: Literal["local", "redis"] = field(
        default="local",
        metadata=_meta(
            category="Cache",
            description=(
                "Where the caches live: local, in this process, for a single node;"
                " redis, shared by every node of a cluster."
            ),
        ),
    )
    node_name: str = field(
        default_factory=socket.gethostname,
        metadata=_meta(
            category="Cache",
            description=(
                "This node's name in a cluster: it owns the sessions it creates and is the route"
                " appended to the AUTH_SESSION_ID cookie. Must differ between nodes."
            ),
            default_label="the machine's host name",
        ),
    )
    spi_sticky_session_encoder_infinispan_should_attach_route: bool = field(
        default=True,
        metadata=_meta(
            category="Cache",
            description=(
                "Append '.<node-name>' to the AUTH_SESSION_ID cookie so that a load balancer can"
                " send a login back to the node that started it. Keycloak's name, kept as it is."
            ),
        ),
    )
    cache_remote_host: str | None = field(
        default=None,
        metadata=_meta(
            category="Cache",
            description=(
                "The Redis server of --cache=redis: a host name, or for sentinel and cluster"
                " modes several host[:port] separated by commas."
            ),
        ),
    )
    cache_remote_port: int = field(
        default=6379,
        metadata=_meta(
            category="Cache",
            description="The Redis port, for hosts given without one.",
            check=_check_port,
        ),
    )
    cache_remote_username: str | None = field(
        default=None,
        metadata=_meta(category="Cache", description="The Redis user name (Redis 6 ACLs)."),
    )
    cache_remote_password: str | None = field(
        default=None,
        metadata=_meta(category="Cache", description="The Redis password.", secret=True),
    )
    cache_remote_tls_enabled: bool = field(
        default=False,
        metadata=_meta(
            category="Cache",
            description=(
                "Talk to Redis over TLS; the server certificate is verified against the system"
                " trust store and --truststore-paths."
            ),
        ),
    )
    cache_remote_mode: Literal["standalone", "sentinel", "cluster"] = field(
        default="standalone",
        metadata=_meta(
            category="Cache",
            description=(
                "How Redis is deployed: one server (or a replicated one behind a single"
                " address), Sentinel (the hosts are sentinels), or Redis Cluster."
            ),
        ),
    )
    cache_remote_sentinel_master: str = field(
        default="mymaster",
        metadata=_meta(
            category="Cache",
            description="With --cache-remote-mode=sentinel: the name of the monitored master.",
        ),
    )
    truststore_paths: list[str] = field(
        default_factory=list,
        metadata=_meta(
            category="Truststore",
            description=(
                "PEM files of certificate authorities to trust, separated by commas, in"
                " addition to the system's (for Redis over TLS)."
            ),
        ),
    )
    cache_metrics_histograms_enabled: bool = field(
        default=False,
        metadata=_meta(
            category="Cache",
            description=(
                "Add latency histograms of cache operations to the metrics"
                " (needs --metrics-enabled=true)."
            ),
        ),
    )
    cache_embedded_realms_max_count: int = field(
        default=10000,
        metadata=_meta(
            category="Cache",
            description="The most entries the realms cache holds on each node; the least"
            " recently used go first.",
            check=_check_positive,
        ),
    )
    cache_embedded_users_max_count: int = field(
        default=10000,
        metadata=_meta(
            category="Cache",
            description="The most entries the users cache holds on each node; the least"
            " recently used go first.",
            check=_check_positive,
        ),
    )
    cache_embedded_authorization_max_count: int = field(
        default=10000,
        metadata=_meta(
            category="Cache",
            description="The most entries the authorization cache holds on each node; the least"
            " recently used go first.",
            check=_check_positive,
        ),
    )
    cache_embedded_keys_max_count: int = field(
        default=1000,
        metadata=_meta(
            category="Cache",
            description="The most entries the keys cache holds on each node; the least"
            " recently used go first.",
            check=_check_positive,
        ),
    )
    cache_embedded_sessions_max_count: int = field(
        default=10000,
        metadata=_meta(
            category="Cache",
            description="The most entries the sessions cache holds on each node; the least"
            " recently used go first.",
            check=_check_positive,
        ),
    )
    cache_embedded_client_sessions_max_count: int = field(
        default=10000,
        metadata=_meta(
            category="Cache",
            description="The most entries the clientSessions cache holds on each node; the least"
            " recently used go first.",
            check=_check_positive,
        ),
    )
    cache_embedded_offline_sessions_max_count: int = field(
        default=10000,
        metadata=_meta(
            category="Cache",
            description="The most entries the offlineSessions cache holds on each node; the least"
            " recently used go first.",
            check=_check_positive,
        ),
    )
    cache_embedded_offline_client_sessions_max_count: int = field(
        default=10000,
        metadata=_meta(
            category="Cache",
            description="The most entries the offlineClientSessions cache holds on each node; the least"
            " recently used go first.",
            check=_check_positive,
        ),
    )
    # Logging
    log_level: str = field(
        default="info",
        metadata=_meta(
            category="Logging",
            description=(
                "The log level, or a root level followed by category:level pairs, separated by"
                " commas (info,ostium.protocol:debug)."
                f" Levels: {', '.join(_LOG_LEVELS)}; case does not matter."
            ),
            parse=_parse_log_level,
        ),
    )
    # Feature
    features: list[str] = field(
        default_factory=list,
        metadata=_meta(
            category="Feature",
            description="Features to enable, separated by commas (such as token-exchange).",
            parse=_parse_features,
        ),
    )
    features_disabled: list[str] = field(
        default_factory=list,
        metadata=_meta(
            category="Feature",
            description="Features to disable, separated by commas.",
            parse=_parse_features,
        ),
    )
    # Bootstrap admin
    bootstrap_admin_username: str = field(
        default="admin",
        metadata=_meta(
            category="Bootstrap admin",
            description=(
                "The user name of the administrator created in the master realm on the first start."
            ),
        ),
    )
    bootstrap_admin_password: str | None = field(
        default=None,
        metadata=_meta(
            category="Bootstrap admin",
            description=(
                "The password of that administrator. Read only when the master realm is created;"
                " change it later in the admin console or API."
            ),
            secret=True,
        ),
    )
    # Import
    import_realm: bool = field(
        default=False,
        metadata=_meta(
            category="Import",
            description=(
                "Import the realm files (Keycloak's export format, *.json) found in"
                " <data-dir>/import at start-up; a realm that already exists is left alone."
            ),
        ),
    )
    # Storage
    data_dir: Path = field(
        default=Path("data"),
        metadata=_meta(
            category="Storage",
            description=(
                "The directory of the SQLite database and the import directory."
                " A relative path is taken from the working directory."
            ),
        ),
    )

    _sources: Mapping[str, Source] = field(default_factory=dict, compare=False)

    def source_of(self, name: str) -> Source:
        """Where an option's value came from, so that show-config can explain a surprise."""
        return self._sources.get(option_named(name).name, "default")

    def __repr__(self) -> str:
        # The generated repr would print passwords into any log line that shows a Config.
        fields = []
        for option in OPTIONS:
            value = getattr(self, option.attribute)
            if option.masked and value is not None:
                value = display_value(self, option.name)
            fields.append(f"{option.attribute}={value!r}")
        return f"Config({', '.join(fields)})"


@dataclass(frozen=True)
class Option:
    """One option as the parser, ``--help`` and show-config see it, derived from its field."""

    name: str
    attribute: str
    kind: Kind
    optional: bool
    choices: tuple[str, ...]
    category: str
    description: str
    secret: bool
    aliases: Mapping[str, str]
    in_conf_file: bool
    default_label: str | None
    _default: Callable[[], object] = field(repr=False)
    _parse: Callable[[str], object] | None = field(repr=False)
    _check: Callable[[Any], None] | None = field(repr=False)
    _show: Callable[[Any], str] | None = field(repr=False)

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper().replace("-", "_")

    @property
    def masked(self) -> bool:
        """Whether show-config and logs hide (part of) the value: secrets, URLs with passwords."""
        return self.secret or self._show is not None

    def default(self) -> object:
        return self._default()

    def format(self, value: object, *, reveal: bool = False) -> str:
        """The value as a user writes it (true, a,b, /path); secrets masked unless revealed."""
        if value is None or value == []:
            return UNSET
        if self.secret and not reveal:
            return MASK
        if self._show is not None and not reveal:
            return self._show(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(str(item) for item in value)
        return str(value)

    def parse(self, raw: str) -> object:
        """Turn a raw string into this option's typed value; raises ValueError with the reason."""
        # A password may legitimately start or end with a space; nothing else does.
        text = raw if self.secret else raw.strip()
        if not text:
            if self.kind == "list":
                return []
            if self.optional:
                return None
            raise _BadValue("the value is empty")
        value: object
        if self._parse is not None:
            value = self._parse(text)
        elif self.kind == "bool":
            value = _parse_bool(text)
        elif self.kind == "int":
            value = _parse_int(text)
        elif self.kind == "path":
            value = Path(text)
        elif self.kind == "list":
            value = _parse_list(text)
        elif self.kind == "choice":
            lowered = text.lower()
            value = self.aliases.get(lowered, lowered)
            if value not in self.choices:
                raise _BadValue(f"{text!r}; expected one of: {', '.join(self.choices)}")
        else:
            value = text
        if self._check is not None:
            self._check(value)
        return value


def _kind_of(annotation: object) -> tuple[Kind, bool, tuple[str, ...]]:
    """The parser an option gets follows from its field's type, so the two cannot disagree."""
    optional = False
    if typing.get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            raise TypeError(f"an option is one type or that type | None, not {annotation!r}")
        annotation, optional = members[0], True
    if annotation is bool:
        return "bool", optional, ()
    if annotation is int:
        return "int", optional, ()
    if annotation is str:
        return "str", optional, ()
    if annotation is Path:
        return "path", optional, ()
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and args == (str,):
        return "list", optional, ()
    if origin is Literal:
        return "choice", optional, tuple(str(arg) for arg in args)
    raise TypeError(f"no parser for an option of type {annotation!r}")


def _build_options() -> tuple[Option, ...]:
    hints = typing.get_type_hints(Config)
    options: list[Option] = []
    for config_field in dataclasses.fields(Config):
        meta = config_field.metadata.get("option")
        if not isinstance(meta, _Meta):
            continue
        kind, optional, choices = _kind_of(hints[config_field.name])
        default: Callable[[], object]
        if config_field.default_factory is not dataclasses.MISSING:
            default = config_field.default_factory
        else:
            default = _constant(config_field.default)
        options.append(
            Option(
                name=config_field.name.replace("_", "-"),
                attribute=config_field.name,
                kind=kind,
                optional=optional,
                choices=choices,
                category=meta.category,
                description=meta.description,
                secret=meta.secret,
                aliases=meta.aliases,
                in_conf_file=meta.in_conf_file,
                default_label=meta.default_label,
                _default=default,
                _parse=meta.parse,
                _check=meta.check,
                _show=meta.show,
            )
        )
    return tuple(options)


def _constant(value: object) -> Callable[[], object]:
    return lambda: value


OPTIONS: tuple[Option, ...] = _build_options()
_BY_NAME: Mapping[str, Option] = {option.name: option for option in OPTIONS}

# What `start-dev` changes so that a newcomer needs no flags at all (Keycloak does the same).
_MODE_DEFAULTS: Mapping[Mode, Mapping[str, object]] = {
    "dev": {"http-enabled": True, "hostname-strict": False},
    "prod": {},
}


def option_named(name: str) -> Option:
    """The option called ``name`` (``http-port``, ``--http-port`` or ``http_port``)."""
    key = name.removeprefix("--").replace("_", "-")
    try:
        return _BY_NAME[key]
    except KeyError:
        raise KeyError(f"no option named {name!r}") from None


def display_value(config: Config, name: str) -> str:
    """An option's value for show-config and logs: secrets and URL passwords masked."""
    option = option_named(name)
    return option.format(getattr(config, option.attribute))


# --- loading ------------------------------------------------------------------------------


# Other spellings of an option's name: Ostium's short one for a long Keycloak name.
_NAME_ALIASES: Mapping[str, str] = {
    "sticky-session-attach-route": "spi-sticky-session-encoder-infinispan-should-attach-route",
}

# Caches whose entries must never be evicted while alive: bounding them would lose logins
# in progress, lockouts or single-use marks. Keycloak refuses a bound on them too.
_UNBOUNDED_CACHES: Mapping[str, str] = {
    "action-tokens": "actionTokens",
    "authentication-sessions": "authenticationSessions",
    "login-failures": "loginFailures",
    "work": "work",
}


def _option_for(name: str, where: str) -> Option:
    """The option a user wrote `name` for; `where` tells the error where it was written."""
    name = _NAME_ALIASES.get(name, name)
    option = _BY_NAME.get(name)
    if option is not None:
        return option
    refused = re.fullmatch(r"cache-embedded-(.+)-max-count", name)
    if refused and refused.group(1) in _UNBOUNDED_CACHES:
        raise ConfigError(
            f"Option '{name}'{where} cannot be set: the {_UNBOUNDED_CACHES[refused.group(1)]}"
            " cache must not be bounded, or live entries would be evicted"
        )
    prefix = "--" if where == "" else ""
    raise ConfigError(
        f"Unknown option{':' if where == '' else ''} '{prefix}{name}'{where}"
        f"{_did_you_mean(name, prefix)}"
    )


def _did_you_mean(name: str, prefix: str) -> str:
    close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
    return f" (did you mean '{prefix}{close[0]}'?)" if close else ""


def _read_cli(args: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("--") or arg == "--":
            raise ConfigError(f"Unexpected argument: {arg!r}; options look like --name=value")
        name, equals, raw = arg[2:].partition("=")
        option = _option_for(name, "")
        following = args[index] if index < len(args) else None
        if equals:
            values[option.name] = raw
        elif option.kind == "bool":
            # A boolean given alone means true (Keycloak's --import-realm); a following
            # true/false is its value.
            if following is not None and following.lower() in ("true", "false"):
                values[option.name] = following
                index += 1
            else:
                values[option.name] = "true"
        elif following is None or following.startswith("--"):
            raise ConfigError(f"Missing value for option '{option.flag}'")
        else:
            values[option.name] = following
            index += 1
    return values


def _read_conf_file(path: Path) -> dict[str, tuple[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"Cannot read conf file {path}: it is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read conf file {path}: {exc.strerror}") from None
    values: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, equals, raw = stripped.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ConfigError(f"Invalid line in {path} line {number}: expected name=value")
        option = _option_for(name, f" in {path} line {number}")
        if not option.in_conf_file:
            raise ConfigError(
                f"Option '{name}' cannot be set in {path} line {number};"
                f" use {option.flag} or {option.env_var}"
            )
        values[option.name] = (raw.strip(), number)
    return values


def _parse(option: Option, raw: str, origin: str) -> object:
    try:
        return option.parse(raw)
    except _BadValue as exc:
        reason = str(exc)
        if option.secret:
            reason = "the value is rejected"
        raise ConfigError(f"Invalid value for option '{option.flag}'{origin}: {reason}") from None


def load_config(
    args: Sequence[str],
    env: Mapping[str, str],
    mode: Mode,
    cwd: Path | None = None,
) -> Config:
    """Resolve every option from the command line, the environment, the conf file and defaults.

    ``args`` are the options after the sub-command; ``env`` is usually ``os.environ``, in which
    unknown ``OSTIUM_*`` names are ignored because the environment is shared with other tools.
    Relative paths are resolved against ``cwd`` (the working directory when not given).
    """
    base = Path.cwd() if cwd is None else cwd
    cli = _read_cli(args)
    env = _canonical_env(env)
    file_option = option_named("config-file")
    explicit_file: tuple[str, str] | None = None
    if file_option.name in cli:
        explicit_file = (cli[file_option.name], "")
    elif file_option.env_var in env:
        explicit_file = (env[file_option.env_var], f" (from {file_option.env_var})")
    if explicit_file is not None and explicit_file[0].strip():
        conf_path = _absolute(Path(explicit_file[0].strip()), base)
        if not conf_path.is_file():
            raise ConfigError(
                f"Invalid value for option '--config-file'{explicit_file[1]}:"
                f" no such file: {conf_path}"
            )
    else:
        conf_path = base / DEFAULT_CONFIG_FILE
    conf = _read_conf_file(conf_path) if conf_path.is_file() else {}

    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    mode_defaults = _MODE_DEFAULTS[mode]
    for option in OPTIONS:
        source: Source
        if option.name in cli:
            source, value = "cli", _parse(option, cli[option.name], "")
        elif option.env_var in env:
            origin = f" (from {option.env_var})"
            source, value = "env", _parse(option, env[option.env_var], origin)
        elif option.name in conf:
            raw, number = conf[option.name]
            source, value = "conf file", _parse(option, raw, f" (from {conf_path} line {number})")
        elif option.name in mode_defaults:
            source, value = "mode default", mode_defaults[option.name]
        else:
            source, value = "default", option.default()
        if option.kind == "path" and isinstance(value, Path):
            value = _absolute(value, base)
        values[option.attribute] = value
        sources[option.name] = source
    if sources["config-file"] == "default":
        values["config_file"] = conf_path if conf_path.is_file() else None

    config = Config(**values, _sources=sources)
    _check_together(config)
    return config


def _canonical_env(env: Mapping[str, str]) -> Mapping[str, str]:
    """The environment with aliased names under their option's variable; a refused option
    set in the environment is an error like anywhere else."""
    result = dict(env)
    for alias, name in _NAME_ALIASES.items():
        alias_var = ENV_PREFIX + alias.upper().replace("-", "_")
        if alias_var in env:
            result.setdefault(option_named(name).env_var, env[alias_var])
    for cache in _UNBOUNDED_CACHES:
        name = f"cache-embedded-{cache}-max-count"
        if ENV_PREFIX + name.upper().replace("-", "_") in env:
            _option_for(name, f" (from {ENV_PREFIX + name.upper().replace('-', '_')})")
    return result


def _absolute(value: Path, base: Path) -> Path:
    return base / value.expanduser()


def _check_together(config: Config) -> None:
    """Rules that span options, checked in every mode so that show-config reports them too."""
    if (config.https_certificate_file is None) != (config.https_certificate_key_file is None):
        given, missing = (
            ("--https-certificate-file", "--https-certificate-key-file")
            if config.https_certificate_file is not None
            else ("--https-certificate-key-file", "--https-certificate-file")
        )
        raise ConfigError(f"Missing option '{missing}': it is needed together with {given}")
    if "persistent-user-sessions" in config.features_disabled:
        for name in (
            "cache-embedded-sessions-max-count",
            "cache-embedded-client-sessions-max-count",
        ):
            if config.source_of(name) != "default":
                raise ConfigError(
                    f"Option '--{name}' cannot be set with persistent-user-sessions disabled:"
                    " the cache then holds the only copy of the sessions"
                )
    if config.cache == "redis" and not config.cache_remote_host:
        raise ConfigError(
            "Missing option '--cache-remote-host': --cache=redis needs the Redis server's address"
        )
    both = [feature for feature in config.features_disabled if feature in config.features]
    if both:
        raise ConfigError(
            f"Invalid value for option '--features-disabled': {both[0]!r} is also in --features"
        )


def check_production(config: Config) -> None:
    """Refuse the set-ups that are unsafe on a network, as Keycloak's ``start`` does."""
    if config.hostname is None and config.hostname_strict:
        raise ConfigError(
            "Missing option '--hostname': production mode builds issuer URLs and redirects from"
            " it; set --hostname=<host> or --hostname-strict=false"
        )
    if not config.http_enabled and config.https_certificate_file is None:
        raise ConfigError(
            "Missing option '--https-certificate-file': production mode serves HTTPS only;"
            " set --https-certificate-file and --https-certificate-key-file,"
            " or --http-enabled=true behind a TLS-terminating proxy"
        )
    for name in ("https-certificate-file", "https-certificate-key-file"):
        path = getattr(config, option_named(name).attribute)
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"Invalid value for option '--{name}': no such file: {path}")


# --- the database URL ---------------------------------------------------------------------


def database_url(config: Config) -> str:
    """The SQLAlchemy async URL for the configured database.

    Operators bring URLs written for Keycloak (JDBC) or for psql (libpq); both are turned into
    the asyncpg form here so that the rest of the code sees one shape.
    """
    if config.db == "sqlite":
        if config.db_url is None:
            return f"sqlite+aiosqlite:///{config.data_dir.absolute() / 'ostium.db'}"
        if _url_scheme(config.db_url) not in _SQLITE_SCHEMES:
            raise ConfigError(
                f"Invalid value for option '--db-url': {_redact_url(config.db_url)!r}"
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
    if scheme not in _POSTGRES_SCHEMES:
        raise ConfigError(
            f"Invalid value for option '--db-url': {_redact_url(url)!r}"
            " is a SQLite URL but --db is postgres; set --db=sqlite"
        )
    jdbc = scheme == "jdbc:postgresql"
    parts = urlsplit("postgresql://" + rest)
    if not parts.hostname or not _port_is_valid(parts):
        raise ConfigError(
            f"Invalid value for option '--db-url': {_redact_url(url)!r} has no valid host"
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


# --- help ---------------------------------------------------------------------------------

_MODE_SUMMARY: Mapping[Mode, str] = {
    "dev": (
        "Starts Ostium in development mode: SQLite under data/, local caches, plain HTTP on"
        " port 8080, no hostname needed. Not for production."
    ),
    "prod": (
        "Starts Ostium in production mode. It refuses to start without --hostname, and without"
        " HTTPS unless --http-enabled=true says a proxy in front terminates TLS."
    ),
}


def _metavar(option: Option) -> str:
    if option.kind == "choice":
        return f"<{'|'.join(option.choices)}>"
    if option.kind == "bool":
        return "<true|false>"
    return {"int": "<number>", "path": "<path>", "list": "<value,...>"}.get(option.kind, "<value>")


def _default_text(option: Option, mode: Mode) -> str | None:
    if option.default_label is not None:
        return option.default_label
    mode_defaults = _MODE_DEFAULTS[mode]
    value = mode_defaults.get(option.name, option.default())
    if value is None or value == []:
        return None
    text = option.format(value, reveal=True)
    return f"{text} (in development mode)" if option.name in mode_defaults else text


def help_text(mode: Mode) -> str:
    """The ``--help`` of ``start``/``start-dev``: every option, grouped as in the docs."""
    command = "start-dev" if mode == "dev" else "start"
    lines = [
        f"Usage: ostium {command} [OPTIONS]",
        "",
        *textwrap.wrap(_MODE_SUMMARY[mode], width=88),
        "",
        *textwrap.wrap(
            "Each option is read from the command line (--name=value or --name value), else"
            f" from the environment ({ENV_PREFIX}NAME), else from the conf file"
            f" ({DEFAULT_CONFIG_FILE}: name=value), else from its default.",
            width=88,
        ),
    ]
    categories: dict[str, list[Option]] = {}
    for option in OPTIONS:
        categories.setdefault(option.category, []).append(option)
    for category, options in categories.items():
        lines += ["", f"{category}:"]
        for option in options:
            lines += ["", f"  {option.flag} {_metavar(option)}"]
            lines += textwrap.wrap(
                option.description, width=88, initial_indent="      ", subsequent_indent="      "
            )
            facts = []
            default = _default_text(option, mode)
            if default is not None:
                facts.append(f"Default: {default}.")
            # A no-break space keeps "Env:" with its name when the line wraps.
            facts.append(f"Env:\u00a0{option.env_var}.")
            if not option.in_conf_file:
                facts.append("Not read from the conf file.")
            wrapped = textwrap.wrap(
                " ".join(facts), width=88, initial_indent="      ", subsequent_indent="      "
            )
            lines += [line.replace("\u00a0", " ") for line in wrapped]
    return "\n".join(lines) + "\n"
