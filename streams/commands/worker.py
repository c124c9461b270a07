"""`guardstream worker`: the faust worker against any Kafka, as one process or several."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Annotated

import typer

from guardstream.streams.admin import ensure_topics
from guardstream.streams.commands.common import BootstrapOption, ConfigOption, settings_from
from guardstream.streams.logs import configure_logging
from guardstream.streams.settings import Settings
from guardstream.streams.worker_pool import WorkerPool, for_process, process_count

log = logging.getLogger(__name__)


def run_worker(settings: Settings, index: int = 0) -> None:
    """Run one worker process until it is stopped (SIGINT/SIGTERM)."""
    from guardstream.streams.app import create_app  # the pool's parent never loads models
    from guardstream.streams.heap import freeze_startup_heap
    from guardstream.streams.metrics import WorkerMetrics, serve_metrics
    from guardstream.streams.service import (
        ServiceWorker,
        limit_native_threads,
        shorten_gil_switch_interval,
    )

    limit_native_threads()
    shorten_gil_switch_interval(settings.worker)
    configure_logging(settings.worker.log_level, settings.logs.format)
    settings.worker.data_dir.mkdir(parents=True, exist_ok=True)  # faust makes only the last level
    metrics = WorkerMetrics()
    if settings.metrics.enabled:
        try:
            port = serve_metrics(metrics, settings.metrics)
            log.warning(
                "metrics at http://%s:%d/metrics",
                settings.metrics.host, port, extra={"metrics_port": port},
            )  # fmt: skip
        except OSError as exc:  # a taken port must not stop scoring
            log.error("metrics server not started on %s: %s", settings.metrics.port, exc)
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = create_app(settings, metrics=metrics)
    freeze_startup_heap()
    ServiceWorker(app, settings).execute_from_commandline()


def worker(
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
    processes: Annotated[
        int,
        typer.Option(
            help="Worker processes in one consumer group (0: [worker] processes, else one per "
            "CPU core, at most one per partition)."
        ),
    ] = 0,
    process_index: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Score events from the events topic; publish scores, alerts and dead letters."""
    settings = settings_from(config, bootstrap)
    if process_index is not None:  # a child of the pool: topics already exist
        run_worker(for_process(settings, process_index), process_index)
        return
    asyncio.run(ensure_topics(settings))  # once, before any process joins the group
    count = process_count(settings, processes or None)
    if count == 1:
        run_worker(settings)
        return
    configure_logging(settings.worker.log_level, settings.logs.format)
    argv = (["--config", str(config)] if config else []) + (
        ["--bootstrap", bootstrap] if bootstrap else []
    )
    sys.exit(WorkerPool(count, argv).run())
