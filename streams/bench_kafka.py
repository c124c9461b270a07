"""The measuring phases of `guardstream bench pipeline`, each against a real Kafka (or Tansu).

Rates come from the broker-side record timestamps of what each phase wrote (the producer's
CreateTime), over the middle 90% of the records, so start-up, group joins and the last straggling
batch do not count; worker CPU comes from /proc over the same stretch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from guardstream.streams.settings import Settings

LATENCY_PREFIX = b"lat-"


@dataclass(frozen=True)
class Rate:
    events_per_s: float
    cpu_s: float | None = None  # CPU of the measured processes over the same middle stretch
    window_s: float = 0.0

    @property
    def per_cpu_s(self) -> float | None:
        """Events per CPU-second of the measured processes."""
        if not self.cpu_s:
            return None
        return self.events_per_s * self.window_s / self.cpu_s


def middle_rate(timestamps_ms: Sequence[int]) -> tuple[float, float]:
    """(events/s, seconds) between the 5th and 95th percentile record timestamps."""
    ordered = sorted(timestamps_ms)
    lo, hi = int(len(ordered) * 0.05), int(len(ordered) * 0.95)
    span = (ordered[hi] - ordered[lo]) / 1000
    return ((hi - lo) / span if span > 0 else float("inf")), span


def process_tree(pids: Sequence[int]) -> list[int]:
    """These processes and all their descendants (a worker scores in a child process)."""
    found: list[int] = []
    todo = list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def process_cpu_s(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these processes and their descendants (all threads)."""
    ticks = 0
    for pid in process_tree(pids):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / 100  # USER_HZ is 100 on Linux


def peak_rss_mb(pids: Sequence[int]) -> dict[int, float]:
    """Peak resident memory (VmHWM) of each process in the trees of `pids`."""
    peaks: dict[int, float] = {}
    for pid in process_tree(pids):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) / 1024
    return peaks


def user_key(message: bytes) -> bytes:
    return str(json.loads(message).get("user_id", "")).encode()


