"""One evaluation: every metric's reference window against its current window.

The reference side (values, counts, the MMD kernel) is prepared once when the reference is
frozen; each evaluation then only summarises and tests the current window.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal

import numpy as np

from guardstream.detectors.drift.config import METRICS, DriftConfig
from guardstream.detectors.drift.rows import DriftRow
from guardstream.detectors.drift.tests import (
    MMD_PERMUTATIONS,
    RbfMmd,
    TestResult,
    categorical,
    cramers_v,
    ks_statistic,
)
from guardstream.detectors.drift.tests import continuous as continuous_test

Kind = Literal["continuous", "rate", "categorical", "embedding"]
RARE_LABEL_COUNT = 10
OTHER = "other"

EXTRACT: dict[str, tuple[Kind, Callable[[DriftRow], Any]]] = {
    "response_chars": ("continuous", attrgetter("response_chars")),
    "refusal_rate": ("rate", attrgetter("refusal")),
    "toxicity_rate": ("rate", attrgetter("toxic")),
    "language": ("categorical", attrgetter("language")),
    "latency": ("continuous", attrgetter("latency")),
    "tokens": ("continuous", attrgetter("tokens")),
    "response_embedding": ("embedding", attrgetter("response_embedding")),
    "prompt_embedding": ("embedding", attrgetter("prompt_embedding")),
}
assert tuple(EXTRACT) == METRICS


def values_of(metric: str, rows: Sequence[DriftRow]) -> list[Any]:
    get = EXTRACT[metric][1]
    return [v for v in map(get, rows) if v is not None]


@dataclass
class Finding:
    """A metric's verdict at one evaluation; `drifted` means effect size >= threshold."""

    metric: str
    test: str
    statistic: float
    p_value: float | None
    effect_size: float
    effect: str
    psi: float | None
    threshold: float
    drifted: bool
    reference: dict[str, Any]
    current: dict[str, Any]
    window: dict[str, Any] = field(default_factory=dict)

    @property
    def detector(self) -> str:
        return f"drift.{self.metric}"


def summary(kind: Kind, values: Sequence[Any]) -> dict[str, Any]:
    """What an operator reads first: the windows' typical values."""
    if kind == "continuous":
        arr = np.asarray(values, dtype=np.float64)
        p50, p90 = np.quantile(arr, [0.5, 0.9])
        return {
            "count": len(arr),
            "mean": round(float(arr.mean()), 3),
            "p50": round(float(p50), 3),
            "p90": round(float(p90), 3),
        }
    if kind == "rate":
        return {"count": len(values), "rate": round(float(np.mean(values)), 4)}
    if kind == "categorical":
        counts = Counter(values)
        shares = {str(k): round(n / len(values), 4) for k, n in counts.most_common(5)}
        return {"count": len(values), "shares": shares}
    arr = np.asarray(values, dtype=np.float64)
    return {"count": len(arr), "centroid": [round(float(x), 4) for x in arr.mean(axis=0)]}


def _lump(ref: Counter[Any], cur: Counter[Any]) -> tuple[Counter[Any], Counter[Any]]:
    """Labels seen fewer than RARE_LABEL_COUNT times in both windows together become `other`:
    sparse cells would make χ² meaningless."""
    rare = {k for k in ref.keys() | cur.keys() if ref[k] + cur[k] < RARE_LABEL_COUNT}
    if not rare:
        return ref, cur
    out: list[Counter[Any]] = []
    for counts in (ref, cur):
        lumped = Counter({k: n for k, n in counts.items() if k not in rare})
        lumped[OTHER] += sum(counts[k] for k in rare)
        out.append(lumped)
    return out[0], out[1]


