"""A small fixed latency histogram: percentiles of any window without raw rows."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

# Upper bounds (ms) of the buckets; the last bucket (≥ 5 s) is open-ended. Sixteen buckets, dense
# where web latencies live, so p95 is within one bucket's width of the truth.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 3000, 5000,
)  # fmt: skip
BUCKETS = len(LATENCY_BOUNDS_MS) + 1


def bucket_of(ms: float) -> int:
    return bisect_right(LATENCY_BOUNDS_MS, ms)


def percentile(
    counts: Sequence[int], q: float, *, lowest: float | None, highest: float | None
) -> float | None:
    """The q-quantile (0–1), interpolated linearly inside its bucket and kept within min/max."""
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low = LATENCY_BOUNDS_MS[index - 1] if index > 0 else 0.0
            high = LATENCY_BOUNDS_MS[index] if index < len(LATENCY_BOUNDS_MS) else (highest or low)
            if lowest is not None:
                low = max(low, lowest)
            if highest is not None:
                high = min(high, highest)
            fraction = (rank - seen) / count
            return round(low + (max(high, low) - low) * fraction, 2)
        seen += count
    return highest
