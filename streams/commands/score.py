"""`guardstream score FILE.jsonl --out SCORES.jsonl`: the worker's pipeline, offline.

Each line goes through `process_batch`, the very function the worker's agent calls, so operators
evaluate exactly what production would score. Lines that are not valid events are reported
(stderr, or --dlq FILE) just as the worker would dead-letter them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.commands.common import (
    ConfigOption,
    console,
    read_jsonl_bytes,
    settings_from,
)
from guardstream.streams.processing import RawMessage, process_batch


def score(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines events")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write score records.")],
    dlq: Annotated[Path | None, typer.Option(help="Write rejected lines here as JSON.")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 if any line was rejected.")] = False,
    config: ConfigOption = None,
) -> None:
    """Score events offline, no broker: one {"event_id", "scores", "flags", ...} line each."""
    settings = settings_from(config)
    pipeline = build_pipeline(settings.detectors, settings.limits.max_text_chars)
    lines = list(read_jsonl_bytes(file))
    size = settings.worker.batch_size
    scored = rejected = 0
    started = time.perf_counter()
    with (
        out.open("w", encoding="utf-8") as sink,
        dlq.open("w", encoding="utf-8") if dlq else open("/dev/null", "w") as dead,
        Progress(console=console) as progress,
    ):
        task = progress.add_task("scoring", total=len(lines))
        for start in range(0, len(lines), size):
            chunk = lines[start : start + size]
            messages = [RawMessage(raw, str(file), 0, n) for n, raw in chunk]
            output = process_batch(messages, pipeline, settings.worker.max_event_bytes)
            for record in output.scores:
                sink.write(record.model_dump_json() + "\n")
            for letter in output.dead_letters:
                report = {
                    "line": letter.source_offset,
                    "code": letter.code,
                    "reason": letter.reason,
                }
                dead.write(json.dumps(report) + "\n")
                if not dlq:
                    console.print(
                        f"[red]rejected[/red] line {letter.source_offset}: {letter.reason}"
                    )
            scored += len(output.scores)
            rejected += len(output.dead_letters)
            progress.advance(task, len(chunk))
    seconds = time.perf_counter() - started
    summary = {
        "scored": scored,
        "rejected": rejected,
        "seconds": round(seconds, 3),
        "events_per_s": round(scored / seconds, 1) if seconds else None,
        "out": str(out),
    }
    console.print(json.dumps(summary))
    if strict and rejected:
        raise typer.Exit(1)
