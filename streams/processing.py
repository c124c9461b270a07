"""One batch of raw Kafka messages to the records guardstream publishes. Plain function, no I/O.

Keeping this apart from faust means the same logic is unit-testable and the agent stays thin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from guardstream.contracts import Alert, LLMEvent, ScoreRecord
from guardstream.detectors.behaviour.base import EventFacts
from guardstream.detectors.behaviour.judge import judge
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


Source = tuple[str, int, int]  # (topic, partition, offset) of the message behind a record


@dataclass
class BatchOutput:
    scores: list[ScoreRecord] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    # (topic, key, raw value): events re-keyed by user for the partition that holds their state
    forwards: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    # aligned with `scores`: the facts behaviour needs, and the message each record came from;
    # aligned with `alerts`: the message of the event that raised it
    facts: list[EventFacts] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    alert_sources: list[Source] = field(default_factory=list)
    # seconds per detector for this batch (metrics; filled where scoring ran, child or thread)
    detector_seconds: dict[str, float] = field(default_factory=dict)

    def extend(self, other: BatchOutput) -> None:
        """Append another output (a split batch scored event by event)."""
        for name in (
            "scores", "alerts", "dead_letters", "forwards", "facts", "sources", "alert_sources",
        ):  # fmt: skip
            getattr(self, name).extend(getattr(other, name))
        for detector, spent in other.detector_seconds.items():
            self.detector_seconds[detector] = self.detector_seconds.get(detector, 0.0) + spent


def process_batch(
    messages: Sequence[RawMessage],
    pipeline: Pipeline,
    max_bytes: int,
    state: StateStore | None = None,
    rekey_topic: str | None = None,
) -> BatchOutput:
    """Decode, score and threshold; anything that cannot be decoded or scored is dead-lettered.

    With `state` and/or `rekey_topic`, `apply_state` follows (see there)."""
    output = BatchOutput()
    events: list[LLMEvent] = []
    origins: list[RawMessage] = []
    for message in messages:
        try:
            events.append(decode_event(message.value, max_bytes))
            origins.append(message)
        except EventDecodeError as exc:
            output.dead_letters.append(dead_letter_for(message, exc.reason, exc.code))
    verdicts = pipeline.run(events)
    output.detector_seconds = dict(pipeline.detector_seconds)
    for verdict, origin in zip(verdicts, origins, strict=True):
        if verdict.record is None or verdict.facts is None:
            output.dead_letters.append(dead_letter_for(origin, verdict.error or "?", "detector"))
            continue
        source = (origin.topic, origin.partition, origin.offset)
        output.scores.append(verdict.record)
        output.facts.append(verdict.facts)
        output.sources.append(source)
        output.alerts.extend(verdict.alerts)
        output.alert_sources.extend([source] * len(verdict.alerts))
    if state is not None or rekey_topic is not None:
        apply_state(messages, output, pipeline, state, rekey_topic)
    return output


def apply_state(
    messages: Sequence[RawMessage],
    output: BatchOutput,
    pipeline: Pipeline,
    state: StateStore | None,
    rekey_topic: str | None = None,
) -> BatchOutput:
    """The stateful half, in place: where the state is (the worker's main process).

    With `rekey_topic`, a record whose message was not keyed by its user id is dropped with its
    alerts and the message forwarded there keyed by user id (scored again on arrival, on the
    partition that holds the user's state). With `state`, behaviour scores and alert
    suppression are applied; each message's partition tells the store where keys live."""
    by_source = {(m.topic, m.partition, m.offset): m for m in messages}
    keep = []
    for n, (record, source) in enumerate(zip(output.scores, output.sources, strict=True)):
        message = by_source[source]
        user_key = (record.user_id or "").encode()
        if rekey_topic is not None and message.key != user_key and message.value is not None:
            output.forwards.append((rekey_topic, user_key, message.value))
        else:
            keep.append(n)
    owned: dict[Source, list[Alert]] = {}
    for alert, source in zip(output.alerts, output.alert_sources, strict=True):
        owned.setdefault(source, []).append(alert)
    sources = [output.sources[n] for n in keep]
    alerts = [owned.get(source, []) for source in sources]
    output.scores = [output.scores[n] for n in keep]
    output.facts = [output.facts[n] for n in keep]
    output.sources = sources
    if state is not None:
        shards = [source[1] for source in sources]
        alerts = judge(pipeline, output.scores, output.facts, alerts, shards, state)
    output.alerts = [a for group in alerts for a in group]
    output.alert_sources = [s for s, group in zip(sources, alerts, strict=True) for _ in group]
    return output


def dead_letter_for(message: RawMessage, reason: str, code: str) -> DeadLetter:
    """The dead letter for `message`: its raw bytes and where it came from."""
    return DeadLetter(
        raw=message.value or b"",
        reason=reason,
        code=code,
        source_topic=message.topic,
        source_partition=message.partition,
        source_offset=message.offset,
    )
