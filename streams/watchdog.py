"""Per-batch time budget: score in a subprocess; a batch that overruns is split and the event
that overruns alone is dead-lettered with code `timeout`, so no message can stall a partition.

How it stops a stuck computation for real: the scoring process is killed (SIGKILL) and a fresh
one started from the same pickled pipeline. Everything else about scoring is unchanged: the
child runs the same `process_batch` on the same pipeline (pickled whole at start-up, so a custom
pipeline scores the same) and receives the live threshold snapshot whenever it changes.
A child that dies (segfault, OOM) is treated like an overrun, with code `scoring_crash`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import pickle
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from guardstream.detectors.pipeline import Pipeline
from guardstream.keyed_hash import current_key
from guardstream.streams.agent_loop import Scored
from guardstream.streams.dead_letter import DeadLetter
from guardstream.streams.delivery import dead_letter_record
from guardstream.streams.log_limits import RateLimitedLog
from guardstream.streams.processing import BatchOutput, RawMessage
from guardstream.streams.scoring_child import READY, child_main

log = logging.getLogger(__name__)
T = TypeVar("T")
START_TIMEOUT_S = 180.0


class Overrun(Exception):
    """The child did not answer in time (and was killed) or died; `code` says which."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class DaemonWorker:
    """One long-lived daemon thread for blocking work off the event loop: starting the scoring
    child (loading the pipeline takes seconds). Daemon, so it never holds up interpreter exit;
    long-lived, because the child's parent-death signal fires when the thread that started it
    exits."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def _serve(self) -> None:
        while True:
            self._jobs.get()()

    async def run(self, work: Callable[[], T]) -> T:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._serve, name="guardstream-score-io", daemon=True
            )
            self._thread.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def job() -> None:
            try:
                result = work()
            except BaseException as exc:  # handed to the awaiting coroutine
                loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)

        self._jobs.put(job)
        return await future


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


async def readable(conn: Connection, timeout_s: float) -> bool:
    """Whether `conn` has something to read (a reply, or EOF) within `timeout_s`, awaited on
    the event loop (`add_reader`): no thread waits on the pipe, so a reply costs no hand-off."""
    loop = asyncio.get_running_loop()
    fd = conn.fileno()
    waiter: asyncio.Future[bool] = loop.create_future()
    loop.add_reader(fd, _settle, waiter, True, None)
    timer = loop.call_later(timeout_s, _settle, waiter, False, None)
    try:
        return await waiter
    finally:
        timer.cancel()
        loop.remove_reader(fd)


class ScoringProcess:
    """One scoring subprocess with a deadline per request; killed and replaced on overrun."""

    def __init__(
        self,
        pipeline: Pipeline,
        max_bytes: int,
        topics: tuple[str, str, str],
        encode: bool = True,
    ) -> None:
        """`encode=False`: the child returns no records (a stateful worker re-encodes the
        outputs after its behaviour stage, so the child's would be thrown away)."""
        self.pipeline = pipeline
        self.max_bytes = max_bytes
        self.topics = topics
        self.encode = encode
        self._payload = pickle.dumps(pipeline)
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._process: Any = None
        self._conn: Connection | None = None
        self._sent_snapshot: object = None
        self._lock = asyncio.Lock()  # one request at a time on the pipe
        self._io = DaemonWorker()
        self.restarts = 0

    @property
    def encoded_topics(self) -> tuple[str, str, str] | None:
        return self.topics if self.encode else None

    def _ensure_started(self) -> Connection:
        alive = self._alive()
        if alive is not None:
            return alive
        self.kill()
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=child_main,
            args=(child, self._payload, current_key(), self.max_bytes, self.encoded_topics),
            name="guardstream-scorer",
            daemon=True,
        )
        process.start()
        child.close()
        if not parent.poll(START_TIMEOUT_S) or parent.recv() != READY:
            process.kill()
            raise RuntimeError("the scoring process did not start")
        self._process, self._conn, self._sent_snapshot = process, parent, None
        return parent

    def _alive(self) -> Connection | None:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        return None

    async def score(self, messages: list[RawMessage], timeout_s: float) -> Scored:
        """Score `messages` in the child within `timeout_s`, or raise Overrun. The request is
        written and the reply read on the event loop (the child is idle, so neither blocks for
        long); only (re)starting the child runs in the daemon thread."""
        async with self._lock:
            conn = self._alive() or await self._io.run(self._ensure_started)
            snapshot = self.pipeline.threshold_state.snapshot()
            changed = snapshot if snapshot is not self._sent_snapshot else None
            try:
                conn.send((changed, messages))
                self._sent_snapshot = snapshot
                ready = await readable(conn, timeout_s)
                reply = conn.recv() if ready else None
            except (EOFError, OSError) as exc:
                self.kill()
                raise Overrun("scoring_crash", f"scoring process died ({exc!r})") from exc
            if reply is None:
                self.kill()
                raise Overrun("timeout", f"scoring took over {timeout_s:g}s; abandoned")
            status, body = reply
            if status != "ok":
                raise Overrun("detector", str(body))
            return body  # type: ignore[no-any-return]

    def kill(self) -> None:
        """Stop the child now (SIGKILL); the next request starts a fresh one."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if process is not None and process.is_alive():
            process.kill()
            process.join(5)
            self.restarts += 1


class WatchdogScorer:
    """The agent's scorer: the whole batch within `batch_timeout_s`; on overrun, event by event
    within `event_timeout_s` each, dead-lettering the ones that overrun."""

    def __init__(
        self, process: ScoringProcess, batch_timeout_s: float, event_timeout_s: float
    ) -> None:
        self.process = process
        self.batch_timeout_s = batch_timeout_s
        self.event_timeout_s = event_timeout_s
        self.warnings = RateLimitedLog(log, interval_s=30.0)
        self.timeouts = 0

    async def __call__(self, messages: list[RawMessage]) -> Scored:
        try:
            return await self._call(messages, self.batch_timeout_s)
        except Overrun as overrun:
            self.warnings.warn(
                "split", "batch of %d: %s; scoring its events one by one", len(messages),
                overrun.reason,
            )  # fmt: skip
        started = time.monotonic()
        output, records = BatchOutput(), []
        for message in messages:
            try:
                one, encoded = await self._call([message], self.event_timeout_s)
            except Overrun as overrun:
                self.timeouts += overrun.code == "timeout"
                letter = self.dead_letter(message, overrun)
                one, encoded = (
                    BatchOutput(dead_letters=[letter]),
                    [dead_letter_record(self.process.topics[2], letter)],
                )
            output.extend(one)  # scores, alerts, dead letters and what behaviour needs
            records += encoded
        log.info("split batch of %d scored in %.1fs", len(messages), time.monotonic() - started)
        return output, records

    async def _call(self, messages: list[RawMessage], timeout_s: float) -> Scored:
        try:
            return await self.process.score(messages, timeout_s)
        except asyncio.CancelledError:  # SIGTERM / rebalance: stop the computation too
            self.process.kill()
            raise

    @staticmethod
    def dead_letter(message: RawMessage, overrun: Overrun) -> DeadLetter:
        return DeadLetter(
            raw=message.value or b"",
            reason=overrun.reason,
            code=overrun.code,
            source_topic=message.topic,
            source_partition=message.partition,
            source_offset=message.offset,
        )
