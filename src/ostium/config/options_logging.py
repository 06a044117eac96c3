"""Logging options."""

from __future__ import annotations

from dataclasses import dataclass, field

from ostium.config.declare import BadValue, option

__all__ = ["LOG_LEVELS", "LoggingOptions"]


LOG_LEVELS = ("off", "fatal", "error", "warn", "warning", "info", "debug", "trace", "all")


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
                " commas (info,ostium.protocol:debug)."
                f" Levels: {', '.join(LOG_LEVELS)}; case does not matter."
            ),
            parse=_parse_log_level,
        ),
    )
