"""One batch of raw Kafka messages to the records guardstream publishes. Plain function, no I/O.

Keeping this apart from faust means the same logic is unit-testable and the agent stays thin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from guardstream.contracts import Alert, LLMEvent, ScoreRecord
from guardstream.detectors.behaviour.state import StateStore
from guardstream.detectors.pipeline import Pipeline
from guardstream.errors import EventDecodeError
from guardstream.streams.dead_letter import DeadLetter
from guardstream.streams.decoding import decode_event


@dataclass(frozen=True)
class RawMessage:
    value: bytes | None
    topic: str
    partition: int
    offset: int
    key: bytes | None = None


@dataclass
class BatchOutput:
    scores: list[ScoreRecord] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    # seconds per detector for this batch (metrics; filled where scoring ran, child or thread)
    detector_seconds: dict[str, float] = field(default_factory=dict)


def process_batch(
    messages: Sequence[RawMessage],
    pipeline: Pipeline,
    max_bytes: int,
    state: StateStore | None = None,
) -> BatchOutput:
    """Decode, score and threshold; anything that cannot be decoded or scored is dead-lettered.

    With `state`, behaviour detectors and alert suppression run too; each event's partition
    tells the store where its keys live."""
    output = BatchOutput()
    events: list[LLMEvent] = []
    origins: list[RawMessage] = []
    for message in messages:
        try:
            events.append(decode_event(message.value, max_bytes))
            origins.append(message)
        except EventDecodeError as exc:
            output.dead_letters.append(_dead_letter(message, exc.reason, exc.code))
    shards = [origin.partition for origin in origins]
    verdicts = pipeline.run(events, state, shards)
    output.detector_seconds = dict(pipeline.detector_seconds)
    for verdict, origin in zip(verdicts, origins, strict=True):
        if verdict.record is None:
            output.dead_letters.append(_dead_letter(origin, verdict.error or "?", "detector"))
            continue
        output.scores.append(verdict.record)
        output.alerts.extend(verdict.alerts)
    return output


def _dead_letter(message: RawMessage, reason: str, code: str) -> DeadLetter:
    return DeadLetter(
        raw=message.value or b"",
        reason=reason,
        code=code,
        source_topic=message.topic,
        source_partition=message.partition,
        source_offset=message.offset,
    )
