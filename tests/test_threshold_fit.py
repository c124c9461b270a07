"""Threshold fits as plain functions and the offline CLI: known optima, refusals, the join."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from guardstream.contracts import Feedback
from guardstream.detectors.threshold_fit import fit_threshold, labels_needed
from guardstream.errors import ThresholdError
from guardstream.streams.cli import app as cli_app
from guardstream.streams.feedback import AlertRef, FeedbackError, join_labels, parse_feedback

STEP = 0.01


def synthetic(seed: int = 7, negatives: int = 600, positives: int = 300):
    """Scores on a 0.01 grid: benign ~ Beta(2, 5), abusive ~ Beta(5, 2), overlapping."""
    rng = np.random.default_rng(seed)
    s = np.round(np.r_[rng.beta(2, 5, negatives), rng.beta(5, 2, positives)], 2)
    y = np.r_[np.zeros(negatives, dtype=np.int8), np.ones(positives, dtype=np.int8)]
    return y, s


def brute_force(y: np.ndarray, s: np.ndarray, target: str, goal: float) -> float:
    """The optimum by trying every grid value with plain counting (no scikit-learn)."""
    best = None
    for t in np.round(np.arange(0, 1 + STEP, STEP), 2):
        tp = int(np.sum((s >= t) & (y == 1)))
        fp = int(np.sum((s >= t) & (y == 0)))
        recall = tp / y.sum()
        precision = tp / (tp + fp) if tp + fp else 1.0
        fpr = fp / (len(y) - y.sum())
        ok = {"fpr": fpr <= goal, "precision": precision >= goal, "recall": recall >= goal}
        if not ok[target] or (target != "fpr" and tp + fp == 0):
            continue
        gain = precision if target == "recall" else recall
        if best is None or gain > best[0]:
            best = (gain, t)
    assert best is not None
    return best[1]


@pytest.mark.parametrize(("target", "goal"), [("fpr", 0.02), ("precision", 0.9), ("recall", 0.8)])
def test_fit_finds_the_known_optimum_for_each_target(target: str, goal: float) -> None:
    y, s = synthetic()
    result = fit_threshold(y, s, "injection", target, goal, current=0.5)
    assert abs(result.threshold - brute_force(y, s, target, goal)) <= STEP + 1e-9
    achieved = {
        "fpr": result.chosen.fpr <= goal,
        "precision": result.chosen.precision >= goal,
        "recall": result.chosen.recall >= goal,
    }
    assert achieved[target]
    low, high = result.recall_ci
    assert low <= result.chosen.recall <= high and high - low < 0.2
    assert result.current is not None and result.current.threshold == 0.5
    cells = result.chosen
    assert cells.tp + cells.fn == 300 and cells.fp + cells.tn == 600
    assert result.threshold in {row.threshold for row in result.table}


def test_fit_refuses_with_too_few_labels_saying_how_many_more() -> None:
    y, s = synthetic(negatives=100, positives=12)
    with pytest.raises(ThresholdError, match="18 more abusive"):
        fit_threshold(y, s, "injection", "fpr", 0.01)
    assert labels_needed(np.r_[np.zeros(29), np.ones(30)]) is not None
    assert labels_needed(np.r_[np.zeros(30), np.ones(30)]) is None
    with pytest.raises(ThresholdError, match="no threshold reaches"):
        fit_threshold(np.r_[np.zeros(40), np.ones(40)], np.full(80, 0.5), "k", "precision", 0.9)


def test_join_takes_the_latest_label_and_maps_alert_labels_to_their_events() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    records = [
        {"event_id": "e1", "app_id": "a", "scores": {"injection": 0.9, "pii": 0.1}},
        {"event_id": "e2", "app_id": "a", "scores": {"injection": 0.2}},
        {"event_id": "e3", "app_id": "b", "scores": {"injection": 0.7}},
    ]
    feedback = [
        Feedback(event_id="e1", label="benign", labeler="x", at=now),
        Feedback(event_id="e1", label="abusive", labeler="y", at=now + timedelta(seconds=1)),
        Feedback(event_id="e2", label="abusive", labeler="x", score_key="pii", at=now),
        Feedback(alert_id="al-1", label="false_positive", labeler="x", at=now),
        Feedback(event_id="e9", label="abusive", labeler="x", at=now),
    ]
    alerts = {"al-1": AlertRef("injection", ("e3",))}
    joined = join_labels(records, feedback, "injection", alerts=alerts)
    assert dict(zip(joined.event_ids, joined.y.tolist(), strict=True)) == {"e1": 1, "e3": 0}
    assert joined.skipped == {"no score record for the event": 1}
    only_a = join_labels(records, feedback, "injection", app_id="a", alerts=alerts)
    assert only_a.event_ids == ["e1"]


def test_bad_feedback_is_rejected_with_a_reason() -> None:
    with pytest.raises(FeedbackError, match="exactly one of event_id or alert_id"):
        parse_feedback(b'{"label": "abusive", "labeler": "x"}')
    with pytest.raises(FeedbackError, match="label"):
        parse_feedback(b'{"event_id": "e", "label": "spam", "labeler": "x"}')
    with pytest.raises(FeedbackError, match="not JSON"):
        parse_feedback(b"{nope")
    assert parse_feedback(b'{"event_id": "e", "label": "benign", "labeler": "x"}').abusive is False


def write_dumps(tmp_path: Path, y: np.ndarray, s: np.ndarray) -> tuple[Path, Path]:
    scores, labels = tmp_path / "scores.jsonl", tmp_path / "labels.jsonl"
    with scores.open("w") as out_s, labels.open("w") as out_l:
        for i, (label, score) in enumerate(zip(y, s, strict=True)):
            out_s.write(
                json.dumps(
                    {"event_id": f"e{i}", "scores": {"injection": float(score)}, "flags": []}
                )
                + "\n"
            )
            verdict = "abusive" if label else "benign"
            out_l.write(json.dumps({"event_id": f"e{i}", "label": verdict, "labeler": "t"}) + "\n")
        out_l.write('{"label": "abusive"}\n')
    return scores, labels


def test_offline_fit_cli_reports_and_plots(tmp_path: Path) -> None:
    y, s = synthetic()
    scores, labels = write_dumps(tmp_path, y, s)
    plot = tmp_path / "pr.png"
    dumps = ["--scores", str(scores), "--labels", str(labels)]
    runner = CliRunner()
    result = runner.invoke(
        cli_app,
        [
            "thresholds",
            "fit",
            "injection",
            "--target-fpr",
            "0.02",
            *dumps,
            "--json",
            "--plot",
            str(plot),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert abs(report["threshold"] - brute_force(y, s, "fpr", 0.02)) <= STEP + 1e-9
    assert report["applied_version"] is None and len(report["rejected"]) == 1
    assert plot.read_bytes()[:4] == b"\x89PNG"
    few = write_dumps(tmp_path, *synthetic(negatives=40, positives=10))
    refused = runner.invoke(
        cli_app,
        [
            "thresholds",
            "fit",
            "injection",
            "--min-recall",
            "0.8",
            "--scores",
            str(few[0]),
            "--labels",
            str(few[1]),
        ],
    )
    assert refused.exit_code == 2 and "20 more abusive" in refused.stderr
    both = runner.invoke(
        cli_app,
        ["thresholds", "fit", "injection", "--min-recall", "0.8", "--target-fpr", "0.1", *dumps],
    )
    assert both.exit_code == 2 and "exactly one of" in both.stderr


def test_offline_fit_maps_an_alert_label_to_its_events(tmp_path: Path) -> None:
    scores, labels, alerts = (tmp_path / n for n in ("s.jsonl", "l.jsonl", "a.jsonl"))
    high = [f"h{i}" for i in range(35)]
    rows = [{"event_id": e, "scores": {"injection": 0.9}, "flags": []} for e in high]
    rows += [
        {"event_id": f"b{i}", "scores": {"injection": i / 100}, "flags": []} for i in range(35)
    ]
    scores.write_text("".join(json.dumps(r) + "\n" for r in rows))
    feedback = [{"alert_id": "al", "label": "true_positive", "labeler": "t"}]
    feedback += [{"event_id": f"b{i}", "label": "benign", "labeler": "t"} for i in range(35)]
    labels.write_text("".join(json.dumps(f) + "\n" for f in feedback))
    alerts.write_text(json.dumps({"alert_id": "al", "detector": "injection", "event_ids": high}))
    args = [
        "thresholds",
        "fit",
        "injection",
        "--target-precision",
        "1.0",
        "--json",
        "--scores",
        str(scores),
        "--labels",
        str(labels),
    ]
    result = CliRunner().invoke(cli_app, [*args, "--alerts", str(alerts)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["positives"], report["negatives"], report["threshold"]) == (35, 35, 0.9)
    without = CliRunner().invoke(cli_app, args)
    assert without.exit_code == 2 and "30 more abusive (have 0)" in without.stderr
