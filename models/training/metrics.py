"""Detector quality numbers, computed the same way for every model and every report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score


def threshold_at_fpr(benign_scores: np.ndarray, fpr: float) -> float:
    """Smallest threshold whose false-positive rate on these benign scores is at most `fpr`."""
    if len(benign_scores) == 0:
        return 0.5
    ordered = np.sort(benign_scores)[::-1]
    allowed = int(np.floor(fpr * len(ordered)))
    # flag when score >= threshold: put the threshold just above the (allowed+1)-th highest
    return float(np.nextafter(ordered[allowed], np.inf)) if allowed < len(ordered) else 0.0


def tpr_at_fpr(labels: np.ndarray, scores: np.ndarray, fpr: float) -> float:
    threshold = threshold_at_fpr(scores[labels == 0], fpr)
    positives = scores[labels == 1]
    return float(np.mean(positives >= threshold)) if len(positives) else float("nan")


def held_out_report(
    labels: np.ndarray, scores: np.ndarray, sources: Sequence[str], threshold: float
) -> dict[str, Any]:
    """ROC-AUC, TPR at 1% / 0.1% FPR, and rates at the shipped threshold, overall and per source."""
    both = len(set(labels.tolist())) == 2
    flagged = scores >= threshold
    per_source: dict[str, dict[str, Any]] = defaultdict(dict)
    for source in sorted(set(sources)):
        mask = np.array([s == source for s in sources])
        row: dict[str, Any] = {"rows": int(mask.sum()), "positives": int(labels[mask].sum())}
        if labels[mask].any():
            row["tpr"] = round(float(flagged[mask & (labels == 1)].mean()), 4)
        if (~labels[mask].astype(bool)).any():
            row["fpr"] = round(float(flagged[mask & (labels == 0)].mean()), 4)
        per_source[source] = row
    return {
        "rows": len(labels),
        "positives": int(labels.sum()),
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4) if both else None,
        "tpr_at_fpr_1pct": round(tpr_at_fpr(labels, scores, 0.01), 4) if both else None,
        "tpr_at_fpr_0.1pct": round(tpr_at_fpr(labels, scores, 0.001), 4) if both else None,
        "tpr_at_threshold": round(float(flagged[labels == 1].mean()), 4) if labels.any() else None,
        "fpr_at_threshold": round(float(flagged[labels == 0].mean()), 4)
        if (labels == 0).any()
        else None,
        "per_source": dict(per_source),
    }
