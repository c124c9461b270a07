"""OTLP ingest end to end on a real Tansu broker with the real OpenTelemetry SDK and exporter."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from google.rpc.status_pb2 import Status
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from guardstream.streams.admin import ensure_topics
from guardstream.streams.broker import free_port, wait_for_port
from guardstream.streams.child_process import ChildProcess
from guardstream.streams.dead_letter import read_headers
from guardstream.streams.settings import Settings, load_settings
from guardstream.streams.worker_process import WorkerProcess
from tests.conftest import json_values, read_topic
from tests.otel_spans import (
    chat_span_current,
    mixed_batch,
    otlp_json,
    otlp_proto,
    record_spans,
    span_ids,
)

pytestmark = pytest.mark.kafka
GARBAGE = b"\xff\xfe this is not an OTLP request"
ZERO_ID_SPAN = {  # a GenAI span with an all-zero trace id: rejected, reported as partial success
    "resourceSpans": [
        {
            "scopeSpans": [
                {
                    "spans": [
                        {
                            "traceId": "0" * 32,
                            "spanId": "1" * 16,
                            "name": "chat",
                            "endTimeUnixNano": "1764000000000000000",
                            "attributes": [
                                {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}
                            ],
                        }
                    ]
                }
            ]
        }
    ]
}


class ReceiverProcess(ChildProcess):
    """`guardstream otlp-receiver` on a free loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__(log_path)
        self.env = {**os.environ, **env}
        self.port = free_port()

    def start(self) -> ReceiverProcess:
        command = [sys.executable, "-m", "guardstream.streams.cli", "otlp-receiver"]
        self._launch([*command, "--port", str(self.port)], self.env)
        wait_for_port("127.0.0.1", self.port, 60)
        return self


def genai_ids(spans) -> set[str]:
    return {i for i, s in zip(span_ids(spans), spans, strict=True) if s.name != "POST"}


def ids_cover(expected: set[str]):
    return lambda records: {json.loads(r.value)["event_id"] for r in records} >= expected


def test_collector_topic_to_scores(stack_env: dict[str, str], tmp_path: Path) -> None:
    env = {
        **stack_env,
        "GUARDSTREAM_INGEST__OTLP__TOPIC": stack_env["GUARDSTREAM_TOPICS__EVENTS"] + ".otlp",
    }
    settings = load_settings(env=env)
    asyncio.run(ensure_topics(settings))
    spans = record_spans("travel-bot", mixed_batch)
    expected = genai_ids(spans)

    async def publish() -> None:  # what the Collector's kafka exporter writes (otlp_proto)
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(settings.ingest.otlp.topic, GARBAGE)
            await producer.send_and_wait(settings.ingest.otlp.topic, otlp_proto(spans))
        finally:
            await producer.stop()

    asyncio.run(publish())
    with WorkerProcess(env, log_path=tmp_path / "worker.log"):
        scores = json_values(read_topic(settings, settings.topics.scores, ids_cover(expected)))
        events = json_values(read_topic(settings, settings.topics.events, ids_cover(expected)))
        letters = read_topic(settings, settings.topics.dlq, lambda r: len(r) >= 1)

    assert {s["event_id"] for s in scores} == expected  # the HTTP spans were skipped
    assert {e["event_id"] for e in events} == expected
    by_id = {e["event_id"]: e for e in events}
    for record in scores:
        event = by_id[record["event_id"]]
        assert record["app_id"] == "travel-bot"
        assert (record["user_id"], record["session_id"]) == (
            event["user_id"],
            event.get("session_id"),
        )
        if event["tool_calls"]:  # the poisoned tool output is caught as an indirect injection
            assert "injection" in record["flags"]
            assert record["scores"]["injection.indirect"] >= record["thresholds"]["injection"]
    current = next(e for e in events if e["user_id"] == "u-1")
    assert (current["session_id"], current["model"], current["model_version"]) == (
        "conv-1",
        "gpt-4o",
        "gpt-4o-2024-08-06",
    )
    assert (current["input_tokens"], current["output_tokens"]) == (120, 42)
    assert {e["user_id"] for e in events} == {"u-1", "u-2", "anonymous"}
    (letter,) = letters
    headers = read_headers(letter.headers)
    assert letter.value == GARBAGE
    assert headers["guardstream.dlq.code"] == "otlp_proto"
    assert "not an OTLP protobuf trace request" in headers["guardstream.dlq.reason"]


def post(port: int, body: bytes, media: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/traces", data=body, headers={"Content-Type": media}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_receiver_publishes_exported_spans(
    stack_env: dict[str, str],
    stack_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spans = record_spans("travel-bot", mixed_batch)
    json_spans = record_spans("json-bot", chat_span_current)
    expected = genai_ids(spans) | genai_ids(json_spans)
    with ReceiverProcess(stack_env, tmp_path / "receiver.log") as receiver:
        status, body = post(receiver.port, GARBAGE, "application/x-protobuf")
        assert status == 400
        assert "not an OTLP protobuf trace request" in Status.FromString(body).message
        status, body = post(receiver.port, b"{not json", "application/json")
        assert status == 400 and "not OTLP/JSON" in json.loads(body)["message"]
        assert post(receiver.port, b"spans", "text/plain")[0] == 415
        status, body = post(receiver.port, json.dumps(ZERO_ID_SPAN).encode(), "application/json")
        partial = json.loads(body)["partialSuccess"]
        assert (status, partial["rejectedSpans"]) == (200, "1")
        assert "invalid trace id" in partial["errorMessage"]
        # the env-var-only path: the exporter appends /v1/traces to the endpoint itself
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{receiver.port}")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        exporter = OTLPSpanExporter()
        assert exporter.export(spans) == SpanExportResult.SUCCESS
        exporter.shutdown()
        status, body = post(receiver.port, otlp_json(json_spans), "application/json")
        assert (status, json.loads(body)) == (200, {})
        events = json_values(
            read_topic(stack_settings, stack_settings.topics.events, ids_cover(expected))
        )
    assert sorted(e["event_id"] for e in events) == sorted(expected)  # no garbage, no HTTP spans
    assert {e["app_id"] for e in events} == {"travel-bot", "json-bot"}
    assert all(e["metadata"]["source"] == "otlp" for e in events)
