"""Cache metrics on the management `/metrics`, named as Keycloak 26 (Micrometer) names them:
`cache_gets_total{cache,result}`, `cache_evictions_total`, `cache_size`, plus
`cache_remote_calls_total` and, when enabled, `cache_operation_seconds` histograms."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ostium.sessions.caches import Caches
from ostium.sessions.stats import LATENCY_BUCKETS

__all__ = ["CacheMetrics"]


class CacheMetrics(Collector):
    def __init__(self, caches: Caches) -> None:
        self._caches = caches

    def collect(self) -> Iterator[Metric]:
        gets = CounterMetricFamily(
            "cache_gets", "Cache lookups, by result", labels=["cache", "result"]
        )
        evictions = CounterMetricFamily(
            "cache_evictions", "Entries evicted to keep the cache bounded", labels=["cache"]
        )
        remote = CounterMetricFamily(
            "cache_remote_calls", "Round trips to the remote cache (Redis)", labels=["cache"]
        )
        size = GaugeMetricFamily("cache_size", "Entries held on this node", labels=["cache"])
        latency = HistogramMetricFamily(
            "cache_operation_seconds",
            "Time per cache operation",
            labels=["cache", "operation"],
        )
        histograms = False
        for stats in self._caches.stats():
            gets.add_metric([stats.name, "hit"], stats.hits)
            gets.add_metric([stats.name, "miss"], stats.misses)
            evictions.add_metric([stats.name], stats.evictions)
            remote.add_metric([stats.name], stats.remote_calls)
            for operation, slots in stats.latency.items():
                histograms = True
                cumulative, buckets = 0.0, []
                for bound, count in zip(
                    [*(str(b) for b in LATENCY_BUCKETS), "+Inf"], slots[:-2], strict=True
                ):
                    cumulative += count
                    buckets.append((bound, cumulative))
                latency.add_metric([stats.name, operation], buckets, slots[-2])
        for name, cache in self._caches.local.items():
            size.add_metric([name], len(cache))
        for name, distributed in self._caches.distributed.items():
            held = getattr(distributed, "local_size", None)
            if callable(held):
                size.add_metric([name], held())
        yield from (gets, evictions, remote, size)
        if histograms:
            yield latency