class Reference:
    """A frozen reference window, prepared for repeated comparisons."""

    def __init__(self, rows: Sequence[DriftRow], config: DriftConfig) -> None:
        self.config = config
        self.count = len(rows)
        self.start = min((r.ts for r in rows), default=0.0)
        self.end = max((r.ts for r in rows), default=0.0)
        self.values = {m: values_of(m, rows) for m in METRICS}
        self.summaries = {m: summary(EXTRACT[m][0], v) for m, v in self.values.items() if len(v)}
        self.counters = {
            m: Counter(self.values[m]) for m in METRICS if EXTRACT[m][0] in ("rate", "categorical")
        }
        self.sorted = {
            m: np.sort(np.asarray(self.values[m], dtype=np.float64))
            for m in METRICS
            if EXTRACT[m][0] == "continuous"
        }
        self.kernels = {
            m: RbfMmd(np.asarray(self.values[m]))
            for m in METRICS
            if EXTRACT[m][0] == "embedding" and len(self.values[m]) >= config.min_samples
        }

    def effect_size(self, metric: str, current: Sequence[Any]) -> float:
        """The effect size alone: cheap enough for every evaluation in the worker."""
        kind = EXTRACT[metric][0]
        if kind == "continuous":
            return ks_statistic(self.sorted[metric], np.asarray(current, dtype=np.float64))
        if kind == "embedding":
            return self.kernels[metric].statistic(current)
        return cramers_v(*_lump(self.counters[metric], Counter(current)))

    def test(self, metric: str, current: Sequence[Any]) -> TestResult:
        """The full test: scipy's statistic and p-value (MMD by permutation), PSI, secondary
        effect; run when an alert is raised and for every point of a report."""
        kind = EXTRACT[metric][0]
        if kind == "continuous":
            return continuous_test(self.sorted[metric], current)
        if kind == "embedding":
            return self.kernels[metric].compare(current, MMD_PERMUTATIONS)
        return categorical(*_lump(self.counters[metric], Counter(current)))


def window_of(reference: Reference, current: Sequence[DriftRow]) -> dict[str, Any]:
    return {
        "reference_start": reference.start,
        "reference_end": reference.end,
        "current_start": current[0].ts if current else 0.0,
        "current_end": current[-1].ts if current else 0.0,
        "first_event_id": current[0].event_id if current else None,
        "last_event_id": current[-1].event_id if current else None,
    }


def evaluate(
    reference: Reference,
    current: Sequence[DriftRow],
    config: DriftConfig,
    full: bool = False,
    columns: dict[str, list[Any]] | None = None,
) -> list[Finding]:
    """Findings for every metric with at least `min_samples` values in both windows; `full`
    runs the complete tests, otherwise only effect sizes (see `complete`). `columns` are the
    current window's values per metric, when the caller has them already."""
    findings: list[Finding] = []
    window = window_of(reference, current)
    for metric in METRICS:
        ref_values = reference.values[metric]
        cur_values = columns[metric] if columns is not None else values_of(metric, current)
        if min(len(ref_values), len(cur_values)) < config.min_samples:
            continue
        if EXTRACT[metric][0] == "embedding" and metric not in reference.kernels:
            continue
        threshold = config.threshold(metric)
        if full:
            findings.append(_full(reference, metric, cur_values, threshold, window))
            continue
        effect = reference.effect_size(metric, cur_values)
        findings.append(
            Finding(
                metric=metric,
                test="effect_size",
                statistic=effect,
                p_value=None,
                effect_size=effect,
                effect="",
                psi=None,
                threshold=threshold,
                drifted=effect >= threshold,
                reference=reference.summaries[metric],
                current={"count": len(cur_values)},
                window=window,
            )
        )
    return findings


def _full(
    reference: Reference,
    metric: str,
    cur_values: list[Any],
    threshold: float,
    window: dict[str, Any],
) -> Finding:
    result = reference.test(metric, cur_values)
    return Finding(
        metric=metric,
        test=result.test,
        statistic=result.statistic,
        p_value=result.p_value,
        effect_size=result.effect_size,
        effect=result.effect,
        psi=result.psi,
        threshold=threshold,
        drifted=result.effect_size >= threshold,
        reference=reference.summaries[metric],
        current=summary(EXTRACT[metric][0], cur_values),
        window=window,
    )


def complete(reference: Reference, finding: Finding, current: Sequence[DriftRow]) -> Finding:
    """The full test for a finding that was judged on its effect size alone."""
    values = values_of(finding.metric, current)
    return _full(reference, finding.metric, values, finding.threshold, finding.window)
