"""The one registry of options: every area's declarations, gathered into `Config` and `OPTIONS`.

Options keep Keycloak's names so that a set-up written for Keycloak carries over. Each area
(``options_http``, ``options_database``, …) declares its options as fields of a frozen
dataclass; `Config` inherits them all, so mypy checks every ``config.<option>`` in the code, and
`OPTIONS` is derived from the same fields, in the order of `AREAS`: the parser, ``--help`` and
``show-config`` read nothing else.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from ostium.config.declare import MASK, UNSET, BadValue, OptionMeta, parse_list
from ostium.config.options_cache import CacheOptions
from ostium.config.options_database import DatabaseOptions
from ostium.config.options_features import FeatureOptions
from ostium.config.options_general import GeneralOptions
from ostium.config.options_hostname_proxy import HostnameProxyOptions
from ostium.config.options_http import HttpOptions
from ostium.config.options_logging import LoggingOptions
from ostium.config.options_startup import StartupOptions
from ostium.config.options_x509 import X509Options

__all__ = [
    "AREAS",
    "BY_NAME",
    "ENV_PREFIX",
    "MASK",
    "MODE_DEFAULTS",
    "OPTIONS",
    "Config",
    "Kind",
    "Mode",
    "Option",
    "Source",
    "build_options",
    "display_value",
    "option_named",
]

Mode = Literal["dev", "prod"]
Source = Literal["cli", "env", "conf file", "mode default", "default"]
Kind = Literal["bool", "int", "str", "path", "list", "choice"]

ENV_PREFIX = "OSTIUM_"

# The areas in the order --help and show-config list them.
AREAS: tuple[type, ...] = (
    GeneralOptions,
    HostnameProxyOptions,
    HttpOptions,
    X509Options,
    DatabaseOptions,
    CacheOptions,
    LoggingOptions,
    FeatureOptions,
    StartupOptions,
)


def parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise BadValue(f"{raw!r} is not a boolean; expected true or false")
    return lowered == "true"


def parse_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadValue(f"{raw!r} is not an integer") from None


# A dataclass collects the fields of its bases from the last base to the first; the order of
# the bases does not matter to anyone, since OPTIONS follows AREAS.
@dataclass(frozen=True, repr=False)
class Config(
    StartupOptions,
    FeatureOptions,
    LoggingOptions,
    CacheOptions,
    DatabaseOptions,
    X509Options,
    HttpOptions,
    HostnameProxyOptions,
    GeneralOptions,
):
    """The resolved configuration of one server process, typed for the code that reads it.

    Build it with `load_config`; ``Config()`` gives the option defaults (handy in tests).
    """

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
            raise BadValue("the value is empty")
        value: object
        if self._parse is not None:
            value = self._parse(text)
        elif self.kind == "bool":
            value = parse_bool(text)
        elif self.kind == "int":
            value = parse_int(text)
        elif self.kind == "path":
            value = Path(text)
        elif self.kind == "list":
            value = parse_list(text)
        elif self.kind == "choice":
            lowered = text.lower()
            value = self.aliases.get(lowered, lowered)
            if value not in self.choices:
                raise BadValue(f"{text!r}; expected one of: {', '.join(self.choices)}")
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


def build_options(areas: Sequence[type]) -> tuple[Option, ...]:
    """The options the areas declare, in their order: each field marked with `option()`."""
    options: list[Option] = []
    for area in areas:
        options += _options_of(area)
    return tuple(options)


def _options_of(area: type) -> list[Option]:
    hints = typing.get_type_hints(area)
    options: list[Option] = []
    for config_field in dataclasses.fields(area):
        meta = config_field.metadata.get("option")
        if not isinstance(meta, OptionMeta):
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
    return options


def _constant(value: object) -> Callable[[], object]:
    return lambda: value


OPTIONS: tuple[Option, ...] = build_options(AREAS)
BY_NAME: Mapping[str, Option] = {option.name: option for option in OPTIONS}

# What `start-dev` changes so that a newcomer needs no flags at all (Keycloak does the same).
MODE_DEFAULTS: Mapping[Mode, Mapping[str, object]] = {
    "dev": {
        "http-enabled": True,
        "hostname-strict": False,
        "spi-theme-cache-themes": False,
        "spi-theme-cache-templates": False,
    },
    "prod": {},
}


def option_named(name: str) -> Option:
    """The option called ``name`` (``http-port``, ``--http-port`` or ``http_port``)."""
    key = name.removeprefix("--").replace("_", "-")
    try:
        return BY_NAME[key]
    except KeyError:
        raise KeyError(f"no option named {name!r}") from None


def display_value(config: Config, name: str) -> str:
    """An option's value for show-config and logs: secrets and URL passwords masked."""
    option = option_named(name)
    return option.format(getattr(config, option.attribute))
