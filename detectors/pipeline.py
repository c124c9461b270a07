"""Run the enabled detectors on a batch and turn scores into flags and alerts.

The worker and `guardstream score` both call `Pipeline.run`, so offline evaluation scores
exactly what production scores.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from guardstream.contracts import Alert, EventMetrics, Evidence, LLMEvent, ScoreRecord, Severity
from guardstream.detectors.alerts import Alerter, AlertPolicy, Flag, SeverityBand
from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import DEFAULT_MAX_TEXT_CHARS, EventBatch
from guardstream.detectors.behaviour import BEHAVIOUR_DETECTORS
from guardstream.detectors.behaviour.base import BehaviourDetector, BehaviourScore, Observation
from guardstream.detectors.behaviour.stage import BehaviourStage
from guardstream.detectors.behaviour.state import StateStore
from guardstream.detectors.behaviour.windows import epoch
from guardstream.detectors.config import AlertConfig, DetectorConfig
from guardstream.detectors.drift.metrics import batch_metrics
from guardstream.detectors.registry import available_detectors, detector_class
from guardstream.detectors.threshold_config import check_config_thresholds
from guardstream.detectors.thresholds import Judgement, Source, ThresholdState
from guardstream.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass
class Verdict:
    """What the pipeline concluded about one event; `error` set means it could not be scored."""

    event: LLMEvent
    record: ScoreRecord | None
    alerts: list[Alert] = field(default_factory=list)
    error: str | None = None


def failure_summary(exc: BaseException) -> str:
    """Exception type and where it was raised, never its message: messages of errors raised
    on user text (UnicodeEncodeError, KeyError('...')) quote that text, and this string goes
    to logs and dead-letter headers."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"detector failure: {type(exc).__name__} at {where}"[:500]


def detector_of(key: str) -> str:
    """`harmful.hate` belongs to the `harmful` detector."""
    return key.split(".", 1)[0]


