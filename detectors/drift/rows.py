"""The compact row the drift monitor keeps per event, read from a score record.

Rows are read from plain JSON dicts (not validated models) because the worker's drift agent
parses every `llm.scores` record: validation would cost more than the whole drift stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from guardstream.contracts import ScoreRecord

DEFAULT_RATE_THRESHOLD = 0.5
UNKNOWN_MODEL = "-"


@dataclass(slots=True)
class DriftRow:
    """One event's drift metrics; None where the event did not carry the value."""

    event_id: str
    ts: float
    response_chars: float | None
    latency: float | None
    tokens: float | None
    refusal: int | None
    toxic: int | None
    language: str | None
    response_embedding: list[float] | None
    prompt_embedding: list[float] | None

    def to_json(self) -> list[Any]:
        return [getattr(self, name) for name in self.__slots__]  # astuple deep-copies: slow

    @classmethod
    def from_json(cls, values: list[Any]) -> DriftRow:
        return cls(*values)


def scope_of(app_id: str, model: str | None) -> str:
    """The alert scope id of a (app, model) pair: `app_id/model`."""
    return f"{app_id}/{model or UNKNOWN_MODEL}"


def _indicator(score: float | None, threshold: float) -> int | None:
    return None if score is None else int(score >= threshold)


def _timestamp(value: str | datetime | None) -> float:
    if value is None:
        return 0.0
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def row_from_dict(
    record: dict[str, Any],
    refusal_threshold: float | None = None,
    toxicity_threshold: float | None = None,
) -> DriftRow | None:
    """A row from a score record's JSON dict, or None if it carries no metrics."""
    metrics = record.get("metrics")
    if not metrics:
        return None
    thresholds = record.get("thresholds") or {}
    refusal_at = refusal_threshold or thresholds.get("refusal", DEFAULT_RATE_THRESHOLD)
    toxic_at = toxicity_threshold or thresholds.get("toxicity", DEFAULT_RATE_THRESHOLD)
    has_response = bool(metrics.get("response_chars"))
    inputs, outputs = metrics.get("input_tokens"), metrics.get("output_tokens")
    tokens = None if inputs is None and outputs is None else (inputs or 0) + (outputs or 0)
    return DriftRow(
        event_id=record["event_id"],
        ts=_timestamp(record.get("event_timestamp")),
        response_chars=float(metrics["response_chars"]) if has_response else None,
        latency=metrics.get("latency_ms"),
        tokens=None if tokens is None else float(tokens),
        refusal=_indicator(metrics.get("refusal"), refusal_at),
        toxic=_indicator(metrics.get("toxicity"), toxic_at),
        language=metrics.get("response_language"),
        response_embedding=metrics.get("response_embedding"),
        prompt_embedding=metrics.get("prompt_embedding"),
    )


def row_from_record(record: ScoreRecord, **thresholds: float | None) -> DriftRow | None:
    """The same row from a validated record (offline reports, tests)."""
    return row_from_dict(record.model_dump(mode="json"), **thresholds)
