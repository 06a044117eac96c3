"""How an option is declared: the marker on a `Config` field and the value checks areas share.

Only the standard library is imported, so that ``--help`` and ``show-config`` start instantly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult

__all__ = [
    "MASK",
    "UNSET",
    "BadValue",
    "ConfigError",
    "OptionMeta",
    "check_port",
    "check_positive",
    "option",
    "parse_list",
    "port_is_valid",
]

MASK = "*******"
UNSET = "<unset>"


class ConfigError(Exception):
    """A configuration the operator must fix; the message is one line naming the option."""

    def __init__(self, message: str) -> None:
        # One line, so that `ERROR: …` stays greppable in logs and never reads like a trace.
        super().__init__(" ".join(message.splitlines()))


class BadValue(ValueError):
    """Why a raw value is rejected; the caller adds which option it was and where it came from."""


def parse_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def check_port(value: int) -> None:
    # 0 asks the OS for a free port: handy for tests, harmless otherwise.
    if not 0 <= value <= 65535:
        raise BadValue(f"'{value}' is not a port number (0-65535)")


def check_positive(value: int) -> None:
    if value < 1:
        raise BadValue(f"{value} is not a positive number")


def port_is_valid(parts: SplitResult) -> bool:
    try:
        _ = parts.port  # the property raises on a port that is not a number in range
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class OptionMeta:
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


def option(
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
) -> dict[str, OptionMeta]:
    """Mark a `Config` field as an option; its name, type and default give the rest."""
    return {
        "option": OptionMeta(
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
