"""Probe one worker on the embedded broker: a burst's rate and CPU split, or latency at a rate.

The measurements behind docs/wave2/issue-13.md (session 3), kept runnable (by hand, not a
test). `burst N` starts a worker, warms it with the first 200 of N bench-mix events, then
sends the rest and prints events/s, events per worker CPU-second (process tree), and
CPU seconds per process and per thread over the burst. `latency RATE [SECONDS]` sends paced
events for SECONDS (default 6) and prints p50/p95/p99 event->score latency
(`bench_kafka.latency_at`) and the CPU seconds of each worker process over the run.

Usage: .venv/bin/python tools/worker_probe.py burst 12000
       .venv/bin/python tools/worker_probe.py latency 500 12
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from guardstream.streams.admin import ensure_topics
from guardstream.streams.bench_kafka import (
    collect,
    latency_at,
    process_tree,
    produce,
    wait_for_members,
)
from guardstream.streams.bench_traffic import bench_messages
from guardstream.streams.broker import EmbeddedBroker
from guardstream.streams.commands.bench_pipeline import phase_env, workers
from guardstream.streams.settings import Settings, load_settings

WARM_EVENTS = 200


def thread_cpu_s(pid: int) -> dict[str, float]:
    """CPU seconds of each live thread of `pid` (utime + stime), by thread id."""
    found: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        found[task.name] = (int(fields[11]) + int(fields[12])) / 100
    return found


def burst(settings: Settings, pid: int, messages: list[bytes]) -> None:
    """The warm-up's events are already scored: send the rest, count all of them."""
    tree = process_tree([pid])
    threads_before = {p: thread_cpu_s(p) for p in tree}

    async def run() -> None:
        reading = asyncio.create_task(
            collect(settings.bootstrap_servers, settings.topics.scores, len(messages), 600, [pid])
        )
        await produce(settings.bootstrap_servers, settings.topics.events, messages[WARM_EVENTS:])
        rate = await reading
        print(f"events/s {rate.events_per_s:,.0f}, per worker CPU-s {rate.per_cpu_s or 0:,.0f}")

    asyncio.run(run())
    for p in tree:
        after = thread_cpu_s(p)
        spent = {t: after[t] - threads_before[p].get(t, 0.0) for t in after}
        print(f"process {p}: {sum(spent.values()):.2f} CPU-s over the burst")
        for tid, cpu in sorted(spent.items(), key=lambda kv: -kv[1])[:6]:
            print(f"   thread {tid}: {cpu:.2f}")


def cpu_by_process(pids: list[int]) -> dict[int, float]:
    return {p: sum(thread_cpu_s(p).values()) for p in pids}


def main(argv: list[str]) -> None:
    if len(argv) not in {2, 3} or argv[0] not in {"burst", "latency"}:
        raise SystemExit(__doc__)
    mode, amount = argv[0], float(argv[1])
    seconds = float(argv[2]) if len(argv) == 3 else 6.0
    logs = Path(tempfile.mkdtemp(prefix="guardstream-probe-"))
    messages = bench_messages(int(amount) if mode == "burst" else 3000)
    with EmbeddedBroker(log_path=logs / "broker.log") as broker:
        env = phase_env(broker.bootstrap, f"probe{uuid.uuid4().hex[:5]}", logs)
        settings = load_settings(env=env)
        asyncio.run(ensure_topics(settings))
        with workers(env, 1, logs) as procs:
            asyncio.run(wait_for_members(settings, settings.worker.group_id, 1))
            events = settings.topics.events
            asyncio.run(produce(settings.bootstrap_servers, events, messages[:WARM_EVENTS]))
            time.sleep(5)  # the scoring child is up and the first batch is through
            process = procs[0].process
            assert process is not None
            if mode == "burst":
                burst(settings, process.pid, messages)
                return
            scores = settings.topics.scores
            tree = process_tree([process.pid])
            before = cpu_by_process(tree)
            found = asyncio.run(
                latency_at(broker.bootstrap, events, scores, messages, amount, seconds)
            )
            after = cpu_by_process(tree)
            print(
                f"rate {found.rate:.0f}/s: p50 {found.p50_ms:.0f} ms, p95 {found.p95_ms:.0f} ms, "
                f"p99 {found.p99_ms:.0f} ms ({found.count} events); logs in {logs}"
            )
            for pid in tree:
                print(f"process {pid}: {after[pid] - before[pid]:.2f} CPU-s over the run")


if __name__ == "__main__":
    main(sys.argv[1:])
