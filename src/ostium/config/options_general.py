"""General options: which conf file to read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ostium.config.declare import option

__all__ = ["GeneralOptions"]


@dataclass(frozen=True, repr=False)
class GeneralOptions:
    """The conf file, which the parser reads before any other source."""

    config_file: Path | None = field(
        default=None,
        metadata=option(
            category="General",
            description=(
                "The conf file to read options from, one name=value per line; '#' starts a comment."
                " Only the command line and the environment can set it."
            ),
            default_label="conf/ostium.conf in the working directory, when it exists",
            in_conf_file=False,
        ),
    )
