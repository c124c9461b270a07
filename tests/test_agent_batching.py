"""The agent's hot path without Kafka: batches as soon as the buffer is drained, scoring of the
next batch overlapping the previous one's publish, commits in order and after acks, and batch
sends retried as a unit."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from guardstream.streams.agent_loop import BatchLoop
from guardstream.streams.batching import ready_batches
from guardstream.streams.delivery import BatchPublisher, OutRecord
from guardstream.streams.ops_settings import PROFILES
from guardstream.streams.processing import BatchOutput, RawMessage


class FakeStream:
    """What `ready_batches` touches of a faust stream: the channel's queue and should_stop."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.channel = self
        self.should_stop = False

    def __aiter__(self) -> FakeStream:
        return self

    async def __anext__(self) -> int:
        return await self.queue.get()


async def first_batch(stream: FakeStream, profile: Any) -> list[int]:
    return await anext(aiter(ready_batches(stream, profile)))


def test_latency_profile_hands_over_what_is_buffered_at_once() -> None:
    async def run() -> tuple[list[int], float]:
        stream = FakeStream()
        for i in range(5):
            stream.queue.put_nowait(i)
        loop = asyncio.get_running_loop()
        started = loop.time()
        batch = await first_batch(stream, PROFILES["latency"])
        return batch, loop.time() - started

    batch, waited = asyncio.run(run())
    assert batch == [0, 1, 2, 3, 4]
    assert waited < PROFILES["latency"].batch_window_s  # did not sit out the window


def test_batches_never_exceed_the_size_and_keep_order() -> None:
    async def run() -> list[list[int]]:
        stream = FakeStream()
        for i in range(10):
            stream.queue.put_nowait(i)
        batches = ready_batches(stream, replace(PROFILES["latency"], batch_size=4))
        return [await anext(batches) for _ in range(3)]

    assert asyncio.run(run()) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_throughput_profile_waits_for_more_within_the_window() -> None:
    async def run() -> list[int]:
        stream = FakeStream()
        stream.queue.put_nowait(0)
        profile = replace(PROFILES["throughput"], batch_window_s=0.5)

        async def late() -> None:
            await asyncio.sleep(0.05)
            stream.queue.put_nowait(1)

        feeding = asyncio.create_task(late())
        batch = await first_batch(stream, profile)
        await feeding
        return batch

    assert asyncio.run(run()) == [0, 1]


def batch_of(offset: int) -> list[RawMessage]:
    return [RawMessage(b"{}", "events", 0, offset)]


def test_next_batch_is_scored_while_the_previous_one_publishes_and_commits_stay_ordered() -> None:
    log: list[str] = []

    async def run() -> None:
        publish_gate = asyncio.Event()

        async def score(messages: list[RawMessage]) -> tuple[BatchOutput, list[OutRecord]]:
            log.append(f"score {messages[0].offset}")
            await asyncio.sleep(0)
            return BatchOutput(), [OutRecord("scores", b"k", str(messages[0].offset).encode())]

        async def send(topic: str, key: bytes, value: bytes, headers: Any) -> asyncio.Future[Any]:
            log.append(f"send {value.decode()}")
            future = asyncio.get_running_loop().create_future()

            async def ack() -> None:
                await publish_gate.wait()
                future.set_result(None)

            asyncio.get_running_loop().create_task(ack())
            return future

        async def commit(offsets: Mapping[tuple[str, int], int]) -> bool:
            log.append(f"commit {offsets[('events', 0)]}")
            return True

        publisher = BatchPublisher(send, "dlq", 1 << 20, 4096)
        loop_ = BatchLoop(score, publisher, commit, ("scores", "alerts", "dlq"))
        await loop_.submit(batch_of(0))
        await asyncio.sleep(0.01)  # batch 0 is sent but not acknowledged
        scoring_next = asyncio.create_task(loop_.submit(batch_of(1)))
        await asyncio.sleep(0.01)
        assert "score 1" in log and "commit 1" not in log and "send 1" not in log
        publish_gate.set()
        await scoring_next
        await loop_.flush()

    asyncio.run(run())
    assert log == ["score 0", "send 0", "score 1", "commit 1", "send 1", "commit 2"]


