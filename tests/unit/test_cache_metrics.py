"""Cache metrics as Prometheus scrapes them from the management port."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from redis.asyncio import Redis

from ostium.sessions.caches import Caches, CacheSizes
from ostium.sessions.metrics import CacheMetrics
from tests.redis_server import namespace, redis_address


def scrape(caches: Caches) -> str:
    registry = CollectorRegistry()
    registry.register(CacheMetrics(caches))
    return generate_latest(registry).decode()


async def test_size_hits_misses_and_evictions_per_cache() -> None:
    caches = Caches.build(CacheSizes(realms=2))
    realms = caches.local["realms"]
    for key in ("a", "b", "c"):
        realms.put(key, key)
    realms.get("c")
    realms.get("a")  # evicted
    await caches["sessions"].put("s1", {"id": "s1"}, ttl=60)
    await caches["sessions"].get("s1")
    text = scrape(caches)
    assert 'cache_size{cache="realms"} 2.0' in text
    assert 'cache_gets_total{cache="realms",result="hit"} 1.0' in text
    assert 'cache_gets_total{cache="realms",result="miss"} 1.0' in text
    assert 'cache_evictions_total{cache="realms"} 1.0' in text
    assert 'cache_size{cache="sessions"} 1.0' in text
    assert 'cache_gets_total{cache="sessions",result="hit"} 1.0' in text
    for name in ("users", "authorization", "keys", "work", "authenticationSessions",
                 "clientSessions", "offlineSessions", "offlineClientSessions",
                 "loginFailures", "actionTokens"):  # fmt: skip
        assert f'cache_gets_total{{cache="{name}",result="hit"}}' in text, name
    assert "cache_operation_seconds" not in text


async def test_remote_calls_and_latency_histograms_on_redis() -> None:
    host, port = redis_address()
    caches = Caches.build(redis=Redis(host=host, port=port), histograms=True, namespace=namespace())
    try:
        await caches["sessions"].put("s1", {"id": "s1"}, ttl=60)
        await caches["sessions"].get("s1")
        await caches["sessions"].get("s2")
        text = scrape(caches)
    finally:
        await caches.close()
    assert 'cache_remote_calls_total{cache="sessions"} 3.0' in text
    assert 'cache_gets_total{cache="sessions",result="miss"} 1.0' in text
    assert 'cache_operation_seconds_count{cache="sessions",operation="get"} 2.0' in text
    assert 'cache_operation_seconds_bucket{cache="sessions",le="+Inf",operation="put"} 1.0' in text
