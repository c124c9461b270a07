"""`guardstream bench pipeline`: the streaming layer against the models, in one run.

(a) raw aiokafka pass-through, (b) one worker, (c) two workers in one group, (d) event->score
latency at half of (b)'s rate, (e) one worker with nearly no models (the streaming layer's
floor); plus worker peak RSS, events per worker CPU-second and the same run's `bench detectors`
rate, so the ratios compare like with like on whatever machine this is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from guardstream.detectors.behaviour import BEHAVIOUR_DETECTORS
from guardstream.detectors.behaviour.state import DictState
from guardstream.detectors.pipeline import build_pipeline
from guardstream.detectors.registry import available_detectors
from guardstream.streams.admin import ensure_topics
from guardstream.streams.bench_kafka import (
    collect,
    latency_at,
    peak_rss_mb,
    produce,
    raw_passthrough,
    wait_for_members,
)
from guardstream.streams.bench_traffic import bench_messages
from guardstream.streams.broker import EmbeddedBroker
from guardstream.streams.commands.bench import rate
from guardstream.streams.decoding import decode_event
from guardstream.streams.delivery import records_of
from guardstream.streams.processing import RawMessage, process_batch
from guardstream.streams.settings import Settings, load_settings
from guardstream.streams.worker_process import WorkerProcess, worker_env

out = Console()


def phase_env(bootstrap: str, prefix: str, data: Path, drift: bool = True) -> dict[str, str]:
    """A worker on its own topics and group, with the product's batching defaults."""
    env = worker_env(bootstrap, data / prefix, group_id=f"{prefix}-group")
    env["GUARDSTREAM_DRIFT__ENABLED"] = "true" if drift else "false"
    for key in ("events", "scores", "alerts", "dlq", "control", "feedback"):
        env[f"GUARDSTREAM_TOPICS__{key.upper()}"] = f"{prefix}.{key}"
    return env


@contextlib.contextmanager
def workers(env: dict[str, str], count: int, logs: Path) -> Iterator[list[WorkerProcess]]:
    started = [
        WorkerProcess(env, log_path=logs / f"{env['GUARDSTREAM_WORKER__GROUP_ID']}-{i}.log")
        for i in range(count)
    ]
    try:
        yield [w.start() for w in started]
    finally:
        for w in started:
            w.stop()


async def worker_phase(
    settings: Settings, procs: list[WorkerProcess], messages: list[bytes], timeout_s: float
) -> Any:
    """Wait for the group to settle, burst the events in, measure what comes out."""
    await wait_for_members(settings, settings.worker.group_id, len(procs))
    pids = [w.process.pid for w in procs if w.process is not None]
    reading = asyncio.create_task(
        collect(settings.bootstrap_servers, settings.topics.scores, len(messages), timeout_s, pids)
    )
    await produce(settings.bootstrap_servers, settings.topics.events, messages)
    return await reading


#: The one detector the floor phase (e) keeps on (a worker needs one): regex gates, ~0.02 ms.
FLOOR_DETECTOR = "secrets"


def floor_config(path: Path) -> Path:
    """A config with every detector but FLOOR_DETECTOR off, behaviour included: what a worker
    costs per event with (nearly) no models (and its drift agents off: their metrics embed
    every response) is the streaming layer's own floor."""
    names = [n for n in [*available_detectors(), *BEHAVIOUR_DETECTORS] if n != FLOOR_DETECTOR]
    path.write_text("".join(f'[detectors."{n}"]\nenabled = false\n\n' for n in names))
    return path


def rss_of(procs: list[WorkerProcess]) -> float:
    """The largest peak RSS of any process of these workers (a worker scores in a child)."""
    pids = [w.process.pid for w in procs if w.process is not None]
    return max(peak_rss_mb(pids).values(), default=0.0)


def detectors_rate(messages: list[bytes]) -> float:
    """`bench detectors`' all-detectors figure (events per CPU-second), in this run."""
    pipeline = build_pipeline({})
    sample = messages[:3000]
    return rate(lambda c: pipeline.run([decode_event(m, 1 << 24) for m in c]), sample, 256, 2)