class BatchSender:
    """A `send_many` whose first `failures` calls fail every group with `error`."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error = failures, error
        self.groups: list[list[bytes]] = []
        self.singles: list[bytes] = []

    async def __call__(self, records: list[OutRecord]) -> list[tuple[list[OutRecord], Any]]:
        future = asyncio.get_running_loop().create_future()
        if self.failures:
            self.failures -= 1
            future.set_exception(self.error)
        else:
            self.groups.append([r.value for r in records])
            future.set_result(None)
        return [(list(records), future)]

    async def send(self, topic: str, key: bytes, value: bytes, headers: Any) -> Any:
        future = asyncio.get_running_loop().create_future()
        self.singles.append(value)
        future.set_result(None)
        return future


def test_a_failed_batch_is_retried_whole() -> None:
    sender = BatchSender(failures=2, error=KafkaTimeoutError())
    publisher = BatchPublisher(sender.send, "dlq", 1 << 20, 4096, send_many=sender)
    records = [OutRecord("scores", b"k", v) for v in (b"a", b"b", b"c")]
    asyncio.run(publisher.publish(records))
    assert sender.groups == [[b"a", b"b", b"c"]] and publisher.retries == 6


def test_a_batch_too_large_for_the_broker_is_resent_record_by_record_not_truncated() -> None:
    sender = BatchSender(failures=1, error=MessageSizeTooLargeError())
    publisher = BatchPublisher(sender.send, "dlq", 1 << 20, 4096, send_many=sender)
    asyncio.run(publisher.publish([OutRecord("scores", b"k", v) for v in (b"a", b"b")]))
    assert sender.singles == [b"a", b"b"] and sender.groups == []


def test_a_record_with_a_partition_resent_alone_keeps_its_partition() -> None:
    """Changelog records carry their partition; the record-by-record retry after a too-large
    batch sends each as a batch of one (send_many), never by key hash (plain send)."""
    sender = BatchSender(failures=1, error=MessageSizeTooLargeError())
    publisher = BatchPublisher(sender.send, "dlq", 1 << 20, 4096, send_many=sender)
    records = [OutRecord("changelog", b"k", v, partition=2) for v in (b"a", b"b")]
    asyncio.run(publisher.publish(records))
    assert sender.singles == [] and sender.groups == [[b"a"], [b"b"]]


def test_finish_stage_overlaps_the_next_score_but_runs_in_batch_order() -> None:
    """Batch 1 is scored while batch 0 is finished (the stateful half); batch 1's finish waits
    for batch 0's, and its records for batch 0's commit."""
    log: list[str] = []

    async def run() -> None:
        finish_gate = asyncio.Event()

        async def score(messages: list[RawMessage]) -> tuple[BatchOutput, list[OutRecord]]:
            log.append(f"score {messages[0].offset}")
            return BatchOutput(), [OutRecord("scores", b"k", str(messages[0].offset).encode())]

        async def finish(
            messages: list[RawMessage], scored: tuple[BatchOutput, list[OutRecord]]
        ) -> tuple[BatchOutput, list[OutRecord]]:
            log.append(f"finish {messages[0].offset}")
            if messages[0].offset == 0:
                await finish_gate.wait()
            log.append(f"finished {messages[0].offset}")
            return scored

        sender = BatchSender(failures=0, error=KafkaTimeoutError())

        async def commit(offsets: Mapping[tuple[str, int], int]) -> bool:
            log.append(f"commit {offsets[('events', 0)]}")
            return True

        publisher = BatchPublisher(sender.send, "dlq", 1 << 20, 4096, send_many=sender)
        loop_ = BatchLoop(score, publisher, commit, ("scores", "alerts", "dlq"), finish)
        await loop_.submit(batch_of(0))
        second = asyncio.create_task(loop_.submit(batch_of(1)))
        await asyncio.sleep(0.01)
        assert log == ["score 0", "finish 0", "score 1"]  # scored while 0 is being finished
        assert not second.done()  # ...but not finished before batch 0 is
        finish_gate.set()
        await second
        await loop_.flush()
        assert sender.groups == [[b"0"], [b"1"]]

    asyncio.run(run())
    assert log == [
        "score 0", "finish 0", "score 1", "finished 0", "finish 1", "finished 1",
        "commit 1", "commit 2",
    ]  # fmt: skip


def test_a_failed_finish_reaches_the_agent_and_nothing_is_committed() -> None:
    async def run() -> list[str]:
        committed: list[str] = []

        async def score(messages: list[RawMessage]) -> tuple[BatchOutput, list[OutRecord]]:
            return BatchOutput(), []

        async def finish(messages: list[RawMessage], scored: Any) -> Any:
            raise RuntimeError("state store broken")

        async def commit(offsets: Mapping[tuple[str, int], int]) -> bool:
            committed.append(str(offsets))
            return True

        sender = BatchSender(failures=0, error=KafkaTimeoutError())
        publisher = BatchPublisher(sender.send, "dlq", 1 << 20, 4096, send_many=sender)
        loop_ = BatchLoop(score, publisher, commit, ("scores", "alerts", "dlq"), finish)
        await loop_.submit(batch_of(0))
        with pytest.raises(RuntimeError, match="state store broken"):
            await loop_.submit(batch_of(1))
        with pytest.raises(RuntimeError, match="state store broken"):
            await loop_.flush()
        return committed

    assert asyncio.run(run()) == []
