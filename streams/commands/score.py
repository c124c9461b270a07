"""`guardstream score FILE.jsonl --out SCORES.jsonl`: the worker's pipeline, offline.

Each line goes through `process_batch`, the very function the worker's agent calls, so operators
evaluate exactly what production would score. Lines are taken in event-time order and behaviour
state (per-user windows, alert suppression) lives in a dict, as it lives in faust tables in the
worker; records come out in that order. `--alerts FILE` writes the alerts (opens and updates).
Lines that are not valid events are reported
(stderr, or --dlq FILE) just as the worker would dead-letter them.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from guardstream.detectors.behaviour.state import DictState
from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.commands.common import (
    ConfigOption,
    console,
    read_jsonl_bytes,
    settings_from,
)
from guardstream.streams.evidence_key import configure_evidence_key
from guardstream.streams.processing import RawMessage, process_batch


def event_time_key(line: tuple[int, bytes]) -> tuple[datetime, int]:
    """Sort key: the line's timestamp, then its number; unreadable lines sort first (they are
    rejected by the same decoder the worker uses)."""
    number, text = line
    try:
        stamp = datetime.fromisoformat(str(json.loads(text)["timestamp"]).replace("Z", "+00:00"))
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        stamp = datetime.min.replace(tzinfo=UTC)
    return stamp, number


def score(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON Lines events")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write score records.")],
    dlq: Annotated[Path | None, typer.Option(help="Write rejected lines here as JSON.")] = None,
    alerts: Annotated[
        Path | None, typer.Option(help="Write alerts (opens and updates) here as JSON Lines.")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 if any line was rejected.")] = False,
    config: ConfigOption = None,
) -> None:
    """Score events offline, no broker: one {"event_id", "scores", "flags", ...} line each."""
    settings = settings_from(config)
    configure_evidence_key(settings)  # same key, same fingerprints as the worker
    pipeline = build_pipeline(settings.detectors, settings.alerts, settings.limits.max_text_chars)
    state = DictState()
    lines = sorted(read_jsonl_bytes(file), key=event_time_key)
    size = settings.worker.batch_size
    scored = rejected = 0
    started = time.perf_counter()
    with (
        out.open("w", encoding="utf-8") as sink,
        dlq.open("w", encoding="utf-8") if dlq else open("/dev/null", "w") as dead,
        alerts.open("w", encoding="utf-8") if alerts else open("/dev/null", "w") as alert_sink,
        Progress(console=console) as progress,
    ):
        task = progress.add_task("scoring", total=len(lines))
        for start in range(0, len(lines), size):
            chunk = lines[start : start + size]
            messages = [RawMessage(raw, str(file), 0, n) for n, raw in chunk]
            output = process_batch(messages, pipeline, settings.worker.max_event_bytes, state)
            for record in output.scores:
                sink.write(record.model_dump_json() + "\n")
            for alert in output.alerts:
                alert_sink.write(alert.model_dump_json() + "\n")
            for letter in output.dead_letters:
                report = {
                    "line": letter.source_offset,
                    "code": letter.code,
                    "reason": letter.reason,
                }
                dead.write(json.dumps(report) + "\n")
                if not dlq:
                    console.print(
                        f"[red]rejected[/red] line {letter.source_offset}: {escape(letter.reason)}"
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