def stages_rate(messages: list[bytes], repeats: int = 2) -> float:
    """Detectors plus the behaviour stage and encoding, in this process: everything a worker
    computes per event except Kafka and faust. Best of `repeats` passes, each on fresh state."""
    pipeline = build_pipeline({})
    sample = messages[:3000]
    topics = ("scores", "alerts", "dlq")
    best = float("inf")
    for _ in range(repeats):
        state = DictState()
        started = time.process_time()
        for start in range(0, len(sample), 256):
            chunk = [
                RawMessage(m, "bench", 0, start + i)
                for i, m in enumerate(sample[start : start + 256])
            ]
            records_of(process_batch(chunk, pipeline, 1 << 24, state), *topics)
        best = min(best, time.process_time() - started)
    return len(sample) / best


def pipeline_bench(
    bootstrap: str | None, events: int, latency_s: float, logs: Path, drift: bool = True
) -> dict[str, Any]:
    messages = bench_messages(events)
    figures: dict[str, Any] = {
        "events": events,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
        "drift": drift,
    }
    out.print(f"{events} events of the bench mix, {os.cpu_count()} CPUs; logs in {logs}")
    figures["detectors_per_cpu_s"] = detectors_rate(messages)
    out.print(f"bench detectors: {figures['detectors_per_cpu_s']:,.0f} events per CPU-second")
    figures["stages_per_cpu_s"] = stages_rate(messages)
    out.print(f"detectors + behaviour: {figures['stages_per_cpu_s']:,.0f} events per CPU-second")
    with contextlib.ExitStack() as stack:
        if bootstrap is None:
            bootstrap = stack.enter_context(EmbeddedBroker(log_path=logs / "broker.log")).bootstrap
        run = f"bench{uuid.uuid4().hex[:6]}"
        envs = {p: phase_env(bootstrap, f"{run}{p}", logs, drift) for p in ("b", "c")}
        envs["e"] = phase_env(bootstrap, f"{run}e", logs, drift=False)  # drift embeds: a model
        envs["e"]["GUARDSTREAM_CONFIG"] = str(floor_config(logs / f"{run}-floor.toml"))
        settings = {p: load_settings(env=e) for p, e in envs.items()}
        raw = load_settings(env=phase_env(bootstrap, f"{run}a", logs))
        for s in (raw, *settings.values()):
            asyncio.run(ensure_topics(s))
        asyncio.run(produce(bootstrap, raw.topics.events, messages))
        a = asyncio.run(
            raw_passthrough(
                bootstrap, raw.topics.events, raw.topics.scores, raw.topics.partitions, events
            )
        )
        figures["a_raw_per_s"], figures["a_per_cpu_s"] = a.events_per_s, a.per_cpu_s
        out.print(f"(a) raw pass-through: {a.events_per_s:,.0f} events/s")
        timeout = max(120.0, events / 50)
        with workers(envs["b"], 1, logs) as procs:
            b = asyncio.run(worker_phase(settings["b"], procs, messages, timeout))
            figures["b_worker_per_s"], figures["b_per_cpu_s"] = b.events_per_s, b.per_cpu_s
            out.print(f"(b) one worker: {b.events_per_s:,.0f} events/s")
            half = b.events_per_s / 2
            d = asyncio.run(
                latency_at(
                    bootstrap,
                    settings["b"].topics.events,
                    settings["b"].topics.scores,
                    messages,
                    half,
                    latency_s,
                )
            )
            figures.update(d_rate=d.rate, d_p50_ms=d.p50_ms, d_p95_ms=d.p95_ms, d_p99_ms=d.p99_ms)
            figures["worker_peak_rss_mb"] = rss_of(procs)
        with workers(envs["c"], 2, logs) as procs:
            c = asyncio.run(worker_phase(settings["c"], procs, messages, timeout))
            figures["c_two_workers_per_s"], figures["c_per_cpu_s"] = c.events_per_s, c.per_cpu_s
            figures["c_peak_rss_mb"] = rss_of(procs)
        with workers(envs["e"], 1, logs) as procs:
            e = asyncio.run(worker_phase(settings["e"], procs, messages, timeout))
            figures["e_floor_per_s"], figures["e_floor_per_cpu_s"] = e.events_per_s, e.per_cpu_s
            out.print(f"(e) floor, {FLOOR_DETECTOR} only: {e.events_per_s:,.0f} events/s")
    figures["load_after"] = os.getloadavg()[0]
    return figures


