"""Screenshots of the pages the browser tests visit, kept with every test run's artefacts
for a person to look at: in $OSTIUM_SCREENSHOTS when set, else `artifacts/screenshots/`
at the repository's root (git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

__all__ = ["shoot"]

DEFAULT = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def shoot(page: Page, name: str) -> Path:
    folder = Path(os.environ.get("OSTIUM_SCREENSHOTS") or DEFAULT)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
