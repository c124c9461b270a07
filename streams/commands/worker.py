"""`guardstream worker`: the faust worker against any Kafka."""

from __future__ import annotations

import asyncio

from guardstream.streams.admin import ensure_topics
from guardstream.streams.app import create_app
from guardstream.streams.commands.common import BootstrapOption, ConfigOption, settings_from
from guardstream.streams.service import ServiceWorker, limit_native_threads
from guardstream.streams.settings import Settings


def run_worker(settings: Settings) -> None:
    """Create missing topics, then run the worker until it is stopped (SIGINT/SIGTERM)."""
    limit_native_threads()
    asyncio.run(ensure_topics(settings))
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = create_app(settings)
    ServiceWorker(app, settings).execute_from_commandline()


def worker(config: ConfigOption = None, bootstrap: BootstrapOption = None) -> None:
    """Score events from the events topic; publish scores, alerts and dead letters."""
    run_worker(settings_from(config, bootstrap))
