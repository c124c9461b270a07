"""Flags to alerts: suppression windows, updates, deterministic ids, severity mapping."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from guardstream.detectors.alerts import Alerter, AlertPolicy, Flag, SeverityBand
from guardstream.detectors.behaviour.state import DictState
from guardstream.detectors.pipeline import build_pipeline
from tests.helpers import make_event

AWS = "AKIAIOSFODNN7EXAMPLE"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
FLAG = Flag(
    detector="behaviour.flooding",
    detector_version="1",
    category="abuse.flooding",
    score=0.7,
    threshold=0.5,
    scope="user",
    scope_id="u-1",
    app_id="app",
    at=T0,
    user_id="u-1",
    trigger_id="e-0",
)


def test_repeats_in_a_window_update_one_alert_and_survive_a_new_alerter() -> None:
    state = DictState()
    first = Alerter().raise_flag(FLAG, state)
    later = replace(FLAG, at=T0 + timedelta(minutes=10), trigger_id="e-1")
    second = Alerter().raise_flag(later, state)  # a restarted worker with recovered state
    assert (first.status, first.occurrences) == ("open", 1)
    assert (second.status, second.occurrences, second.alert_id) == ("update", 2, first.alert_id)
    assert second.first_seen == T0 and second.last_seen == later.at
    again = Alerter().raise_flag(later, state)  # the same event redelivered: not a new repeat
    assert again.occurrences == 2
    next_window = Alerter().raise_flag(replace(FLAG, at=T0 + timedelta(minutes=31)), state)
    assert next_window.alert_id != first.alert_id and next_window.status == "open"


def test_ids_are_deterministic_and_separate_apps_scopes_and_detectors() -> None:
    base = Alerter().raise_flag(FLAG).alert_id
    assert base == Alerter().raise_flag(replace(FLAG, trigger_id="x")).alert_id
    others = {
        Alerter().raise_flag(replace(FLAG, app_id="other")).alert_id,
        Alerter().raise_flag(replace(FLAG, scope="session")).alert_id,
        Alerter().raise_flag(replace(FLAG, detector="behaviour.token_burn")).alert_id,
        Alerter().raise_flag(replace(FLAG, scope_id="u-2", user_id="u-2")).alert_id,
    }
    assert base not in others and len(others) == 4


def test_suppression_window_is_configurable_per_detector() -> None:
    policy = AlertPolicy(detector_suppress_s={"behaviour.flooding": 60})
    state = DictState()
    ids = {
        Alerter(policy)
        .raise_flag(replace(FLAG, at=T0 + timedelta(minutes=m), trigger_id=str(m)), state)
        .alert_id
        for m in range(3)
    }
    assert len(ids) == 3


def test_severity_from_score_and_category() -> None:
    bands = [SeverityBand(0.5, "medium"), SeverityBand(0.9, "critical")]
    policy = AlertPolicy(severity={"abuse": bands, "abuse.flooding": [SeverityBand(0.6, "high")]})
    assert Alerter(policy).raise_flag(FLAG).severity == "high"  # most specific category wins
    token = replace(FLAG, category="abuse.token_burn", score=0.95)
    assert Alerter(policy).raise_flag(token).severity == "critical"
    low = replace(FLAG, category="abuse.token_burn", score=0.2, severity="low")
    assert Alerter(policy).raise_flag(low).severity == "low"  # under every band: detector's own


def test_per_event_alerts_fold_per_detector_and_user() -> None:
    events = [
        make_event("hi", f"key {AWS}", index=3 * i, timestamp=T0 + timedelta(seconds=i))
        for i in range(5)
    ]
    verdicts = build_pipeline({}).run(events, DictState())
    alerts = [a for v in verdicts for a in v.alerts if a.detector == "secrets"]
    assert len({a.alert_id for a in alerts}) == 1
    assert [a.occurrences for a in alerts] == [1, 2, 3, 4, 5]
    assert [a.status for a in alerts] == ["open"] + ["update"] * 4
    assert alerts[-1].event_ids == [e.event_id for e in events]
