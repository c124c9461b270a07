"""Behaviour detectors, windows and robust statistics as plain functions: no Kafka."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache

import pytest

from guardstream.contracts import Alert, LLMEvent
from guardstream.detectors.behaviour.robust import robust_z, squash
from guardstream.detectors.behaviour.state import DictState
from guardstream.detectors.behaviour.windows import (
    add,
    block_totals,
    hopping_window,
    hopping_windows,
    prune,
    total,
)
from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.behaviour_traffic import scripted_traffic


def test_hopping_windows_end_on_step_boundaries() -> None:
    assert hopping_window(125.0, 900, 60) == (-720.0, 180.0)
    windows = hopping_windows(125.0, 180, 60)
    assert windows == [(0.0, 180.0), (60.0, 240.0), (120.0, 300.0)]
    assert all(start <= 125.0 < end for start, end in windows)


def test_buckets_add_prune_and_sum() -> None:
    buckets: list[list[float]] = []
    for ts in (5, 65, 61, 190, 10):
        buckets = add(buckets, ts, 60, 1)
    assert buckets == [[0, 2], [60, 2], [180, 1]]
    assert total(buckets, 0, 120) == 4 and total(buckets, 60, 240) == 3
    assert prune(buckets, 60) == [[60, 2], [180, 1]]
    # windows before the key was first seen are not history
    assert block_totals(buckets, 240, 60, 5, since=0) == [1, 0, 2, 2]
    # copy on write: a stored state value is never changed in place
    stored = [[0.0, 2.0], [60.0, 2.0]]
    assert add(stored, 70, 60, 5) == [[0.0, 2.0], [60.0, 7.0]]
    assert add(stored, 130, 60, 1) == [[0.0, 2.0], [60.0, 2.0], [120.0, 1.0]]
    assert stored == [[0.0, 2.0], [60.0, 2.0]]


def test_robust_z_is_not_dragged_by_one_outlier() -> None:
    sample = [5, 6, 5, 4, 6, 5, 5, 200]
    assert robust_z(200, sample, 1.0) > 50
    assert abs(robust_z(6, sample, 1.0)) < 2
    assert robust_z(6, [5] * 10, 1.0) == pytest.approx(1.0)  # zero MAD: floored scale
    assert squash(0, 3) == 0 and squash(3, 3) == 0.5 and 0.5 < squash(10, 3) < 1


@cache
def scripted_run() -> tuple[list, list[Alert]]:
    events = [LLMEvent.model_validate(e) for e in scripted_traffic()]
    pipeline, state = build_pipeline({}), DictState()
    verdicts = [
        v for s in range(0, len(events), 64) for v in pipeline.run(events[s : s + 64], state)
    ]
    return verdicts, [a for v in verdicts for a in v.alerts]


def ids_by(alerts: list[Alert]) -> dict[tuple[str, str, str], set[str]]:
    found: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for alert in alerts:
        found[(alert.scope_id, alert.detector, alert.scope)].add(alert.alert_id)
    return found


def test_scripted_traffic_alerts_the_attacker_and_flooder_only() -> None:
    verdicts, alerts = scripted_run()
    found = ids_by(alerts)
    assert 1 <= len(found[("u-attacker", "behaviour.repeated_attacks", "user")]) <= 2
    assert found[("u-attacker-s1", "behaviour.repeated_attacks", "session")]
    assert len(found[("u-flooder", "behaviour.flooding", "user")]) == 1
    assert not [a for a in alerts if a.user_id.startswith("u-benign")]
    benign = [v.record for v in verdicts if v.event.user_id.startswith("u-benign")]
    assert benign and not [f for r in benign for f in r.flags if f.startswith("behaviour.")]
    flood = [a for a in alerts if a.detector == "behaviour.flooding"]
    assert [a.status for a in flood[:2]] == ["open", "update"]
    assert [a.occurrences for a in flood] == list(range(1, len(flood) + 1))
    assert flood[-1].event_count and flood[-1].event_count >= 150
    assert flood[-1].first_seen < flood[-1].last_seen


def test_retry_after_refusal_fires_on_rephrasing_not_on_moving_on() -> None:
    _, alerts = scripted_run()
    found = ids_by(alerts)
    assert found[("u-retry", "behaviour.retry_after_refusal", "user")]
    assert not found[("u-moves-on", "behaviour.retry_after_refusal", "user")]


def test_behaviour_scores_do_not_depend_on_batching() -> None:
    events = [LLMEvent.model_validate(e) for e in scripted_traffic(benign=4)]
    pipeline = build_pipeline({})
    whole = [v.record.scores for v in pipeline.run(events, DictState())]
    state = DictState()
    chunked = [
        v.record.scores
        for s in range(0, len(events), 7)
        for v in pipeline.run(events[s : s + 7], state)
    ]
    assert whole == chunked
    assert any(s["behaviour.flooding"] > 0.5 for s in whole)


def test_without_state_only_per_event_scores() -> None:
    events = [LLMEvent.model_validate(e) for e in scripted_traffic(benign=1)[:5]]
    records = [v.record for v in build_pipeline({}).run(events)]
    assert not [k for r in records for k in r.scores if k.startswith("behaviour.")]


def test_behaviour_thresholds_and_switches_come_from_config() -> None:
    from guardstream.detectors.config import DetectorConfig

    events = [LLMEvent.model_validate(e) for e in scripted_traffic(benign=2)]
    off = build_pipeline({"behaviour.flooding": DetectorConfig(enabled=False)})
    assert "behaviour.flooding" not in off.run(events[:3], DictState())[0].record.scores
    strict = build_pipeline({"behaviour.flooding": DetectorConfig(threshold=0.0)})
    assert "behaviour.flooding" in strict.run(events[:1], DictState())[0].record.flags


def test_rekey_forwards_events_not_keyed_by_their_user() -> None:
    from guardstream.streams.processing import RawMessage, process_batch

    events = scripted_traffic(benign=2)[:6]
    messages = [
        RawMessage(
            json.dumps(e).encode(), "ev", 0, n, key=(e["user_id"] if n % 2 else "x").encode()
        )
        for n, e in enumerate(events)
    ]
    output = process_batch(messages, build_pipeline({}), 10**6, DictState(), "ev.by-user")
    assert [r.event_id for r in output.scores] == [e["event_id"] for e in events[1::2]]
    assert [(t, k) for t, k, _ in output.forwards] == [
        ("ev.by-user", e["user_id"].encode()) for e in events[::2]
    ]
    assert all(a.event_ids[0] in {r.event_id for r in output.scores} for a in output.alerts)
