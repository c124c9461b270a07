"""Analysts' labels joined with score records: the (label, score) pairs a threshold fit needs.

`thresholds fit` is the consumer of `llm.feedback`, so it validates each record like the worker
validates events: a bad one is reported and dead-lettered with its reason, never used.
An alert label (true/false positive) applies to the alert's events, for its detector's keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from guardstream.contracts import Feedback
from guardstream.detectors.pipeline import detector_of
from guardstream.streams.decoding import describe_validation_error

FEEDBACK_DLQ_CODE = "feedback"


class FeedbackError(ValueError):
    """One feedback record that is not a valid `Feedback`; `reason` goes to the DLQ."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def parse_feedback(raw: bytes | str | None) -> Feedback:
    """Validate one feedback value; raise FeedbackError with a readable reason."""
    if raw is None:
        raise FeedbackError("empty feedback value")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedbackError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise FeedbackError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return Feedback.model_validate(data)
    except ValidationError as exc:
        raise FeedbackError(describe_validation_error(exc)) from exc


@dataclass(frozen=True)
class AlertRef:
    """What a label on an alert needs to know about it."""

    detector: str
    event_ids: tuple[str, ...]


@dataclass
class Labelled:
    """Aligned labels (1 = abusive) and scores, and why other labels could not be used."""

    event_ids: list[str] = field(default_factory=list)
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def applies(feedback: Feedback, score_key: str, alert: AlertRef | None) -> bool:
    """A label with a score key applies to that key only; an alert label to its detector's."""
    if feedback.score_key is not None:
        return feedback.score_key == score_key
    if alert is not None:
        return alert.detector == detector_of(score_key)
    return True


def alert_refs(alerts: Iterable[Mapping[str, Any]]) -> dict[str, AlertRef]:
    return {
        a["alert_id"]: AlertRef(a["detector"], tuple(a.get("event_ids", ())))
        for a in alerts
        if "alert_id" in a
    }


def join_labels(
    records: Iterable[Mapping[str, Any]],
    feedback: Iterable[Feedback],
    score_key: str,
    app_id: str | None = None,
    alerts: Mapping[str, AlertRef] | None = None,
) -> Labelled:
    """The latest applicable label per event, paired with that event's score for `score_key`."""
    scores: dict[str, float] = {}
    for record in records:  # latest record per event id wins (at-least-once duplicates)
        if app_id is not None and record.get("app_id") != app_id:
            continue
        value = record.get("scores", {}).get(score_key)
        if value is not None:
            scores[record["event_id"]] = float(value)
    alerts = alerts or {}
    latest: dict[str, tuple[Any, int, bool]] = {}
    joined = Labelled()
    for order, item in enumerate(feedback):
        alert = alerts.get(item.alert_id) if item.alert_id else None
        if item.alert_id and alert is None:
            joined.skip("alert not found on the alerts topic")
            continue
        if not applies(item, score_key, alert):
            continue
        for event_id in alert.event_ids if alert else (item.event_id or "",):
            previous = latest.get(event_id)
            if previous is None or (item.at, order) >= previous[:2]:
                latest[event_id] = (item.at, order, item.abusive)
    ids = []
    for event_id in latest:
        if event_id in scores:
            ids.append(event_id)
        else:
            joined.skip("no score record for the event" + (" in this app" if app_id else ""))
    joined.event_ids = ids
    joined.y = np.array([latest[i][2] for i in ids], dtype=np.int8)
    joined.scores = np.array([scores[i] for i in ids], dtype=np.float64)
    return joined
