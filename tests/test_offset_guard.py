"""The offset guard's two rules that a restart depends on (streams/offset_guard.py)."""

from __future__ import annotations

import asyncio

import faust
import pytest
from faust.types import TP

from guardstream.streams.kafka_tuning import GuardedReadOffsets, tune
from guardstream.streams.offset_guard import GuardCloser, OffsetGuard
from guardstream.streams.processing import RawMessage
from guardstream.streams.settings import Settings


def test_faust_read_offsets_never_drop_guarded_topics() -> None:
    offsets = GuardedReadOffsets(frozenset({"events"}))
    offsets[TP("events", 0)] = 784  # faust records what it delivered...
    offsets[TP("other", 0)] = 12
    assert offsets[TP("events", 0)] is None  # ...but re-fetched messages below it still pass
    assert offsets[TP("other", 0)] == 12
    assert offsets[TP("other", 1)] is None


@pytest.mark.kafka
def test_a_partition_with_nothing_committed_starts_at_the_log_start(
    stack_settings: Settings,
) -> None:
    """Before: no committed offset admitted any first message, so messages faust dropped while
    its flow was suspended were lost for good; now they are a gap to seek back to."""
    events_topic = stack_settings.topics.events

    async def admit_from_offset_3() -> tuple[list[int], int]:
        app = faust.App(stack_settings.worker.group_id, broker=stack_settings.bootstrap)
        tune(app, stack_settings)
        sought: list[tuple[tuple[str, int], int]] = []

        class RecordingGuard(OffsetGuard):  # records the seek; offsets come from the broker
            async def seek(self, tp: tuple[str, int], offset: int) -> None:
                sought.append((tp, offset))

        guard = RecordingGuard(app, stack_settings, [events_topic])
        assert app.transport.guarded_topics == {events_topic}
        closer = GuardCloser(guard)  # what the worker's app stops after its agents
        await closer.start()
        try:
            messages = [RawMessage(b"{}", events_topic, 0, n) for n in (3, 4)]
            admitted = await guard.admit(messages)
            assert sought == [((events_topic, 0), 0)]
            admitted += await guard.admit([RawMessage(b"{}", events_topic, 0, n) for n in range(5)])
            assert guard._offsets is not None  # the client that read the committed offsets
            return [m.offset for m in admitted], guard.gaps
        finally:
            await closer.stop()
            assert guard._offsets is None

    offsets, gaps = asyncio.run(admit_from_offset_3())
    assert offsets == [0, 1, 2, 3, 4] and gaps == 1
