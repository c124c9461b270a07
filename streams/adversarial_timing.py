"""Time each detector on one pathological event: the figures behind `guardstream bench
adversarial` and the growth-ratio test. CPU time, best of a few passes, like `bench detectors`."""

from __future__ import annotations

import time
from collections.abc import Callable

from guardstream.contracts import LLMEvent
from guardstream.detectors.batch import DEFAULT_MAX_TEXT_CHARS, EventBatch
from guardstream.detectors.pipeline import Pipeline


def event_with(text: str) -> LLMEvent:
    """The same text as prompt and as response, so every field's scan sees it."""
    return LLMEvent.model_validate(
        {
            "event_id": "adversarial",
            "timestamp": "2026-12-01T00:00:00Z",
            "app_id": "bench",
            "user_id": "bench",
            "prompt": text,
            "response": text,
        }
    )


def best_seconds(work: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def detector_seconds(
    pipeline: Pipeline, text: str, repeats: int = 3, max_chars: int = DEFAULT_MAX_TEXT_CHARS
) -> dict[str, float]:
    """Seconds per detector alone (each on a fresh batch, so shared work it needs counts),
    and `all` for the whole pipeline, on one event carrying `text`."""
    event = event_with(text)
    featuriser = EventBatch([event]).featuriser  # load the models outside the timing
    times = {
        detector.name: best_seconds(
            lambda d=detector: d.score(EventBatch([event], featuriser, max_chars)), repeats
        )
        for detector in pipeline.detectors
    }
    saved, pipeline.max_text_chars = pipeline.max_text_chars, max_chars
    try:
        times["all"] = best_seconds(lambda: pipeline.run([event]), repeats)
    finally:
        pipeline.max_text_chars = saved
    return times
