"""`guardstream drift set-reference | status | report`: quality drift per app and model.

`status` and `report` read either the broker (the worker's `guardstream.drift.status` topic,
or every record on `llm.scores`) or a `guardstream score` output file, which runs the same
monitor offline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from guardstream.contracts import DriftReferenceRecord
from guardstream.detectors.drift.config import METRICS
from guardstream.detectors.drift.monitor import DriftMonitor
from guardstream.detectors.drift.rows import DriftRow, row_from_dict, scope_of
from guardstream.errors import BrokerError, GuardstreamError
from guardstream.report.drift_html import render
from guardstream.report.drift_series import run_series
from guardstream.streams.client import current_user
from guardstream.streams.commands.common import BootstrapOption, ConfigOption, settings_from
from guardstream.streams.drift_state import status_record
from guardstream.streams.settings import Settings
from guardstream.streams.topic_snapshot import read_topic_snapshot

out = Console()
drift_app = typer.Typer(help="Quality drift per app and model.", no_args_is_help=True)

AppOption = Annotated[str, typer.Option("--app", help="The app_id.")]
ModelOption = Annotated[str | None, typer.Option("--model", help="One model (else every one).")]
ScoresOption = Annotated[
    Path | None,
    typer.Option("--scores", exists=True, dir_okay=False, help="Score records (JSON Lines)."),
]


def _records_from_file(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _records_from_topic(settings: Settings) -> list[dict[str, Any]]:
    records = asyncio.run(read_topic_snapshot(settings, settings.topics.scores))
    return [json.loads(r.value) for r in records if r.value]


def rows_by_scope(
    records: Iterable[dict[str, Any]], settings: Settings, app_id: str | None = None
) -> dict[tuple[str, str | None], list[DriftRow]]:
    """Rows per (app, model), in event-time order (a topic read is in partition order)."""
    config = settings.drift
    out_: dict[tuple[str, str | None], list[DriftRow]] = {}
    for record in records:
        if app_id is not None and record.get("app_id") != app_id:
            continue
        row = row_from_dict(record, config.refusal_threshold, config.toxicity_threshold)
        if row is not None and record.get("app_id"):
            out_.setdefault((record["app_id"], record.get("model")), []).append(row)
    for rows in out_.values():
        rows.sort(key=lambda r: r.ts)
    return out_


@drift_app.command("set-reference")
def set_reference(
    app: AppOption,
    model: ModelOption = None,
    at: Annotated[
        datetime | None, typer.Option(help="Event time the new reference starts (default: now).")
    ] = None,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Accept the current behaviour: the next events become the reference (control record)."""
    settings = settings_from(config, bootstrap)
    record = DriftReferenceRecord(
        app_id=app, model=model, at=at or datetime.now(UTC), set_by=current_user()
    )

    async def send() -> None:
        producer = AIOKafkaProducer(**settings.kafka_client_options(), acks="all")
        try:
            await asyncio.wait_for(producer.start(), 30)
        except Exception as exc:
            await producer.stop()
            raise BrokerError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from exc
        try:
            await producer.send_and_wait(
                settings.topics.control, key=record.key.encode(),
                value=record.model_dump_json().encode(),
            )  # fmt: skip
        finally:
            await producer.stop()

    asyncio.run(send())
    out.print(json.dumps({"key": record.key, **record.model_dump(mode="json")}))


def _offline_status(records: Iterable[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    monitor = DriftMonitor(settings.drift)
    statuses = []
    for (app_id, model), rows in sorted(rows_by_scope(records, settings).items(), key=str):
        state = monitor.state(app_id, model)
        for start in range(0, len(rows), 100):
            monitor.update(state, rows[start : start + 100])
        statuses.append(status_record(state))
    return statuses


def _topic_status(settings: Settings) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for record in asyncio.run(read_topic_snapshot(settings, settings.topics.drift_status)):
        if record.key and record.value:
            latest[record.key.decode()] = json.loads(record.value)
    return [latest[k] for k in sorted(latest)]


@drift_app.command("status")
def status(
    scores: ScoresOption = None,
    app: Annotated[str | None, typer.Option("--app", help="Only this app_id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per app/model.")] = False,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """The current verdict per (app, model, metric): from the worker, or from a scores file."""
    settings = settings_from(config, bootstrap)
    statuses = (
        _offline_status(_records_from_file(scores), settings) if scores else _topic_status(settings)
    )
    statuses = [s for s in statuses if app is None or s["app_id"] == app]
    if as_json:
        for item in statuses:
            print(json.dumps(item))
        return
    table = Table(title="guardstream drift status")
    for column in ("app/model", "metric", "effect size", "threshold", "verdict", "windows"):
        table.add_column(column)
    for item in statuses:
        windows = f"ref {item['reference_count']} / cur {item['current_count']}"
        if item["collecting"]:
            table.add_row(item["scope_id"], "-", "", "", "collecting reference", windows)
            continue
        for metric in METRICS:
            verdict = item["verdicts"].get(metric)
            if verdict is None:
                table.add_row(item["scope_id"], metric, "", "", "not enough data", windows)
                continue
            text = "[red]DRIFT[/red]" if verdict["drifted"] else "ok"
            table.add_row(
                item["scope_id"], metric, f"{verdict['effect_size']:.4f}",
                f"{verdict['threshold']:g}", text, windows,
            )  # fmt: skip
    out.print(table)


@drift_app.command("report")
def report(
    app: AppOption,
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the HTML file.")],
    model: ModelOption = None,
    scores: ScoresOption = None,
    from_topic: Annotated[bool, typer.Option("--from-topic", help="Read llm.scores.")] = False,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """One self-contained HTML report for an app (and model): plots, windows, verdicts."""
    if bool(scores) == from_topic:
        raise typer.BadParameter("give exactly one of --scores FILE or --from-topic")
    settings = settings_from(config, bootstrap)
    records = _records_from_file(scores) if scores else _records_from_topic(settings)
    scopes = rows_by_scope(records, settings, app)
    if model is not None:
        scopes = {k: v for k, v in scopes.items() if k[1] == model}
    if not scopes:
        raise GuardstreamError(f"no score records with metrics for app {app!r}")
    (app_id, chosen), rows = max(scopes.items(), key=lambda item: len(item[1]))
    data = run_series(rows, app_id, chosen, settings.drift)
    out_path.write_text(render(data), encoding="utf-8")
    summary = {
        "scope_id": scope_of(app_id, chosen),
        "events": len(rows),
        "alerts": [a.detector for a in data.alerts],
        "out": str(out_path),
        "other_models": sorted(str(m) for _, m in scopes if m != chosen),
    }
    out.print(json.dumps(summary))
