"""OTLP span -> LLMEvent mapping on spans from the real OpenTelemetry SDK. No Kafka."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry, generate_latest

from guardstream.detectors.pipeline import build_pipeline
from guardstream.errors import ConfigError, EventDecodeError
from guardstream.streams.admin import topic_specs
from guardstream.streams.otlp import MappingOptions, decode_request, gunzip, map_request
from guardstream.streams.otlp_ingest import SpanCollector, SpanCounters, translate
from guardstream.streams.processing import RawMessage
from guardstream.streams.settings import OtlpIngestSettings, load_settings
from tests.otel_spans import (
    INJECTION,
    chat_span_current,
    chat_span_events,
    chat_span_no_content,
    http_span,
    mixed_batch,
    otlp_json,
    otlp_proto,
    record_spans,
    span_ids,
)


def mapped(build, encoding: str = "otlp_proto", options: MappingOptions | None = None):
    spans = record_spans("travel-bot", build)
    body = otlp_proto(spans) if encoding == "otlp_proto" else otlp_json(spans)
    return spans, map_request(decode_request(body, encoding), options or MappingOptions())


@pytest.mark.parametrize("encoding", ["otlp_proto", "otlp_json"])
def test_current_conventions_map_every_field(encoding: str) -> None:
    spans, result = mapped(chat_span_current, encoding)
    (event,) = result.events
    (span,) = spans
    assert event.event_id == span_ids(spans)[0]
    since_epoch = event.timestamp - datetime(1970, 1, 1, tzinfo=UTC)
    assert since_epoch // timedelta(microseconds=1) == span.end_time // 1000  # span end, in µs
    assert event.latency_ms == pytest.approx((span.end_time - span.start_time) / 1e6, abs=1e-3)
    assert (event.app_id, event.user_id, event.session_id) == ("travel-bot", "u-1", "conv-1")
    assert (event.model, event.model_version) == ("gpt-4o", "gpt-4o-2024-08-06")
    assert (event.input_tokens, event.output_tokens) == (120, 42)
    assert [(m.role, m.content) for m in event.prompt] == [
        ("system", "You are a helpful travel assistant."),
        ("user", "Summarise my inbox."),
    ]
    assert event.response == "You have five new emails."
    (call,) = event.tool_calls
    assert (call.name, call.arguments, call.output) == ("read_inbox", {"limit": 5}, INJECTION)
    assert event.context_text().count(INJECTION) == 1  # scored once, as context
    assert event.metadata["content_captured"] is True
    assert event.metadata["gen_ai.provider.name"] == "openai"
    assert event.system_prompt_hash


def test_json_and_protobuf_give_the_same_events() -> None:
    spans = record_spans("travel-bot", mixed_batch)
    options = MappingOptions()
    proto = map_request(decode_request(otlp_proto(spans), "otlp_proto"), options).events
    as_json = map_request(decode_request(otlp_json(spans), "otlp_json"), options).events
    assert [e.model_dump() for e in proto] == [e.model_dump() for e in as_json]
    again = map_request(decode_request(otlp_proto(spans), "otlp_proto"), options).events
    assert [e.model_dump() for e in again] == [e.model_dump() for e in proto]  # redelivery


def test_older_span_event_shape() -> None:
    spans, result = mapped(chat_span_events)
    (event,) = result.events
    assert event.event_id == span_ids(spans)[0]
    assert (event.user_id, event.session_id, event.model) == ("u-2", "sess-9", "llama3.1")
    assert [(m.role, m.content) for m in event.prompt] == [
        ("system", "Answer briefly."),
        ("user", "What is the capital of France?"),
    ]
    assert event.response == "Paris."
    assert [c.output for c in event.tool_calls] == [INJECTION]
    assert event.metadata["gen_ai.system"] == "ollama"


def test_content_capture_off_still_yields_an_event() -> None:
    _, result = mapped(chat_span_no_content)
    (event,) = result.events
    assert event.prompt == "" and event.response is None and event.tool_calls == []
    assert event.metadata["content_captured"] is False
    assert (event.user_id, event.model, event.input_tokens) == ("anonymous", "gpt-4o-mini", 12)
    (verdict,) = build_pipeline({}).run(result.events)
    assert verdict.record is not None and verdict.record.flags == []  # nothing to flag
    assert verdict.alerts == []


def test_user_id_from_a_configured_attribute_or_the_configured_fallback() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("chat") as span:
            span.set_attributes({"gen_ai.operation.name": "chat", "app.customer": "cust-7"})

    options = MappingOptions(user_id_attribute="app.customer", default_user_id="nobody")
    assert mapped(build, options=options)[1].events[0].user_id == "cust-7"
    assert mapped(chat_span_no_content, options=options)[1].events[0].user_id == "nobody"
    assert mapped(chat_span_current, options=options)[1].events[0].user_id == "u-1"


def test_mixed_batch_yields_only_genai_events() -> None:
    spans, result = mapped(mixed_batch)
    genai = [i for i, s in zip(span_ids(spans), spans, strict=True) if s.name != "POST"]
    assert [e.event_id for e in result.events] == genai
    assert (result.spans, result.skipped, result.rejected) == (5, 2, [])
    assert mapped(http_span)[1].events == []


def test_openinference_flattened_attributes() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("ChatCompletion") as span:
            span.set_attributes(
                {
                    "openinference.span.kind": "LLM",
                    "llm.model_name": "claude-3-5-sonnet",
                    "llm.token_count.prompt": 50,
                    "llm.token_count.completion": 9,
                    "session.id": "oi-session",
                    "user.id": "oi-user",
                    "llm.input_messages.0.message.role": "system",
                    "llm.input_messages.0.message.content": "Be concise.",
                    "llm.input_messages.1.message.role": "user",
                    "llm.input_messages.1.message.contents.0.message_content.type": "text",
                    "llm.input_messages.1.message.contents.0.message_content.text": "Weather?",
                    "llm.input_messages.2.message.role": "assistant",
                    "llm.input_messages.2.message.tool_calls.0.tool_call.id": "t1",
                    "llm.input_messages.2.message.tool_calls.0.tool_call.function.name": "weather",
                    "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments": '{"city": "Oslo"}',
                    "llm.input_messages.3.message.role": "tool",
                    "llm.input_messages.3.message.tool_call_id": "t1",
                    "llm.input_messages.3.message.content": INJECTION,
                    "llm.output_messages.0.message.role": "assistant",
                    "llm.output_messages.0.message.content": "Sunny.",
                }
            )

    _, result = mapped(build)
    (event,) = result.events
    assert [(m.role, m.content) for m in event.prompt] == [
        ("system", "Be concise."),
        ("user", "Weather?"),
    ]
    assert event.response == "Sunny."
    (call,) = event.tool_calls
    assert (call.name, call.arguments, call.output) == ("weather", {"city": "Oslo"}, INJECTION)
    assert (event.model, event.input_tokens, event.output_tokens) == ("claude-3-5-sonnet", 50, 9)
    assert (event.user_id, event.session_id) == ("oi-user", "oi-session")


def test_execute_tool_span_puts_the_result_in_tool_calls() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("execute_tool fetch_page") as span:
            span.set_attributes(
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "fetch_page",
                    "gen_ai.tool.call.id": "call_9",
                    "gen_ai.tool.call.arguments": '{"url": "https://example.test"}',
                    "gen_ai.tool.call.result": INJECTION,
                }
            )

    (event,) = mapped(build)[1].events
    assert event.prompt == "" and event.metadata["content_captured"] is True
    assert [(c.name, c.output) for c in event.tool_calls] == [("fetch_page", INJECTION)]


def test_tool_injections_score_as_indirect() -> None:
    _, result = mapped(mixed_batch)
    pipeline = build_pipeline({})
    verdicts = {v.event.event_id: v for v in pipeline.run(result.events)}
    poisoned = [e for e in result.events if e.tool_calls]
    assert len(poisoned) == 2
    for event in poisoned:
        record = verdicts[event.event_id].record
        assert record.scores["injection.indirect"] >= pipeline.thresholds["injection"]
        assert "injection" in record.flags


@pytest.mark.parametrize(
    ("body", "encoding", "code"),
    [
        (b"\xff\xfe garbage, not protobuf", "otlp_proto", "otlp_proto"),
        (b"hello world", "otlp_proto", "otlp_proto"),
        (b"{not json", "otlp_json", "otlp_json"),
        (b"[1, 2]", "otlp_json", "otlp_json"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
            "otlp_json",
            "otlp_json",
        ),
        (b'{"resourceSpans": 7}', "otlp_json", "otlp_json"),
        (None, "otlp_proto", "empty"),
    ],
)
def test_undecodable_payloads_say_why(body: bytes | None, encoding: str, code: str) -> None:
    with pytest.raises(EventDecodeError) as caught:
        decode_request(body, encoding)  # type: ignore[arg-type]
    assert caught.value.code == code and caught.value.reason


def test_gunzip_refuses_to_inflate_past_the_limit() -> None:
    body = otlp_proto(record_spans("travel-bot", mixed_batch))
    assert gunzip(gzip.compress(body), len(body)) == body
    with pytest.raises(EventDecodeError, match="limit"):
        gunzip(gzip.compress(b"\0" * 1_000_000), 10_000)
    with pytest.raises(EventDecodeError):
        gunzip(b"not gzip", 10_000)


def test_translate_dead_letters_bad_messages_and_keeps_good_spans() -> None:
    good = otlp_proto(record_spans("travel-bot", mixed_batch))
    broken = decode_request(good, "otlp_proto")
    broken.resource_spans[0].scope_spans[0].spans[1].trace_id = b"\0" * 16  # a GenAI span
    messages = [
        RawMessage(good, "otlp_spans", 0, 0),
        RawMessage(b"\xff\xfe garbage", "otlp_spans", 0, 1),
        RawMessage(broken.SerializeToString(), "otlp_spans", 0, 2),
    ]
    counters = SpanCounters()
    output = translate(messages, OtlpIngestSettings(topic="otlp_spans"), counters)
    assert len(output.events) == 3 + 2
    assert [(d.code, d.source_offset) for d in output.dead_letters] == [
        ("otlp_proto", 1),
        ("otlp_span", 2),
    ]
    assert "invalid trace id" in output.dead_letters[1].reason
    assert (counters.spans, counters.skipped, counters.rejected, counters.undecodable) == (
        10,
        4,
        1,
        1,
    )


def test_empty_request_is_valid_and_maps_to_nothing() -> None:
    empty = ExportTraceServiceRequest().SerializeToString()
    assert map_request(decode_request(empty, "otlp_proto"), MappingOptions()).events == []
    assert decode_request(json.dumps({}).encode(), "otlp_json").resource_spans == []


def test_ingest_settings_are_validated_and_the_span_topic_created() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"GUARDSTREAM_INGEST__OTLP__ENCODING": "otlp_xml"})
    assert caught.value.key == "ingest.otlp.encoding"
    assert "otlp_spans" not in {t.name for t in topic_specs(load_settings(env={}))}
    settings = load_settings(env={"GUARDSTREAM_INGEST__OTLP__TOPIC": "otlp_spans"})
    assert "otlp_spans" in {t.name for t in topic_specs(settings)}


def test_openinference_retrieved_documents_are_scored_as_context() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("retrieve") as span:
            span.set_attributes(
                {
                    "openinference.span.kind": "RETRIEVER",
                    "input.value": "museum opening hours",
                    "retrieval.documents.0.document.id": "doc-1",
                    "retrieval.documents.0.document.content": "Open 9 to 5, Monday to Friday.",
                    "retrieval.documents.1.document.id": "doc-2",
                    "retrieval.documents.1.document.content": INJECTION,
                }
            )

    (event,) = mapped(build)[1].events
    assert event.prompt == "museum opening hours"
    assert [(c.name, c.arguments, c.output) for c in event.tool_calls] == [
        ("retrieval", {"id": "doc-1"}, "Open 9 to 5, Monday to Friday."),
        ("retrieval", {"id": "doc-2"}, INJECTION),
    ]
    (verdict,) = build_pipeline({}).run([event])
    assert "injection" in verdict.record.flags
    assert verdict.record.scores["injection.indirect"] > verdict.record.scores["injection.direct"]


def test_span_counts_are_prometheus_metrics() -> None:
    counters = SpanCounters()
    body = otlp_proto(record_spans("travel-bot", mixed_batch))
    messages = [RawMessage(body, "otlp_spans", 0, 0), RawMessage(b"\xff", "otlp_spans", 0, 1)]
    translate(messages, OtlpIngestSettings(topic="otlp_spans"), counters)
    registry = CollectorRegistry()
    registry.register(SpanCollector(counters))
    text = generate_latest(registry).decode()
    assert 'guardstream_otlp_spans_total{outcome="event"} 3.0' in text
    assert 'guardstream_otlp_spans_total{outcome="skipped"} 2.0' in text
    assert "guardstream_otlp_undecodable_messages_total 1.0" in text
