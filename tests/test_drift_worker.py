"""Drift in the worker: llm.scores -> drift rows (keyed by app) -> windows in a faust table ->
model-scope alerts and status; plus the table-backed state and set-reference as plain code."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from guardstream.contracts import Alert
from guardstream.detectors.drift.config import DriftConfig
from guardstream.detectors.drift.monitor import DriftMonitor
from guardstream.streams.cli import app
from guardstream.streams.client import EventPublisher
from guardstream.streams.drift_rows import decode_rows, rows_records
from guardstream.streams.drift_state import TableStates
from guardstream.streams.drift_traffic import (
    drift_events,
    drift_rows,
    metrics_pipeline,
    score_records,
)
from guardstream.streams.drift_worker import apply_message, apply_messages
from guardstream.streams.settings import Settings, load_settings
from guardstream.streams.worker_process import WorkerProcess
from tests.conftest import json_values, read_topic

SMALL = {
    "GUARDSTREAM_DRIFT__WORKER": "true",
    "GUARDSTREAM_DRIFT__REFERENCE_EVENTS": "200",
    "GUARDSTREAM_DRIFT__CURRENT_EVENTS": "100",
    "GUARDSTREAM_DRIFT__MIN_SAMPLES": "60",
    "GUARDSTREAM_DRIFT__EVALUATE_EVERY": "50",
}


def test_table_states_route_and_set_reference_without_kafka() -> None:
    records = score_records(drift_events("length", 900, 500, seed=2), metrics_pipeline())
    settings = load_settings(env={k: v for k, v in SMALL.items()})
    table: dict[bytes, bytes] = {}
    states = TableStates(table, DriftMonitor(settings.drift))
    alerts: list[Alert] = []
    for start in range(0, len(records), 100):
        for out in rows_records(records[start : start + 100], settings):
            assert out.topic == settings.topics.drift_rows and out.key == b"bench-app"
            message = json.loads(out.value)
            for state, update in apply_message(message, out.key.decode(), states):
                states.write(state, update)
                alerts += update.alerts
        states.forget()  # every update reloads from the table, as after a rebalance
    assert "drift.response_chars" in {a.detector for a in alerts}
    assert len([k for k in table if k.endswith(b"|meta")]) == 1
    state = states.get("bench-app", "model-a")
    live = {k for k in table if b"|chunk|" in k}
    kept = {c.id for c in (*state.ref_chunks, *state.cur_chunks)}
    assert len(live) == len(kept), "dropped chunks are deleted from the table"
    marker = {"app_id": "bench-app", "at": "2026-11-01T00:14:00Z"}
    applied = apply_message({"set_reference": marker}, "bench-app", states)
    assert len(applied) == 1 and applied[0][0].collecting
    states.write(*applied[0])
    assert apply_message({"set_reference": marker}, "bench-app", states) == [], "idempotent"
    assert [k for k in table if b"|chunk|" in k] == []


def test_a_drained_batch_of_rows_messages_leaves_the_table_as_one_at_a_time_does() -> None:
    records = score_records(drift_events("length", 900, 500, seed=2), metrics_pipeline())
    settings = load_settings(env=dict(SMALL))
    messages = [
        (json.loads(out.value), out.key.decode())
        for start in range(0, len(records), 50)
        for out in rows_records(records[start : start + 50], settings)
    ]
    one_table: dict[bytes, bytes] = {}
    one = TableStates(one_table, DriftMonitor(settings.drift))
    one_alerts = []
    for message, app_id in messages:
        for state, update in apply_message(message, app_id, one):
            one.write(state, update)
            one_alerts += [a.detector for a in update.alerts]
    batched_table: dict[bytes, bytes] = {}
    batched = TableStates(batched_table, DriftMonitor(settings.drift))
    batched_alerts, lasts = [], 0
    for start in range(0, len(messages), 5):  # five messages drained at a time
        for _, state, update, last in apply_messages(messages[start : start + 5], batched):
            batched.write(state, update, meta=last)
            batched_alerts += [a.detector for a in update.alerts]
            lasts += last
    assert "drift.response_chars" in one_alerts
    assert batched_alerts == one_alerts
    assert batched_table == one_table
    assert lasts == -(-len(messages) // 5)  # one meta write per state and drained batch


def test_wire_rows_equal_the_rows_read_from_score_records() -> None:
    records = score_records(drift_events("language", 300, 100, seed=8), metrics_pipeline())
    (out,) = rows_records(records, load_settings(env={}))
    decoded = [row for _, row in decode_rows(json.loads(out.value))]
    assert decoded == drift_rows(records)


def drift_env(stack_env: dict[str, str]) -> dict[str, str]:
    prefix = stack_env["GUARDSTREAM_TOPICS__EVENTS"].split(".")[0]
    return (
        stack_env
        | SMALL
        | {
            "GUARDSTREAM_TOPICS__DRIFT_ROWS": f"{prefix}.drift-rows",
            "GUARDSTREAM_TOPICS__DRIFT_STATUS": f"{prefix}.drift-status",
        }
    )


async def publish(settings: Settings, events: list) -> None:
    async with EventPublisher(settings) as publisher:
        await publisher.publish_many(events)


@pytest.mark.kafka
def test_worker_raises_model_scope_drift_alerts_and_status(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    from guardstream.streams.admin import ensure_topics

    env = drift_env(stack_env)
    settings = load_settings(env=env)
    asyncio.run(ensure_topics(settings))
    events = drift_events("length", 600, 250, seed=4)
    with WorkerProcess(env, log_path=tmp_path / "worker.log"):
        asyncio.run(publish(settings, events[:250]))
        read_topic(settings, settings.topics.scores, lambda r: len(r) >= 250)
        asyncio.run(publish(settings, events[250:]))
        alerts = json_values(
            read_topic(
                settings, settings.topics.alerts,
                lambda r: any(b"drift.response_chars" in x.value for x in r),
            )
        )  # fmt: skip
        status = read_topic(settings, settings.topics.drift_status, lambda r: len(r) >= 1)
        result = CliRunner().invoke(app, ["drift", "set-reference", "--app", "bench-app"], env=env)
        assert result.exit_code == 0, result.output
        reset = read_topic(
            settings, settings.topics.drift_status,
            lambda r: any(json.loads(x.value)["collecting"] for x in r),
        )  # fmt: skip
    drift = [a for a in alerts if a["detector"] == "drift.response_chars"]
    assert drift, f"no drift alert; alerts: {[a['detector'] for a in alerts]}"
    alert = Alert.model_validate(drift[0])
    assert alert.scope == "model" and alert.scope_id == "bench-app/model-a"
    assert alert.drift is not None and alert.drift.reference_count == 200
    latest = json.loads(status[-1].value)
    assert latest["scope_id"] == "bench-app/model-a" and latest["verdicts"]
    assert json.loads(reset[-1].value)["collecting"], "set-reference restarted the reference"


def test_status_from_a_scores_file(tmp_path: Path) -> None:
    records = score_records(drift_events("latency", 900, 500, seed=1), metrics_pipeline())
    path = tmp_path / "scores.jsonl"
    path.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    config = tmp_path / "guardstream.toml"
    config.write_text("[drift]\nreference_events = 300\ncurrent_events = 200\nmin_samples = 100\n")
    result = CliRunner().invoke(
        app, ["drift", "status", "--scores", str(path), "--json", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    (item,) = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert (
        item["verdicts"]["latency"]["drifted"] and not item["verdicts"]["refusal_rate"]["drifted"]
    )
    assert drift_rows(records)[0].latency is not None
    assert DriftConfig().reference_events == 2000
