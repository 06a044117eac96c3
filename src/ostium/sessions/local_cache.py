"""A bounded, optionally expiring, in-process cache: the `--cache=local` building block."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from ostium.sessions.stats import CacheStats

__all__ = ["LocalCache"]

V = TypeVar("V")


class LocalCache(Generic[V]):
    """LRU with a max count and an optional time-to-live, per cache or per entry.

    Time comes from a monotonic source, not the wall clock, so a clock change on the
    host never mass-expires or immortalises entries. An entry may belong to a group (its
    realm, say) so that one invalidation drops everything a change may have made stale.
    """

    def __init__(
        self,
        name: str,
        max_count: int | None,
        ttl_seconds: float | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.max_count = max_count
        self.ttl = ttl_seconds
        self.stats = CacheStats(name)
        self._monotonic = monotonic
        self._entries: OrderedDict[str, tuple[float | None, str | None, V]] = OrderedDict()
        self._groups: dict[str, set[str]] = {}

    # Counters kept as attributes too: they read well in tests and benchmarks.
    @property
    def hits(self) -> int:
        return self.stats.hits

    @property
    def misses(self) -> int:
        return self.stats.misses

    @property
    def evictions(self) -> int:
        return self.stats.evictions

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None or (entry[0] is not None and entry[0] < self._monotonic()):
            if entry is not None:
                self._drop(key)
            self.stats.misses += 1
            return None
        self._entries.move_to_end(key)
        self.stats.hits += 1
        return entry[2]

    def put(
        self, key: str, value: V, *, ttl: float | None = None, group: str | None = None
    ) -> None:
        lifetime = ttl if ttl is not None else self.ttl
        expires = self._monotonic() + lifetime if lifetime is not None else None
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (expires, group, value)
        if group is not None:
            self._groups.setdefault(group, set()).add(key)
        while self.max_count is not None and len(self._entries) > self.max_count:
            oldest = next(iter(self._entries))
            self._drop(oldest)
            self.stats.evictions += 1

    def invalidate(self, key: str) -> None:
        if key in self._entries:
            self._drop(key)

    def invalidate_group(self, group: str) -> None:
        for key in list(self._groups.get(group, ())):
            self.invalidate(key)

    def clear(self) -> None:
        self._entries.clear()
        self._groups.clear()

    def keys(self) -> list[str]:
        return list(self._entries)

    def _drop(self, key: str) -> None:
        _, group, _ = self._entries.pop(key)
        if group is not None:
            members = self._groups.get(group)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._groups[group]

    def __len__(self) -> int:
        return len(self._entries)
