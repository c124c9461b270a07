"""Real broker, real worker: poison messages never cost a good event, a 1 MB pathological event
does not stall its partition, an oversized dead letter is sent truncated, no planted secret or
PII value reaches any output topic, header or log, and SIGTERM stops the worker promptly."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from guardstream.streams.client import EventPublisher
from guardstream.streams.dead_letter import read_headers
from guardstream.streams.demo_traffic import sample_events
from guardstream.streams.poison_traffic import poison_messages
from guardstream.streams.settings import Settings
from guardstream.streams.worker_process import WorkerProcess
from tests.conftest import json_values, read_topic

pytestmark = pytest.mark.kafka
MAX_EVENT_BYTES = 1_100_000
SSN, CARD, KEY = "078-05-1120", "4111 1111 1111 1111", "AKIAIOSFODNN7EXAMPLE"
PLANTED = f"my ssn is {SSN}, card {CARD}, e-mail j a n e d o e @example.com, key {KEY}"
RAW = (SSN, CARD, KEY, "janedoe", "j.a.n.e")


def test_poison_burst_good_events_all_scored_poison_all_dead_lettered(
    stack_env: dict[str, str], stack_settings: Settings, tmp_path: Path
) -> None:
    good = sample_events(100, seed=5)
    good[7] = {**good[7], "prompt": PLANTED, "response": f"Noted: {PLANTED}"}
    poison = poison_messages(MAX_EVENT_BYTES)

    async def publish() -> None:
        async with EventPublisher(stack_settings) as publisher:
            await publisher.publish_many(good[:50])
        # a producer that sends more than the worker accepts, as a careless app could
        raw = AIOKafkaProducer(
            bootstrap_servers=stack_settings.bootstrap_servers, max_request_size=4 << 20
        )
        await raw.start()
        try:
            for _, value, _ in poison:  # all in one burst, between good events
                await raw.send_and_wait(stack_settings.topics.events, value, key=b"same-user")
        finally:
            await raw.stop()
        async with EventPublisher(stack_settings) as publisher:
            await publisher.publish_many(good[50:])

    env = {**stack_env, "GUARDSTREAM_WORKER__MAX_EVENT_BYTES": str(MAX_EVENT_BYTES)}
    stack_settings = stack_settings.model_copy(
        update={
            "worker": stack_settings.worker.model_copy(update={"max_event_bytes": MAX_EVENT_BYTES})
        }
    )
    asyncio.run(publish())
    log = tmp_path / "worker.log"
    expected = {e["event_id"] for e in good} | {"p-slash", "p-leet"}
    worker = WorkerProcess(env, log_path=log).start()
    try:
        scores = read_topic(
            stack_settings,
            stack_settings.topics.scores,
            lambda r: {json.loads(x.value)["event_id"] for x in r} >= expected,
            timeout_s=150,
        )
        letters = read_topic(
            stack_settings, stack_settings.topics.dlq, lambda r: len(r) >= 7, timeout_s=60
        )
        alerts = read_topic(stack_settings, stack_settings.topics.alerts, lambda r: False, 3)
        started = time.monotonic()
        worker.process.send_signal(signal.SIGTERM)
        worker.process.wait(timeout=30)
        stop_seconds = time.monotonic() - started
    finally:
        worker.kill()

    assert {json.loads(r.value)["event_id"] for r in scores} == expected  # none lost
    codes = sorted(read_headers(r.headers)["guardstream.dlq.code"] for r in letters)
    assert codes == sorted(code for _, _, code in poison if code)
    oversized = [
        r for r in letters if read_headers(r.headers)["guardstream.dlq.code"] == "oversized"
    ]
    headers = read_headers(oversized[0].headers)
    assert headers["guardstream.dlq.truncated"] == "true"  # over the producer limit: truncated
    assert int(headers["guardstream.dlq.original.bytes"]) == MAX_EVENT_BYTES + 128 * 1024

    outputs = [r.value.decode() for r in scores + alerts] + [
        json.dumps(read_headers(r.headers)) for r in letters
    ]
    outputs.append(log.read_text(errors="replace"))
    wire = "\n".join(outputs).lower()
    assert any(a for a in json_values(alerts) if a["user_id"] == good[7]["user_id"])
    for fragment in RAW:
        assert fragment.lower() not in wire, fragment
    assert stop_seconds < 10, stop_seconds
