"""`guardstream demo`: broker, topics, a worker, sample traffic, live alerts, then a summary.

Everything runs for real: the embedded Tansu broker, a `guardstream worker` child process and
the aiokafka client; it cleans up the broker and worker however it exits.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from guardstream.streams.admin import ensure_topics
from guardstream.streams.broker import EmbeddedBroker
from guardstream.streams.client import AlertSubscriber, EventPublisher, TopicReader
from guardstream.streams.dead_letter import CODE, read_headers
from guardstream.streams.demo_traffic import malformed_messages, sample_events
from guardstream.streams.render import render_alert, render_dead_letter
from guardstream.streams.settings import Settings, load_settings
from guardstream.streams.worker_process import WorkerProcess, worker_env

out = Console()


@dataclass
class DemoStats:
    published: int = 0
    malformed: int = 0
    scored: int = 0
    flagged_events: int = 0
    alerts: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)
    first_score_at: float | None = None
    last_score_at: float | None = None
    worker_rss_mb: float | None = None

    @property
    def done(self) -> bool:
        return self.scored + sum(self.dead_letters.values()) >= self.published + self.malformed

    def events_per_s(self) -> float | None:
        if self.first_score_at is None or self.last_score_at is None or self.scored < 2:
            return None
        span = self.last_score_at - self.first_score_at
        return self.scored / span if span > 0 else None


async def count_scores(settings: Settings, stats: DemoStats) -> None:
    seen: set[str] = set()
    async with TopicReader(settings, settings.topics.scores) as reader:
        async for record in reader.records():
            data = json.loads(record.value)
            if data["event_id"] in seen:  # at-least-once: a restart may re-score
                continue
            seen.add(data["event_id"])
            now = time.perf_counter()
            stats.first_score_at = stats.first_score_at or now
            stats.last_score_at = now
            stats.scored += 1
            stats.flagged_events += bool(data["flags"])


async def show_alerts(settings: Settings, stats: DemoStats, quiet: bool) -> None:
    async with AlertSubscriber(settings) as subscriber:
        async for alert in subscriber.alerts():
            stats.alerts[alert.detector] += 1
            if not quiet:
                out.print(render_alert(alert.model_dump(mode="json")))


async def count_dead_letters(settings: Settings, stats: DemoStats) -> None:
    async with TopicReader(settings, settings.topics.dlq) as reader:
        async for record in reader.records():
            headers = read_headers(record.headers)
            stats.dead_letters[headers.get(CODE, "?")] += 1
            out.print(render_dead_letter({"headers": headers, "raw": None}))


async def publish_traffic(settings: Settings, stats: DemoStats, count: int, seed: int) -> None:
    async with EventPublisher(settings) as publisher:
        stats.published = await publisher.publish_many(sample_events(count, seed))
        bad = malformed_messages(settings.worker.max_event_bytes)
        for raw in bad:
            await publisher.publish_raw(raw, key=b"demo-malformed")
        stats.malformed = len(bad)
        await publisher.flush()


async def run_demo(
    settings: Settings, count: int, seed: int, forever: bool, timeout_s: float, quiet: bool
) -> DemoStats:
    stats = DemoStats()
    watchers = [
        asyncio.create_task(count_scores(settings, stats)),
        asyncio.create_task(show_alerts(settings, stats, quiet)),
        asyncio.create_task(count_dead_letters(settings, stats)),
    ]
    await publish_traffic(settings, stats, count, seed)
    out.print(f"published {stats.published} events and {stats.malformed} malformed messages")
    deadline = time.monotonic() + timeout_s
    try:
        while forever or (not stats.done and time.monotonic() < deadline):
            await asyncio.sleep(0.1)
    finally:
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    return stats


def summary_table(stats: DemoStats, broker_s: float, wall_s: float) -> Table:
    table = Table(title="guardstream demo summary", show_header=False)
    rate = stats.events_per_s()
    rows = [
        ("events published", str(stats.published)),
        ("malformed messages sent", str(stats.malformed)),
        ("score records", str(stats.scored)),
        ("events flagged", str(stats.flagged_events)),
        ("alerts", ", ".join(f"{k}={v}" for k, v in stats.alerts.most_common()) or "0"),
        (
            "dead letters",
            ", ".join(f"{k}={v}" for k, v in sorted(stats.dead_letters.items())) or "0",
        ),
        ("broker start", f"{broker_s * 1000:.0f} ms"),
        ("worker throughput", f"{rate:.0f} events/s (first to last score)" if rate else "n/a"),
        ("worker peak RSS", f"{stats.worker_rss_mb:.0f} MB" if stats.worker_rss_mb else "n/a"),
        ("demo wall time", f"{wall_s:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def demo(
    events: Annotated[int, typer.Option(help="How many sample events to publish.")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the sample traffic.")] = 7,
    forever: Annotated[
        bool, typer.Option(help="Keep broker and worker running until Ctrl-C.")
    ] = False,
    timeout_s: Annotated[
        float, typer.Option(help="Give up waiting for results after this.")
    ] = 120.0,
    quiet: Annotated[bool, typer.Option(help="Summary only, no live alerts.")] = False,
) -> None:
    """Run everything locally on the embedded broker and show the alerts as they arrive."""
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="guardstream-demo-"))
    with EmbeddedBroker(log_path=workdir / "broker.log") as broker:
        env = worker_env(broker.bootstrap, workdir / "worker-data")
        settings = load_settings(env=env)
        asyncio.run(ensure_topics(settings))
        ready_ms = (broker.start_seconds or 0.0) * 1000
        out.print(f"broker on {broker.bootstrap} (ready in {ready_ms:.0f} ms); logs in {workdir}")
        if forever:
            hint = f"GUARDSTREAM_BOOTSTRAP={broker.bootstrap} guardstream publish FILE.jsonl"
            out.print(f"publish more events with: {hint}")
        with WorkerProcess(env, log_path=workdir / "worker.log") as worker:
            try:
                stats = asyncio.run(run_demo(settings, events, seed, forever, timeout_s, quiet))
            except KeyboardInterrupt:
                out.print("interrupted; stopping worker and broker")
                raise typer.Exit(130) from None
            if not worker.running():
                out.print(f"[red]worker exited early; see {workdir / 'worker.log'}[/red]")
            stats.worker_rss_mb = worker.peak_rss_mb()
        out.print(summary_table(stats, broker.start_seconds or 0.0, time.perf_counter() - started))
    if not stats.done:
        out.print(f"[red]timed out: not every event came back; logs in {workdir}[/red]")
        raise typer.Exit(1)
