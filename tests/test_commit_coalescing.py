"""Coalesced offset commits (streams/commits.py) in the agent loop, without Kafka: fewer commits
than batches, each one in order and only of acknowledged batches, never two at once, and
whatever is pending committed on `flush` (end of stream, shutdown, revoked partitions)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import pytest

from guardstream.streams.agent_loop import BatchLoop
from guardstream.streams.commits import CoalescedCommits
from guardstream.streams.delivery import BatchPublisher, OutRecord
from guardstream.streams.processing import BatchOutput, RawMessage

TOPICS = ("scores", "alerts", "dlq")


def batch(offset: int, partition: int = 0, size: int = 1) -> list[RawMessage]:
    return [RawMessage(b"{}", "events", partition, offset + i) for i in range(size)]


async def score(messages: list[RawMessage]) -> tuple[BatchOutput, list[OutRecord]]:
    m = messages[0]
    return BatchOutput(), [OutRecord("scores", b"k", f"{m.partition}:{m.offset}".encode())]


class GatedSender:
    """`send_many` whose acks wait for `gate`; records every batch's values as sent / acked."""

    def __init__(self, open_: bool = True) -> None:
        self.gate = asyncio.Event()
        if open_:
            self.gate.set()
        self.acked: list[bytes] = []

    async def __call__(self, records: list[OutRecord]) -> list[tuple[list[OutRecord], Any]]:
        future = asyncio.get_running_loop().create_future()

        async def ack() -> None:
            await self.gate.wait()
            self.acked += [r.value for r in records]
            future.set_result(None)

        asyncio.get_running_loop().create_task(ack())
        return [(list(records), future)]

    async def send(self, topic: str, key: bytes, value: bytes, headers: Any) -> Any:
        raise AssertionError("batches go through send_many")


class Commits:
    """A committer that logs each commit with what was acknowledged at that moment; each commit
    takes `delay_s`, and `fail` makes it report a refused commit (rebalance)."""

    def __init__(self, sender: GatedSender, delay_s: float = 0.0, fail: bool = False) -> None:
        self.sender, self.delay_s, self.fail = sender, delay_s, fail
        self.log: list[dict[tuple[str, int], int]] = []
        self.acked_at_commit: list[list[bytes]] = []
        self.running = 0
        self.overlapped = False

    async def __call__(self, offsets: Mapping[tuple[str, int], int]) -> bool:
        self.running += 1
        self.overlapped |= self.running > 1
        self.log.append(dict(offsets))
        self.acked_at_commit.append(list(self.sender.acked))
        await asyncio.sleep(self.delay_s)
        self.running -= 1
        return not self.fail


def make_loop(interval_s: float, sender: GatedSender, commits: Commits) -> BatchLoop:
    publisher = BatchPublisher(sender.send, "dlq", 1 << 20, 4096, send_many=sender)
    return BatchLoop(score, publisher, commits, TOPICS, commit_interval_s=interval_s)


def test_commits_are_coalesced_in_order_and_the_last_one_is_flushed() -> None:
    sender = GatedSender()
    commits = Commits(sender)

    async def run() -> BatchLoop:
        loop_ = make_loop(0.05, sender, commits)
        for offset in range(0, 40, 2):  # 20 batches over ~0.2 s: ~4 intervals
            await loop_.submit(batch(offset, size=2))
            await asyncio.sleep(0.01)
        await loop_.flush()
        return loop_

    loop_ = asyncio.run(run())
    offsets = [c[("events", 0)] for c in commits.log]
    assert offsets[0] == 2  # the first batch is committed at once: nothing committed before
    assert 2 <= len(offsets) <= 10, offsets  # far fewer commits than the 20 batches
    assert offsets == sorted(set(offsets)) and offsets[-1] == 40  # ordered; flush got the end
    assert loop_.stats.committed == {("events", 0): 40} and loop_.stats.batches == 20
    assert loop_.commits.pending == {} and not commits.overlapped


