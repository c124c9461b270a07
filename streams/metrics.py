"""Prometheus metrics of a worker, served at `/metrics` (loopback by default).

One registry per worker process (not the library's global one), so tests and several apps in
one process never collide. Counters move once per batch, not per event; consumer lag and the
scoring-queue depth are read when Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from guardstream.streams.ops_settings import MetricsSettings
from guardstream.streams.processing import BatchOutput

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
DETECTOR_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

# (topic, partition) -> offset; the log-end offsets and the committed ones
Offsets = Callable[[], Mapping[tuple[str, int], int]]


class LagCollector(Collector):
    """`guardstream_consumer_lag{topic,partition}`: log-end offset minus committed offset, for
    the partitions this worker holds."""

    def __init__(self, end_offsets: Offsets, committed: Offsets) -> None:
        self.end_offsets, self.committed = end_offsets, committed

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "guardstream_consumer_lag",
            "Events in the partition not yet committed by this worker.",
            labels=["topic", "partition"],
        )
        committed = dict(self.committed())
        for (topic, partition), end in sorted(dict(self.end_offsets()).items()):
            done = committed.get((topic, partition), 0)
            family.add_metric([topic, str(partition)], max(0, end - done))
        yield family


class WorkerMetrics:
    """Every series the worker exports; `observe_batch` is called once per scored batch."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.events_in = Counter(
            "guardstream_events_in", "Events taken from the events topic.", registry=r
        )
        self.scores_out = Counter("guardstream_scores_out", "Score records published.", registry=r)
        self.dead_letters = Counter(
            "guardstream_dead_letters",
            "Events sent to the dead-letter topic, by reason code.",
            ["code"],
            registry=r,
        )
        self.alerts = Counter(
            "guardstream_alerts",
            "Alerts published, by detector and severity.",
            ["detector", "severity"],
            registry=r,
        )
        self.batch_size = Histogram(
            "guardstream_batch_size", "Events per scored batch.", buckets=BATCH_BUCKETS, registry=r
        )
        self.batch_seconds = Histogram(
            "guardstream_batch_scoring_seconds",
            "Wall time to score and encode one batch.",
            registry=r,
        )
        self.detector_seconds = Histogram(
            "guardstream_detector_seconds",
            "Time per batch in each detector (shared features count towards the first detector "
            "that needs them).",
            ["detector"],
            buckets=DETECTOR_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "guardstream_scoring_queue_depth",
            "Events received and waiting for the scorer.",
            registry=r,
        )

    def observe_batch(self, events: int, output: BatchOutput, seconds: float) -> None:
        self.events_in.inc(events)
        self.batch_size.observe(events)
        self.batch_seconds.observe(seconds)
        self.scores_out.inc(len(output.scores))
        for letter in output.dead_letters:
            self.dead_letters.labels(letter.code).inc()
        for alert in output.alerts:
            self.alerts.labels(alert.detector, str(alert.severity)).inc()
        for name, spent in output.detector_seconds.items():
            self.detector_seconds.labels(name).observe(spent)

    def watch_queue(self, queue: Any) -> None:
        """Report the depth of the agent's channel queue at scrape time."""
        self.queue_depth.set_function(queue.qsize)

    def watch_lag(self, end_offsets: Offsets, committed: Offsets) -> None:
        self.registry.register(LagCollector(end_offsets, committed))


def serve_metrics(metrics: WorkerMetrics, settings: MetricsSettings, port_offset: int = 0) -> int:
    """Start `/metrics` in a background thread; return the port it listens on."""
    port = settings.port + port_offset if settings.port else 0
    server, _ = start_http_server(port, addr=settings.host, registry=metrics.registry)
    return int(server.server_port)


def instrument(metrics: WorkerMetrics, app: Any, loop_: Any, topic: str) -> None:
    """Hook the metrics into a worker app: batch counts, alerts and per-detector times from each
    batch's final output (it carries them back from wherever scoring ran), lag from the
    consumer's high-water marks and the loop's commits."""
    loop_.observe = metrics.observe_batch  # each batch's final output, once finished

    def end_offsets() -> dict[tuple[str, int], int]:
        ends = {}
        for tp in list(app.consumer.assignment()):
            if tp.topic == topic and (end := app.consumer.highwater(tp)) is not None:
                ends[(tp.topic, tp.partition)] = end
        return ends

    metrics.watch_lag(end_offsets, lambda: dict(loop_.stats.committed))
