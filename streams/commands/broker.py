"""`guardstream broker`: the embedded broker in the foreground, for trying things locally."""

from __future__ import annotations

import asyncio
import signal
import time
from types import FrameType
from typing import Annotated

import typer

from guardstream.streams.admin import ensure_topics
from guardstream.streams.broker import EmbeddedBroker
from guardstream.streams.commands.common import ConfigOption, console, settings_from


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def broker(
    port: Annotated[int, typer.Option(help="Loopback port; 0 picks a free one.")] = 0,
    create_topics: Annotated[bool, typer.Option(help="Create guardstream's topics.")] = True,
    config: ConfigOption = None,
) -> None:
    """Run the embedded Kafka-compatible broker (Tansu, memory only) until Ctrl-C or SIGTERM."""
    # SIGTERM/SIGHUP would end Python without unwinding, leaving Tansu running on its port;
    # as KeyboardInterrupt they go through the `with` below, which stops the child. SIGINT too:
    # a shell starts background jobs with SIGINT ignored, and Python then keeps it ignored.
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _interrupt)
    with EmbeddedBroker(port=port or None) as running:
        settings = settings_from(config, running.bootstrap)
        if create_topics:
            asyncio.run(ensure_topics(settings))
        console.print(f"broker ready in {running.start_seconds:.3f}s")
        print(running.bootstrap, flush=True)
        console.print(
            f"export GUARDSTREAM_BOOTSTRAP={running.bootstrap}   # Ctrl-C stops the broker"
        )
        try:
            while running.running():
                time.sleep(0.5)
        except KeyboardInterrupt:
            console.print("stopping broker")
