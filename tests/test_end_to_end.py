"""Publish to a real Tansu broker, run the real `guardstream worker`, read what comes out."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from guardstream.contracts import LLMEvent
from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.client import AlertSubscriber, EventPublisher
from guardstream.streams.dead_letter import read_headers
from guardstream.streams.demo_traffic import malformed_messages, sample_events
from guardstream.streams.settings import Settings
from guardstream.streams.worker_process import WorkerProcess
from tests.conftest import json_values, read_topic

pytestmark = pytest.mark.kafka


async def publish(settings: Settings, events: list[dict], raw: list[bytes] = ()) -> None:
    async with EventPublisher(settings) as publisher:
        half = len(events) // 2
        await publisher.publish_many(events[:half])
        for value in raw:  # malformed messages in the middle: later events must still be scored
            await publisher.publish_raw(value)
        await publisher.publish_many(events[half:])


def test_events_in_scores_alerts_and_dead_letters_out(
    stack_env: dict[str, str], stack_settings: Settings, tmp_path: Path
) -> None:
    events = sample_events(60, seed=3)
    bad = malformed_messages(stack_settings.worker.max_event_bytes)
    asyncio.run(publish(stack_settings, events, bad))
    with WorkerProcess(stack_env, log_path=tmp_path / "worker.log"):
        expected_ids = {e["event_id"] for e in events}
        scores = json_values(
            read_topic(
                stack_settings,
                stack_settings.topics.scores,
                lambda r: {json.loads(x.value)["event_id"] for x in r} >= expected_ids,
            )
        )
        letters = read_topic(
            stack_settings, stack_settings.topics.dlq, lambda r: len(r) >= len(bad)
        )

    by_id = {s["event_id"]: s for s in scores}
    assert set(by_id) == expected_ids
    offline = build_pipeline(stack_settings.detectors).run(
        [LLMEvent.model_validate(e) for e in events]
    )
    for verdict in offline:  # the worker scores exactly what the offline pipeline scores
        online = by_id[verdict.event.event_id]  # (behaviour.* keys: tests/test_behaviour_kafka)
        per_event = {k: v for k, v in online["scores"].items() if not k.startswith("behaviour.")}
        assert per_event == pytest.approx(verdict.record.scores)
        assert [
            f for f in online["flags"] if not f.startswith("behaviour.")
        ] == verdict.record.flags

    codes = sorted(read_headers(r.headers)["guardstream.dlq.code"] for r in letters)
    assert codes == ["encoding", "not_json", "not_object", "oversized", "schema", "schema"]
    assert {r.value for r in letters} == set(bad)  # raw bytes preserved exactly
    for record in letters:
        headers = read_headers(record.headers)
        assert headers["guardstream.dlq.reason"]
        assert int(headers["guardstream.dlq.source.offset"]) >= 0

    expected_alerts = {a.alert_id for v in offline for a in v.alerts}
    assert expected_alerts, "the sample traffic must trigger alerts"

    async def collect_alerts() -> set[str]:
        found: set[str] = set()
        async with AlertSubscriber(stack_settings) as subscriber:
            async for alert in subscriber.alerts():
                if not alert.detector.startswith("behaviour."):
                    found.add(alert.alert_id)
                if found >= expected_alerts:
                    return found
        return found

    assert asyncio.run(asyncio.wait_for(collect_alerts(), 60)) == expected_alerts


@pytest.mark.parametrize("commit_interval_s", [0.0, 0.1])
def test_worker_crash_and_restart_loses_no_event(
    stack_env: dict[str, str], stack_settings: Settings, tmp_path: Path, commit_interval_s: float
) -> None:
    events = sample_events(1500, seed=11)
    asyncio.run(publish(stack_settings, events))
    # drift.worker is on by default: its table is written while this worker is killed
    env = {
        **stack_env,
        "GUARDSTREAM_WORKER__BATCH_SIZE": "10",
        "GUARDSTREAM_WORKER__COMMIT_INTERVAL_S": str(commit_interval_s),
    }
    first = WorkerProcess(env, log_path=tmp_path / "worker-1.log").start()
    try:
        read_topic(stack_settings, stack_settings.topics.scores, lambda r: len(r) >= 20)
    finally:
        first.kill()  # SIGKILL mid-stream: no clean shutdown, no final commit
    scored_before_crash = len(
        read_topic(stack_settings, stack_settings.topics.scores, lambda r: False, timeout_s=2)
    )
    assert scored_before_crash < len(events), (
        "crash must happen mid-stream for this test to mean anything"
    )
    expected = {e["event_id"] for e in events}
    with WorkerProcess(env, log_path=tmp_path / "worker-2.log"):
        scores = read_topic(
            stack_settings,
            stack_settings.topics.scores,
            lambda r: {json.loads(x.value)["event_id"] for x in r} >= expected,
            timeout_s=120,
        )
    ids = [json.loads(r.value)["event_id"] for r in scores]
    assert set(ids) == expected  # nothing lost
    # Offsets are committed after each batch's acks: with a commit per batch only the batch in
    # flight is re-read; coalesced, also what was acknowledged in the last commit interval (at
    # most ~3,000 events/s on any box these tests run on, with every detector on).
    duplicates = len(ids) - len(set(ids))
    window = 3000 * commit_interval_s
    assert duplicates <= 10 * stack_settings.topics.partitions + window, duplicates


def test_worker_with_bad_config_exits_naming_the_key(stack_env: dict[str, str]) -> None:
    env = {**stack_env, "GUARDSTREAM_WORKER__BATCH_SIZE": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "guardstream.streams.cli", "worker"],
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "worker.batch_size" in result.stderr
    assert "GUARDSTREAM_WORKER__BATCH_SIZE" in result.stderr
