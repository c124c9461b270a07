"""The worker's agent loop: take a batch, score it, finish it, publish it, wait for the acks,
commit.

Three stages overlap (`submit`): while batch N+1 is scored (the stateless half, in the scoring
process or thread), batch N is finished (the stateful half: behaviour state, suppression, drift
rows, in the parent: on its event loop or a thread, by profile) and batch N-1 publishes. Order
is kept where it matters: batches are finished one at a time in order (state sees events in
order), and N is acknowledged (and its offsets handed to the committer) before N+1's records
are sent, so commits stay in order and each still follows its batch's acks. At most one batch
waits to publish behind the one publishing (back-pressure when the broker is slow).

Offsets of the events topic are never committed by faust's timer (the topic is created with
`acks=False`); this loop commits a batch's offsets itself, only after every score, alert and dead
letter of that batch has been acknowledged by the broker, coalesced to at most one commit per
`commit_interval_s` (`streams/commits.py`; `flush` commits what is pending). So:

- a crash (even `kill -9`) at any point re-delivers at most the batches acknowledged since the
  last commit and those in flight, never loses one;
- a failure to publish retries the batch's records until the broker takes them, and the
  partition waits meanwhile rather than skipping ahead;
- the loop body never raises on bad input: scoring turns any failure into dead letters.

Faust's `take_events` acks a batch's events in a `finally:` even when the body raised or was
cancelled; with acks off for this topic that can no longer commit unpublished work.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from guardstream.streams.commits import CoalescedCommits, Committer, Offsets
from guardstream.streams.delivery import BatchPublisher, OutRecord, records_of
from guardstream.streams.log_limits import RateLimitedLog
from guardstream.streams.processing import BatchOutput, RawMessage

log = logging.getLogger(__name__)

# A batch's outputs and their encoded records (encoding runs with scoring, off the event loop).
Scored = tuple[BatchOutput, list[OutRecord]]
Scorer = Callable[[list[RawMessage]], Awaitable[Scored]]
# The stateful half, run in batch order after scoring: (messages, scored) -> scored
Finisher = Callable[[list[RawMessage], Scored], Awaitable[Scored]]
# (events in the batch, its final output, seconds from scoring start to finished)
BatchObserver = Callable[[int, BatchOutput, float], None]


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
        RawMessage(e.value, e.message.topic, e.message.partition, e.message.offset, e.message.key)
        for e in events
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
    """score -> finish -> publish and await acks -> commit, with the stages of consecutive
    batches overlapping (see the module docstring). Plain, testable."""

    def __init__(
        self,
        score: Scorer,
        publisher: BatchPublisher,
        commit: Committer,
        topics: tuple[str, str, str],
        finish: Finisher | None = None,
        commit_interval_s: float = 0.0,
    ) -> None:
        """`commit_interval_s` 0: each batch is committed before the next one publishes."""
        self.score = score
        self.finish = finish
        self.publisher = publisher
        self.commit = commit
        self.scores_topic, self.alerts_topic, self.dlq_topic = topics
        self.stats = LoopStats()
        self.warnings = RateLimitedLog(log)
        self.observe: BatchObserver | None = None  # metrics hook
        self._finished: asyncio.Future[None] | None = None  # the latest batch's finish
        self._in_flight: deque[asyncio.Future[BatchOutput]] = deque()  # publish + commit
        self.commits = CoalescedCommits(commit, commit_interval_s, self._committed)

    async def handle(self, messages: list[RawMessage]) -> BatchOutput:
        """Everything for one batch; returns once its offsets are committed (or the commit was
        refused by a rebalance, in which case the new owner re-reads the batch)."""
        await self.submit(messages)
        output = await self.flush()
        assert output is not None
        return output

    async def submit(self, messages: list[RawMessage]) -> None:
        """Score this batch (while the previous one is finished and published), wait for the
        previous one to be finished, then finish and publish this one in the background."""
        started = time.perf_counter()
        scored = await self.score(messages)
        if self._finished is not None:
            await self._finished  # state sees batches in order; raises what the finish raised
        while len(self._in_flight) > 1:  # back-pressure: one publishing, one waiting
            await self._in_flight.popleft()
        loop = asyncio.get_running_loop()
        self._finished = finished = loop.create_future()
        previous = self._in_flight[-1] if self._in_flight else None
        self._in_flight.append(
            asyncio.ensure_future(self._run(messages, scored, started, finished, previous))
        )

    async def flush(self) -> BatchOutput | None:
        """Wait until every batch in flight is finished, acknowledged and committed; return the
        last one's output."""
        output = None
        try:
            while self._in_flight:
                output = await self._in_flight.popleft()
        finally:
            await self.commits.flush()  # what was acknowledged, even if a batch failed
        finished, self._finished = self._finished, None
        if finished is not None and finished.done() and not finished.cancelled():
            finished.exception()  # retrieved: `_run` raised it already, to whoever awaited
        return output

    async def _run(
        self,
        messages: list[RawMessage],
        scored: Scored,
        started: float,
        finished: asyncio.Future[None],
        previous: asyncio.Future[BatchOutput] | None,
    ) -> BatchOutput:
        try:
            output, records = await self.finish(messages, scored) if self.finish else scored
        except BaseException as exc:
            finished.set_exception(exc)
            raise
        finished.set_result(None)
        if self.observe is not None:
            self.observe(len(messages), output, time.perf_counter() - started)
        if previous is not None:
            await previous  # N acknowledged (commit handed on) before N+1's records are sent
        return await self._publish_commit(messages, output, records)

    async def _publish_commit(
        self, messages: list[RawMessage], output: BatchOutput, records: list[OutRecord]
    ) -> BatchOutput:
        await self.publisher.publish(records)
        await self.commits.add(next_offsets(messages))  # commits now or soon (coalesced)
        self.stats.batches += 1
        self.stats.events += len(messages)
        self.stats.dead_letters += len(output.dead_letters)
        return output

    def _committed(self, offsets: Offsets, ok: bool) -> None:
        if ok:
            self.stats.committed.update(offsets)
            return
        self.stats.commits_failed += 1
        self.warnings.warn(
            "commit", "offsets %s not committed (rebalance?); those batches may be re-read",
            dict(offsets),
        )  # fmt: skip
