"""Seeded synthetic streams with one known shift at a known event, built from real text
(`drift_data/drift_texts.json.gz`, see its PROVENANCE.md): the evidence behind the drift
detectors' golden tests and `guardstream bench drift`."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from guardstream.contracts import LLMEvent, ScoreRecord
from guardstream.detectors.config import DetectorConfig
from guardstream.detectors.drift.rows import DriftRow, row_from_record
from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.detectors.registry import available_detectors

FIXTURE = Path(__file__).parent / "drift_data" / "drift_texts.json.gz"
SHIFTS = ("length", "refusal", "language", "topic", "latency", "prompt_topic")
# The drift metric each shift must trip (others may fire too: doubled length doubles tokens).
SHIFT_METRICS = {
    "length": "response_chars",
    "refusal": "refusal_rate",
    "language": "language",
    "topic": "response_embedding",
    "latency": "latency",
    "prompt_topic": "prompt_embedding",
}
START = datetime(2026, 11, 1, tzinfo=UTC)
BASE_REFUSAL = 0.02
SHIFTED_REFUSAL = 0.15
GERMAN_SHARE = 0.3
LATENCY_MEDIAN_MS = 900.0
LATENCY_SIGMA = 0.35


@cache
def pools() -> dict[str, list[str]]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as f:
        return json.load(f)["pools"]


def _clip(text: str, length: int) -> str:
    """Cut at the last space before `length`, so a clipped text still ends on a word."""
    if len(text) <= length:
        return text
    cut = text.rfind(" ", 0, length)
    return text[: cut if cut > length // 2 else length]


def _german(rng: random.Random, length: int) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < length:
        parts.append(rng.choice(pools()["german"]))
    return _clip(" ".join(parts), length)


def _response(rng: random.Random, shift: str, shifted: bool) -> str:
    p = pools()
    refusal = SHIFTED_REFUSAL if shifted and shift == "refusal" else BASE_REFUSAL
    if rng.random() < refusal:
        return rng.choice(p["refusals"])
    text = rng.choice(p["chat"])
    if not shifted:
        return text
    if shift == "length":
        return text + "\n\n" + rng.choice(p["chat"])
    if shift == "language" and rng.random() < GERMAN_SHARE:
        return _german(rng, len(text))
    if shift == "topic":
        return _clip(rng.choice(p["medical"]), len(text))
    return text


def drift_events(
    shift: str | None,
    n: int,
    shift_at: int,
    seed: int = 0,
    app_id: str = "bench-app",
    model: str = "model-a",
) -> list[LLMEvent]:
    """`n` events; from event `shift_at` on, `shift` (one of SHIFTS, or None for stationary)."""
    if shift is not None and shift not in SHIFTS:
        raise ValueError(f"unknown shift {shift!r}; choose from {SHIFTS}")
    rng = random.Random(seed)
    p = pools()
    events: list[LLMEvent] = []
    for i in range(n):
        shifted = shift is not None and i >= shift_at
        prompts = p["maths_prompts"] if shifted and shift == "prompt_topic" else p["prompts"]
        prompt = rng.choice(prompts)
        response = _response(rng, shift or "", shifted)
        latency = LATENCY_MEDIAN_MS * rng.lognormvariate(0.0, LATENCY_SIGMA)
        if shifted and shift == "latency":
            latency *= 3
        events.append(
            LLMEvent(
                event_id=f"{app_id}-{seed}-{i}",
                timestamp=START + timedelta(seconds=i),
                app_id=app_id,
                user_id=f"u{rng.randrange(500)}",
                model=model,
                prompt=prompt,
                response=response,
                latency_ms=round(latency, 1),
                input_tokens=max(1, len(prompt) // 4 + rng.randrange(-3, 4)),
                output_tokens=max(1, len(response) // 4 + rng.randrange(-5, 6)),
            )
        )
    return events


def metrics_pipeline() -> Pipeline:
    """The detectors drift reads (refusal, toxicity) and the per-event metrics, nothing else."""
    wanted = {"refusal", "toxicity"}
    return build_pipeline({n: DetectorConfig(enabled=n in wanted) for n in available_detectors()})


def score_records(
    events: Sequence[LLMEvent], pipeline: Pipeline, batch: int = 256
) -> list[ScoreRecord]:
    records: list[ScoreRecord] = []
    for start in range(0, len(events), batch):
        records += [v.record for v in pipeline.run(events[start : start + batch]) if v.record]
    return records


def drift_rows(records: Sequence[ScoreRecord]) -> list[DriftRow]:
    rows = (row_from_record(r) for r in records)
    return [r for r in rows if r is not None]
