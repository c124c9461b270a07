"""`guardstream otlp-receiver`: OTLP/HTTP traces in (POST /v1/traces), events out.

The server lives in `streams/otlp_http.py`, imported only when this command runs.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from guardstream.streams.admin import ensure_topics
from guardstream.streams.commands.common import (
    BootstrapOption,
    ConfigOption,
    console,
    settings_from,
)


def otlp_receiver(
    port: Annotated[int, typer.Option(help="TCP port (OTLP/HTTP's default is 4318).")] = 4318,
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback unless you mean to expose it.")
    ] = "127.0.0.1",
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Accept OTLP/HTTP traces (POST /v1/traces) and publish GenAI spans as events."""
    from aiohttp import web

    from guardstream.streams.otlp_http import build_receiver

    settings = settings_from(config, bootstrap)
    asyncio.run(ensure_topics(settings))
    console.print(f"otlp-receiver: http://{host}:{port}/v1/traces -> {settings.topics.events}")
    # auto_decompress off: `gunzip` inflates with a size limit, so a gzip bomb stays small
    web.run_app(build_receiver(settings), host=host, port=port, print=None, auto_decompress=False)
