"""`--log-level` as the server applies it: the root level, then each category's."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from ostium.config import load_config
from ostium.log_levels import configure_logging

TOUCHED = ("", "ostium", "ostium.web", "alembic", "uvicorn.error", "some.library")


@pytest.fixture(autouse=True)
def restore_levels() -> Iterator[None]:
    saved = {name: logging.getLogger(name).level for name in TOUCHED}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def _levels(tmp_path: Path, spec: str) -> None:
    config = load_config([f"--log-level={spec}"], {}, "dev", cwd=tmp_path)
    configure_logging(config.log_level)


def test_a_category_covers_the_loggers_below_it(tmp_path: Path) -> None:
    _levels(tmp_path, "warn,ostium.web:debug,uvicorn.error:off")

    assert logging.getLogger("some.library").isEnabledFor(logging.INFO) is False
    assert logging.getLogger("some.library").isEnabledFor(logging.WARNING)
    assert logging.getLogger("ostium.web.login").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("ostium.events").isEnabledFor(logging.DEBUG) is False
    assert logging.getLogger("uvicorn.error").isEnabledFor(logging.CRITICAL) is False


def test_org_keycloak_stands_for_ostium_and_trace_is_below_debug(tmp_path: Path) -> None:
    _levels(tmp_path, "org.keycloak:TRACE")

    assert logging.getLogger().level == logging.INFO  # no root level given: info
    assert logging.getLogger("ostium.events").isEnabledFor(logging.DEBUG - 1)
    assert logging.getLogger("some.library").isEnabledFor(logging.DEBUG) is False
    assert logging.getLogger("alembic").level == logging.WARNING
