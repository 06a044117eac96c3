"""Keycloak options Ostium declares but does not build yet: their "off" value is accepted,
anything else is refused by name.

A script written for Keycloak that sets one of them expects a behaviour Ostium would not give
; starting anyway would fail later and obscurely,
so start-up stops at once with one line that names the option. The default, which is what
Ostium does, stays accepted so that a script restating it runs unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from ostium.config.declare import ConfigError
from ostium.config.registry import Option

__all__ = ["NOT_SUPPORTED_YET", "refuse_unsupported"]

# Option name -> what to do instead, for the error line.
# Empty while every declared option acts; an option declared ahead of its implementation
# goes here, so that it is refused rather than ignored.
NOT_SUPPORTED_YET: Mapping[str, str] = {}


def refuse_unsupported(option: Option, value: object, origin: str) -> None:
    """Stop when ``value`` asks an option of `NOT_SUPPORTED_YET` for more than its default."""
    hint = NOT_SUPPORTED_YET.get(option.name)
    if hint is None or value == option.default():
        return
    raise ConfigError(f"{option.flag}={option.format(value)}{origin} is not supported yet ({hint})")
