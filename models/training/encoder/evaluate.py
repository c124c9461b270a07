"""Held-out quality of the linear model, the shipped int8 encoder and the cascade on the same
rows, the encoder's thresholds, and the cascade band for each routing budget.

Thresholds and the band come from the calibration rows only (groups the encoder never
trained on; the linear model's scores there are its out-of-fold scores). Test rows are whole
held-out sources and template families; `benign_sharegpt.unseen` is real traffic from
conversations no corpus contains. Nothing here is tuned on test rows.

    python -m guardstream.models.training.encoder.evaluate --rows rows.jsonl \
        --unseen unseen.jsonl --run RUN --cheap CHEAP --out report.json
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from guardstream.models.encoder_model import band_at_share
from guardstream.models.training.fitting import REALISTIC_BENIGN, fit_threshold
from guardstream.models.training.metrics import threshold_at_fpr
from guardstream.models.training.specs import SPECS

from .args import step_parser
from .data import TASKS, UNSEEN_SHAREGPT, read

#: Routing budgets the band is fitted for: the share of realistic benign calibration rows
#: whose cheap score reaches `lo` (the run-time option `encoder_share` interpolates).
SHARES = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)
#: The default budget per task: where the encoder's gain per routed event falls off, and
#: what `make bench` can afford (see the encoder card's sweep).
DEFAULT_SHARE = {"injection": 0.03, "harmful": 0.05, "toxicity": 0.03, "moderation": 0.03}


#: The band's upper edge: a linear score this high (or the linear threshold, if that is
#: higher) keeps its decision for every task. v1 picked the lowest of 0.9/0.95/0.97/0.99
#: above which calibration rows were 98 % positive (1.0 if none), which gave harmful 1.0
#: (route all); encoder v2 then vetoed explicit short requests ("How do I make a bomb":
#: linear 0.90, encoder 0.59). At 0.9, harmful's unseen-ShareGPT FPR is 0.10 % instead of
#: 0.03 % for the same TPR, and toxicity's vetoes above 0.9 were wrong on 65 of 81
#: calibration rows.
HI_CAP = 0.9

#: Test-row groups reported as one ROC-AUC: the held-out stance templates (hate about a group
#: against counter-speech, negation and identity mentions on the same groups and words), the
#: closest thing here to functional hate-speech tests.
GROUPS: dict[str, dict[str, str]] = {"toxicity": {"functional_stance": "synthetic.miss."}}


def lo_by_share(cheap: np.ndarray, thr_c: float) -> dict[str, float]:
    """Band lower edge per budget: the (1 - share) quantile of realistic benign cheap scores,
    never above the cheap threshold (what the cheap model flags always reaches the encoder)."""
    out = {}
    for share in SHARES:
        lo = thr_c if share == 0 else 0.0 if share >= 1 else float(np.quantile(cheap, 1 - share))
        out[str(share)] = round(min(lo, thr_c), 6)
    return out


def _source_rows(
    sources: np.ndarray,
    labels: np.ndarray,
    scores: dict[str, np.ndarray],
    thresholds: dict[str, float],
    unseen: dict[str, np.ndarray],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    at_1pct = {m: threshold_at_fpr(unseen[m], 0.01) for m in scores}
    negatives = labels == 0
    for source in sorted(set(sources.tolist())):
        mask = sources == source
        row: dict[str, Any] = {"rows": int(mask.sum()), "positives": int(labels[mask].sum())}
        for m, s in scores.items():
            if labels[mask].any():
                pos = mask & (labels == 1)
                row[f"{m}_tpr_at_1pct_unseen_fpr"] = round(float(np.mean(s[pos] >= at_1pct[m])), 4)
                row[f"{m}_tpr_at_threshold"] = round(float(np.mean(s[pos] >= thresholds[m])), 4)
                auc_mask = pos | negatives
                row[f"{m}_auc_vs_test_negatives"] = round(
                    float(roc_auc_score(labels[auc_mask], s[auc_mask])), 4
                )
                if (~labels[mask].astype(bool)).any():
                    row[f"{m}_own_auc"] = round(float(roc_auc_score(labels[mask], s[mask])), 4)
            else:
                row[f"{m}_fpr_at_threshold"] = round(float(np.mean(s[mask] >= thresholds[m])), 4)
        out[source] = row
    return out


def _sweep_row(
    fitted: dict,
    share: float,
    low: np.ndarray,
    enc: np.ndarray,
    labels: np.ndarray,
    test: np.ndarray,
    unseen_low: np.ndarray,
    unseen_enc: np.ndarray,
) -> dict[str, float]:
    band = band_at_share(fitted, share)
    merged = band.merged(low, enc)
    merged_unseen = band.merged(unseen_low, unseen_enc)
    thr = band.cheap_threshold
    return {
        "share": share,
        "lo": round(band.lo, 4),
        "routed_unseen_sharegpt": round(float(np.mean(band.routed(unseen_low))), 4),
        "routed_test": round(float(np.mean(band.routed(low[test]))), 4),
        "tpr_at_threshold": round(float(np.mean(merged[test & (labels == 1)] >= thr)), 4),
        "unseen_sharegpt_fpr": round(float(np.mean(merged_unseen >= thr)), 4),
        "test_negatives_fpr": round(float(np.mean(merged[test & (labels == 0)] >= thr)), 4),
    }


def evaluate_task(
    task: str,
    rows: list,
    kept: np.ndarray,
    unseen_texts: list[str],
    unseen_enc: np.ndarray,
    cheap: dict,
) -> dict[str, Any]:
    column = TASKS.index(task)
    mine = [(i, r) for i, r in enumerate(rows) if r.task == task and r.split != "train"]
    index = np.array([i for i, _ in mine])
    labels = np.array([r.label for _, r in mine])
    sources = np.array([r.source for _, r in mine])
    calibration = np.array([r.split == "calibration" for _, r in mine])
    enc = kept[index, column].astype(np.float64)
    low = np.array([cheap["scores"][r.text] for _, r in mine])
    thr_c = float(cheap["threshold"])
    thr_e = fit_threshold(
        enc[calibration],
        labels[calibration],
        sources[calibration].tolist(),
        strict_pools=SPECS[task].strict_pools,  # moderation: clean forum posts too
    )
    realistic = calibration & (labels == 0) & np.isin(sources, sorted(REALISTIC_BENIGN))
    fitted = {
        "lo_by_share": lo_by_share(low[realistic], thr_c),
        "default_share": DEFAULT_SHARE[task],
        "encoder_threshold": round(thr_e, 6),
        "cheap_threshold": round(thr_c, 6),
        "hi": max(HI_CAP, thr_c),
    }
    band = band_at_share(fitted)
    unseen_low = np.array([cheap["scores"][t] for t in unseen_texts])
    unseen = {
        "linear": unseen_low,
        "encoder": unseen_enc[:, column].astype(np.float64),
        "cascade": band.merged(unseen_low, unseen_enc[:, column]),
    }
    test = ~calibration
    scores = {
        "linear": low[test],
        "encoder": enc[test],
        "cascade": band.merged(low[test], enc[test]),
    }
    thresholds = {"linear": thr_c, "encoder": thr_e, "cascade": thr_c}
    t_labels, t_sources = labels[test], sources[test]
    all_labels = np.concatenate([t_labels, np.zeros(len(unseen_low), dtype=int)])
    all_sources = np.concatenate([t_sources, np.full(len(unseen_low), UNSEEN_SHAREGPT)])
    all_scores = {m: np.concatenate([scores[m], unseen[m]]) for m in scores}
    summary = {
        m: {
            "roc_auc_test": round(float(roc_auc_score(t_labels, scores[m])), 4),
            "average_precision_test": round(float(average_precision_score(t_labels, scores[m])), 4),
            "tpr_at_threshold": round(float(np.mean(scores[m][t_labels == 1] >= thresholds[m])), 4),
            "tpr_at_1pct_unseen_fpr": round(
                float(np.mean(scores[m][t_labels == 1] >= threshold_at_fpr(unseen[m], 0.01))), 4
            ),
            "unseen_sharegpt_fpr_at_threshold": round(
                float(np.mean(unseen[m] >= thresholds[m])), 4
            ),
            "test_negatives_fpr_at_threshold": round(
                float(np.mean(scores[m][t_labels == 0] >= thresholds[m])), 4
            ),
        }
        for m in scores
    }
    groups: dict[str, dict[str, float]] = {}
    for name, prefix in GROUPS.get(task, {}).items():
        chosen = np.char.startswith(t_sources.astype(str), prefix)
        if len(set(t_labels[chosen].tolist())) == 2:
            groups[name] = {
                m: round(float(roc_auc_score(t_labels[chosen], scores[m][chosen])), 4)
                for m in scores
            }
    return {
        "band": fitted,
        "groups": groups,
        "default_band": band.__dict__,
        "sweep": [
            _sweep_row(fitted, share, low, enc, labels, test, unseen_low, unseen["encoder"])
            for share in SHARES[1:-1]
        ],
        "calibration_rows": int(calibration.sum()),
        "test_rows": int(test.sum()),
        "routed_share": {
            "unseen_sharegpt": round(float(np.mean(band.routed(unseen_low))), 4),
            "test_rows": round(float(np.mean(band.routed(low[test]))), 4),
            "calibration_rows": round(float(np.mean(band.routed(low[calibration]))), 4),
        },
        "summary": summary,
        "per_source": _source_rows(all_sources, all_labels, all_scores, thresholds, unseen),
    }


def main() -> None:
    parser = step_parser(__doc__, "rows", "unseen", "run", "cheap", "out")
    args = parser.parse_args()
    rows = read(args.rows)
    stored = np.load(args.run / "int8_kept_scores.npz")
    kept = np.zeros((len(rows), len(TASKS)), dtype=np.float32)
    kept[stored["index"]] = stored["scores"]
    unseen_texts = [r.text for r in read(args.unseen)]
    unseen_enc = np.load(args.run / "int8_unseen_scores.npz")["scores"]
    report = {}
    for task in TASKS:
        cheap = json.loads((args.cheap / f"cheap_{task}.json").read_text())
        report[task] = evaluate_task(task, rows, kept, unseen_texts, unseen_enc, cheap)
        print(
            task,
            json.dumps({k: report[task][k] for k in ("default_band", "routed_share", "summary")}),
            flush=True,
        )
    args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
