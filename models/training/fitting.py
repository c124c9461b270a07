"""How every binary model is fitted and where its thresholds sit: one LR recipe, a sigmoid
calibrator fitted on source-grouped out-of-fold decisions, and threshold rules on out-of-fold
scores (ordinary benign, the realistic benign pool, generated hard negatives, documents).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.console import Console
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from ..feature_weighting import EmbeddingWeight
from .corpus.records import Sample
from .metrics import held_out_report, threshold_at_fpr
from .segment_max import SegmentIndex, segment_max
from .specs import TaskSpec

console = Console(stderr=True)

TARGET_FPR = 0.01
HARD_NEGATIVE_FPR = 0.05
#: Generated benign sources: one template family each, so scored out of row-level folds.
HARD_NEGATIVE_PREFIXES = (
    "synthetic.hard_negatives",
    "synthetic.miss.",
    "synthetic.pair",
    "synthetic.moderation.",
)
#: The most realistic benign traffic (real users, and look-alikes built to trip filters):
#: thresholds keep out-of-fold FPR <= TARGET_FPR on these pooled (ShareGPT folds split by
#: conversation, the others out of source). A separate, stricter 3% limit on the look-alikes
#: alone was tried: it pushed the harmful threshold to 0.94 and lost plain bomb-making
#: requests, so the pooled rule stays.
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
    strict_pools: Sequence[frozenset[str]] = (),
) -> float:
    """The targets as one rule, the strictest wins, all on out-of-fold scores: <=1% FPR on
    ordinary benign prompts, on the realistic benign pool (source-grouped folds: production
    text is a new source) and on each of `strict_pools` (a task's own realistic negatives,
    such as clean forum posts for moderation), <=5% on generated hard negatives
    (`hard_scores`, row-level folds)."""
    hard = np.array([is_generated_benign(s) for s in sources])
    benign = (labels == 0) & np.array([s not in CROSS_TASK_NEGATIVES for s in sources])
    threshold = threshold_at_fpr(scores[benign & ~hard], TARGET_FPR)
    for pool in (REALISTIC_BENIGN, *strict_pools):
        rows = benign & np.array([s in pool for s in sources])
        if rows.any():
            threshold = max(threshold, threshold_at_fpr(scores[rows], TARGET_FPR))
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
    threshold = fit_threshold(out_of_fold, labels, sources, hard_scores, spec.strict_pools)
    return model, threshold, out_of_fold
