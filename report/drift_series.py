"""Run the drift monitor over one app/model's rows and keep what a report plots: per metric the
windowed value and effect size at each evaluation, alerts, change points, both windows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from guardstream.contracts import Alert
from guardstream.detectors.drift.config import METRICS, DriftConfig
from guardstream.detectors.drift.evaluate import EXTRACT, Finding, evaluate, values_of
from guardstream.detectors.drift.monitor import DriftMonitor
from guardstream.detectors.drift.rows import DriftRow

STEP = 50


@dataclass
class MetricSeries:
    metric: str
    kind: str
    ts: list[float] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    effect: list[float] = field(default_factory=list)
    label: str = ""


@dataclass
class DriftSeries:
    app_id: str
    model: str | None
    config: DriftConfig
    events: int = 0
    series: dict[str, MetricSeries] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)
    reference_rows: list[DriftRow] = field(default_factory=list)
    current_rows: list[DriftRow] = field(default_factory=list)
    final: list[Finding] = field(default_factory=list)
    reference_band: dict[str, tuple[float, float]] = field(default_factory=dict)


def windowed_value(metric: str, rows: list[DriftRow], top_language: str | None) -> float | None:
    """The one number per window a time series shows: median, rate, top-language share, or
    (embeddings) mean distance to the window's own centroid is not comparable, so None."""
    kind = EXTRACT[metric][0]
    values = values_of(metric, rows)
    if not values or kind == "embedding":
        return None
    if kind == "continuous":
        return float(np.median(values))
    if kind == "rate":
        return float(np.mean(values))
    return float(np.mean([v == top_language for v in values]))


def run_series(
    rows: list[DriftRow], app_id: str, model: str | None, config: DriftConfig | None = None
) -> DriftSeries:
    config = config or DriftConfig()
    monitor = DriftMonitor(config)
    state = monitor.state(app_id, model)
    out = DriftSeries(app_id, model, config, events=len(rows))
    labels = {
        "continuous": "window median",
        "rate": "window rate",
        "categorical": "share of the reference's top language",
        "embedding": "MMD² vs reference",
    }
    for metric in METRICS:
        kind = EXTRACT[metric][0]
        out.series[metric] = MetricSeries(metric, kind, label=labels[kind])
    for start in range(0, len(rows), STEP):
        update = monitor.update(state, rows[start : start + STEP])
        out.alerts += update.alerts
        out.markers += update.markers
        if not update.findings:
            continue
        current = list(state.rows(state.cur_chunks))[-config.current_events :]
        for finding in update.findings:
            series = out.series[finding.metric]
            series.ts.append(current[-1].ts)
            series.effect.append(finding.effect_size)
            value = windowed_value(finding.metric, current, state.top_language_)
            series.value.append(finding.effect_size if value is None else value)
    out.reference_rows = list(state.rows(state.ref_chunks))
    out.current_rows = list(state.rows(state.cur_chunks))[-config.current_events :]
    if state.reference_ is not None and out.current_rows:
        out.final = evaluate(state.reference_, out.current_rows, config, full=True)
        out.reference_band = reference_bands(out.reference_rows, config, state.top_language_)
    return out


def reference_bands(
    rows: list[DriftRow], config: DriftConfig, top_language: str | None
) -> dict[str, tuple[float, float]]:
    """Where a window's value falls when nothing changed: the 2.5-97.5% range of the value over
    bootstrap windows of the reference (seeded), or [0, threshold] for the embeddings."""
    rng = np.random.default_rng(0)
    bands: dict[str, tuple[float, float]] = {}
    size = min(config.current_events, len(rows))
    for metric in METRICS:
        if EXTRACT[metric][0] == "embedding":
            bands[metric] = (0.0, config.threshold(metric))
            continue
        draws = []
        for _ in range(100):
            sample = [rows[i] for i in rng.integers(0, len(rows), size)]
            value = windowed_value(metric, sample, top_language)
            if value is not None:
                draws.append(value)
        if draws:
            low, high = np.quantile(draws, [0.025, 0.975])
            bands[metric] = (float(low), float(high))
    return bands


def language_shares(rows: list[DriftRow]) -> dict[str, float]:
    counts = Counter(r.language for r in rows if r.language)
    total = sum(counts.values()) or 1
    return {k: n / total for k, n in counts.most_common(8)}
