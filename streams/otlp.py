"""OTLP trace payloads to `LLMEvent`s: one event per GenAI span. Plain functions, no I/O.

The Kafka ingest (`otlp_ingest.py`) and the HTTP receiver (`commands/otlp_receiver.py`) both call
`decode_request` then `map_request`, so the two ways in map identically. Decoding uses
`opentelemetry-proto`'s generated messages; OTLP/JSON differs from protobuf's JSON mapping only
in hex (not base64) trace and span ids, which `_hex_ids_to_base64` converts first.

`event_id` is the hex trace id followed by the hex span id: the same span, redelivered or
re-exported, is the same event, so scores and alerts downstream stay idempotent.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.protobuf.unknown_fields import UnknownFieldSet
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from pydantic import ValidationError

from guardstream.contracts import ID_MAX, ChatMessage, LLMEvent, short_hash
from guardstream.errors import EventDecodeError
from guardstream.streams.decoding import describe_validation_error
from guardstream.streams.otlp_content import Content, SpanEvent, extract_content

Encoding = Literal["otlp_proto", "otlp_json"]
GENAI_KEYS = ("gen_ai.operation.name", "gen_ai.system", "gen_ai.provider.name")
OPENINFERENCE_KINDS = frozenset({"LLM", "TOOL", "AGENT", "RETRIEVER"})
USER_KEYS = ("user.id", "enduser.id")
SESSION_KEYS = ("gen_ai.conversation.id", "session.id")
INPUT_TOKEN_KEYS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
)
OUTPUT_TOKEN_KEYS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
)


@dataclass(frozen=True)
class MappingOptions:
    """Where the user id comes from when the spans carry none of the usual attributes."""

    user_id_attribute: str | None = None
    default_user_id: str = "anonymous"
    default_app_id: str = "unknown_service"


@dataclass
class MappedSpans:
    """One payload's outcome: events, non-GenAI spans skipped, GenAI spans rejected (reasons)."""

    events: list[LLMEvent] = field(default_factory=list)
    spans: int = 0
    skipped: int = 0
    rejected: list[str] = field(default_factory=list)


class SpanRejected(Exception):
    """A GenAI span that cannot become an event (broken ids, no timestamps)."""


def decode_request(body: bytes | None, encoding: Encoding) -> ExportTraceServiceRequest:
    """Bytes to an `ExportTraceServiceRequest`; raise `EventDecodeError` saying why not."""
    if body is None:
        raise EventDecodeError("empty message value (tombstone)", "empty")
    request = ExportTraceServiceRequest()
    if encoding == "otlp_json":
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError) as exc:
            raise EventDecodeError(f"not OTLP/JSON: {exc}"[:1000], "otlp_json") from exc
        if not isinstance(data, dict):
            raise EventDecodeError(
                f"OTLP/JSON must be an object, got {type(data).__name__}", "otlp_json"
            )
        try:
            json_format.ParseDict(_hex_ids_to_base64(data), request, ignore_unknown_fields=True)
        except (json_format.ParseError, ValueError, TypeError, AttributeError) as exc:
            raise EventDecodeError(
                f"not an OTLP/JSON trace request: {exc}"[:1000], "otlp_json"
            ) from exc
        return request
    try:
        request.ParseFromString(body)
    except (DecodeError, ValueError) as exc:
        raise EventDecodeError(f"not an OTLP protobuf trace request: {exc}", "otlp_proto") from exc
    if body and not request.resource_spans and len(UnknownFieldSet(request)):
        # protobuf parsing is lenient: arbitrary bytes can parse as unknown fields only
        raise EventDecodeError(
            "not an OTLP protobuf trace request: no resource_spans, only unknown fields",
            "otlp_proto",
        )
    return request


