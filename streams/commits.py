"""Offset commits of acknowledged batches, coalesced: at most one commit per `interval_s`.

At streaming rates a batch holds 13-20 events, and each commit is a round trip through faust's
consumer thread and the broker that the next batch's records used to wait for (issue 13). The
agent loop hands each batch's offsets here once every output of the batch is acknowledged;
they are merged (the highest offset per partition) and committed by a background task once
`interval_s` has passed since the previous commit, so publishing never waits on a commit.

What stays true:
- only offsets of acknowledged batches are ever committed, and commits go out one at a time in
  order (a lock), so a partition's committed offset never moves back or past unacked work;
- `flush` commits whatever is pending at once: at the end of the stream, at shutdown and when
  partitions are revoked, so a clean stop or a rebalance re-delivers nothing acknowledged;
- a crash re-delivers at most the batches acknowledged since the last commit (about
  `interval_s` of traffic) plus those in flight, and never skips one.

`interval_s = 0` commits each batch before `add` returns (one commit per batch).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping

log = logging.getLogger(__name__)

Offsets = Mapping[tuple[str, int], int]
# {(topic, partition): next offset to read} -> whether the commit went through
Committer = Callable[[Offsets], Awaitable[bool]]
# (offsets, whether they were committed): called after each commit attempt, in commit order
CommitDone = Callable[[Offsets, bool], None]


class CoalescedCommits:
    """Merge acknowledged offsets; commit them at most once per `interval_s` and on `flush`."""

    def __init__(self, commit: Committer, interval_s: float, done: CommitDone) -> None:
        self.commit = commit
        self.interval_s = interval_s
        self.done = done
        self.commits = 0  # attempts, for tests and the notes
        self._pending: dict[tuple[str, int], int] = {}
        self._last = -math.inf  # loop time of the last commit's start
        self._lock = asyncio.Lock()
        self._task: asyncio.Future[None] | None = None
        self._wake: asyncio.Future[None] | None = None  # the background task's sleep
        self._flushing = 0

    @property
    def pending(self) -> dict[tuple[str, int], int]:
        return dict(self._pending)

    async def add(self, offsets: Offsets) -> None:
        """Offsets of a batch whose outputs are all acknowledged (batches in order)."""
        for key, offset in offsets.items():
            if offset > self._pending.get(key, -1):
                self._pending[key] = offset
        if self.interval_s <= 0:
            await self._commit_pending()
        elif self._task is None:
            self._task = asyncio.ensure_future(self._commit_when_due())

    async def flush(self) -> None:
        """Commit everything pending now (and wait for a commit already under way)."""
        self._flushing += 1
        try:
            if self._wake is not None and not self._wake.done():
                self._wake.set_result(None)
            if self._task is not None:
                await asyncio.shield(self._task)
            await self._commit_pending()
        finally:
            self._flushing -= 1

    async def _commit_when_due(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                delay = self._last + self.interval_s - loop.time()
                if delay > 0 and not self._flushing:
                    await self._sleep(loop, delay)
                await self._commit_pending()
        finally:
            self._task = None

    async def _sleep(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        """A sleep that `flush` can cut short."""
        self._wake = wake = loop.create_future()
        timer = loop.call_later(delay, _wake_up, wake)
        try:
            await wake
        finally:
            timer.cancel()
            self._wake = None

    async def _commit_pending(self) -> None:
        async with self._lock:  # one commit at a time, in order; take the offsets inside
            if not self._pending:
                return
            offsets, self._pending = self._pending, {}
            self._last = asyncio.get_running_loop().time()
            self.commits += 1
            try:
                committed = await self.commit(offsets)
            except Exception:  # the partitions re-read from the last commit: a re-delivery
                log.exception("committing offsets %s failed", offsets)
                committed = False
            self.done(offsets, committed)


def _wake_up(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
