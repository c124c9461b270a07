"""The worker's second way in: the OpenTelemetry Collector's kafka exporter topic.

A second agent turns each span message into `LLMEvent`s and republishes them to the events
topic keyed by user id, so every detector, the behaviour state and the at-least-once commit of
the scoring agent apply unchanged. Event ids are trace id + span id, so a redelivered span
message republishes the same events and every output downstream stays idempotent.

`opentelemetry-proto` is imported only when `[ingest.otlp] topic` is set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from guardstream.contracts import LLMEvent
from guardstream.errors import EventDecodeError
from guardstream.streams.agent_loop import next_offsets, raw_messages
from guardstream.streams.commits import Committer
from guardstream.streams.dead_letter import DeadLetter
from guardstream.streams.delivery import BatchPublisher, OutRecord, dead_letter_record
from guardstream.streams.processing import RawMessage, dead_letter_for
from guardstream.streams.settings import OtlpIngestSettings, Settings

if TYPE_CHECKING:
    from guardstream.streams.metrics import WorkerMetrics
    from guardstream.streams.otlp import MappedSpans, MappingOptions

log = logging.getLogger(__name__)
MAX_REASON_CHARS = 1000


@dataclass
class SpanCounters:
    """Running totals for logs and metrics: non-GenAI spans are counted here, not dead-lettered."""

    spans: int = 0
    events: int = 0
    skipped: int = 0
    rejected: int = 0
    undecodable: int = 0

    def add(self, mapped: MappedSpans) -> None:
        self.spans += mapped.spans
        self.events += len(mapped.events)
        self.skipped += mapped.skipped
        self.rejected += len(mapped.rejected)


class SpanCollector(Collector):
    """`guardstream_otlp_spans_total{outcome}` and undecodable messages, read at scrape time."""

    def __init__(self, counters: SpanCounters) -> None:
        self.counters = counters

    def collect(self) -> Iterable[CounterMetricFamily]:
        spans = CounterMetricFamily(
            "guardstream_otlp_spans",
            "OTLP spans read: mapped to an event, skipped (not GenAI), rejected (unmappable).",
            labels=["outcome"],
        )
        spans.add_metric(["event"], self.counters.events)
        spans.add_metric(["skipped"], self.counters.skipped)
        spans.add_metric(["rejected"], self.counters.rejected)
        yield spans
        yield CounterMetricFamily(
            "guardstream_otlp_undecodable_messages",
            "Span messages that did not decode (dead-lettered).",
            value=self.counters.undecodable,
        )


@dataclass
class IngestOutput:
    events: list[LLMEvent] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def translate(
    messages: Sequence[RawMessage], ingest: OtlpIngestSettings, counters: SpanCounters
) -> IngestOutput:
    """Span messages to events; undecodable messages and rejected spans become dead letters."""
    from guardstream.streams.otlp import decode_request, map_request

    options = mapping_options(ingest)
    output = IngestOutput()
    for message in messages:
        try:
            if message.value is not None and len(message.value) > ingest.max_request_bytes:
                raise EventDecodeError(
                    f"span message is {len(message.value)} bytes, over the "
                    f"{ingest.max_request_bytes} limit",
                    "oversized",
                )
            mapped = map_request(decode_request(message.value, ingest.encoding), options)
        except EventDecodeError as exc:
            counters.undecodable += 1
            output.dead_letters.append(dead_letter_for(message, exc.reason, exc.code))
            continue
        counters.add(mapped)
        output.events.extend(mapped.events)
        if mapped.rejected:  # the good spans went on; the message is kept for the bad ones
            reason = f"{len(mapped.rejected)} GenAI span(s) rejected: " + "; ".join(mapped.rejected)
            output.dead_letters.append(
                dead_letter_for(message, reason[:MAX_REASON_CHARS], "otlp_span")
            )
    return output


def mapping_options(ingest: OtlpIngestSettings) -> MappingOptions:
    from guardstream.streams.otlp import MappingOptions

    return MappingOptions(
        user_id_attribute=ingest.user_id_attribute, default_user_id=ingest.default_user_id
    )


def event_record(event: LLMEvent) -> tuple[bytes, bytes]:
    """(key, value) exactly as `EventPublisher` sends an event: keyed by user id."""
    return event.user_id.encode(), event.model_dump_json(exclude_none=True).encode()


def ingest_records(output: IngestOutput, events_topic: str, dlq_topic: str) -> list[OutRecord]:
    """Events keyed by user id (as `EventPublisher` sends them), then dead letters."""
    records = [OutRecord(events_topic, *event_record(e)) for e in output.events]
    records += [dead_letter_record(dlq_topic, letter) for letter in output.dead_letters]
    return records


def add_otlp_ingest(
    app: Any,
    settings: Settings,
    publisher: BatchPublisher,
    commit: Committer,
    metrics: WorkerMetrics | None = None,
) -> SpanCounters | None:
    """Register the span agent on `app` when `[ingest.otlp] topic` is set; else do nothing.

    Same delivery as the scoring agent: faust never commits the span topic on its timer
    (`acks=False`); a batch's offsets are committed only after its events and dead letters
    are acknowledged, so a crash re-reads span messages rather than losing them.
    """
    ingest = settings.ingest.otlp
    if ingest.topic is None:
        return None
    worker, topics = settings.worker, settings.topics
    spans_topic = app.topic(ingest.topic, value_type=bytes, acks=False)
    counters = SpanCounters()
    if metrics is not None:
        metrics.registry.register(SpanCollector(counters))
    mapper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardstream-otlp")

    @app.agent(spans_topic, name="guardstream.ingest_otlp")
    async def ingest_otlp(stream: Any) -> None:
        async for batch in stream.take_events(worker.batch_size, within=worker.batch_window_s):
            messages = raw_messages(batch)
            # decoding and mapping are CPU work: off the event loop, so heartbeats keep going
            loop = asyncio.get_running_loop()
            output = await loop.run_in_executor(mapper, translate, messages, ingest, counters)
            await publisher.publish(ingest_records(output, topics.events, topics.dlq))
            if not await commit(next_offsets(messages)):
                log.warning("otlp ingest: offsets not committed (rebalance?); batch may re-run")
            log.info("otlp ingest: %s", counters)

    return counters
