"""What each named cache counts, for the management `/metrics` (Keycloak: cache metrics)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LATENCY_BUCKETS", "CacheStats"]

# Seconds; a local hit is microseconds, a Redis round trip on a LAN a fraction of a
# millisecond, a slow one tens of milliseconds.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)


@dataclass
class CacheStats:
    name: str
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    remote_calls: int = 0
    # Filled only when histograms are enabled: per operation, counts per bucket (the
    # last slot is +Inf), the sum of seconds and the count.
    latency: dict[str, list[float]] = field(default_factory=dict)
    histograms: bool = False

    def observe(self, operation: str, seconds: float) -> None:
        if not self.histograms:
            return
        slots = self.latency.setdefault(operation, [0.0] * (len(LATENCY_BUCKETS) + 3))
        for index, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                slots[index] += 1
                break
        else:
            slots[len(LATENCY_BUCKETS)] += 1
        slots[-2] += seconds
        slots[-1] += 1
