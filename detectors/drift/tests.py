"""Two-sample statistics with effect sizes: reference window against current window.

Alerting reads the effect size (big streams make every p-value tiny); the p-value is reported
beside it. scipy does KS, Wasserstein and chi-squared; PSI and the RBF-kernel MMD are a few
lines each and no well-kept library offers them on plain arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

PSI_BINS = 10
PSI_FLOOR = 1e-4
MMD_MAX_ROWS = 128
MMD_PERMUTATIONS = 100


@dataclass(frozen=True)
class TestResult:
    """One comparison: which test, its statistic and p-value, and the effect size alerts use."""

    test: str
    statistic: float
    p_value: float
    effect_size: float
    effect: str
    psi: float | None = None

    __test__ = False  # not a pytest class, despite the name


def psi(reference: np.ndarray, current: np.ndarray, bins: int = PSI_BINS) -> float:
    """Population stability index on the reference's quantile bins (0.1 small, 0.25 large)."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    ref = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    cur = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    return psi_from_counts(ref, cur)


def psi_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    p = np.maximum(reference / max(reference.sum(), 1), PSI_FLOOR)
    q = np.maximum(current / max(current.sum(), 1), PSI_FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def ks_statistic(reference_sorted: np.ndarray, current: np.ndarray) -> float:
    """The two-sample KS statistic D alone (what `stats.ks_2samp` computes first), for the
    frequent evaluations that only need the effect size; `reference_sorted` is sorted once."""
    cur = np.sort(current)
    points = np.concatenate([reference_sorted, cur])
    cdf_ref = np.searchsorted(reference_sorted, points, side="right") / len(reference_sorted)
    cdf_cur = np.searchsorted(cur, points, side="right") / len(cur)
    return float(np.max(np.abs(cdf_ref - cdf_cur)))


def cramers_v(reference: Mapping[Any, int], current: Mapping[Any, int]) -> float:
    """Cramér's V of the 2×k table alone (the effect size `categorical` reports)."""
    labels = list(set(reference) | set(current))
    table = np.array([[reference.get(k, 0) for k in labels], [current.get(k, 0) for k in labels]])
    total = table.sum()
    if len(labels) < 2 or table.sum(axis=1).min() == 0:
        return 0.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / total
    return float(np.sqrt(np.sum((table - expected) ** 2 / expected) / total))


def continuous(reference: Sequence[float], current: Sequence[float]) -> TestResult:
    """KS (statistic D is the effect size: the largest gap between the two CDFs) plus the
    Wasserstein distance in units of the reference's spread, and PSI."""
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    ks = stats.ks_2samp(ref, cur, method="asymp")  # exact is 10x slower, same verdict
    spread = float(np.std(ref)) or 1.0
    return TestResult(
        test="ks",
        statistic=float(ks.statistic),
        p_value=float(ks.pvalue),
        effect_size=float(ks.statistic),
        effect=f"wasserstein/sd={stats.wasserstein_distance(ref, cur) / spread:.3f}",
        psi=psi(ref, cur),
    )


def categorical(reference: Mapping[Any, int], current: Mapping[Any, int]) -> TestResult:
    """χ² test of independence on the 2×k table (window × category) of counts; Cramér's V is
    the effect size (0 same mix, 1 disjoint), and PSI over the same categories."""
    labels = sorted(set(reference) | set(current), key=str)
    table = np.array(
        [[reference.get(k, 0) for k in labels], [current.get(k, 0) for k in labels]],
        dtype=np.int64,
    )
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or table.sum(axis=1).min() == 0:
        return TestResult("chi2", 0.0, 1.0, 0.0, "cramers_v=0.000", psi=0.0)
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    v = float(np.sqrt(chi2 / table.sum()))  # min(rows, cols) - 1 == 1 for two windows
    return TestResult(
        test="chi2",
        statistic=float(chi2),
        p_value=float(p_value),
        effect_size=v,
        effect=f"cramers_v={v:.3f}",
        psi=psi_from_counts(table[0], table[1]),
    )


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(
        np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2 * a @ b.T, 0.0
    )


class RbfMmd:
    """MMD² with an RBF kernel against a fixed reference sample.

    The reference subsample, the bandwidth (median pairwise distance) and the reference block of
    the kernel are computed once, so each comparison costs two small Gram blocks. Rows are
    subsampled to `max_rows` (seeded for the reference, evenly spaced for the current window), so
    results are reproducible. The permutation p-value is
    computed only when asked (for an alert), since alerting reads the effect size.
    """

    def __init__(self, reference: np.ndarray, max_rows: int = MMD_MAX_ROWS, seed: int = 0):
        self.seed = seed
        self.max_rows = max_rows
        ref = np.asarray(reference, dtype=np.float64)
        if len(ref) > max_rows:
            ref = ref[np.random.default_rng(seed).choice(len(ref), max_rows, replace=False)]
        self.reference_ = ref
        d2 = _sq_dists(self.reference_, self.reference_)
        upper = d2[np.triu_indices(len(d2), 1)]
        self.gamma_ = 1.0 / (float(np.median(upper)) if len(upper) and np.median(upper) else 1.0)
        self.ref_block_ = float(np.exp(-self.gamma_ * d2).mean())

    def _subsample(self, rows: Sequence[Any] | np.ndarray) -> np.ndarray:
        """Evenly spaced rows: deterministic, so a restored worker computes the same value.
        Picked before converting, so only the kept rows are copied into an array."""
        if len(rows) > self.max_rows:
            step = (len(rows) - 1) / (self.max_rows - 1)
            rows = [rows[round(i * step)] for i in range(self.max_rows)]
        return np.asarray(rows, dtype=np.float64)

    def statistic(self, current: Sequence[Any] | np.ndarray) -> float:
        cur = self._subsample(current)
        cross = np.exp(-self.gamma_ * _sq_dists(self.reference_, cur)).mean()
        own = np.exp(-self.gamma_ * _sq_dists(cur, cur)).mean()
        return float(self.ref_block_ + own - 2 * cross)

    def compare(self, current: Sequence[Any] | np.ndarray, permutations: int = 0) -> TestResult:
        """Effect size = MMD²; p-value by permuting window labels (1.0 when not computed)."""
        cur = self._subsample(current)
        observed = self.statistic(cur)
        p_value = 1.0
        if permutations:
            both = np.vstack([self.reference_, cur])
            gram = np.exp(-self.gamma_ * _sq_dists(both, both))
            n = len(self.reference_)
            rng = np.random.default_rng(self.seed)
            exceed = 0
            for _ in range(permutations):
                order = rng.permutation(len(both))
                g = gram[np.ix_(order, order)]
                value = g[:n, :n].mean() + g[n:, n:].mean() - 2 * g[:n, n:].mean()
                exceed += bool(value >= observed)
            p_value = (exceed + 1) / (permutations + 1)
        return TestResult("mmd_rbf", observed, p_value, observed, f"mmd2={observed:.4f}")
