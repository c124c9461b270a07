"""Hand the agent only contiguous offsets: a gap means faust dropped fetched messages.

Seen here: a worker that recovers tables while its group forms can lose the first messages
fetched after the assignment (faust drops what arrives while its flow is suspended, but its
fetch position has moved on), so a committed offset of 105 is followed by a first batch at 109.
With offsets committed by the agent after each batch, that would skip events for good. The
guard learns each partition's committed offset once per consumer generation (the log start
where nothing is committed yet: `auto_offset_reset` is earliest), passes messages that continue
it, drops anything after a gap and seeks the consumer back to the missing offset, so the skipped
messages are fetched again.

faust's own "read offset" filter must not undo that seek: it drops every fetched message below
the highest offset it has delivered, and messages already fetched when the guard seeks push it
past the gap again, so the re-fetched ones were dropped for good (a partition stalled at its
committed offset forever). The guard registers its topics with the tuned transport, whose
consumer turns that filter off for them (`kafka_tuning.GuardedReadOffsets`); the guard alone
drops duplicates there.

faust can also drop fetched records without a trace (records of a partition it does not count
as active at that moment, around recovery): the consumer's position moves on and, with no later
message on that partition, no gap is ever seen (a restarted worker left 7 events unscored
until new traffic came). `check_idle` (a timer) seeks back any partition whose position is past
the guard's next offset while the agent has had nothing for `IDLE_S`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import faust
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from faust.types import TP
from mode import Service

from guardstream.streams.kafka_tuning import TunedTransport
from guardstream.streams.log_limits import RateLimitedLog
from guardstream.streams.processing import RawMessage
from guardstream.streams.settings import Settings

log = logging.getLogger(__name__)

RESEEK_AFTER_S = 5.0  # a seek whose first message was lost again is retried after this
IDLE_S = 3.0  # no batch for this long while a partition's position is ahead: records were lost


class OffsetGuard:
    def __init__(self, app: faust.App, settings: Settings, topics: Sequence[str]) -> None:
        self.app = app
        self.settings = settings
        self.topics = tuple(topics)
        if not isinstance(app.transport, TunedTransport):  # pragma: no cover - wiring error
            raise TypeError("OffsetGuard needs the tuned transport: call kafka_tuning.tune first")
        app.transport.guarded_topics = frozenset(self.topics)
        self.expected: dict[tuple[str, int], int] = {}
        self.seeking: dict[tuple[str, int], tuple[int, float]] = {}
        self.generation: int | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self.warnings = RateLimitedLog(log)
        self.gaps = 0
        self.last_admit = 0.0

    async def _start_offset(self, topic: str, partition: int) -> int:
        """The group's committed offset (OffsetFetch; no group membership needed), else the
        partition's log start."""
        if self._offsets is None:
            self._offsets = AIOKafkaConsumer(
                bootstrap_servers=self.settings.bootstrap_servers,
                group_id=self.settings.worker.group_id,
                enable_auto_commit=False,
            )
            await self._offsets.start()
        tp = TopicPartition(topic, partition)
        committed = await self._offsets.committed(tp)
        if committed is not None:
            return committed
        return (await self._offsets.beginning_offsets([tp]))[tp]

    def _sync_generation(self) -> None:
        generation = self.app.consumer_generation_id
        if generation != self.generation:  # new assignment: committed offsets may have moved
            self.generation = generation
            self.expected.clear()
            self.seeking.clear()

    async def _expected(self, tp: tuple[str, int]) -> int:
        if tp not in self.expected:
            self.expected[tp] = await self._start_offset(*tp)
        return self.expected[tp]

    async def admit(self, messages: Sequence[RawMessage]) -> list[RawMessage]:
        self.last_admit = time.monotonic()
        self._sync_generation()
        admitted: list[RawMessage] = []
        for message in messages:
            tp = (message.topic, message.partition)
            expected = await self._expected(tp)
            if message.offset == expected:
                admitted.append(message)
                self.expected[tp] = message.offset + 1
                self.seeking.pop(tp, None)
            elif message.offset > expected and self._should_seek(tp, expected):
                await self._seek_back(
                    tp, expected, "gap", "offset gap on %s[%d]: expected %d, got %d; seeking back",
                    tp[0], tp[1], expected, message.offset,
                )  # fmt: skip
            # below `expected`: already handled; after a gap: fetched again after the seek
        return admitted

    async def check_idle(self, *_: object) -> None:  # faust timers pass the app
        """Seek back partitions whose fetched records never reached the agent (see above)."""
        if time.monotonic() - self.last_admit < IDLE_S:
            return
        self._sync_generation()
        consumer = self.app.consumer
        for partition in sorted(consumer.assignment()):
            if partition.topic not in self.topics:
                continue
            tp = (partition.topic, partition.partition)
            try:
                position = await consumer.position(partition)
                expected = await self._expected(tp)
            except Exception:  # mid-rebalance: the next tick looks again
                continue
            if position is not None and position > expected and self._should_seek(tp, expected):
                await self._seek_back(
                    tp, expected, "idle", "%s[%d] is at offset %d but the agent has seen nothing "
                    "since %d; seeking back", tp[0], tp[1], position, expected,
                )  # fmt: skip

    async def _seek_back(
        self, tp: tuple[str, int], expected: int, kind: str, template: str, *args: object
    ) -> None:
        """Count the gap, say why (rate-limited per `kind`), remember the seek, seek."""
        self.gaps += 1
        self.warnings.warn(kind, template, *args)
        self.seeking[tp] = (expected, time.monotonic())
        await self.seek(tp, expected)

    async def seek(self, tp: tuple[str, int], offset: int) -> None:
        await self.app.consumer.seek(TP(*tp), offset)

    def _should_seek(self, tp: tuple[str, int], expected: int) -> bool:
        """Seek once per gap; again only if the re-fetch has not arrived for a while."""
        pending = self.seeking.get(tp)
        return (
            pending is None
            or pending[0] != expected
            or time.monotonic() - pending[1] > RESEEK_AFTER_S
        )

    async def close(self) -> None:
        if self._offsets is not None:
            await self._offsets.stop()
            self._offsets = None


class GuardCloser(Service):
    """Stops the guard's offset client with the app (a dependency of the app, so it is stopped
    after the agents), instead of leaving an unclosed client behind at shutdown."""

    def __init__(self, guard: OffsetGuard) -> None:
        super().__init__()
        self.guard = guard

    async def on_stop(self) -> None:
        await self.guard.close()
