"""The per-batch watchdog stops a computation stuck inside the regex engine (which no thread
can interrupt) by killing the scoring subprocess: the batch is split, the culprit is
dead-lettered `timeout`, its neighbours are scored, and cancelling the scorer frees it at once."""

from __future__ import annotations

import asyncio
import json
import re
import time

import numpy as np
import pytest

from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.pipeline import Pipeline
from guardstream.streams.processing import RawMessage
from guardstream.streams.watchdog import Overrun, ScoringProcess, WatchdogScorer

CATASTROPHIC = re.compile(r"(a+)+$")  # exponential on "aaaa...b": hours at 40 characters


class StuckOnPoison(Detector):
    """A detector with a catastrophic regex that only the poison event triggers."""

    name = "stuck"

    def score(self, batch: EventBatch) -> DetectorResult:
        for prompt in batch.prompts:
            if prompt.startswith("poison"):
                CATASTROPHIC.match("a" * 60 + "b")
        return DetectorResult(scores={self.name: np.zeros(len(batch), dtype=np.float32)})


def message(prompt: str, offset: int) -> RawMessage:
    event = {
        "event_id": f"e-{offset}",
        "timestamp": "2026-12-01T00:00:00Z",
        "app_id": "a",
        "user_id": "u",
        "prompt": prompt,
    }
    return RawMessage(json.dumps(event).encode(), "llm.events", 0, offset)


@pytest.fixture(scope="module")
def scorer() -> WatchdogScorer:
    pipeline = Pipeline([StuckOnPoison()], {"stuck": 0.5})
    process = ScoringProcess(pipeline, 1 << 20, ("scores", "alerts", "dlq"))
    yield WatchdogScorer(process, batch_timeout_s=2.0, event_timeout_s=1.0)
    process.kill()


def test_stuck_event_is_dead_lettered_timeout_and_neighbours_are_scored(
    scorer: WatchdogScorer,
) -> None:
    batch = [message("hello", 0), message("poison", 1), message("fine", 2)]
    output, records = asyncio.run(scorer(batch))
    assert sorted(s.event_id for s in output.scores) == ["e-0", "e-2"]
    [letter] = output.dead_letters
    assert (letter.code, letter.source_offset) == ("timeout", 1)
    assert {r.topic for r in records} == {"scores", "dlq"}
    assert scorer.process.restarts >= 2  # killed for the batch, then for the event alone
    output, _ = asyncio.run(scorer([message("after", 3)]))  # a fresh child scores on
    assert [s.event_id for s in output.scores] == ["e-3"]


def test_cancelling_the_scorer_kills_the_stuck_child_at_once(scorer: WatchdogScorer) -> None:
    async def cancel_soon() -> float:
        task = asyncio.ensure_future(scorer([message("poison", 9)]))
        await asyncio.sleep(1.0)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert asyncio.run(cancel_soon()) < 2.0
    assert scorer.process._process is None


def test_a_batch_is_served_on_the_event_loop_not_by_a_thread(scorer: WatchdogScorer) -> None:
    """Once the child runs, a request and its reply go over the pipe from the event loop
    (`add_reader`): the daemon thread only (re)starts the child."""

    async def run() -> list[str]:
        await scorer([message("warm", 20)])  # the child is up (started in the thread if not)

        async def no_thread(work: object) -> None:
            raise AssertionError("a live child's batch went through the I/O thread")

        scorer.process._io.run = no_thread  # type: ignore[method-assign,assignment]
        try:
            output, _ = await scorer([message("one", 21), message("two", 22)])
        finally:
            del scorer.process._io.run
        return [s.event_id for s in output.scores]

    assert asyncio.run(run()) == ["e-21", "e-22"]


def test_a_child_that_dies_mid_batch_is_a_scoring_crash_at_once(scorer: WatchdogScorer) -> None:
    """EOF on the pipe wakes the loop's reader: the batch fails as `scoring_crash` right away,
    not after the timeout, and the next batch gets a fresh child."""
    process = scorer.process

    async def run() -> tuple[str, float]:
        await scorer([message("warm", 30)])
        pending = asyncio.ensure_future(process.score([message("poison", 31)], 30.0))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        process._process.kill()  # a segfault or the OOM killer, from the worker's view
        with pytest.raises(Overrun) as failed:
            await pending
        return failed.value.code, time.monotonic() - started

    code, waited = asyncio.run(run())
    assert code == "scoring_crash" and waited < 5.0
    output, _ = asyncio.run(scorer([message("after", 32)]))
    assert [s.event_id for s in output.scores] == ["e-32"]
