"""`guardstream tail alerts|scores|dlq`: follow an output topic."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from enum import StrEnum
from typing import Annotated, Any

import typer
from aiokafka.structs import ConsumerRecord
from rich.console import Console

from guardstream.streams.client import TopicReader
from guardstream.streams.commands.common import BootstrapOption, ConfigOption, settings_from
from guardstream.streams.dead_letter import read_headers
from guardstream.streams.render import (
    SEVERITY_STYLE,
    group_by_severity,
    render_alert,
    render_dead_letter,
    render_score,
)

out = Console()


class Stream(StrEnum):
    alerts = "alerts"
    scores = "scores"
    dlq = "dlq"


def record_as_json(stream: Stream, record: ConsumerRecord) -> dict[str, Any]:
    if stream is Stream.dlq:
        return {
            "headers": read_headers(record.headers),
            "raw": record.value.decode("utf-8", "replace") if record.value else None,
            "offset": record.offset,
        }
    return json.loads(record.value)


async def follow(stream: Stream, settings: Any, as_json: bool, limit: int, idle_s: float) -> int:
    topic = getattr(settings.topics, stream.value)
    seen = 0
    render = {
        Stream.alerts: render_alert,
        Stream.scores: render_score,
        Stream.dlq: render_dead_letter,
    }[stream]
    async with TopicReader(settings, topic) as reader:
        quiet_since = time.monotonic()
        while limit <= 0 or seen < limit:
            records = await reader.poll(0.5)
            if not records:
                if idle_s > 0 and time.monotonic() - quiet_since > idle_s:
                    break
                continue
            quiet_since = time.monotonic()
            records = records[: limit - seen if limit > 0 else None]
            if stream is Stream.alerts and not as_json:  # each poll's alerts, by severity
                alerts = [record_as_json(stream, r) for r in records]
                for severity, group in group_by_severity(alerts):
                    style = SEVERITY_STYLE.get(severity, "")
                    out.print(f"── {severity.upper()} ({len(group)})", style=style)
                    for alert in group:
                        out.print(render_alert(alert))
                seen += len(alerts)
                continue
            for record in records:
                data = record_as_json(stream, record)
                seen += 1
                if as_json:
                    print(json.dumps(data, default=str), flush=True)
                else:
                    out.print(render(data))
    return seen


def tail(
    stream: Annotated[Stream, typer.Argument(help="Which output topic to follow.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option("--max", help="Stop after this many; 0 = no limit.")] = 0,
    idle_s: Annotated[
        float, typer.Option("--idle-exit", help="Stop after this many quiet seconds; 0 = never.")
    ] = 0,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Follow alerts, scores or dead letters from the beginning of the topic."""
    settings = settings_from(config, bootstrap)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(follow(stream, settings, as_json, limit, idle_s))
