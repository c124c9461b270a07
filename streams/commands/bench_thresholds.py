"""`guardstream bench thresholds`: how long after `thresholds set` events are judged with it.

An embedded broker and a real worker; a steady trickle of events; a series of `set` calls. For
each change, relative to the moment the control record was acknowledged: the send time of the
last event still judged with the old version and of the first judged with the new one
(negative: sent before the change, scored after it), and when the first score record with the
new version reached a reader (an upper bound on set -> first event judged with it).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.table import Table

from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.admin import ensure_topics
from guardstream.streams.broker import EmbeddedBroker
from guardstream.streams.client import EventPublisher, ThresholdAdmin
from guardstream.streams.settings import Settings, load_settings
from guardstream.streams.worker_process import WorkerProcess, worker_env

out = Console()
APP = "bench-thresholds"


class Trickle:
    """Publishes one event every 1/rate s and remembers when each was sent."""

    def __init__(self, settings: Settings, rate: float) -> None:
        self.settings = settings
        self.period = 1.0 / rate
        self.sent: dict[str, float] = {}

    async def run(self) -> None:
        async with EventPublisher(self.settings, linger_ms=0) as publisher:
            for n in itertools.count():
                event_id = f"bt-{n}"
                self.sent[event_id] = time.monotonic()
                await publisher.publish(
                    {
                        "event_id": event_id,
                        "timestamp": datetime.now(UTC).isoformat(),
                        "app_id": APP,
                        "user_id": f"u{n % 7}",
                        "prompt": "How do I bake bread?",
                    }
                )
                await asyncio.sleep(self.period)


async def measure(settings: Settings, changes: int, rate: float, key: str) -> list[dict]:
    trickle = Trickle(settings, rate)
    judged: dict[str, int] = {}
    seen_at: dict[int, float] = {}

    async def read() -> None:
        # A short fetch wait: Tansu holds an empty fetch for its whole max wait.
        reader = AIOKafkaConsumer(
            settings.topics.scores,
            **settings.kafka_client_options(),
            auto_offset_reset="earliest",
            fetch_max_wait_ms=10,
        )
        await reader.start()
        try:
            while True:
                batches = await reader.getmany(timeout_ms=100)
                for record in (r for records in batches.values() for r in records):
                    value = json.loads(record.value)
                    version = value["threshold_versions"].get(key, 0)
                    judged[value["event_id"]] = version
                    seen_at.setdefault(version, time.monotonic())
        finally:
            await reader.stop()

    async def until(condition, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("no score records in time; see the worker log")
            await asyncio.sleep(0.02)

    tasks = [asyncio.create_task(trickle.run()), asyncio.create_task(read())]
    results = []
    try:
        await until(lambda: len(judged) >= 20, timeout_s=120)  # the worker has joined and scores
        async with ThresholdAdmin(settings, build_pipeline(settings.detectors)) as admin:
            for i in range(changes):
                record = await admin.set(key, 0.0 if i % 2 == 0 else 1.0, reason="bench")
                acked = time.monotonic()
                await until(lambda v=record.version: v in seen_at)
                await asyncio.sleep(1.0)  # let events sent around the change be scored
                old = [trickle.sent[e] - acked for e, v in judged.items() if v < record.version]
                new = [trickle.sent[e] - acked for e, v in judged.items() if v == record.version]
                results.append(
                    {
                        "version": record.version,
                        "last_old_s": max(old),
                        "first_new_s": min(new),
                        "record_seen_s": seen_at[record.version] - acked,
                    }
                )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return results


def bench_thresholds(
    changes: Annotated[int, typer.Option(help="How many `set` calls to time.")] = 6,
    rate: Annotated[float, typer.Option(help="Events per second in the trickle.")] = 100.0,
    key: Annotated[str, typer.Option(help="Score key to move.")] = "injection",
) -> None:
    """Time from `thresholds set` to events judged with the new value (embedded broker)."""
    logs = Path(tempfile.mkdtemp(prefix="guardstream-bench-thresholds-"))
    with EmbeddedBroker(log_path=logs / "tansu.log") as broker:
        env = worker_env(broker.bootstrap, logs / "worker-data")
        settings = load_settings(env=env)
        asyncio.run(ensure_topics(settings))
        with WorkerProcess(env, log_path=logs / "worker.log"):
            results = asyncio.run(measure(settings, changes, rate, key))
    table = Table(title=f"thresholds set -> judged with it ({rate:g} events/s, worker defaults)")
    columns = ("version", "last sent event judged old", "first judged new", "new version seen")
    for column in columns:
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            str(r["version"]),
            f"{r['last_old_s'] * 1000:+.0f} ms",
            f"{r['first_new_s'] * 1000:+.0f} ms",
            f"{r['record_seen_s'] * 1000:.0f} ms",
        )
    out.print(table)
    stale = [max(r["last_old_s"], 0.0) for r in results]
    print(
        json.dumps(
            {
                "changes": len(results),
                "rate": rate,
                "stale_window_ms_median": round(statistics.median(stale) * 1000),
                "stale_window_ms_max": round(max(stale) * 1000),
                "record_seen_ms_median": round(
                    statistics.median(r["record_seen_s"] for r in results) * 1000
                ),
                "logs": str(logs),
            }
        )
    )
