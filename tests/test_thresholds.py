"""Live thresholds as plain functions: precedence, versions, validation, per-app judgement."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from guardstream.contracts import ThresholdRecord
from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.config import DetectorConfig
from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.detectors.thresholds import ThresholdState, threshold_problem
from guardstream.errors import ThresholdError
from guardstream.streams.control import plan_change
from tests.helpers import make_event


def record(
    key: str, value: float | None, version: int, app: str | None = None, enabled: bool = True
) -> ThresholdRecord:
    return ThresholdRecord(
        score_key=key,
        app_id=app,
        threshold=value,
        enabled=enabled,
        version=version,
        set_by="test",
        reason="test",
    )


class Half(Detector):
    """Every event scores 0.5 on `half`."""

    name = "half"

    def score(self, batch: EventBatch) -> DetectorResult:
        return DetectorResult(scores={self.name: np.full(len(batch), 0.5, dtype=np.float32)})


def test_app_control_beats_global_control_beats_config_beats_manifest() -> None:
    state = ThresholdState({"a": 0.5, "b": 0.6}, {"a": "manifest", "b": "config"})
    assert state.for_app("x").thresholds == {"a": 0.5, "b": 0.6}
    assert state.for_app("x").versions == {"a": 0, "b": 0}
    state.apply([record("b", 0.7, 1), record("b", 0.8, 2, app="x")])
    assert state.for_app("x").thresholds["b"] == 0.8 and state.for_app("x").versions["b"] == 2
    assert state.for_app("y").thresholds["b"] == 0.7 and state.for_app("y").versions["b"] == 1
    sources = {e.score_key: e.source for e in state.in_force("y")}
    assert sources == {"a": "manifest", "b": "control"}
    state.apply([record("b", 0.9, 3)])  # the latest record per key wins
    assert state.for_app("y").thresholds["b"] == 0.9


def test_disable_stops_flagging_and_enable_restores() -> None:
    state = ThresholdState({"a": 0.5})
    state.apply([record("a", None, 1, enabled=False)])
    assert "a" not in state.for_app("x").thresholds and state.for_app("x").versions["a"] == 1
    state.apply([record("a", None, 2)])  # enable with no value: defer to config/manifest
    assert state.for_app("x").thresholds["a"] == 0.5 and state.for_app("x").versions["a"] == 0
    state.apply([record("a", 0.2, 1, app="x", enabled=False)])
    assert "a" not in state.for_app("x").thresholds
    assert state.for_app("y").thresholds["a"] == 0.5


def test_validation_names_the_problem() -> None:
    known = ["injection", "pii"]
    assert threshold_problem("injection", 0.5, known) is None
    assert "unknown score key 'nope'" in (threshold_problem("nope", 0.5, known) or "")
    assert "within [0, 1]" in (threshold_problem("pii", 7, known) or "")
    assert "within [0, 1]" in (threshold_problem("pii", -0.1, known) or "")
    with pytest.raises(ThresholdError, match="reason must not be empty"):
        plan_change(
            [], known, "pii", app_id=None, threshold=0.5, enabled=True, set_by="me", reason="  "
        )


def test_versions_count_per_key_and_enable_keeps_the_last_value() -> None:
    known = ["pii"]
    history = [record("pii", 0.3, 1), record("pii", 0.9, 1, app="x")]
    change = plan_change(
        history,
        known,
        "pii",
        app_id=None,
        threshold=None,
        enabled=False,
        set_by="me",
        reason="noisy",
    )
    assert (change.version, change.threshold, change.enabled) == (2, 0.3, False)
    again = plan_change(
        [*history, change],
        known,
        "pii",
        app_id=None,
        threshold=None,
        enabled=True,
        set_by="me",
        reason="back",
    )
    assert (again.version, again.threshold, again.enabled) == (3, 0.3, True)
    assert again.key == "threshold/pii" and history[1].key == "threshold/pii/x"


def test_pipeline_judges_each_event_with_its_apps_thresholds() -> None:
    pipeline = Pipeline([Half()], {"half": 0.6})
    pipeline.threshold_state.apply([record("half", 0.4, 3, app="strict")])
    events = [make_event("x", index=0, app_id="strict"), make_event("x", index=1, app_id="lax")]
    strict, lax = pipeline.run(events)
    assert strict.record.flags == ["half"] and lax.record.flags == []
    assert strict.record.threshold_versions == {"half": 3}
    assert lax.record.threshold_versions == {"half": 0}
    assert strict.record.thresholds == {"half": 0.4} and lax.record.thresholds == {"half": 0.6}
    # flag rule: score >= threshold, so a threshold equal to the score flags
    pipeline.threshold_state.apply([record("half", 0.5, 1)])
    assert pipeline.run(events)[1].record.flags == ["half"]


def test_alert_carries_the_threshold_version() -> None:
    pipeline = build_pipeline({"secrets": DetectorConfig(threshold=0.5)})
    event = make_event("hi", "key AKIAIOSFODNN7EXAMPLE")
    assert pipeline.run([event])[0].alerts[0].threshold_versions == {"secrets": 0}
    pipeline.threshold_state.apply([record("secrets", 0.1, 4)])
    alert = pipeline.run([event])[0].alerts[0]
    assert alert.threshold_versions == {"secrets": 4} and alert.threshold == 0.1
    sources = {e.score_key: e.source for e in build_pipeline({}).threshold_state.in_force()}
    assert sources["injection"] == "manifest"
    configured = build_pipeline({"pii": DetectorConfig(threshold=0.8)}).threshold_state
    assert {e.score_key: e.source for e in configured.in_force()}["pii"] == "config"


def test_control_overrides_alert_severity_and_suppression() -> None:
    pipeline = build_pipeline({})
    base = make_event("hi", "key AKIAIOSFODNN7EXAMPLE", index=1)
    later = base.model_copy(
        update={"event_id": "e-2", "timestamp": base.timestamp + timedelta(minutes=2)}
    )
    default = pipeline.run([base, later])
    assert default[0].alerts[0].alert_id == default[1].alerts[0].alert_id  # one 30-min window
    app = ThresholdRecord(
        score_key="secrets",
        app_id="app",
        threshold=0.5,
        version=1,
        set_by="t",
        reason="t",
        severity="critical",
        suppress_s=60,
    )
    pipeline.threshold_state.apply([app])
    entry = pipeline.threshold_state.snapshot().resolve("secrets", "app")
    assert entry is not None and (entry.severity, entry.suppress_s) == ("critical", 60)
    verdicts = pipeline.run([base, later])
    first, second = verdicts[0].alerts[0], verdicts[1].alerts[0]
    assert first.severity == "critical" and first.alert_id != second.alert_id
    with pytest.raises(ThresholdError, match="suppress_s"):
        plan_change(
            [],
            ["secrets"],
            "secrets",
            app_id=None,
            threshold=0.5,
            enabled=True,
            set_by="me",
            reason="x",
            alert_overrides={"suppress_s": 0},
        )
    kept = plan_change(
        [app],
        ["secrets"],
        "secrets",
        app_id="app",
        threshold=None,
        enabled=False,
        set_by="me",
        reason="x",
    )
    assert (kept.severity, kept.suppress_s) == ("critical", 60)
