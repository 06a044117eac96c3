"""`--log-level` applied to Python's logging: the root level, then each category's.

Keycloak's levels (JBoss logging) map onto Python's; `trace` and `all` go below DEBUG, `off`
above CRITICAL. A category is a Python logger name, so `ostium.web:debug` covers
`ostium.web` and every logger under it; Keycloak's `org.keycloak` stands for `ostium`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ostium.config.options_logging import KEYCLOAK_CATEGORY

__all__ = ["LogLevels", "configure_logging"]

_LEVELS = {
    "off": logging.CRITICAL + 10,
    "fatal": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": 5,
    "all": 1,
}
_FORMAT = "%(asctime)s %(levelname)-5s [%(name)s] %(message)s"


@dataclass(frozen=True)
class LogLevels:
    """The root level and the level of each category (Python logger name)."""

    root: int = logging.INFO
    categories: dict[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str) -> LogLevels:
        """`spec` as the option parser leaves it: checked, lower case, comma-separated."""
        root = logging.INFO
        categories: dict[str, int] = {}
        for entry in spec.split(","):
            category, colon, level = entry.rpartition(":")
            if not colon:
                root = _LEVELS[level]
            else:
                name = "ostium" if category == KEYCLOAK_CATEGORY else category
                categories[name] = _LEVELS[level]
        return cls(root, categories)


def configure_logging(spec: str) -> LogLevels:
    """Set up logging for a server process from `--log-level`."""
    levels = LogLevels.parse(spec)
    logging.basicConfig(level=levels.root, format=_FORMAT)
    logging.getLogger().setLevel(levels.root)
    # Migration chatter is noise at every first start; failures still surface. A category
    # given for alembic wins.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, levels.root))
    for name, level in levels.categories.items():
        logging.getLogger(name).setLevel(level)
    return levels
