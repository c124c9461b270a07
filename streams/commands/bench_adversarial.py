"""`guardstream bench adversarial`: ms per event for each detector on each pathological input
(1 MB by default: long runs of every ASCII punctuation character, digits with separators,
base64/hex runs, zero-width and tag characters, homoglyph soup, the two inputs that used to
backtrack). The goal is < 50 ms per 1 MB event for all detectors together; texts are clipped
to `limits.max_text_chars` first, as in the worker."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from guardstream.detectors.adversarial import adversarial_texts
from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.adversarial_timing import detector_seconds
from guardstream.streams.commands.bench import pin_to_one_core
from guardstream.streams.commands.common import ConfigOption, settings_from

out = Console()
GOAL_MS = 50.0


def bench_adversarial(
    chars: Annotated[int, typer.Option(help="Characters per input text.")] = 1_000_000,
    repeats: Annotated[int, typer.Option(help="Passes per measurement; best is kept.")] = 3,
    only: Annotated[str, typer.Option(help="Comma-separated input names (default: all).")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per input.")] = False,
    config: ConfigOption = None,
) -> None:
    """Per-detector CPU ms for one event carrying each pathological text (prompt and response)."""
    pin_to_one_core()
    settings = settings_from(config)
    max_chars = settings.limits.max_text_chars
    pipeline = build_pipeline(settings.detectors, settings.alerts, max_chars)
    texts = adversarial_texts(chars)
    names = [n for n in texts if not only or n in only.split(",")]
    names_d = [d.name for d in pipeline.detectors]
    table = Table(
        title=f"guardstream bench adversarial: ms/event, {chars:,} chars, clip {max_chars:,}"
    )
    table.add_column("input")
    for name in [*names_d, "all"]:
        table.add_column(name, justify="right")
    worst = 0.0
    for name in names:
        ms = {
            k: v * 1000
            for k, v in detector_seconds(pipeline, texts[name], repeats, max_chars).items()
        }
        worst = max(worst, ms["all"])
        if as_json:
            print(json.dumps({"input": name, "chars": chars, "ms": ms}), flush=True)
        else:
            table.add_row(name, *(f"{ms[d]:.1f}" for d in [*names_d, "all"]))
    if not as_json:
        out.print(table)
    verdict = "meets" if worst < GOAL_MS else "misses"
    out.print(f"worst all-detector time {worst:.1f} ms/event: {verdict} the {GOAL_MS:.0f} ms goal")
