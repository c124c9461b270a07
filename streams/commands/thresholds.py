"""`guardstream thresholds show|set|disable|enable|history`: live thresholds on the control topic.

A refused change (unknown key, value outside [0, 1], empty reason) exits 2 with one line naming
the problem, and nothing is published.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from guardstream.contracts import ThresholdRecord
from guardstream.detectors.thresholds import InForce
from guardstream.errors import GuardstreamError
from guardstream.streams.client import ThresholdAdmin
from guardstream.streams.commands.common import BootstrapOption, ConfigOption, settings_from

out = Console()
thresholds_app = typer.Typer(
    help="Live thresholds: show, change, audit, fit.", no_args_is_help=True
)

T = TypeVar("T")
SeverityChoice = StrEnum("SeverityChoice", {s: s for s in ("low", "medium", "high", "critical")})
ScoreKey = Annotated[str, typer.Argument(help="Score key as in score records, e.g. injection.")]
AppOption = Annotated[str | None, typer.Option("--app", help="Only this app id (else global).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why; kept in the history.")]
SetByOption = Annotated[
    str | None, typer.Option("--set-by", help="Who makes the change (default: $USER).")
]


def run_admin(
    config: Any, bootstrap: str | None, action: Callable[[ThresholdAdmin], Awaitable[T]]
) -> T:
    """Run one admin action; guardstream errors become one line on stderr and exit code 2."""

    async def go() -> T:
        async with ThresholdAdmin(settings_from(config, bootstrap)) as admin:
            return await action(admin)

    try:
        return asyncio.run(go())
    except GuardstreamError as exc:
        print(f"guardstream: error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def print_in_force(entries: list[InForce], app_id: str | None, as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(e) for e in entries], default=str))
        return
    table = Table(title=f"thresholds in force{f' for app {app_id}' if app_id else ''}")
    for column in ("score key", "value", "source", "version", "set_by", "at", "reason", "alerts"):
        table.add_column(column)
    for e in entries:
        value = f"{e.threshold:.4g}" if e.threshold is not None else "[red]disabled[/red]"
        source = e.source + (f" (app {e.app_id})" if e.app_id else "")
        alerts = " ".join(
            part for part in (e.severity, f"{e.suppress_s:g}s" if e.suppress_s else None) if part
        )
        row = (e.score_key, value, source, str(e.version), e.set_by or "", _when(e.at))
        table.add_row(*row, e.reason or "", alerts)
    out.print(table)


def print_record(record: ThresholdRecord) -> None:
    print(record.model_dump_json())


def show(
    app_id: AppOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """The value in force for every score key, and where it comes from."""
    entries = run_admin(config, bootstrap, lambda admin: admin.show(app_id))
    print_in_force(entries, app_id, as_json)


def set_threshold(
    score_key: ScoreKey,
    value: Annotated[float, typer.Argument(help="New threshold in [0, 1]; flag if score >= it.")],
    reason: ReasonOption,
    app_id: AppOption = None,
    set_by: SetByOption = None,
    severity: Annotated[
        SeverityChoice | None, typer.Option(help="Also override this key's alert severity.")
    ] = None,
    suppress_s: Annotated[
        float | None, typer.Option("--suppress-s", help="Also override its alert suppression (s).")
    ] = None,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Publish a new threshold; running workers apply it within seconds."""
    record = run_admin(
        config,
        bootstrap,
        lambda admin: admin.set(
            score_key,
            value,
            reason=reason,
            app_id=app_id,
            set_by=set_by,
            severity=severity.value if severity else None,
            suppress_s=suppress_s,
        ),
    )
    print_record(record)


def disable(
    score_key: ScoreKey,
    reason: ReasonOption = "disabled from the CLI",
    app_id: AppOption = None,
    set_by: SetByOption = None,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Stop a score key from flagging (for one app with --app); scores are still recorded."""
    record = run_admin(
        config,
        bootstrap,
        lambda admin: admin.disable(score_key, reason=reason, app_id=app_id, set_by=set_by),
    )
    print_record(record)


def enable(
    score_key: ScoreKey,
    reason: ReasonOption = "enabled from the CLI",
    app_id: AppOption = None,
    set_by: SetByOption = None,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Undo `disable`: the level's last value (or the next level's) is in force again."""
    record = run_admin(
        config,
        bootstrap,
        lambda admin: admin.enable(score_key, reason=reason, app_id=app_id, set_by=set_by),
    )
    print_record(record)


def history(
    score_key: ScoreKey,
    app_id: AppOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Every version of a score key's threshold: who, when, why."""
    records = run_admin(config, bootstrap, lambda admin: admin.history(score_key, app_id))
    if as_json:
        for record in records:
            print_record(record)
        return
    table = Table(title=f"history of {score_key}")
    for column in ("version", "app", "value", "enabled", "set_by", "at", "reason"):
        table.add_column(column)
    for r in records:
        value = f"{r.threshold:.4g}" if r.threshold is not None else "-"
        table.add_row(
            str(r.version),
            r.app_id or "(global)",
            value,
            str(r.enabled),
            r.set_by,
            _when(r.at),
            r.reason,
        )
    out.print(table)


thresholds_app.command()(show)
thresholds_app.command("set")(set_threshold)
thresholds_app.command()(disable)
thresholds_app.command()(enable)
thresholds_app.command()(history)