def floor_rows(f: dict[str, Any]) -> list[tuple[str, str]]:
    """Phase (e) and what it means for the ÷ detectors target: the streaming layer's CPU per
    event against what `(b) per CPU-s / bench detectors >= 0.85` leaves for it."""
    floor, models = f.get("e_floor_per_cpu_s"), f.get("detectors_per_cpu_s")
    if not floor or not models:
        return []
    budget_ms = 1000 / (0.85 * models) - 1000 / models
    return [
        (f"(e) floor: one worker, only {FLOOR_DETECTOR}, no behaviour or drift, events/s",
         f"{f['e_floor_per_s']:,.0f}"),
        ("(e) events per worker CPU-second", f"{floor:,.0f}"),
        ("(e) streaming layer, CPU ms per event", f"{1000 / floor:.3f}"),
        ("CPU ms per event that ÷ detectors >= 0.85 leaves beyond the models", f"{budget_ms:.3f}"),
    ]  # fmt: skip


def report(f: dict[str, Any]) -> None:
    def num(value: float | None, unit: str = "") -> str:
        return "n/a" if value is None else f"{value:,.0f}{unit}"

    def ratio(top: float | None, bottom: float | None) -> str:
        return "n/a" if not top or not bottom else f"{top / bottom:.3f}"

    table = Table(title="guardstream bench pipeline")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("(a) raw aiokafka pass-through, events/s", num(f["a_raw_per_s"])),
        ("(b) one worker, events/s", num(f["b_worker_per_s"])),
        ("(c) two workers, one group, events/s", num(f["c_two_workers_per_s"])),
        (f"(d) latency at {f['d_rate']:,.0f} ev/s: p50", num(f["d_p50_ms"], " ms")),
        ("(d) p95", num(f["d_p95_ms"], " ms")),
        ("(d) p99", num(f["d_p99_ms"], " ms")),
        ("worker peak RSS (b), largest process", num(f["worker_peak_rss_mb"], " MB")),
        ("worker peak RSS (c), largest process", num(f["c_peak_rss_mb"], " MB")),
        ("(a) events per CPU-second (consumer + producer)", num(f["a_per_cpu_s"])),
        ("(b) events per worker CPU-second (all its processes)", num(f["b_per_cpu_s"])),
        ("(c) events per worker CPU-second (all their processes)", num(f["c_per_cpu_s"])),
        ("bench detectors, events per CPU-second", num(f["detectors_per_cpu_s"])),
        ("detectors + behaviour stage, events per CPU-second", num(f.get("stages_per_cpu_s"))),
        ("(b)/(a)", ratio(f["b_worker_per_s"], f["a_raw_per_s"])),
        ("(c)/(b)", ratio(f["c_two_workers_per_s"], f["b_worker_per_s"])),
        ("(c)/(b) per CPU-second", ratio(f["c_per_cpu_s"], f["b_per_cpu_s"])),
        ("(b) per CPU-s / bench detectors", ratio(f["b_per_cpu_s"], f["detectors_per_cpu_s"])),
        (
            "(b) per CPU-s / detectors + behaviour (the streaming layer's own cost)",
            ratio(f["b_per_cpu_s"], f.get("stages_per_cpu_s")),
        ),
    ]
    rows += floor_rows(f)
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    out.print(
        f"load average (1 min) before/after: {f['load_before']:.2f} / {f['load_after']:.2f} "
        f"on {f['cpus']} CPUs, drift agents {'on' if f['drift'] else 'off'}; "
        "figures are noisy on a shared machine"
    )


def bench_pipeline(
    events: Annotated[int, typer.Option(help="Events preloaded for (a), (b) and (c).")] = 6000,
    latency_s: Annotated[float, typer.Option(help="Seconds of paced traffic for (d).")] = 8.0,
    bootstrap: Annotated[
        str | None, typer.Option("--bootstrap", "-b", help="A real cluster; else embedded.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures here.")
    ] = None,
    logs: Annotated[
        Path | None, typer.Option(help="Keep broker and worker logs here (else a temp dir).")
    ] = None,
    drift: Annotated[
        bool, typer.Option(help="Run the workers' drift agents (the product default).")
    ] = True,
) -> None:
    """Worker throughput and latency against raw Kafka and the models, measured in one run."""
    with tempfile.TemporaryDirectory(prefix="guardstream-bench-") as tmp:
        where = logs or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        figures = pipeline_bench(bootstrap, events, latency_s, where, drift)
    report(figures)
    if json_out is not None:
        json_out.write_text(json.dumps(figures, indent=2) + "\n")