def test_offsets_are_committed_only_after_their_batch_is_acknowledged() -> None:
    sender = GatedSender(open_=False)
    commits = Commits(sender)

    async def run() -> None:
        loop_ = make_loop(0.01, sender, commits)
        await loop_.submit(batch(0))
        await loop_.submit(batch(1))
        await asyncio.sleep(0.1)  # many intervals, but nothing is acknowledged yet
        assert commits.log == [] and loop_.stats.committed == {}
        sender.gate.set()
        await loop_.flush()

    asyncio.run(run())
    for offsets, acked in zip(commits.log, commits.acked_at_commit, strict=True):
        # every batch below the committed offset had its records acknowledged first
        assert {f"0:{o}".encode() for o in range(offsets[("events", 0)])} <= set(acked)
    assert commits.log[-1] == {("events", 0): 2}


def test_flush_commits_at_once_without_waiting_for_the_interval() -> None:
    sender = GatedSender()
    commits = Commits(sender)

    async def run() -> float:
        loop_ = make_loop(30.0, sender, commits)
        for offset in range(3):
            await loop_.submit(batch(offset))
        started = asyncio.get_running_loop().time()
        await loop_.flush()
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(run()) < 1.0
    assert commits.log == [{("events", 0): 1}, {("events", 0): 3}]


def test_partitions_merge_to_their_highest_acknowledged_offset() -> None:
    async def run() -> list[dict[tuple[str, int], int]]:
        done: list[dict[tuple[str, int], int]] = []

        async def commit(offsets: Mapping[tuple[str, int], int]) -> bool:
            done.append(dict(offsets))
            return True

        commits = CoalescedCommits(commit, 30.0, lambda offsets, ok: None)
        await commits.add({("events", 0): 5})  # first: committed at once (in the background)
        await asyncio.sleep(0)
        await commits.add({("events", 1): 3})
        await commits.add({("events", 0): 9, ("events", 1): 7})
        await commits.flush()
        return done

    assert asyncio.run(run()) == [{("events", 0): 5}, {("events", 0): 9, ("events", 1): 7}]


def test_slow_commits_never_overlap_and_stay_ordered() -> None:
    sender = GatedSender()
    commits = Commits(sender, delay_s=0.03)

    async def run() -> None:
        loop_ = make_loop(0.005, sender, commits)
        for offset in range(15):
            await loop_.submit(batch(offset))
            await asyncio.sleep(0.005)
            if offset == 7:  # a rebalance flush while batches are in flight
                await loop_.commits.flush()
        await loop_.flush()

    asyncio.run(run())
    offsets = [c[("events", 0)] for c in commits.log]
    assert not commits.overlapped and offsets == sorted(set(offsets)) and offsets[-1] == 15


def test_a_refused_commit_is_counted_and_warned(caplog: pytest.LogCaptureFixture) -> None:
    sender = GatedSender()
    commits = Commits(sender, fail=True)

    async def run() -> BatchLoop:
        loop_ = make_loop(0.05, sender, commits)
        await loop_.submit(batch(0))
        await loop_.submit(batch(1))
        await loop_.flush()
        return loop_

    with caplog.at_level(logging.WARNING):
        loop_ = asyncio.run(run())
    assert loop_.stats.commits_failed == len(commits.log) >= 1
    assert loop_.stats.committed == {}
    assert "not committed" in caplog.text


def test_interval_zero_commits_each_batch_before_the_next_one_publishes() -> None:
    sender = GatedSender()
    commits = Commits(sender)

    async def run() -> None:
        loop_ = make_loop(0.0, sender, commits)
        for offset in range(4):
            await loop_.submit(batch(offset))
        await loop_.flush()

    asyncio.run(run())
    assert [c[("events", 0)] for c in commits.log] == [1, 2, 3, 4]
    assert [len(a) for a in commits.acked_at_commit] == [1, 2, 3, 4]  # never a batch ahead
