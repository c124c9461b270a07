"""Golden tests on seeded synthetic streams of real text (streams/drift_data): where each drift
detector fires after a known shift, and that none fires on a stationary stream."""

from __future__ import annotations

import pytest

from guardstream.detectors.drift.config import DriftConfig
from guardstream.detectors.drift.monitor import DriftMonitor, KeyState, Update
from guardstream.detectors.drift.rows import DriftRow
from guardstream.streams.drift_traffic import (
    SHIFT_METRICS,
    drift_events,
    drift_rows,
    metrics_pipeline,
    score_records,
)

SHIFT_AT = 2400
EVENTS = 3400
TOLERANCE = 500


@pytest.fixture(scope="module")
def pipeline():  # type: ignore[no-untyped-def]
    return metrics_pipeline()


def run(rows: list[DriftRow], config: DriftConfig | None = None, step: int = 50):
    """Feed rows in worker-sized updates; (monitor, state, every update) for inspection."""
    monitor = DriftMonitor(config)
    state = monitor.state("bench-app", "model-a")
    updates: list[tuple[int, Update]] = []
    for start in range(0, len(rows), step):
        updates.append((start + step, monitor.update(state, rows[start : start + step])))
    return monitor, state, updates


def first_alerts(updates: list[tuple[int, Update]]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for at, update in updates:
        for alert in update.alerts:
            seen.setdefault(alert.detector.removeprefix("drift."), at)
    return seen


@pytest.mark.parametrize("shift", sorted(SHIFT_METRICS))
def test_each_shift_is_found_within_tolerance(pipeline, shift: str) -> None:
    rows = drift_rows(score_records(drift_events(shift, EVENTS, SHIFT_AT, seed=3), pipeline))
    _, state, updates = run(rows)
    fired = first_alerts(updates)
    metric = SHIFT_METRICS[shift]
    assert metric in fired, f"{shift}: nothing from drift.{metric}; fired {fired}"
    assert SHIFT_AT < fired[metric] <= SHIFT_AT + TOLERANCE, fired
    assert all(at > SHIFT_AT for at in fired.values()), f"alert before the shift: {fired}"
    assert state.verdicts[metric]["drifted"]


def test_stationary_stream_raises_nothing(pipeline) -> None:
    rows = drift_rows(score_records(drift_events(None, 8000, 0, seed=5), pipeline))
    _, state, updates = run(rows)
    assert first_alerts(updates) == {}
    assert not state.collecting and state.reference_ is not None
    assert all(not v["drifted"] for v in state.verdicts.values())
    assert len(state.verdicts) == 8  # every metric was evaluated


@pytest.fixture(scope="module")
def length_rows(pipeline) -> list[DriftRow]:
    return drift_rows(score_records(drift_events("length", 4000, 2400, seed=7), pipeline))


def test_alert_contract_and_suppression(length_rows: list[DriftRow]) -> None:
    _, _, updates = run(length_rows)
    alerts = [a for _, u in updates for a in u.alerts if a.detector == "drift.response_chars"]
    assert len(alerts) == 1, "one open alert per metric within the suppression window"
    alert = alerts[0]
    assert alert.scope == "model" and alert.scope_id == "bench-app/model-a"
    assert alert.category == "quality" and alert.score >= alert.threshold
    drift = alert.drift
    assert drift is not None and drift.test == "ks" and drift.p_value < 1e-6
    assert drift.current["p50"] > 1.5 * drift.reference["p50"]
    assert drift.reference_count == 2000 and drift.current_count == 500
    assert drift.reference_end < drift.current_start <= drift.current_end
    assert alert.window_start == drift.current_start and len(alert.event_ids) == 2
    again = [a for _, u in run(length_rows)[2] for a in u.alerts]
    assert alert.alert_id in {a.alert_id for a in again}, "same stream, same alert ids"


def test_alert_repeats_after_the_suppression_window(length_rows: list[DriftRow]) -> None:
    _, _, updates = run(length_rows, DriftConfig(suppress_s=300))
    alerts = [a for _, u in updates for a in u.alerts if a.detector == "drift.response_chars"]
    assert len(alerts) >= 3 and len({a.alert_id for a in alerts}) == len(alerts)


def test_set_reference_accepts_the_new_behaviour(length_rows: list[DriftRow]) -> None:
    config = DriftConfig(reference_events=500)
    monitor, state, _ = run(length_rows[:3000], config)
    assert "response_chars" in state.episodes
    dropped = monitor.set_reference(state, after_ts=length_rows[3000].ts)
    assert dropped.dropped_chunks and state.collecting and not state.episodes
    later = [monitor.update(state, length_rows[i : i + 50]) for i in range(2900, 4000, 50)]
    assert not state.collecting, "a new reference of the shifted behaviour"
    assert state.reference_ is not None and state.reference_.count == 500
    assert state.reference_.start == length_rows[3000].ts, "rows before the marker are skipped"
    assert not any(u.alerts for u in later)


def test_state_survives_a_round_trip_through_its_persisted_form(length_rows) -> None:
    monitor, state, _ = run(length_rows[:2450])
    chunks = {
        c.id: [DriftRow.from_json(r.to_json()) for r in c.rows]
        for c in (*state.ref_chunks, *state.cur_chunks)
    }
    restored = KeyState.from_meta(state.meta(), chunks)
    twin = DriftMonitor()
    tail = length_rows[2450:3250]
    a = [monitor.update(state, tail[i : i + 50]) for i in range(0, len(tail), 50)]
    b = [twin.update(restored, tail[i : i + 50]) for i in range(0, len(tail), 50)]
    assert [[al.alert_id for al in x.alerts] for x in a] == [
        [al.alert_id for al in x.alerts] for x in b
    ]
    assert any(x.alerts for x in a)
    assert [[f.effect_size for f in x.findings] for x in a] == [
        [f.effect_size for f in x.findings] for x in b
    ]
