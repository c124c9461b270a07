"""Drift findings to `Alert`s. The one function to swap for `detectors/alerts.py` (the shared
suppression and update logic) once that lands; suppression here is the monitor's episodes."""

from __future__ import annotations

from datetime import UTC, datetime

from guardstream.contracts import Alert, DriftDetail, Severity
from guardstream.detectors.drift.evaluate import Finding

DETECTOR_VERSION = "1"
CATEGORY = "quality"


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def drift_alert(
    app_id: str, scope_id: str, finding: Finding, episode: str, severity: Severity
) -> Alert:
    """A model-scope alert; the id is fixed by detector, scope and the episode's start, so a
    redelivered batch that re-opens the same episode publishes the same alert."""
    window = finding.window
    return Alert(
        alert_id=Alert.make_id(finding.detector, "model", scope_id, episode),
        detector=finding.detector,
        detector_version=DETECTOR_VERSION,
        category=CATEGORY,
        severity=severity,
        score=round(finding.effect_size, 6),
        threshold=finding.threshold,
        scope="model",
        scope_id=scope_id,
        app_id=app_id,
        event_ids=[e for e in (window["first_event_id"], window["last_event_id"]) if e],
        window_start=_at(window["current_start"]),
        window_end=_at(window["current_end"]),
        drift=DriftDetail(
            metric=finding.metric,
            test=finding.test,
            statistic=finding.statistic,
            p_value=finding.p_value,
            effect_size=finding.effect_size,
            effect=finding.effect,
            psi=finding.psi,
            reference=finding.reference,
            current=finding.current,
            reference_count=finding.reference["count"],
            current_count=finding.current["count"],
            reference_start=_at(window["reference_start"]),
            reference_end=_at(window["reference_end"]),
            current_start=_at(window["current_start"]),
            current_end=_at(window["current_end"]),
        ),
    )
