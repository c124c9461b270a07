"""Pick a threshold from labelled scores for a target FPR, precision or recall. Pure numpy.

The operating points come from scikit-learn's `roc_curve` / `precision_recall_curve` (their
thresholds are observed scores and use the same `score >= threshold` rule guardstream flags
with); precision and recall get percentile-bootstrap 95% intervals at the chosen value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from guardstream.errors import ThresholdError

Target = Literal["fpr", "precision", "recall"]
MIN_PER_CLASS = 30
TARGET_WORDS = {"fpr": "FPR <=", "precision": "precision >=", "recall": "recall >="}


@dataclass(frozen=True)
class Confusion:
    """Counts at one threshold (flag = score >= threshold; positive = abusive)."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0


@dataclass
class FitResult:
    score_key: str
    target: Target
    goal: float
    threshold: float
    positives: int
    negatives: int
    chosen: Confusion
    current: Confusion | None
    precision_ci: tuple[float, float]
    recall_ci: tuple[float, float]
    table: list[Confusion] = field(default_factory=list)
    app_id: str | None = None

    def summary(self) -> str:
        """One line: what the fit found, used as the control record's reason on --apply."""
        low_p, high_p = self.precision_ci
        low_r, high_r = self.recall_ci
        scope = f" app {self.app_id}" if self.app_id else ""
        was = f" (was {self.current.threshold:.4g})" if self.current else ""
        return (
            f"fit {self.score_key}{scope}: {TARGET_WORDS[self.target]} {self.goal:g} -> "
            f"{self.threshold:.4g}{was} on {self.positives} abusive / {self.negatives} benign "
            f"labels; precision {self.chosen.precision:.3f} [{low_p:.3f}, {high_p:.3f}], "
            f"recall {self.chosen.recall:.3f} [{low_r:.3f}, {high_r:.3f}], "
            f"FPR {self.chosen.fpr:.4f}"
        )


def labels_needed(y: np.ndarray, minimum: int = MIN_PER_CLASS) -> str | None:
    """Why there are too few labels to fit, with how many more of each class; None if enough."""
    positives = int(y.sum())
    negatives = int(len(y) - positives)
    missing = []
    if positives < minimum:
        missing.append(f"{minimum - positives} more abusive (have {positives})")
    if negatives < minimum:
        missing.append(f"{minimum - negatives} more benign (have {negatives})")
    if not missing:
        return None
    return f"too few labels to fit: need at least {minimum} of each class; " + " and ".join(missing)


def confusion_at(y: np.ndarray, s: np.ndarray, threshold: float) -> Confusion:
    flagged = s >= threshold
    positive = y.astype(bool)
    return Confusion(
        threshold=float(threshold),
        tp=int(np.sum(flagged & positive)),
        fp=int(np.sum(flagged & ~positive)),
        tn=int(np.sum(~flagged & ~positive)),
        fn=int(np.sum(~flagged & positive)),
    )


def choose_threshold(y: np.ndarray, s: np.ndarray, target: Target, goal: float) -> float:
    """The best observed threshold meeting the goal; ties go to the higher (stricter) value.

    fpr: the most recall with FPR <= goal. precision: the most recall with precision >= goal.
    recall: the best precision with recall >= goal.
    """
    if target == "fpr":
        fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=False)
        finite = np.isfinite(thresholds)
        ok = finite & (fpr <= goal)
        gain, cost = tpr, fpr
    else:
        precision, recall, thresholds = precision_recall_curve(y, s)
        precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
        ok = precision >= goal if target == "precision" else recall >= goal
        gain, cost = (recall, -precision) if target == "precision" else (precision, -recall)
    if not ok.any():
        raise ThresholdError(
            f"no threshold reaches {TARGET_WORDS[target]} {goal:g} on these labels; "
            "nothing published"
        )
    # lexsort: last key is primary; highest gain, then lowest cost, then highest threshold
    candidates = np.flatnonzero(ok)
    order = np.lexsort((-thresholds[candidates], cost[candidates], -gain[candidates]))
    return float(np.clip(thresholds[candidates[order[0]]], 0.0, 1.0))


def bootstrap_intervals(
    y: np.ndarray, s: np.ndarray, threshold: float, rounds: int = 1000, seed: int = 0
) -> tuple[tuple[float, float], tuple[float, float]]:
    """95% percentile intervals of precision and recall at `threshold`, resampling labels."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(y), size=(rounds, len(y)))
    positive = y.astype(bool)[index]
    flagged = (s >= threshold)[index]
    tp = np.sum(positive & flagged, axis=1)
    fp = np.sum(~positive & flagged, axis=1)
    fn = np.sum(positive & ~flagged, axis=1)
    precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 1.0)
    recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)

    def interval(values: np.ndarray) -> tuple[float, float]:
        low, high = np.percentile(values, [2.5, 97.5])
        return float(low), float(high)

    return interval(precision), interval(recall)


def pr_table(y: np.ndarray, s: np.ndarray, extra: list[float], rows: int = 11) -> list[Confusion]:
    """Operating points at evenly spaced score quantiles plus the chosen and current values."""
    quantiles = np.quantile(s, np.linspace(0.0, 1.0, rows)) if len(s) else []
    points = sorted({round(float(t), 6) for t in [*quantiles, *extra]})
    return [confusion_at(y, s, t) for t in points]


def fit_threshold(
    y: np.ndarray,
    s: np.ndarray,
    score_key: str,
    target: Target,
    goal: float,
    current: float | None = None,
    app_id: str | None = None,
) -> FitResult:
    """Refuse with too few labels, else choose, measure and tabulate; raises ThresholdError."""
    y = np.asarray(y, dtype=np.int8)
    s = np.asarray(s, dtype=np.float64)
    if not 0.0 <= goal <= 1.0:
        raise ThresholdError(f"target {target} must be within [0, 1], got {goal}")
    problem = labels_needed(y)
    if problem:
        raise ThresholdError(problem)
    threshold = choose_threshold(y, s, target, goal)
    precision_ci, recall_ci = bootstrap_intervals(y, s, threshold)
    extra = [threshold] + ([current] if current is not None else [])
    return FitResult(
        score_key=score_key,
        target=target,
        goal=goal,
        threshold=threshold,
        positives=int(y.sum()),
        negatives=int(len(y) - y.sum()),
        chosen=confusion_at(y, s, threshold),
        current=confusion_at(y, s, current) if current is not None else None,
        precision_ci=precision_ci,
        recall_ci=recall_ci,
        table=pr_table(y, s, extra),
        app_id=app_id,
    )
