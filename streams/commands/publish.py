"""`guardstream publish FILE.jsonl`: validate every line first, then send with a progress bar."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.progress import Progress

from guardstream.contracts import LLMEvent
from guardstream.streams.client import EventPublisher
from guardstream.streams.commands.common import (
    BootstrapOption,
    ConfigOption,
    console,
    parse_json_object,
    read_jsonl,
    settings_from,
)
from guardstream.streams.decoding import describe_validation_error
from guardstream.streams.settings import Settings


def validate_lines(path: Path) -> tuple[list[LLMEvent], list[str]]:
    """Every valid event, and a readable error for every invalid line."""
    events: list[LLMEvent] = []
    errors: list[str] = []
    for number, line in read_jsonl(path):
        try:
            events.append(LLMEvent.model_validate(parse_json_object(line)))
        except ValidationError as exc:
            errors.append(f"line {number}: {describe_validation_error(exc)}")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            errors.append(f"line {number}: {exc}")
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
        payloads: list[Any] = [line.rstrip("\n").encode() for _, line in read_jsonl(file)]
    else:
        events, errors = validate_lines(file)
        for error in errors[:20]:
            console.print(f"[red]invalid[/red] {error}")
        if errors and not skip_invalid:
            console.print(f"{len(errors)} invalid line(s); nothing sent (use --skip-invalid)")
            raise typer.Exit(1)
        payloads = events
    sent = asyncio.run(send_all(settings, payloads, raw))
    print(json.dumps({"published": sent, "topic": settings.topics.events}))
