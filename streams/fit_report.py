"""How a threshold fit looks: a rich report on the terminal and an optional PR-curve PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from sklearn.metrics import precision_recall_curve

from guardstream.detectors.threshold_fit import TARGET_WORDS, Confusion, FitResult
from guardstream.errors import ThresholdError
from guardstream.streams.feedback import Labelled


def confusion_table(result: FitResult) -> Table:
    table = Table(title="chosen vs in force (flag = score >= threshold; positive = abusive)")
    for column in ("", "threshold", "TP", "FP", "TN", "FN", "precision", "recall", "FPR"):
        table.add_column(column, justify="right")
    rows: list[tuple[str, Confusion]] = [("chosen", result.chosen)]
    if result.current is not None:
        rows.append(("in force", result.current))
    for name, c in rows:
        table.add_row(
            name,
            f"{c.threshold:.4g}",
            str(c.tp),
            str(c.fp),
            str(c.tn),
            str(c.fn),
            f"{c.precision:.3f}",
            f"{c.recall:.3f}",
            f"{c.fpr:.4f}",
        )
    return table


def curve_table(result: FitResult) -> Table:
    table = Table(title="precision-recall table")
    for column in ("threshold", "flagged", "precision", "recall", "FPR", ""):
        table.add_column(column, justify="right")
    current = result.current.threshold if result.current else None
    for c in result.table:
        mark = " ".join(
            name
            for name, value in (("chosen", result.threshold), ("in force", current))
            if value is not None and abs(value - c.threshold) < 1e-9
        )
        table.add_row(
            f"{c.threshold:.4g}",
            str(c.tp + c.fp),
            f"{c.precision:.3f}",
            f"{c.recall:.3f}",
            f"{c.fpr:.4f}",
            mark,
        )
    return table


def render_report(result: FitResult, joined: Labelled, rejected: list[str]) -> Group:
    low_p, high_p = result.precision_ci
    low_r, high_r = result.recall_ci
    scope = f" (app {result.app_id})" if result.app_id else ""
    head = Text.assemble(
        (f"fit {result.score_key}{scope}: ", "bold"),
        f"{TARGET_WORDS[result.target]} {result.goal:g} -> ",
        (f"{result.threshold:.4g}", "bold green"),
        f" (in force: {result.current.threshold:.4g})" if result.current else "",
    )
    labels = Text(
        f"labels: {result.positives} abusive, {result.negatives} benign; "
        f"precision {result.chosen.precision:.3f} [95% CI {low_p:.3f}-{high_p:.3f}], "
        f"recall {result.chosen.recall:.3f} [95% CI {low_r:.3f}-{high_r:.3f}] (bootstrap)"
    )
    parts: list[Text | Table] = [head, labels, confusion_table(result), curve_table(result)]
    parts += [Text(f"skipped {n} label(s): {why}", "yellow") for why, n in joined.skipped.items()]
    parts += [Text(f"rejected feedback {line}", "red") for line in rejected[:20]]
    return Group(*parts)


def plot_pr(joined: Labelled, result: FitResult, path: Path) -> None:
    """Save the precision-recall curve with the chosen and in-force points marked."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ThresholdError("--plot needs matplotlib: pip install 'guardstream[plot]'") from exc
    precision, recall, _ = precision_recall_curve(joined.y, joined.scores)
    figure, axes = plt.subplots(figsize=(6, 4.5), dpi=110)
    axes.plot(recall, precision, drawstyle="steps-post", label="PR curve")
    points = [("chosen", result.chosen, "o")]
    if result.current is not None:
        points.append(("in force", result.current, "s"))
    for name, c, marker in points:
        axes.plot(
            [c.recall], [c.precision], marker, markersize=8, label=f"{name} {c.threshold:.3g}"
        )
    axes.axhline(np.mean(joined.y), color="grey", linestyle=":", label="base rate")
    axes.set_xlabel("recall")
    axes.set_ylabel("precision")
    axes.set_xlim(0, 1.01)
    axes.set_ylim(0, 1.01)
    axes.set_title(f"{result.score_key}: {result.positives} abusive / {result.negatives} benign")
    axes.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
