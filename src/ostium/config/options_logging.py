"""Logging options."""

from __future__ import annotations

from dataclasses import dataclass, field

from ostium.config.declare import BadValue, option

__all__ = ["KEYCLOAK_CATEGORY", "LOG_LEVELS", "LoggingOptions"]


LOG_LEVELS = ("off", "fatal", "error", "warn", "warning", "info", "debug", "trace", "all")

# Keycloak's root category: Ostium reads it as its own, `ostium`, so that a Keycloak script's
# `org.keycloak:debug` turns on Ostium's debug logs.
KEYCLOAK_CATEGORY = "org.keycloak"
# Java namespaces Keycloak's other categories live in; none names a Python logger.
_JAVA_PREFIXES = ("org.", "io.", "com.", "java.", "javax.", "jakarta.", "net.")


def _check_category(category: str) -> None:
    """A category is a Python logger name (ostium.protocol, uvicorn, sqlalchemy.engine); a
    Java category of Keycloak other than org.keycloak names nothing in Ostium."""
    if category == KEYCLOAK_CATEGORY or not category.startswith(_JAVA_PREFIXES):
        return
    raise BadValue(
        f"the category {category!r} is Keycloak's (Java) and not supported; categories are"
        " Python logger names such as ostium, ostium.web, uvicorn or sqlalchemy.engine,"
        " and org.keycloak stands for ostium"
    )


def _parse_log_level(raw: str) -> str:
    """Keycloak's form: an optional root level, then ``category:level`` pairs, comma-separated."""
    entries: list[str] = []
    root_seen = False
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            raise BadValue(f"{raw!r} has an empty entry")
        category, colon, level = item.rpartition(":")
        if colon and not category:
            raise BadValue(f"{item!r} has no category before ':'")
        if not colon:
            if root_seen:
                raise BadValue(f"{raw!r} sets the root level twice")
            root_seen = True
        if level.lower() not in LOG_LEVELS:
            raise BadValue(
                f"{level!r} is not a log level; expected one of: {', '.join(LOG_LEVELS)}"
            )
        if colon:
            _check_category(category)
        entries.append(f"{category}:{level.lower()}" if colon else level.lower())
    return ",".join(entries)


@dataclass(frozen=True, repr=False)
class LoggingOptions:
    """How much the server logs."""

    log_level: str = field(
        default="info",
        metadata=option(
            category="Logging",
            description=(
                "The log level, or a root level followed by category:level pairs, separated by"
                " commas (info,ostium.web:debug). A category is a Python logger name and covers"
                " the loggers below it: ostium (all of Ostium; Keycloak's org.keycloak means the"
                " same), ostium.web, ostium.events, uvicorn, sqlalchemy.engine."
                f" Levels: {', '.join(LOG_LEVELS)}; case does not matter."
            ),
            parse=_parse_log_level,
        ),
    )
