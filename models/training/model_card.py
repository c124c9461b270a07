"""Markdown model cards written from the manifest, so the card and the artefact never disagree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CARD_DIR = Path(__file__).resolve().parent.parent / "cards"


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def write_card(manifest: dict[str, Any], weaknesses: list[str], directory: Path = CARD_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    held = manifest["metrics"]["held_out"]
    lines = [
        f"# Model card: `{manifest['name']}` v{manifest['version']}",
        "",
        manifest["description"],
        "",
        "## Model",
        "",
        f"- Estimator: {manifest['estimator']}",
        f"- Features: {manifest['features']}",
        f"- scikit-learn {manifest['sklearn_version']}; file `{manifest['file']}` "
        f"({manifest['size_bytes'] / 1e6:.1f} MB), sha256 `{manifest['sha256'][:16]}…`",
        f"- Shipped thresholds: {manifest['thresholds']} (fitted for {manifest['threshold_rule']})",
        "",
        "## Training data (shipped model)",
        "",
        f"- Rows after de-duplication: {manifest['training']['rows']} "
        f"(positives {manifest['training']['positives']})",
        f"- Sources: {', '.join(f'{k} ({v})' for k, v in manifest['training']['sources'].items())}",
        f"- Licences: {', '.join(manifest['training']['licences'])}",
        "- Provenance: `shared/data` (see `models/training/DATA.md`); nothing is downloaded.",
        "",
        "## Held-out sources",
        "",
        f"Held out: {', '.join(manifest['held_out_sources'])}. "
        + manifest.get(
            "evaluation", "These numbers come from sources the model never saw in training."
        ),
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for key in (
        "rows",
        "positives",
        "roc_auc",
        "tpr_at_fpr_1pct",
        "tpr_at_fpr_0.1pct",
        "tpr_at_threshold",
        "fpr_at_threshold",
    ):
        lines.append(f"| {key} | {_fmt(held.get(key))} |")
    for name, value in manifest["metrics"].items():
        if name not in (
            "held_out",
            "per_category",
            "out_of_fold_by_source",
            "leave_one_source_out",
            "held_out_templates",
            "realistic_benign_fpr",
        ) and not isinstance(value, dict):
            lines.append(f"| {name} | {_fmt(value)} |")
    lines += [
        "",
        "Per held-out source, at the threshold fitted for that evaluation model:",
        "",
        "| source | rows | positives | TPR | FPR |",
        "|---|---|---|---|---|",
    ]
    for source, row in held["per_source"].items():
        lines.append(
            f"| {source} | {row['rows']} | {row['positives']} | "
            f"{_fmt(row.get('tpr'))} | {_fmt(row.get('fpr'))} |"
        )
    loso = manifest["metrics"].get("leave_one_source_out")
    if loso:
        lines += [
            "",
            "## Each attack source unseen (leave one source out)",
            "",
            "Trained on every other source; negatives are that source's own benign rows plus "
            "the held-out benign sources.",
            "",
            "| unseen source | positives | negatives | ROC-AUC | TPR@1%FPR | TPR@0.1%FPR "
            "| own-rows ROC-AUC (own negatives); documents: segment-max |",
            "|---|---|---|---|---|---|---|",
        ]
        for source, row in loso.items():
            own = (
                f"{_fmt(row['own_roc_auc'])} ({row['own_negatives']})"
                if "own_roc_auc" in row
                else "–"
            )
            if "segment_max_roc_auc" in row:
                own += (
                    f"; segment-max AUC {_fmt(row['segment_max_roc_auc'])}, "
                    f"TPR@1% {_fmt(row['segment_max_tpr_at_fpr_1pct'])}"
                )
            lines.append(
                f"| {source} | {row['positives']} | {row['negatives']} | "
                f"{_fmt(row['roc_auc'])} | {_fmt(row['tpr_at_fpr_1pct'])} | "
                f"{_fmt(row['tpr_at_fpr_0.1pct'])} | {own} |"
            )
    lines += _source_tables(manifest["metrics"])
    if "per_category" in manifest["metrics"]:
        lines += ["", "## Categories", "", "```", str(manifest["metrics"]["per_category"]), "```"]
    lines += ["", "## Known weaknesses", ""] + [f"- {w}" for w in weaknesses] + [""]
    path = directory / f"{manifest['name']}.md"
    path.write_text("\n".join(lines))
    return path


def _source_tables(metrics: dict[str, Any]) -> list[str]:
    """False positives per benign source and rates on held-out templates, at the shipped
    threshold."""
    lines: list[str] = []
    by_source = metrics.get("out_of_fold_by_source") or {}
    benign = {k: v for k, v in by_source.items() if "fpr" in v}
    if benign:
        realistic = metrics.get("realistic_benign_fpr") or {}
        lines += [
            "",
            "## False positives per benign source (shipped threshold)",
            "",
            "Out-of-fold scores: each source is scored by a model whose training never saw "
            "it (ShareGPT: never saw that conversation). Realistic sources set the threshold.",
            "",
            "| source | benign rows | FPR | realistic (sets the threshold) |",
            "|---|---|---|---|",
        ]
        for source, row in benign.items():
            negatives = row["rows"] - row["positives"]
            mark = "yes" if source in realistic else ""
            lines.append(f"| {source} | {negatives} | {_fmt(row['fpr'])} | {mark} |")
    indirect = metrics.get("indirect_segment_max_out_of_fold")
    if indirect:
        lines += [
            "",
            "## `injection.indirect`: segment-max on documents (out of fold, its own threshold)",
            "",
            f"ROC-AUC {_fmt(indirect['roc_auc'])}, TPR at 1% FPR "
            f"{_fmt(indirect['tpr_at_fpr_1pct'])}, FPR at threshold "
            f"{_fmt(indirect['fpr_at_threshold'])} over {indirect['rows']} document rows "
            "(documents and texts over 400 characters).",
            "",
            "| source | rows | positives | TPR | FPR |",
            "|---|---|---|---|---|",
        ]
        for source, row in indirect["per_source"].items():
            lines.append(
                f"| {source} | {row['rows']} | {row['positives']} | "
                f"{_fmt(row.get('tpr'))} | {_fmt(row.get('fpr'))} |"
            )
    templates = metrics.get("held_out_templates")
    if templates:
        lines += [
            "",
            "## Held-out templates (miss classes, PAIR-style; never trained on)",
            "",
            "| source | rows | positives | TPR | FPR |",
            "|---|---|---|---|---|",
        ]
        for source, row in templates.items():
            lines.append(
                f"| {source} | {row['rows']} | {row['positives']} | "
                f"{_fmt(row.get('tpr'))} | {_fmt(row.get('fpr'))} |"
            )
    return lines
