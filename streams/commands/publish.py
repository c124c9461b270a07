"""`guardstream publish FILE.jsonl`: validate every line first, then send with a progress bar."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress

from guardstream.contracts import LLMEvent
from guardstream.errors import EventDecodeError
from guardstream.streams.client import EventPublisher
from guardstream.streams.commands.common import (
    BootstrapOption,
    ConfigOption,
    console,
    read_jsonl_bytes,
    settings_from,
)
from guardstream.streams.decoding import decode_event
from guardstream.streams.settings import Settings


def validate_lines(path: Path, max_bytes: int) -> tuple[list[LLMEvent], list[str]]:
    """Every valid event, and a readable error for every invalid line (the worker's own
    decoding, so a line rejected here is one the worker would dead-letter)."""
    events: list[LLMEvent] = []
    errors: list[str] = []
    for number, raw in read_jsonl_bytes(path):
        try:
            events.append(decode_event(raw, max_bytes))
        except EventDecodeError as exc:
            errors.append(f"line {number}: {exc.reason} [{exc.code}]")
    return events, errors


async def send_all(settings: Settings, payloads: list[Any], raw: bool) -> int:
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("publishing", total=len(payloads))
        async with EventPublisher(settings) as publisher:
            for payload in payloads:
                if raw:
                    await publisher.publish_raw(payload)
                else:
                    await publisher.publish(payload)
                progress.advance(task)
            await publisher.flush()
    return len(payloads)


def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines events")],
    skip_invalid: Annotated[
        bool, typer.Option(help="Send the valid lines, report the rest.")
    ] = False,
    raw: Annotated[
        bool, typer.Option(help="Send every line as is, unvalidated (exercises the DLQ).")
    ] = False,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Publish LLM events from a JSON Lines file to the events topic."""
    settings = settings_from(config, bootstrap)
    if raw:
        payloads: list[Any] = [raw for _, raw in read_jsonl_bytes(file)]
    else:
        events, errors = validate_lines(file, settings.worker.max_event_bytes)
        for error in errors[:20]:
            console.print(f"[red]invalid[/red] {escape(error)}")  # reasons hold [brackets]
        if errors and not skip_invalid:
            console.print(f"{len(errors)} invalid line(s); nothing sent (use --skip-invalid)")
            raise typer.Exit(1)
        payloads = events
    sent = asyncio.run(send_all(settings, payloads, raw))
    print(json.dumps({"published": sent, "topic": settings.topics.events}))
