"""Event-time windows as plain functions over JSON-ready bucket lists.

A bucket list is `[[start_s, amount], ...]` sorted by start, one entry per `step_s` of event
time. Hopping windows (size, step) end on step boundaries, as faust's hopping windows do.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from datetime import UTC, datetime
from itertools import accumulate
from operator import itemgetter


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


_start = itemgetter(0)


def bucket_start(ts: float, step_s: float) -> float:
    """Start of the step that holds `ts` (epoch-aligned, so every worker agrees)."""
    return math.floor(ts / step_s) * step_s


def hopping_window(ts: float, size_s: float, step_s: float) -> tuple[float, float]:
    """The hopping window that holds `ts` and ends first: at the step boundary after `ts`, so
    it covers the `size_s` of event time up to now."""
    end = bucket_start(ts, step_s) + step_s
    return end - size_s, end


def hopping_windows(ts: float, size_s: float, step_s: float) -> list[tuple[float, float]]:
    """Every hopping window that holds `ts`, earliest first (size / step of them)."""
    start, end = hopping_window(ts, size_s, step_s)
    count = math.ceil(size_s / step_s)
    return [(start + k * step_s, end + k * step_s) for k in range(count)]


def add(buckets: list[list[float]], ts: float, step_s: float, amount: float) -> list[list[float]]:
    """A new list with `amount` added to the bucket of `ts`, sorted by start. Copy on write:
    the input and its buckets are left as they are (they may be a table's stored value), and
    the untouched buckets are shared rather than copied."""
    start = bucket_start(ts, step_s)
    out = list(buckets)
    for i in range(len(out) - 1, -1, -1):
        if out[i][0] == start:
            out[i] = [start, out[i][1] + amount]
            return out
        if out[i][0] < start:
            break
    out.append([start, amount])
    out.sort(key=_start)
    return out


def prune(buckets: list[list[float]], oldest_start: float) -> list[list[float]]:
    """Drop buckets that start before `oldest_start` (the list is sorted by start)."""
    return buckets[bisect_left(buckets, oldest_start, key=_start) :]


class BucketSums:
    """Range sums over one sorted bucket list: prefix sums and bisection, so the current window
    and every history window cost O(log n) each instead of a scan of the whole list."""

    def __init__(self, buckets: list[list[float]]) -> None:
        self.starts = [b[0] for b in buckets]
        self.prefix = list(accumulate((b[1] for b in buckets), initial=0.0))

    def total(self, start: float, end: float) -> float:
        """Sum of the buckets whose start lies in [start, end)."""
        lo, hi = bisect_left(self.starts, start), bisect_left(self.starts, end)
        return self.prefix[hi] - self.prefix[lo] if hi > lo else 0.0

    def block_totals(self, end: float, size_s: float, count: int, since: float) -> list[float]:
        """Totals of the `count` whole windows of `size_s` before `end`, newest first, skipping
        windows that end before `since` (the key's first sighting: no history yet)."""
        totals: list[float] = []
        for k in range(count):
            block_end = end - k * size_s
            if block_end <= since:
                break
            totals.append(self.total(block_end - size_s, block_end))
        return totals


def total(buckets: list[list[float]], start: float, end: float) -> float:
    """Sum of the buckets whose start lies in [start, end), scanning back from the newest:
    the current window is the last few buckets of a sorted list."""
    found = 0.0
    for bucket in reversed(buckets):
        if bucket[0] < start:
            break
        if bucket[0] < end:
            found += bucket[1]
    return found


def block_totals(
    buckets: list[list[float]], end: float, size_s: float, count: int, since: float
) -> list[float]:
    """`BucketSums.block_totals` over a bucket list."""
    return BucketSums(buckets).block_totals(end, size_s, count, since)
