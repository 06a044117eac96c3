"""The cache options as the server applies them: each `--cache-embedded-<cache>-max-count`
bounds its cache on this node, and `--cache-metrics-histograms-enabled` turns on latencies."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ostium.config import load_config
from ostium.server import _caches

BOUNDED = {
    "realms": "realms",
    "users": "users",
    "authorization": "authorization",
    "keys": "keys",
    "sessions": "sessions",
    "client-sessions": "clientSessions",
    "offline-sessions": "offlineSessions",
    "offline-client-sessions": "offlineClientSessions",
}


@pytest.mark.parametrize(("option", "cache"), BOUNDED.items())
def test_a_max_count_evicts_the_least_recently_used_entry(
    tmp_path: Path, option: str, cache: str
) -> None:
    config = load_config([f"--cache-embedded-{option}-max-count=2"], {}, "dev", cwd=tmp_path)

    async def fill() -> tuple[int, int]:
        caches = await _caches(config)
        if cache in caches.local:
            local = caches.local[cache]
            for key in ("a", "b", "c"):
                local.put(key, {"key": key})
            return len(local), local.stats.evictions
        distributed = caches[cache]
        for key in ("a", "b", "c"):
            await distributed.put(key, {"key": key}, ttl=60)
        kept = [key for key in ("a", "b", "c") if await distributed.get(key) is not None]
        return len(kept), distributed.stats.evictions

    assert asyncio.run(fill()) == (2, 1)


def test_histograms_follow_their_option(tmp_path: Path) -> None:
    on = load_config(["--cache-metrics-histograms-enabled=true"], {}, "dev", cwd=tmp_path)
    off = load_config([], {}, "dev", cwd=tmp_path)

    assert all(stats.histograms for stats in asyncio.run(_caches(on)).stats())
    assert not any(stats.histograms for stats in asyncio.run(_caches(off)).stats())
