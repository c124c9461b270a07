"""The worker's agent loop: take a batch, score it, publish it, wait for the acks, commit.

Scoring batch N+1 overlaps publishing batch N (`submit`): the scorer runs in its thread while
the event loop sends N's records and waits for their acks. At most one batch is in flight, and
N is acknowledged and committed before N+1's records are sent, so commits stay in order and
each still follows its batch's acks.

Offsets of the events topic are never committed by faust's timer (the topic is created with
`acks=False`); this loop commits a batch's offsets itself, only after every score, alert and dead
letter of that batch has been acknowledged by the broker. So:

- a crash (even `kill -9`) at any point re-delivers at most the batch in flight per partition,
  never loses one;
- a failure to publish retries the batch's records until the broker takes them, and the
  partition waits meanwhile rather than skipping ahead;
- the loop body never raises on bad input: scoring turns any failure into dead letters.

Faust's `take_events` acks a batch's events in a `finally:` even when the body raised or was
cancelled; with acks off for this topic that can no longer commit unpublished work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from guardstream.streams.delivery import BatchPublisher, OutRecord, records_of
from guardstream.streams.log_limits import RateLimitedLog
from guardstream.streams.processing import BatchOutput, RawMessage

log = logging.getLogger(__name__)

# A batch's outputs and their encoded records (encoding runs with scoring, off the event loop).
Scored = tuple[BatchOutput, list[OutRecord]]
Scorer = Callable[[list[RawMessage]], Awaitable[Scored]]
# {(topic, partition): next offset to read} -> whether the commit went through
Committer = Callable[[Mapping[tuple[str, int], int]], Awaitable[bool]]


@dataclass
class LoopStats:
    batches: int = 0
    events: int = 0
    dead_letters: int = 0
    commits_failed: int = 0
    committed: dict[tuple[str, int], int] = field(default_factory=dict)


def next_offsets(messages: Iterable[RawMessage]) -> dict[tuple[str, int], int]:
    """The offset to commit per partition: one past the last message of the batch."""
    offsets: dict[tuple[str, int], int] = {}
    for m in messages:
        key = (m.topic, m.partition)
        offsets[key] = max(offsets.get(key, 0), m.offset + 1)
    return offsets


def raw_messages(events: Sequence[Any]) -> list[RawMessage]:
    """faust events to the plain messages `process_batch` takes."""
    return [
        RawMessage(e.value, e.message.topic, e.message.partition, e.message.offset) for e in events
    ]


def score_and_encode(
    process: Callable[[list[RawMessage]], BatchOutput], topics: tuple[str, str, str]
) -> Callable[[list[RawMessage]], Scored]:
    """The scoring thread's whole job for one batch: outputs and their Kafka records."""

    def run(messages: list[RawMessage]) -> Scored:
        output = process(messages)
        return output, records_of(output, *topics)

    return run


class BatchLoop:
    """score -> publish and await acks -> commit, with scoring of the next batch overlapping
    the publishing of this one. Plain, testable."""

    def __init__(
        self,
        score: Scorer,
        publisher: BatchPublisher,
        commit: Committer,
        topics: tuple[str, str, str],
    ) -> None:
        self.score = score
        self.publisher = publisher
        self.commit = commit
        self.scores_topic, self.alerts_topic, self.dlq_topic = topics
        self.stats = LoopStats()
        self.warnings = RateLimitedLog(log)
        self._in_flight: asyncio.Future[BatchOutput] | None = None

    async def handle(self, messages: list[RawMessage]) -> BatchOutput:
        """Everything for one batch; returns once its offsets are committed (or the commit was
        refused by a rebalance, in which case the new owner re-reads the batch)."""
        await self.submit(messages)
        output = await self.flush()
        assert output is not None
        return output

    async def submit(self, messages: list[RawMessage]) -> None:
        """Score this batch (while the previous one publishes), wait for the previous one to be
        acknowledged and committed, then start publishing this one and return."""
        output, records = await self.score(messages)
        await self.flush()
        self._in_flight = asyncio.ensure_future(self._publish_commit(messages, output, records))

    async def flush(self) -> BatchOutput | None:
        """Wait until the batch in flight (if any) is acknowledged and committed."""
        in_flight, self._in_flight = self._in_flight, None
        return None if in_flight is None else await in_flight

    async def _publish_commit(
        self, messages: list[RawMessage], output: BatchOutput, records: list[OutRecord]
    ) -> BatchOutput:
        await self.publisher.publish(records)
        offsets = next_offsets(messages)
        if await self.commit(offsets):
            self.stats.committed.update(offsets)
        else:
            self.stats.commits_failed += 1
            self.warnings.warn(
                "commit", "offsets %s not committed (rebalance?); the batch may be re-read",
                offsets,
            )  # fmt: skip
        self.stats.batches += 1
        self.stats.events += len(messages)
        self.stats.dead_letters += len(output.dead_letters)
        return output