def gunzip(body: bytes, max_bytes: int) -> bytes:
    """Inflate a gzip body, refusing to grow past `max_bytes` (a small bomb stays small)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise EventDecodeError(f"not gzip: {exc}", "encoding") from exc
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise EventDecodeError(f"inflated body is over the {max_bytes}-byte limit", "oversized")
    return data


def map_request(request: ExportTraceServiceRequest, options: MappingOptions) -> MappedSpans:
    """Every GenAI span to an event; other spans are counted in `skipped`, never an error."""
    result = MappedSpans()
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                result.spans += 1
                attrs = attributes(span.attributes)
                if not is_genai(attrs):
                    result.skipped += 1
                    continue
                try:
                    result.events.append(map_span(span, attrs, resource, options))
                except SpanRejected as exc:
                    result.rejected.append(str(exc))
    return result


def is_genai(attrs: Mapping[str, Any]) -> bool:
    """GenAI conventions mark a span by operation or provider; OpenInference by its span kind."""
    return (
        any(key in attrs for key in GENAI_KEYS)
        or attrs.get("openinference.span.kind") in OPENINFERENCE_KINDS
        or any(key.startswith("llm.input_messages.") for key in attrs)
    )


def map_span(
    span: Span, attrs: Mapping[str, Any], resource: Mapping[str, Any], options: MappingOptions
) -> LLMEvent:
    """One GenAI span to one event; with content capture off the prompt is empty text."""
    trace_id, span_id = span.trace_id.hex(), span.span_id.hex()
    if len(trace_id) != 32 or len(span_id) != 16 or not int(trace_id, 16) or not int(span_id, 16):
        raise SpanRejected(
            f"span {span.name!r}: invalid trace id {trace_id!r} or span id {span_id!r}"
        )
    end_ns = span.end_time_unix_nano or span.start_time_unix_nano
    if not end_ns:
        raise SpanRejected(f"span {trace_id}{span_id}: no start or end time")
    content = extract_content(
        attrs, [SpanEvent(e.name, attributes(e.attributes)) for e in span.events]
    )
    latency = None
    if span.start_time_unix_nano and span.end_time_unix_nano >= span.start_time_unix_nano:
        latency = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
    model = _text(attrs, "gen_ai.request.model", "llm.model_name")
    model_version = _text(attrs, "gen_ai.response.model")
    try:
        return LLMEvent(
            event_id=trace_id + span_id,
            timestamp=_time(end_ns),
            app_id=_text(resource, "service.name") or options.default_app_id,
            user_id=_user(attrs, resource, options),
            session_id=_text(attrs, *SESSION_KEYS) or _text(resource, *SESSION_KEYS),
            model=model or model_version,
            model_version=model_version,
            prompt=_prompt(content),
            response="\n".join(content.response) or None,
            system_prompt_hash=short_hash("\n".join(content.system)) if content.system else None,
            latency_ms=latency,
            input_tokens=_count(attrs, INPUT_TOKEN_KEYS),
            output_tokens=_count(attrs, OUTPUT_TOKEN_KEYS),
            tool_calls=content.tool_calls(),
            metadata=_metadata(span, attrs, content),
        )
    except ValidationError as exc:
        raise SpanRejected(f"span {trace_id}{span_id}: {describe_validation_error(exc)}") from exc


def attributes(pairs: Any) -> dict[str, Any]:
    """OTLP `KeyValue`s to a plain dict (arrays to lists, kvlists to dicts)."""
    return {kv.key: _value(kv.value) for kv in pairs if isinstance(kv, KeyValue)}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind)


def _prompt(content: Content) -> str | list[ChatMessage]:
    turns = [ChatMessage(role="system", content=text) for text in content.system]
    turns.extend(content.messages)
    return turns or content.prompt_text or ""


def _user(attrs: Mapping[str, Any], resource: Mapping[str, Any], options: MappingOptions) -> str:
    keys = (options.user_id_attribute, *USER_KEYS) if options.user_id_attribute else USER_KEYS
    return _text(attrs, *keys) or _text(resource, *keys) or options.default_user_id


def _text(attrs: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = attrs.get(key)
        if value not in (None, ""):
            return str(value)[:ID_MAX]
    return None


def _count(attrs: Mapping[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return int(value)
    return None


def _time(unix_ns: int) -> datetime:
    seconds, nanos = divmod(unix_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=nanos // 1000)


def _metadata(span: Span, attrs: Mapping[str, Any], content: Content) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "source": "otlp",
        "content_captured": content.captured,
        "otel.trace_id": span.trace_id.hex(),
        "otel.span_id": span.span_id.hex(),
        "otel.span_name": span.name,
    }
    if span.parent_span_id:
        metadata["otel.parent_span_id"] = span.parent_span_id.hex()
    for key in (
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.system",
        "gen_ai.agent.name",
        "gen_ai.response.finish_reasons",
        "openinference.span.kind",
    ):
        if attrs.get(key) is not None:
            metadata[key] = attrs[key]
    if span.status.code == span.status.STATUS_CODE_ERROR:
        metadata["otel.status"] = "error"
    return metadata


def _hex_ids_to_base64(data: dict[str, Any]) -> dict[str, Any]:
    """OTLP/JSON writes ids as hex; protobuf's JSON mapping reads bytes as base64."""
    for resource_spans in _dicts(data.get("resourceSpans", data.get("resource_spans"))):
        for scope_spans in _dicts(
            resource_spans.get("scopeSpans", resource_spans.get("scope_spans"))
        ):
            for span in _dicts(scope_spans.get("spans")):
                _convert_ids(span)
                for link in _dicts(span.get("links")):
                    _convert_ids(link)
    return data


def _convert_ids(node: dict[str, Any]) -> None:
    for key in ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"):
        value = node.get(key)
        if isinstance(value, str) and value:
            try:
                node[key] = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError as exc:
                raise EventDecodeError(f"{key} {value[:40]!r} is not hex", "otlp_json") from exc


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
