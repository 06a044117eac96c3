"""What the first start creates and reads: the bootstrap admin, realm imports, the data directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ostium.config.declare import option

__all__ = ["StartupOptions"]


@dataclass(frozen=True, repr=False)
class StartupOptions:
    """The bootstrap administrator, the realms imported at start-up, where data lives."""

    bootstrap_admin_username: str = field(
        default="admin",
        metadata=option(
            category="Bootstrap admin",
            description=(
                "The user name of the administrator created in the master realm on the first start."
            ),
        ),
    )
    bootstrap_admin_password: str | None = field(
        default=None,
        metadata=option(
            category="Bootstrap admin",
            description=(
                "The password of that administrator. Read only when the master realm is created;"
                " change it later in the admin console or API."
            ),
            secret=True,
        ),
    )
    import_realm: bool = field(
        default=False,
        metadata=option(
            category="Import",
            description=(
                "Import the realm files (Keycloak's export format, *.json) found in"
                " <data-dir>/import at start-up; a realm that already exists is left alone."
            ),
        ),
    )
    data_dir: Path = field(
        default=Path("data"),
        metadata=option(
            category="Storage",
            description=(
                "The directory of the SQLite database and the import directory."
                " A relative path is taken from the working directory."
            ),
        ),
    )
    spi_password_policy_password_blacklist_blacklists_path: Path | None = field(
        default=None,
        metadata=option(
            category="Storage",
            description=(
                "The folder of the password blacklists that a realm's passwordBlacklist(<file>)"
                " policy names, one password a line. A relative path is taken from the"
                " working directory."
            ),
            default_label="<data-dir>/password-blacklists",
        ),
    )
    spi_theme_folder_dir: Path | None = field(
        default=None,
        metadata=option(
            category="Theme",
            description=(
                "The themes folder: <theme>/login/theme.properties, templates, messages and"
                " resources in Keycloak's layout (see the README's Themes). A relative path"
                " is taken from the working directory."
            ),
            default_label="<data-dir>/themes",
        ),
    )
    spi_theme_cache_themes: bool = field(
        default=True,
        metadata=option(
            category="Theme",
            description=(
                "Read the themes folder once; false reads it again on every page, for"
                " working on a theme (the default of start-dev)."
            ),
        ),
    )
    spi_theme_cache_templates: bool = field(
        default=True,
        metadata=option(
            category="Theme",
            description=(
                "Compile each template once; false re-reads a template changed on disk"
                " (the default of start-dev)."
            ),
        ),
    )
