"""Time as a dependency, so tests move it forward instead of sleeping."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> int:
        """Seconds since the epoch: JWT claims and Keycloak's timestamps are whole seconds."""
        ...

    def now_ms(self) -> int:
        """Milliseconds since the epoch, for the few rules finer than a second (Keycloak's
        quick-login check)."""
        ...


class SystemClock:
    def now(self) -> int:
        return int(time.time())

    def now_ms(self) -> int:
        return int(time.time() * 1000)


class FixedClock:
    """A clock that moves only when told to; flow tests use it to expire codes and sessions."""

    def __init__(self, start: int | None = None) -> None:
        self._ms = int(time.time() * 1000) if start is None else start * 1000

    def now(self) -> int:
        return self._ms // 1000

    def now_ms(self) -> int:
        return self._ms

    def advance(self, seconds: int) -> None:
        self._ms += seconds * 1000

    def advance_ms(self, milliseconds: int) -> None:
        self._ms += milliseconds
