"""Robust statistics: median/MAD z-scores that one flooder cannot drag, and a squash to [0, 1]."""

from __future__ import annotations

from collections.abc import Sequence

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation


def _sorted_median(ordered: Sequence[float]) -> float:
    """statistics.median of an already sorted, non-empty sequence (same arithmetic)."""
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2


def robust_z(value: float, sample: Sequence[float], min_scale: float) -> float:
    """(value - median) / (1.4826 MAD), the scale floored at `min_scale` and at 10% of the
    median, so a sample of identical values does not make every small excess infinite.
    Runs per event against the app's population: one sort each for median and MAD."""
    if not sample:
        raise ValueError("robust_z of an empty sample")
    centre = _sorted_median(sorted(sample))
    spread = _sorted_median(sorted([v - centre if v >= centre else centre - v for v in sample]))
    scale = max(MAD_TO_SIGMA * spread, min_scale, 0.1 * abs(centre))
    return (value - centre) / scale


def squash(value: float, half: float) -> float:
    """Map [0, inf) onto [0, 1): 0.5 at `half`, rising with value; negatives give 0."""
    if value <= 0:
        return 0.0
    return value / (value + half)
