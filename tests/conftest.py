"""Fixtures shared by every suite: a real in-process server on a fresh SQLite file."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from tests.support import OstiumUnderTest, start_in_process


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture
async def ostium(tmp_path) -> AsyncIterator[OstiumUnderTest]:  # type: ignore[no-untyped-def]
    server = await start_in_process(tmp_path)
    try:
        yield server
    finally:
        await server.close()