async def produce(bootstrap: str, topic: str, messages: Sequence[bytes]) -> None:
    """Send everything as fast as the client allows, keyed by user as the app would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await producer.start()
    try:
        for value in messages:
            await producer.send(topic, value=value, key=user_key(value))
        await producer.flush()
    finally:
        await producer.stop()


class CpuSampler:
    """Samples the CPU seconds of `pids` every `every_s` on a thread, with wall-clock times, so
    the CPU spent between two record timestamps can be read off afterwards (the reader of the
    output topic may lag behind on a busy machine; the sampler does not depend on it)."""

    def __init__(self, pids: Sequence[int], every_s: float = 0.02) -> None:
        self.pids, self.every_s = list(pids), every_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.time(), process_cpu_s(self.pids)))
            except OSError:
                return
            self._stop.wait(self.every_s)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def between(self, start_s: float, end_s: float) -> float | None:
        """CPU seconds spent from `start_s` to `end_s` (wall clock), interpolated."""
        if len(self.samples) < 2:
            return None
        import numpy as np

        times, cpu = zip(*self.samples, strict=True)
        lo, hi = np.interp([start_s, end_s], times, cpu)
        return float(hi - lo)


async def collect(
    bootstrap: str,
    topic: str,
    count: int,
    timeout_s: float,
    pids: Sequence[int] = (),
    fetch_wait_ms: int = 20,
) -> Rate:
    """Read `topic` from the start until `count` records are there; rate over the middle 90%
    of the record timestamps, with the CPU the `pids` spent over the same stretch."""
    reader = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=fetch_wait_ms,
    )
    await reader.start()
    stamps: list[int] = []
    deadline = time.monotonic() + timeout_s
    with CpuSampler(pids) as sampler:
        try:
            while len(stamps) < count and time.monotonic() < deadline:
                batches = await reader.getmany(timeout_ms=200)
                stamps.extend(r.timestamp for records in batches.values() for r in records)
        finally:
            await reader.stop()
    if len(stamps) < count:
        raise TimeoutError(f"{topic}: {len(stamps)} of {count} records in {timeout_s:.0f}s")
    ordered = sorted(stamps[:count])
    rate, window = middle_rate(ordered)
    lo, hi = ordered[int(count * 0.05)] / 1000, ordered[int(count * 0.95)] / 1000
    cpu = sampler.between(lo, hi) if pids else None
    return Rate(rate, cpu, window)


async def raw_passthrough(
    bootstrap: str, source: str, target: str, partitions: int, count: int
) -> Rate:
    """(a): one aiokafka consumer and one producer copying `source` to `target`, in this
    process; the ceiling any Python consume->produce loop reaches on this broker."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await consumer.start()
    await producer.start()
    started = time.process_time()
    try:
        tps = [TopicPartition(source, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        copied = 0
        while copied < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            for records in batches.values():
                for record in records:
                    await producer.send(target, value=record.value, key=record.key)
                    copied += 1
        await producer.flush()
    finally:
        await consumer.stop()
        await producer.stop()
    cpu = time.process_time() - started
    rate = await collect(bootstrap, target, count, 60)
    return Rate(rate.events_per_s, cpu, count / rate.events_per_s)


async def wait_for_members(
    settings: Settings, group: str, members: int, timeout_s: float = 120
) -> None:
    """Until the group is Stable with `members` members for a second: the workers have joined,
    so a burst of events is shared out from the first record (no mid-run rebalance)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    deadline = time.monotonic() + timeout_s
    stable_since: float | None = None
    try:
        while time.monotonic() < deadline:
            (response,) = await admin.describe_consumer_groups([group])
            _, _, state, _, _, found = response.groups[0][:6]
            if state == "Stable" and len(found) == members:
                stable_since = stable_since or time.monotonic()
                if time.monotonic() - stable_since >= 1.0:
                    return
            else:
                stable_since = None
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    raise TimeoutError(f"group {group} did not reach {members} stable members in {timeout_s}s")


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rate: float
    count: int


async def latency_at(
    bootstrap: str,
    events_topic: str,
    scores_topic: str,
    messages: Sequence[bytes],
    rate: float,
    duration_s: float,
) -> Latency:
    """(d): publish fresh events at `rate` for `duration_s`, each stamped with its send time;
    latency = when this process read the event's score record minus that stamp."""
    import numpy as np

    templates = [json.loads(m) for m in messages]
    total = max(20, int(rate * duration_s))
    reader = AIOKafkaConsumer(
        scores_topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=5,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=1, acks="all")
    await reader.start()
    await producer.start()
    await reader.getmany(timeout_ms=100)  # settle the reader at the end of the topic
    latencies: list[float] = []

    async def read() -> None:
        while len(latencies) < total:
            batches = await reader.getmany(timeout_ms=100)
            now = time.time()
            for records in batches.values():
                for record in records:
                    if record.key and record.key.startswith(LATENCY_PREFIX):
                        stamp = json.loads(record.value)["event_timestamp"]
                        sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                        latencies.append((now - sent.timestamp()) * 1000)

    async def publish() -> None:
        started = time.monotonic()
        for i in range(total):
            due = started + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            event = dict(templates[i % len(templates)])
            event["event_id"] = f"{LATENCY_PREFIX.decode()}{i}"
            event["timestamp"] = datetime.now(UTC).isoformat()
            await producer.send(
                events_topic, value=json.dumps(event).encode(), key=event["user_id"].encode()
            )
        await producer.flush()

    try:
        reading = asyncio.create_task(read())
        await publish()
        await asyncio.wait_for(reading, timeout=duration_s + 60)
    finally:
        await producer.stop()
        await reader.stop()
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    return Latency(float(p50), float(p95), float(p99), rate, len(latencies))
