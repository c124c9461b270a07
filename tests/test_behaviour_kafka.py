"""Behaviour state on the real broker: one stream through two workers in one group that are
stopped mid-window, then through a new worker that recovers the state from the changelogs."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

import pytest
from aiokafka.partitioner import DefaultPartitioner

from guardstream.detectors.behaviour.state import DictState
from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.behaviour_traffic import START, scripted_traffic
from guardstream.streams.client import EventPublisher
from guardstream.streams.processing import RawMessage, process_batch
from guardstream.streams.settings import Settings
from guardstream.streams.worker_process import WorkerProcess
from tests.conftest import json_values, read_topic

pytestmark = pytest.mark.kafka
EXACT = (
    "behaviour.repeated_attacks",
    "behaviour.repeated_attacks.session",
    "behaviour.retry_after_refusal",
)
# Published keyed by event id, not user: `state.rekey` (on by default) forwards them to
# `<events>.by-user`; without it their per-user state would be split across partitions.
MISROUTED = {"u-flooder", "u-retry"}


async def publish(settings: Settings, events: list[dict]) -> None:
    async with EventPublisher(settings) as publisher:
        for event in events:
            if event["user_id"] in MISROUTED:
                raw = json.dumps(event).encode()
                await publisher.publish_raw(raw, key=event["event_id"].encode())
            else:
                await publisher.publish(event)
        await publisher.flush()


def offline(settings: Settings, events: list[dict]) -> dict[str, dict[str, float]]:
    """What `guardstream score` computes, each user on the partition Kafka gives it."""
    partitioner = DefaultPartitioner()
    parts = list(range(settings.topics.partitions))
    messages = [
        RawMessage(json.dumps(e).encode(), "t", partitioner(e["user_id"].encode(), parts, parts), n)
        for n, e in enumerate(events)
    ]
    pipeline, state = build_pipeline({}), DictState()
    scores = {}
    for start in range(0, len(messages), 64):
        output = process_batch(messages[start : start + 64], pipeline, 10**6, state)
        scores |= {r.event_id: r.scores for r in output.scores}
    return scores


def scores_until(
    settings: Settings, expected: set[str], workers: list[WorkerProcess]
) -> dict[str, dict]:
    def done(records: list) -> bool:
        assert all(w.running() for w in workers), "a worker died; see its log"
        return {json.loads(x.value)["event_id"] for x in records} >= expected

    records = read_topic(settings, settings.topics.scores, done, timeout_s=240)
    missing = expected - {json.loads(x.value)["event_id"] for x in records}
    assert not missing, f"{len(missing)} events never scored, e.g. {sorted(missing)[:3]}"
    return {s["event_id"]: s for s in json_values(records)}  # a re-delivered event: latest wins


@pytest.mark.timeout(600)
def test_behaviour_alerts_survive_a_restart_and_a_second_worker(
    stack_env: dict[str, str], stack_settings: Settings, tmp_path: Path
) -> None:
    events = scripted_traffic(benign=30)
    cut = START.replace(minute=7).isoformat().replace("+00:00", "Z")
    before = [e for e in events if e["timestamp"] < cut]
    after = [e for e in events if e["timestamp"] >= cut]
    attacks_before = sum(e["user_id"] == "u-attacker" for e in before)
    assert 2 <= attacks_before < len([e for e in events if e["user_id"] == "u-attacker"])

    # drift's own table is not under test here (and its changelog recovery is its own issue)
    # Default (process) scoring: this scenario once stalled a worker started after a clean stop.
    stack_env = {
        **stack_env,
        "GUARDSTREAM_DRIFT__ENABLED": "false",
        "GUARDSTREAM_LIMITS__SCORING": "process",
    }
    asyncio.run(publish(stack_settings, before))
    env2 = {**stack_env, "GUARDSTREAM_WORKER__DATA_DIR": str(tmp_path / "w2")}
    with (  # two workers in one group share the partitions and the state
        WorkerProcess(stack_env, log_path=tmp_path / "worker-1.log") as first,
        WorkerProcess(env2, log_path=tmp_path / "worker-2.log") as second,
    ):
        scores_until(stack_settings, {e["event_id"] for e in before}, [first, second])
    # both gone mid-window; a new worker recovers every partition's state from the changelogs
    asyncio.run(publish(stack_settings, after))
    env3 = {**stack_env, "GUARDSTREAM_WORKER__DATA_DIR": str(tmp_path / "w3")}
    with WorkerProcess(env3, log_path=tmp_path / "worker-3.log") as third:
        online = scores_until(stack_settings, {e["event_id"] for e in events}, [third])
        alerts = json_values(
            read_topic(stack_settings, stack_settings.topics.alerts, lambda r: False, timeout_s=3)
        )

    expected = offline(stack_settings, events)
    for event in events:  # per-user state recovered from the changelog: offline == online
        if event["user_id"] in MISROUTED:
            continue
        got = online[event["event_id"]]["scores"]
        for key in EXACT:
            assert got[key] == pytest.approx(expected[event["event_id"]][key]), (event, key)
    first_after = next(e for e in after if e["user_id"] == "u-attacker")  # counts attacks seen
    assert online[first_after["event_id"]]["scores"]["behaviour.repeated_attacks"] >= 0.5
    assert {e["event_id"] for e in events if e["user_id"] in MISROUTED} <= set(online)

    opens: dict[str, int] = defaultdict(int)
    ids: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for alert in alerts:
        opens[alert["alert_id"]] += alert["status"] == "open"
        ids[(alert["scope_id"], alert["detector"], alert["scope"])].add(alert["alert_id"])
    assert all(n == 1 for n in opens.values()), "every alert opens exactly once"
    assert 1 <= len(ids[("u-attacker", "behaviour.repeated_attacks", "user")]) <= 2
    assert len(ids[("u-flooder", "behaviour.flooding", "user")]) == 1
    assert ids[("u-retry", "behaviour.retry_after_refusal", "user")]
    assert not ids[("u-moves-on", "behaviour.retry_after_refusal", "user")]
    assert not [a for a in alerts if a["user_id"].startswith("u-benign")]
