"""Time as a dependency, so tests move it forward instead of sleeping."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> int:
        """Seconds since the epoch: JWT claims and Keycloak's timestamps are whole seconds."""
        ...


class SystemClock:
    def now(self) -> int:
        return int(time.time())


class FixedClock:
    """A clock that moves only when told to; flow tests use it to expire codes and sessions."""

    def __init__(self, start: int | None = None) -> None:
        self._now = int(time.time()) if start is None else start

    def now(self) -> int:
        return self._now

    def advance(self, seconds: int) -> None:
        self._now += seconds
