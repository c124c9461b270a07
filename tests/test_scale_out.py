"""`guardstream worker --processes 2`: two processes in one consumer group score exactly what
one process (the offline pipeline) scores, and each serves Prometheus metrics that move."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from pathlib import Path

import pytest

from guardstream.contracts import LLMEvent
from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.bench_kafka import wait_for_members
from guardstream.streams.client import EventPublisher
from guardstream.streams.demo_traffic import sample_events
from guardstream.streams.settings import Settings
from guardstream.streams.worker_process import WorkerProcess
from tests.conftest import json_values, read_topic

pytestmark = pytest.mark.kafka

SERIES = (
    "guardstream_events_in_total",
    "guardstream_scores_out_total",
    'guardstream_dead_letters_total{code="not_json"}',
    "guardstream_alerts_total{",
    'guardstream_detector_seconds_count{detector="injection"}',
    "guardstream_batch_size_count",
    "guardstream_batch_scoring_seconds_count",
    "guardstream_consumer_lag{",
    "guardstream_scoring_queue_depth",
)


def metrics_ports(log: Path, count: int, timeout_s: float = 120) -> list[int]:
    """The ports the worker processes logged (JSON lines) for their /metrics."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ports = [
            json.loads(line)["metrics_port"]
            for line in log.read_text(errors="replace").splitlines()
            if '"metrics_port"' in line
        ]
        if len(ports) >= count:
            return ports
        time.sleep(0.5)
    raise AssertionError(f"no metrics ports in {log}:\n{log.read_text()[-3000:]}")


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def value(text: str, series: str) -> float:
    total = 0.0
    for match in re.finditer(rf"^{re.escape(series)}(?:{{[^}}]*}})? (\S+)$", text, re.M):
        total += float(match.group(1))
    return total


def test_two_processes_in_one_group_score_like_one_and_export_metrics(
    stack_env: dict[str, str], stack_settings: Settings, tmp_path: Path
) -> None:
    events = sample_events(120, seed=5)
    log = tmp_path / "pool.log"
    env = {**stack_env, "GUARDSTREAM_WORKER__PROCESSES": "2"}
    with WorkerProcess(env, log_path=log):
        ports = metrics_ports(log, 2)
        asyncio.run(wait_for_members(stack_settings, stack_settings.worker.group_id, 2))
        before = [scrape(p) for p in ports]

        async def publish() -> None:
            async with EventPublisher(stack_settings) as publisher:
                await publisher.publish_many(events)
                await publisher.publish_raw(b"not json")
                await publisher.flush()

        asyncio.run(publish())
        expected = {e["event_id"] for e in events}
        scores = json_values(
            read_topic(
                stack_settings,
                stack_settings.topics.scores,
                lambda r: {json.loads(x.value)["event_id"] for x in r} >= expected,
            )
        )
        read_topic(stack_settings, stack_settings.topics.dlq, lambda r: len(r) >= 1)
        time.sleep(1.0)  # the last batch's commit follows its acks
        after = [scrape(p) for p in ports]

    by_id = {s["event_id"]: s for s in scores}
    assert set(by_id) == expected
    offline = build_pipeline(stack_settings.detectors, stack_settings.alerts).run(
        [LLMEvent.model_validate(e) for e in events]
    )
    for verdict in offline:  # the same score records as one process on the same input
        record = by_id[verdict.event.event_id]
        # per-event scores match the stateless pipeline; behaviour keys come from the tables
        per_event = {k: v for k, v in record["scores"].items() if not k.startswith("behaviour.")}
        assert per_event == pytest.approx(verdict.record.scores)
        assert [f for f in record["flags"] if not f.startswith("behaviour.")] == (
            verdict.record.flags
        )
        assert any(k.startswith("behaviour.") for k in record["scores"])

    moved = [value(a, "guardstream_events_in_total") - value(b, "guardstream_events_in_total")
             for a, b in zip(after, before, strict=True)]  # fmt: skip
    assert sum(moved) == len(events) + 1  # every event (and the bad one) counted once
    assert all(m > 0 for m in moved), "both processes must have scored part of the stream"
    merged = "\n".join(after)
    for series in SERIES:
        assert series in merged, series
    assert value(merged, "guardstream_scores_out_total") == len(events)
    assert value(merged, "guardstream_alerts_total") > 0
    assert value(merged, 'guardstream_dead_letters_total{code="not_json"}') == 1
    assert value(merged, "guardstream_consumer_lag") == 0  # all committed
    timed = 'guardstream_detector_seconds_count{detector="injection"}'
    assert value(merged, timed) > value("\n".join(before), timed)  # timed where scoring ran
