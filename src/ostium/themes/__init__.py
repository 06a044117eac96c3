"""Keycloak-style themes: the themes folder and the built-in theme (see `folder`)."""

from __future__ import annotations

from ostium.themes.folder import (
    BUILTIN,
    BUILTIN_ALIASES,
    THEME_TYPES,
    ResolvedTheme,
    ThemeFolder,
)
from ostium.themes.properties import PropertiesError, parse_properties

__all__ = [
    "BUILTIN",
    "BUILTIN_ALIASES",
    "THEME_TYPES",
    "PropertiesError",
    "ResolvedTheme",
    "ThemeFolder",
    "parse_properties",
]
