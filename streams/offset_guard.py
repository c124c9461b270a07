"""Hand the agent only contiguous offsets: a gap means faust dropped fetched messages.

Seen here: a worker that recovers tables while its group forms can lose the first messages
fetched after the assignment (faust drops what arrives while its flow is suspended, but its
fetch position has moved on), so a committed offset of 105 is followed by a first batch at 109.
With offsets committed by the agent after each batch, that would skip events for good. The
guard learns each partition's committed offset once per consumer generation, passes messages
that continue it, drops anything after a gap and seeks the consumer back to the missing offset,
so the skipped messages are fetched again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import faust
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from faust.types import TP

from guardstream.streams.log_limits import RateLimitedLog
from guardstream.streams.processing import RawMessage
from guardstream.streams.settings import Settings

log = logging.getLogger(__name__)


class OffsetGuard:
    def __init__(self, app: faust.App, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.expected: dict[tuple[str, int], int | None] = {}
        self.seeking: dict[tuple[str, int], int] = {}
        self.generation: int | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self.warnings = RateLimitedLog(log)
        self.gaps = 0

    async def _committed(self, topic: str, partition: int) -> int | None:
        """The group's committed offset (OffsetFetch; no group membership needed)."""
        if self._offsets is None:
            self._offsets = AIOKafkaConsumer(
                bootstrap_servers=self.settings.bootstrap_servers,
                group_id=self.settings.worker.group_id,
                enable_auto_commit=False,
            )
            await self._offsets.start()
        return await self._offsets.committed(TopicPartition(topic, partition))

    async def admit(self, messages: Sequence[RawMessage]) -> list[RawMessage]:
        generation = self.app.consumer_generation_id
        if generation != self.generation:  # new assignment: committed offsets may have moved
            self.generation = generation
            self.expected.clear()
            self.seeking.clear()
        admitted: list[RawMessage] = []
        for message in messages:
            tp = (message.topic, message.partition)
            if tp not in self.expected:
                self.expected[tp] = await self._committed(*tp)
            expected = self.expected[tp]
            if expected is None or message.offset == expected:
                admitted.append(message)
                self.expected[tp] = message.offset + 1
                self.seeking.pop(tp, None)
            elif message.offset > expected and self.seeking.get(tp) != expected:
                self.gaps += 1
                self.warnings.warn(
                    "gap", "offset gap on %s[%d]: expected %d, got %d; seeking back",
                    tp[0], tp[1], expected, message.offset,
                )  # fmt: skip
                self.seeking[tp] = expected
                await self.app.consumer.seek(TP(*tp), expected)
            # below `expected`: already handled in this generation; after a gap: re-fetched
        return admitted

    async def close(self) -> None:
        if self._offsets is not None:
            await self._offsets.stop()
