"""Run the enabled detectors on a batch and turn scores into flags and alerts.

The worker and `guardstream score` both call `Pipeline.run`, so offline evaluation scores
exactly what production scores.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import ValidationError

from guardstream.contracts import Alert, LLMEvent, ScoreRecord, Severity
from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import DEFAULT_MAX_TEXT_CHARS, EventBatch
from guardstream.detectors.config import DetectorConfig
from guardstream.detectors.registry import available_detectors, detector_class
from guardstream.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass
class Verdict:
    """What the pipeline concluded about one event; `error` set means it could not be scored."""

    event: LLMEvent
    record: ScoreRecord | None
    alerts: list[Alert] = field(default_factory=list)
    error: str | None = None


def detector_of(key: str) -> str:
    """`harmful.hate` belongs to the `harmful` detector."""
    return key.split(".", 1)[0]


class Pipeline:
    """Enabled detectors plus the thresholds and severities that turn their scores into alerts."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        thresholds: Mapping[str, float],
        severities: Mapping[str, Severity] | None = None,
        alerting: Collection[str] | None = None,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        self.detectors = list(detectors)
        self.max_text_chars = max_text_chars
        self.thresholds = dict(thresholds)
        self.severities = {d.name: d.severity for d in self.detectors} | dict(severities or {})
        self.versions = {d.name: d.version for d in self.detectors}
        # Signals such as `refusal` flag in score records but raise no alert unless asked to.
        self.alerting = (
            set(alerting)
            if alerting is not None
            else {d.name for d in detectors if d.raises_alerts}
        )

    def run(self, events: Sequence[LLMEvent]) -> list[Verdict]:
        """Score a batch; if a detector fails, score event by event so only the culprit fails."""
        if not events:
            return []
        try:
            return self._run_batch(events)
        except Exception:  # a detector bug must cost one event, not the whole batch
            log.exception("batch of %d failed; isolating the failing events", len(events))
        return [self._run_one(event) for event in events]

    def _run_one(self, event: LLMEvent) -> Verdict:
        try:
            return self._run_batch([event])[0]
        except Exception as exc:
            return Verdict(event=event, record=None, error=f"detector failure: {exc!r}"[:500])

    def _run_batch(self, events: Sequence[LLMEvent]) -> list[Verdict]:
        batch = EventBatch(events, max_chars=self.max_text_chars)
        results = [(d, d.score(batch)) for d in self.detectors]
        # Round and convert each key's scores once per batch, not once per event and key.
        columns = {
            key: np.round(np.asarray(values, dtype=np.float64), 6).tolist()
            for _, result in results
            for key, values in result.scores.items()
        }
        return [self._verdict(i, event, results, columns) for i, event in enumerate(events)]

    def _verdict(
        self,
        index: int,
        event: LLMEvent,
        results: list[tuple[Detector, DetectorResult]],
        columns: dict[str, list[float]],
    ) -> Verdict:
        scores = {key: values[index] for key, values in columns.items()}
        flags = [k for k, s in scores.items() if k in self.thresholds and s >= self.thresholds[k]]
        record = ScoreRecord(
            event_id=event.event_id,
            scores=scores,
            flags=flags,
            app_id=event.app_id,
            user_id=event.user_id,
            session_id=event.session_id,
            event_timestamp=event.timestamp,
            thresholds={k: self.thresholds[k] for k in scores if k in self.thresholds},
            detector_versions=self.versions,
        )
        alerts = [
            self._alert(event, detector, result, index, scores, flags)
            for detector, result in results
            if detector.name in self.alerting
            and any(detector_of(flag) == detector.name for flag in flags)
        ]
        return Verdict(event=event, record=record, alerts=alerts)

    def _alert(
        self,
        event: LLMEvent,
        detector: Detector,
        result: DetectorResult,
        index: int,
        scores: dict[str, float],
        flags: list[str],
    ) -> Alert:
        """One alert per detector per event, named after its most exceeded key."""
        own = [f for f in flags if detector_of(f) == detector.name]
        key = max(own, key=lambda k: (scores[k] - self.thresholds[k], k != detector.name))
        return Alert(
            alert_id=Alert.make_id(detector.name, "event", event.event_id, event.event_id),
            detector=detector.name,
            detector_version=detector.version,
            category=key if key != detector.name else detector.category,
            severity=self.severities[detector.name],
            score=scores[key],
            threshold=self.thresholds[key],
            scope="event",
            scope_id=event.event_id,
            app_id=event.app_id,
            user_id=event.user_id,
            session_id=event.session_id,
            event_ids=[event.event_id],
            window_start=event.timestamp,
            window_end=event.timestamp,
            evidence=result.evidence_for(index)[:20],
        )


def build_pipeline(
    configs: Mapping[str, DetectorConfig], max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
) -> Pipeline:
    """Instantiate every available detector not disabled in `configs`; options are validated."""
    detectors: list[Detector] = []
    thresholds: dict[str, float] = {}
    severities: dict[str, Severity] = {}
    alerting: set[str] = set()
    for name in available_detectors():
        config = configs.get(name, DetectorConfig())
        if not config.enabled:
            continue
        cls = detector_class(name)
        try:
            options = cls.Options.model_validate(config.options)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(part) for part in ("detectors", name, "options", *first["loc"]))
            raise ConfigError(key, first["msg"]) from exc
        detector = cls(options)
        detectors.append(detector)
        thresholds |= detector.default_thresholds() | config.thresholds
        if config.threshold is not None:
            thresholds[name] = config.threshold
        if config.severity is not None:
            severities[name] = config.severity
        if config.alerts if config.alerts is not None else detector.raises_alerts:
            alerting.add(name)
    if not detectors:
        raise ConfigError("detectors", "every detector is disabled; enable at least one")
    return Pipeline(detectors, thresholds, severities, alerting, max_text_chars)