class Pipeline:
    """Enabled detectors plus the thresholds and severities that turn their scores into alerts.

    Behaviour detectors and alert suppression need state: pass a `StateStore` to `run` (the
    worker passes its faust tables, `guardstream score` a dict). Without one, events are scored
    per event only and every flag opens its own alert.
    """

    def __init__(
        self,
        detectors: Sequence[Detector],
        thresholds: Mapping[str, float],
        severities: Mapping[str, Severity] | None = None,
        alerting: Collection[str] | None = None,
        sources: Mapping[str, Source] | None = None,
        behaviour: Sequence[BehaviourDetector] = (),
        alert_policy: AlertPolicy | None = None,
        metrics: bool = True,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        self.detectors = list(detectors)
        # seconds each detector took on the last batch (the worker's metrics read it)
        self.detector_seconds: dict[str, float] = {}
        self.max_text_chars = max_text_chars  # every text is clipped to this before detectors
        self.behaviour = BehaviourStage(behaviour)
        self.thresholds = dict(thresholds)  # config/manifest values; live ones are in the state
        # Live thresholds (control topic over config); each event is judged with its app's.
        # Behaviour keys live here too, so `thresholds set behaviour.flooding` works alike.
        self.threshold_state = ThresholdState(self.thresholds, sources)
        self.severities = (
            {d.name: d.severity for d in self.detectors}
            | {b.score_key: b.severity for b in self.behaviour.detectors}
            | dict(severities or {})
        )
        self.versions = {d.name: d.version for d in self.detectors} | {
            b.score_key: b.version for b in self.behaviour.detectors
        }
        # Signals such as `refusal` flag in score records but raise no alert unless asked to.
        self.alerting = (
            set(alerting)
            if alerting is not None
            else {d.name for d in detectors if d.raises_alerts}
            | {b.score_key for b in self.behaviour.detectors}
        )
        self.alerter = Alerter(alert_policy)
        self.metrics = metrics  # per-event drift metrics in every ScoreRecord

    def run(
        self,
        events: Sequence[LLMEvent],
        state: StateStore | None = None,
        shards: Sequence[int] | None = None,
    ) -> list[Verdict]:
        """Score a batch; if a detector fails, score event by event so only the culprit fails.

        `shards` (the Kafka partition of each event) tell the state store where keys live."""
        if not events:
            return []
        try:
            return self._run_batch(events, state, shards)
        except Exception as exc:  # a detector bug must cost one event, not the whole batch
            log.error(
                "batch of %d failed (%s); isolating the failing events",
                len(events),
                failure_summary(exc),
            )
        return [
            self._run_one(event, state, shards[i] if shards else 0)
            for i, event in enumerate(events)
        ]

    def _run_one(self, event: LLMEvent, state: StateStore | None, shard: int) -> Verdict:
        try:
            return self._run_batch([event], state, [shard])[0]
        except Exception as exc:
            return Verdict(event=event, record=None, error=failure_summary(exc))

    @staticmethod
    def flags(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> list[str]:
        """The flag rule, in one place: a score key is flagged when score >= its threshold."""
        return [k for k, s in scores.items() if k in thresholds and s >= thresholds[k]]

    def _run_batch(
        self,
        events: Sequence[LLMEvent],
        state: StateStore | None,
        shards: Sequence[int] | None,
    ) -> list[Verdict]:
        batch = EventBatch(events, max_chars=self.max_text_chars)
        results = []
        self.detector_seconds = {}
        for d in self.detectors:
            started = time.perf_counter()
            results.append((d, d.score(batch)))
            self.detector_seconds[d.name] = time.perf_counter() - started
        # Round and convert each key's scores once per batch, not once per event and key.
        columns = {
            key: np.round(np.asarray(values, dtype=np.float64), 6).tolist()
            for _, result in results
            for key, values in result.scores.items()
        }
        embeddings = None
        if state is not None and self.behaviour.needs_embedding:
            embeddings = batch.user_embeddings
        metrics = batch_metrics(batch, columns) if self.metrics else [None] * len(events)
        # Thresholds are read after scoring, so a change that arrived meanwhile already counts.
        snapshot = self.threshold_state.snapshot()
        verdicts: list[Verdict | None] = [None] * len(events)
        # Event-time order, so state and suppression see a file replay as the stream saw it.
        for index in sorted(range(len(events)), key=lambda i: (events[i].timestamp, i)):
            if state is not None:
                state.shard = shards[index] if shards else 0
            embedding = embeddings[index] if embeddings is not None else None
            event = events[index]
            judgement = snapshot.for_app(event.app_id)
            verdicts[index] = self._verdict(
                index, event, results, columns, judgement, state, embedding, metrics[index]
            )
        return [v for v in verdicts if v is not None]

    def score_keys(self) -> list[str]:
        """Every score key the enabled detectors emit (scores one probe event)."""
        probe = LLMEvent(
            event_id="probe", timestamp=datetime.now(UTC), app_id="probe", user_id="probe",
            prompt="hello", response="hello",
        )  # fmt: skip
        keys = set(self._run_batch([probe], None, None)[0].record.scores)  # type: ignore[union-attr]
        return sorted(keys | {b.score_key for b in self.behaviour.detectors})

    def _verdict(
        self,
        index: int,
        event: LLMEvent,
        results: list[tuple[Detector, DetectorResult]],
        columns: dict[str, list[float]],
        judgement: Judgement,
        state: StateStore | None,
        embedding: np.ndarray | None,
        metrics: EventMetrics | None = None,
    ) -> Verdict:
        scores = {key: values[index] for key, values in columns.items()}
        thresholds, versions = judgement.thresholds, judgement.versions
        flags = self.flags(scores, thresholds)
        behaviour: dict[str, BehaviourScore] = {}
        if state is not None and self.behaviour.detectors:
            observation = Observation(
                event, epoch(event.timestamp), scores, frozenset(flags), embedding
            )
            behaviour = self.behaviour.observe(observation, state)
            own = {key: result.score for key, result in behaviour.items()}
            scores |= own
            flags += self.flags(own, thresholds)
        record = ScoreRecord(
            event_id=event.event_id,
            scores=scores,
            flags=flags,
            app_id=event.app_id,
            user_id=event.user_id,
            session_id=event.session_id,
            event_timestamp=event.timestamp,
            thresholds={k: thresholds[k] for k in scores if k in thresholds},
            detector_versions=self.versions,
            threshold_versions={k: versions[k] for k in scores if k in versions},
            model=event.model,
            metrics=metrics,
        )
        alert_flags = [
            self._event_flag(event, detector, result, index, scores, flags, judgement)
            for detector, result in results
            if detector.name in self.alerting
            and any(detector_of(flag) == detector.name for flag in flags)
        ]
        alert_flags += [
            self._behaviour_flag(event, detector, behaviour[detector.score_key], judgement)
            for detector in self.behaviour.detectors
            if detector.score_key in behaviour
            and detector.score_key in self.alerting
            and detector.score_key in flags
            and behaviour[detector.score_key].contributed
        ]
        alerts = [self.alerter.raise_flag(flag, state) for flag in alert_flags]
        return Verdict(event=event, record=record, alerts=alerts)

    def _event_flag(
        self,
        event: LLMEvent,
        detector: Detector,
        result: DetectorResult,
        index: int,
        scores: dict[str, float],
        flags: list[str],
        judgement: Judgement,
    ) -> Flag:
        """One flag per detector per event, named after its most exceeded key; alerts fold
        per (detector, user), so one attacker's 500 injections are one alert."""
        thresholds = judgement.thresholds
        name = detector.name
        own = [f for f in flags if detector_of(f) == name]
        key = max(own, key=lambda k: (scores[k] - thresholds[k], k != name))
        return Flag(
            detector=detector.name,
            detector_version=detector.version,
            category=key if key != detector.name else detector.category,
            score=scores[key],
            threshold=thresholds[key],
            scope="event",
            scope_id=event.event_id,
            app_id=event.app_id,
            at=event.timestamp,
            user_id=event.user_id,
            session_id=event.session_id,
            event_ids=[event.event_id],
            evidence=result.evidence_for(index)[:20],
            scores={k: scores[k] for k in own},
            thresholds={k: thresholds[k] for k in own},
            threshold_versions={k: judgement.versions[k] for k in own if k in judgement.versions},
            severity=self.severities[detector.name],
            suppress_scope=("user", event.user_id),
            trigger_id=event.event_id,
            severity_override=judgement.severities.get(key, judgement.severities.get(name)),
            suppress_s=judgement.suppress_s.get(key, judgement.suppress_s.get(name)),
        )

    def _behaviour_flag(
        self,
        event: LLMEvent,
        detector: BehaviourDetector,
        result: BehaviourScore,
        judgement: Judgement,
    ) -> Flag:
        key = detector.score_key
        thresholds = judgement.thresholds
        versions = judgement.versions
        detail = " ".join(f"{k}={v:g}" for k, v in sorted(result.detail.items()))
        return Flag(
            detector=detector.name,
            detector_version=detector.version,
            category=detector.category,
            score=result.score,
            threshold=thresholds[key],
            scope=detector.scope,
            scope_id=result.scope_id,
            app_id=event.app_id,
            at=event.timestamp,
            user_id=event.user_id,
            session_id=event.session_id,
            event_ids=result.event_ids,
            event_count=result.event_count,
            window_start=result.window_start,
            window_end=result.window_end,
            evidence=[Evidence(kind=detector.name, field="prompt", detail=detail)],
            scores={key: result.score},
            thresholds={key: thresholds[key]},
            threshold_versions={key: versions[key]} if key in versions else {},
            severity=self.severities[key],
            trigger_id=event.event_id,
            severity_override=judgement.severities.get(key),
            suppress_s=judgement.suppress_s.get(key),
        )


def _options(cls: type[Detector] | type[BehaviourDetector], name: str, config: DetectorConfig):  # type: ignore[no-untyped-def]
    try:
        return cls.Options.model_validate(config.options)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in ("detectors", name, "options", *first["loc"]))
        raise ConfigError(key, first["msg"]) from exc


def alert_policy(configs: Mapping[str, DetectorConfig], alerts: AlertConfig) -> AlertPolicy:
    """Suppression and severity mapping from config (per-detector `suppress_s` wins)."""
    return AlertPolicy(
        suppress_s=alerts.suppress_s,
        detector_suppress_s={
            name: c.suppress_s for name, c in configs.items() if c.suppress_s is not None
        },
        severity={
            name: [SeverityBand(b.min_score, b.severity) for b in bands]
            for name, bands in alerts.severity.items()
        },
        max_event_ids=alerts.max_event_ids,
    )


def build_pipeline(
    configs: Mapping[str, DetectorConfig],
    alerts: AlertConfig | None = None,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
) -> Pipeline:
    """Instantiate every available detector not disabled in `configs`; options are validated.

    Behaviour detectors (`behaviour.*`) are configured the same way: enabled, threshold,
    severity, alerts, suppress_s, options."""
    detectors: list[Detector] = []
    behaviour: list[BehaviourDetector] = []
    thresholds: dict[str, float] = {}
    sources: dict[str, Source] = {}
    severities: dict[str, Severity] = {}
    alerting: set[str] = set()
    for name in [*available_detectors(), *BEHAVIOUR_DETECTORS]:
        config = configs.get(name, DetectorConfig())
        if not config.enabled:
            continue
        if name in BEHAVIOUR_DETECTORS:
            cls_b = BEHAVIOUR_DETECTORS[name]
            behaviour.append(cls_b(_options(cls_b, name, config)))
            thresholds[name] = cls_b.default_threshold
            sources[name] = "manifest"
            raises = True
        else:
            cls = detector_class(name)
            detector = cls(_options(cls, name, config))
            detectors.append(detector)
            defaults = detector.default_thresholds()
            thresholds |= defaults
            sources |= dict.fromkeys(defaults, "manifest")
            raises = detector.raises_alerts
        thresholds |= config.thresholds
        sources |= dict.fromkeys(config.thresholds, "config")
        if config.threshold is not None:
            thresholds[name] = config.threshold
            sources[name] = "config"
        if config.severity is not None:
            severities[name] = config.severity
        if config.alerts if config.alerts is not None else raises:
            alerting.add(name)
    if not detectors:
        raise ConfigError("detectors", "every detector is disabled; enable at least one")
    policy = alert_policy(configs, alerts or AlertConfig())
    pipeline = Pipeline(
        detectors,
        thresholds,
        severities,
        alerting,
        sources,
        behaviour,
        policy,
        max_text_chars=max_text_chars,
    )
    if any(c.threshold is not None or c.thresholds for c in configs.values()):
        check_config_thresholds(configs, pipeline.score_keys())
    return pipeline
