"""The bounded in-process cache behind `--cache=local` and every node's local caches."""

from __future__ import annotations

from ostium.sessions.local_cache import LocalCache


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_entries_go_first() -> None:
    cache: LocalCache[int] = LocalCache("realms", 2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    assert cache.evictions == 1 and len(cache) == 2


def test_entries_expire_by_the_monotonic_clock() -> None:
    ticker = Ticker()
    cache: LocalCache[str] = LocalCache("keys", 10, 3600.0, monotonic=ticker)
    cache.put("k", "v")
    cache.put("short", "v", ttl=5)
    ticker.now = 6
    assert cache.get("short") is None
    assert cache.get("k") == "v"
    ticker.now = 3601
    assert cache.get("k") is None
    assert (cache.hits, cache.misses) == (1, 2)


def test_a_group_is_invalidated_at_once() -> None:
    cache: LocalCache[str] = LocalCache("realms", None)
    cache.put("realm:r1", "realm", group="r1")
    cache.put("client:r1:c", "client", group="r1")
    cache.put("realm:r2", "other", group="r2")
    cache.invalidate_group("r1")
    assert cache.keys() == ["realm:r2"]
    cache.put("realm:r2", "replaced", group="r2")  # re-put keeps one entry in its group
    cache.invalidate_group("r2")
    assert len(cache) == 0
