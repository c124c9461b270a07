"""Live thresholds on a real broker and a real worker: follow, restart, per-app, refused changes.

One worker serves most asserts, so the suite pays for one consumer-group join per phase.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from guardstream.streams.cli import app as cli_app
from guardstream.streams.client import EventPublisher, ThresholdAdmin
from guardstream.streams.control import read_control
from guardstream.streams.settings import Settings
from guardstream.streams.worker_process import WorkerProcess
from tests.conftest import read_topic
from tests.test_cli import run_cli

pytestmark = pytest.mark.kafka

BENIGN = [
    "What is the weather like in Paris today?",
    "How do I bake sourdough bread?",
    "Translate good morning into Spanish.",
]
_ids = itertools.count()


def events(app_id: str, count: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"{tag}-{app_id}-{next(_ids)}",
            "timestamp": "2026-12-01T10:00:00Z",
            "app_id": app_id,
            "user_id": f"u-{i % 3}",
            "prompt": BENIGN[i % len(BENIGN)],
        }
        for i in range(count)
    ]


def publish(settings: Settings, batch: list[dict[str, Any]]) -> set[str]:
    async def go() -> None:
        async with EventPublisher(settings) as publisher:
            await publisher.publish_many(batch)

    asyncio.run(go())
    return {e["event_id"] for e in batch}


def scored(settings: Settings, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Wait for the score record of every id (the latest one, if an event was scored twice)."""
    records = read_topic(
        settings,
        settings.topics.scores,
        lambda r: {json.loads(x.value)["event_id"] for x in r} >= ids,
    )
    found = {}
    for record in records:
        value = json.loads(record.value)
        if value["event_id"] in ids:
            found[value["event_id"]] = value
    assert set(found) == ids
    return found


def admin_set(settings: Settings, key: str, value: float, app: str | None = None) -> int:
    async def go() -> int:
        async with ThresholdAdmin(settings) as admin:
            record = await admin.set(key, value, app_id=app, reason="test")
            return record.version

    return asyncio.run(go())


def control_count(settings: Settings) -> int:
    return len(asyncio.run(read_control(settings)))


def injection_flagged(records: dict[str, dict[str, Any]]) -> set[bool]:
    return {"injection" in r["flags"] for r in records.values()}


def test_worker_follows_live_thresholds(
    stack_env: dict[str, str], stack_settings: Settings, tmp_path: Path
) -> None:
    settings = stack_settings
    # Set before the worker exists: it must read the control topic before its first event.
    assert admin_set(settings, "injection", 0.0, app="strict") == 1
    first = publish(settings, events("strict", 6, "a") + events("lax", 6, "a"))
    with WorkerProcess(stack_env, log_path=tmp_path / "worker-1.log"):
        records = scored(settings, first)
        strict = {k: v for k, v in records.items() if v["app_id"] == "strict"}
        lax = {k: v for k, v in records.items() if v["app_id"] == "lax"}
        assert injection_flagged(strict) == {True}  # app A stricter than app B, one stream
        assert injection_flagged(lax) == {False}
        assert {r["threshold_versions"]["injection"] for r in strict.values()} == {1}
        assert {r["threshold_versions"]["injection"] for r in lax.values()} == {0}

        before = control_count(settings)
        runner = CliRunner()
        for args in (
            ["nope", "0.5", "--reason", "x"],
            ["injection", "7", "--reason", "x"],
            ["injection", "0.5", "--reason", ""],
        ):
            result = runner.invoke(cli_app, ["thresholds", "set", *args], env=stack_env)
            assert result.exit_code == 2, result.output
            assert len(result.stderr.strip().splitlines()) == 1
            assert "nothing published" in result.stderr
        assert control_count(settings) == before

        changed = run_cli(
            "thresholds", "set", "injection", "0.0", "--reason", "live test", env=stack_env
        )
        assert changed.returncode == 0, changed.stderr
        version = json.loads(changed.stdout)["version"]
        # Probe until the worker has the change, then every later event must be judged with it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            probe = scored(settings, publish(settings, events("lax", 1, "probe")))
            if injection_flagged(probe) == {True}:
                break
        after = scored(settings, publish(settings, events("lax", 8, "b")))
        assert injection_flagged(after) == {True}
        assert {r["threshold_versions"]["injection"] for r in after.values()} == {version}

    # While the worker is down, lax gets its own override; a new worker starts with it.
    admin_set(settings, "injection", 1.0, app="lax")
    later = publish(settings, events("lax", 6, "c") + events("other", 6, "c"))
    with WorkerProcess(stack_env, log_path=tmp_path / "worker-2.log"):
        records = scored(settings, later)
    lax = [r for r in records.values() if r["app_id"] == "lax"]
    other = [r for r in records.values() if r["app_id"] == "other"]
    assert {("injection" in r["flags"], r["threshold_versions"]["injection"]) for r in lax} == {
        (False, 1)
    }
    assert {("injection" in r["flags"], r["threshold_versions"]["injection"]) for r in other} == {
        (True, version)
    }
