"""Every server option, declared once, and how a configuration is resolved from its sources.

The options are declared by area (``options_http``, ``options_hostname_proxy``,
``options_database``, ``options_cache``, ``options_logging``, ``options_features``, …) and
gathered into one registry (`registry`): `Config` for the code that reads them, `OPTIONS` for
the parser (`parsing`), ``--help`` (`help`) and ``show-config``. An option is either read by
the code it configures or listed in `unsupported`, which refuses any value but its default
(tests/unit/test_option_audit.py checks this). Only the standard library is imported, so that
``--help`` and ``show-config`` start instantly.
"""

from __future__ import annotations

from ostium.config.database import database_url
from ostium.config.declare import MASK, ConfigError
from ostium.config.help import help_text
from ostium.config.parsing import DEFAULT_CONFIG_FILE, check_production, load_config
from ostium.config.registry import (
    ENV_PREFIX,
    OPTIONS,
    Config,
    Mode,
    Option,
    Source,
    display_value,
    option_named,
)

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
