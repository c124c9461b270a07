"""`label` and `thresholds fit --apply` against a real broker: feedback joined with llm.scores,
bad feedback dead-lettered with its reason, the fitted value live on the control topic."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from guardstream.contracts import ScoreRecord
from guardstream.streams.cli import app as cli_app
from guardstream.streams.client import FeedbackPublisher, ThresholdAdmin
from guardstream.streams.dead_letter import read_headers
from guardstream.streams.settings import Settings
from tests.conftest import read_topic
from tests.test_threshold_fit import STEP, brute_force, synthetic

pytestmark = pytest.mark.kafka


async def seed(settings: Settings, y, s) -> None:
    """Score records as the worker writes them, labels as analysts send them, one bad label."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for i, score in enumerate(s):
            record = ScoreRecord(
                event_id=f"e{i}", scores={"injection": float(score)}, flags=[], app_id="a"
            )
            await producer.send(
                settings.topics.scores,
                record.model_dump_json().encode(),
                key=record.event_id.encode(),
            )
        await producer.flush()
    finally:
        await producer.stop()
    async with FeedbackPublisher(settings) as feedback:
        for i, label in enumerate(y[1:], start=1):  # e0 is labelled through the CLI
            await feedback.label(f"e{i}", "abusive" if label else "benign", labeler="test")
        await feedback.publish_raw(b'{"event_id": "e1", "label": "spam", "labeler": "x"}')


def test_label_then_fit_and_apply_changes_the_live_value(
    stack_env: dict[str, str], stack_settings: Settings
) -> None:
    settings = stack_settings
    y, s = synthetic(negatives=200, positives=100)
    asyncio.run(seed(settings, y, s))
    runner = CliRunner()
    first = "abusive" if y[0] else "benign"
    labelled = runner.invoke(
        cli_app, ["label", "e0", first, "--labeler", "ana", "--note", "seen"], env=stack_env
    )
    assert labelled.exit_code == 0, labelled.output
    bad = runner.invoke(cli_app, ["label", "e0", "abusive", "--labeler", ""], env=stack_env)
    assert bad.exit_code == 2 and "labeler" in bad.stderr

    fitted = runner.invoke(
        cli_app,
        ["thresholds", "fit", "injection", "--target-precision", "0.9", "--apply", "--json"],
        env=stack_env,
    )
    assert fitted.exit_code == 0, fitted.output
    report = json.loads(fitted.stdout)
    assert report["positives"] + report["negatives"] == len(y)
    assert abs(report["threshold"] - brute_force(y, s, "precision", 0.9)) <= STEP + 1e-9
    assert report["applied_version"] == 1 and len(report["rejected"]) == 1

    async def live() -> tuple[float | None, str | None]:
        async with ThresholdAdmin(settings) as admin:
            entry = (await admin.state()).snapshot().resolve("injection", "a")
            assert entry is not None
            return entry.threshold, entry.reason

    value, reason = asyncio.run(live())
    assert value == report["threshold"] and reason == report["summary"]
    letters = read_topic(settings, settings.topics.dlq, lambda r: len(r) >= 1, timeout_s=20)
    headers = read_headers(letters[0].headers)
    assert headers["guardstream.dlq.code"] == "feedback"
    assert headers["guardstream.dlq.source.topic"] == settings.topics.feedback
    assert "label" in headers["guardstream.dlq.reason"]
