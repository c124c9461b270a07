"""What `thresholds fit` reads: score records, feedback and (for alert labels) alerts.

Online, from the topics as they are now; offline, from JSON Lines dumps. Bad feedback is
reported either way; online it is also dead-lettered (code `feedback`) with its reason, under
the same `topic:partition:offset` key each time, so a repeated fit's letters are recognisable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from guardstream.contracts import Feedback
from guardstream.streams.commands.common import read_jsonl
from guardstream.streams.dead_letter import DeadLetter
from guardstream.streams.feedback import (
    FEEDBACK_DLQ_CODE,
    AlertRef,
    FeedbackError,
    alert_refs,
    parse_feedback,
)
from guardstream.streams.settings import Settings
from guardstream.streams.topic_snapshot import read_topic_snapshot


@dataclass
class FitInputs:
    records: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    alerts: dict[str, AlertRef] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)  # "where: reason" per bad feedback


def _json_objects(values: list[bytes | None]) -> list[dict[str, Any]]:
    found = []
    for value in values:
        try:
            data = json.loads(value or b"null")
        except ValueError:
            continue  # not ours to judge: the worker wrote these topics
        if isinstance(data, dict):
            found.append(data)
    return found


async def load_online(settings: Settings) -> FitInputs:
    """Read feedback, dead-letter the bad records, then read scores (and alerts if needed)."""
    topics = settings.topics
    inputs = FitInputs()
    letters = []
    for record in await read_topic_snapshot(settings, topics.feedback):
        try:
            inputs.feedback.append(parse_feedback(record.value))
        except FeedbackError as exc:
            where = f"{record.topic}:{record.partition}:{record.offset}"
            inputs.rejected.append(f"{where}: {exc.reason}")
            letters.append(
                DeadLetter(
                    record.value or b"",
                    exc.reason,
                    FEEDBACK_DLQ_CODE,
                    record.topic,
                    record.partition,
                    record.offset,
                )
            )
    if letters:
        await dead_letter(settings, letters)
    scores = await read_topic_snapshot(settings, topics.scores)
    inputs.records = _json_objects([r.value for r in scores])
    if any(f.alert_id for f in inputs.feedback):
        alerts = await read_topic_snapshot(settings, topics.alerts)
        inputs.alerts = alert_refs(_json_objects([r.value for r in alerts]))
    return inputs


async def dead_letter(settings: Settings, letters: list[DeadLetter]) -> None:
    producer = AIOKafkaProducer(**settings.kafka_client_options(), acks="all")
    await producer.start()
    try:
        for letter in letters:
            await producer.send(
                settings.topics.dlq, letter.raw, key=letter.key(), headers=letter.headers()
            )
        await producer.flush()
    finally:
        await producer.stop()


def load_offline(scores: Path, labels: Path, alerts: Path | None = None) -> FitInputs:
    """Score records (`guardstream score` output), feedback lines and optionally alerts."""
    inputs = FitInputs(records=_json_objects([line.encode() for _, line in read_jsonl(scores)]))
    if alerts is not None:
        inputs.alerts = alert_refs(_json_objects([line.encode() for _, line in read_jsonl(alerts)]))
    for number, line in read_jsonl(labels):
        try:
            inputs.feedback.append(parse_feedback(line))
        except FeedbackError as exc:
            inputs.rejected.append(f"{labels}:{number}: {exc.reason}")
    return inputs  # alert labels without --alerts: the join reports them as skipped
