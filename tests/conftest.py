"""Shared fixtures: one real Tansu broker per test session, isolated topics per test."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from guardstream.streams.admin import ensure_topics
from guardstream.streams.broker import EmbeddedBroker
from guardstream.streams.client import TopicReader
from guardstream.streams.settings import Settings, TopicSettings, load_settings
from guardstream.streams.worker_process import worker_env


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log = tmp_path_factory.mktemp("broker") / "tansu.log"
    with EmbeddedBroker(log_path=log) as running:
        yield running


@pytest.fixture
def stack_env(broker: EmbeddedBroker, tmp_path: Path) -> dict[str, str]:
    """Worker environment with topic names and group unique to this test."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    env = worker_env(broker.bootstrap, tmp_path / "worker-data", group_id=f"{prefix}-group")
    for key, field in TopicSettings.model_fields.items():  # every topic, drift's and others' too
        if field.annotation is str:
            env[f"GUARDSTREAM_TOPICS__{key.upper()}"] = f"{prefix}.{key}"
    env["GUARDSTREAM_TOPICS__PARTITIONS"] = "2"
    return env


@pytest.fixture
def stack_settings(stack_env: dict[str, str]) -> Settings:
    settings = load_settings(env=stack_env)
    asyncio.run(ensure_topics(settings))
    return settings


def read_topic(
    settings: Settings, topic: str, until: Callable[[list[Any]], bool], timeout_s: float = 90.0
) -> list[Any]:
    """Read records from the start of `topic` until `until(records)` holds or time runs out."""

    async def collect() -> list[Any]:
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        async with TopicReader(settings, topic) as reader:
            while not until(records) and time.monotonic() < deadline:
                records.extend(await reader.poll(0.5))
        return records

    return asyncio.run(collect())


def json_values(records: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]
