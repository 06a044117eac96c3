"""A bounded, optionally expiring, in-process cache: the `--cache=local` building block."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["LocalCache"]

V = TypeVar("V")


class LocalCache(Generic[V]):
    """LRU with a max count and an optional time-to-live.

    Time comes from a monotonic source, not the wall clock, so a clock change on the
    host never mass-expires or immortalises entries.
    """

    def __init__(
        self,
        name: str,
        max_count: int,
        ttl_seconds: float | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.max_count = max_count
        self.ttl = ttl_seconds
        self._monotonic = monotonic
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None or (self.ttl is not None and entry[0] < self._monotonic()):
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: str, value: V) -> None:
        expires = self._monotonic() + self.ttl if self.ttl is not None else 0.0
        self._entries[key] = (expires, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_count:
            self._entries.popitem(last=False)
            self.evictions += 1

    def invalidate(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
