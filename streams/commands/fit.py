"""`guardstream thresholds fit SCORE_KEY (--target-fpr F | --target-precision P | --min-recall R)`.

Joins analysts' labels (`llm.feedback`) with score records (`llm.scores`) by event id, picks a
threshold with scikit-learn's curves and prints the report; `--apply` publishes it to the
control topic with the report's summary as reason. Without `--apply` nothing changes.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.detectors.threshold_fit import FitResult, Target, fit_threshold
from guardstream.detectors.thresholds import ThresholdState
from guardstream.errors import GuardstreamError, ThresholdError
from guardstream.streams.client import ThresholdAdmin
from guardstream.streams.commands.common import BootstrapOption, ConfigOption, settings_from
from guardstream.streams.commands.thresholds import AppOption, ScoreKey
from guardstream.streams.feedback import Labelled, join_labels
from guardstream.streams.fit_inputs import FitInputs, load_offline, load_online
from guardstream.streams.fit_report import plot_pr, render_report
from guardstream.streams.settings import Settings

out = Console()


def pick_target(
    fpr: float | None, precision: float | None, recall: float | None
) -> tuple[Target, float]:
    given = [
        (t, g)
        for t, g in (("fpr", fpr), ("precision", precision), ("recall", recall))
        if g is not None
    ]
    if len(given) != 1:
        raise ThresholdError("give exactly one of --target-fpr, --target-precision, --min-recall")
    return given[0]


async def online(settings: Settings, pipeline: Pipeline) -> tuple[FitInputs, ThresholdState]:
    async with ThresholdAdmin(settings, pipeline) as admin:
        return await load_online(settings), await admin.state()


async def publish(settings: Settings, pipeline: Pipeline, result: FitResult) -> int:
    async with ThresholdAdmin(settings, pipeline) as admin:
        record = await admin.set(
            result.score_key, result.threshold, app_id=result.app_id, reason=result.summary()
        )
        return record.version


def run_fit(
    settings: Settings,
    score_key: str,
    target: Target,
    goal: float,
    app_id: str | None,
    dumps: tuple[Path, Path, Path | None] | None,
) -> tuple[FitResult, FitInputs, Labelled, Pipeline]:
    """Validate, load, join and fit; raises GuardstreamError (refusals included)."""
    pipeline = build_pipeline(settings.detectors)
    known = pipeline.score_keys()
    if score_key not in known:
        raise ThresholdError(f"unknown score key {score_key!r}; known: {', '.join(known)}")
    if dumps:
        inputs, state = load_offline(*dumps), pipeline.threshold_state
    else:
        inputs, state = asyncio.run(online(settings, pipeline))
    in_force = state.snapshot().resolve(score_key, app_id)
    current = in_force.threshold if in_force else None
    joined = join_labels(inputs.records, inputs.feedback, score_key, app_id, inputs.alerts)
    try:
        result = fit_threshold(joined.y, joined.scores, score_key, target, goal, current, app_id)
    except ThresholdError:
        for line in inputs.rejected[:20]:
            print(f"rejected feedback {line}", file=sys.stderr)
        raise
    return result, inputs, joined, pipeline


def fit(
    score_key: ScoreKey,
    target_fpr: Annotated[
        float | None,
        typer.Option("--target-fpr", min=0.0, max=1.0, help="Most recall at FPR <= F."),
    ] = None,
    target_precision: Annotated[
        float | None,
        typer.Option("--target-precision", min=0.0, max=1.0, help="Most recall at precision >= P."),
    ] = None,
    min_recall: Annotated[
        float | None,
        typer.Option("--min-recall", min=0.0, max=1.0, help="Best precision at recall >= R."),
    ] = None,
    app_id: AppOption = None,
    apply: Annotated[bool, typer.Option("--apply", help="Publish the value to control.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Save the PR curve (PNG).")] = None,
    scores: Annotated[
        Path | None,
        typer.Option("--scores", exists=True, dir_okay=False, help="Offline: score records."),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option("--labels", exists=True, dir_okay=False, help="Offline: feedback lines."),
    ] = None,
    alerts: Annotated[
        Path | None,
        typer.Option(
            "--alerts", exists=True, dir_okay=False, help="Offline: alerts, for alert labels."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The result as JSON.")] = False,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Fit a threshold from analysts' labels; refuses with fewer than 30 of either class."""
    try:
        target, goal = pick_target(target_fpr, target_precision, min_recall)
        if (scores is None) != (labels is None):
            raise ThresholdError("offline fit needs both --scores and --labels")
        settings = settings_from(config, bootstrap)
        if alerts is not None and scores is None:
            raise ThresholdError("--alerts is for offline fits, with --scores and --labels")
        dumps = (scores, labels, alerts) if scores and labels else None
        result, inputs, joined, pipeline = run_fit(settings, score_key, target, goal, app_id, dumps)
        if plot is not None:
            plot_pr(joined, result, plot)
        version = asyncio.run(publish(settings, pipeline, result)) if apply else None
    except GuardstreamError as exc:
        print(f"guardstream: error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    if as_json:
        data = asdict(result) | {"summary": result.summary(), "applied_version": version}
        print(json.dumps(data | {"rejected": inputs.rejected, "skipped": joined.skipped}))
        return
    out.print(render_report(result, joined, inputs.rejected))
    out.print(result.summary())
    if version is not None:
        out.print(
            f"[green]applied[/green]: {score_key} = {result.threshold:.4g}, version {version}"
        )
    else:
        out.print("not applied (use --apply to publish it to the control topic)")
