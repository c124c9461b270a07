"""Rows for the multi-task encoder: injection, harmful and toxicity, each split three ways.

Why this shape: a CPU fine-tune cannot read 150k rows, so each (source, label) is capped and
small sources keep every row; whole sources (the cards' held-out sources) and the held-out
template families stay out for evaluation; a seeded share of the remaining groups is kept
back to set thresholds and the cascade band. HatemojiBuild is the only data whose label
turns on stance (label-flipping twins), so it is split by pair instead of held out whole:
one pair in five is test, and its other pairs are trained on without a cap.
"""

from __future__ import annotations

import json
import random
import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from guardstream.models.training.corpus import load_corpus, miss_class_eval, synthetic_eval
from guardstream.models.training.corpus.records import Sample, resolve_data_root
from guardstream.models.training.corpus.splits import DEFAULT_HELD_OUT, split_indices
from guardstream.text.emoji_names import name_emoji
from guardstream.text.normalise import normalise

#: The shipped heads. A `moderation` head is wired through rows, emoji and threshold (add it
#: here to train it) but left out: a moderation-only fine-tune (session 10) reached AP 0.769 on
#: the held-out moderation rows against 0.797 for the shipped linear model, 0.813 averaged.
TASKS: tuple[str, ...] = ("injection", "harmful", "toxicity")
#: Tasks that read emoji as their names (as their detectors do).
EMOJI_TASKS = frozenset({"toxicity", "moderation"})
#: Tasks whose generated attack templates are scored, never trained.
SYNTHETIC_EVAL_TASKS = frozenset({"injection", "harmful"})
#: Sources split by pair group (one in PAIR_TEST_MODULUS is test) and never capped.
PAIR_SPLIT: dict[str, frozenset[str]] = {"toxicity": frozenset({"hatemoji_build"})}
PAIR_TEST_MODULUS = 5
PER_SOURCE_LABEL_CAP = 700
#: Positives are scarcer and more varied than benign rows: a higher cap.
POSITIVE_CAP = 1000
CALIBRATION_SHARE = 0.15
#: Tweets and forum posts (the toxicity corpora, every label) as negatives of the request tasks:
#: arguing about crime, sex or politics is not asking for help to cause harm, and the v3 harmful
#: head flagged ~1.5 % of clean posts. Two forums stay out whole to measure it unseen.
FORUM_TASKS = ("injection", "harmful")
FORUM_TRAIN = frozenset({"olid", "edos", "toxic_spans", "stormfront"})
FORUM_TEST = frozenset({"ethos", "davidson"})
FORUM_PREFIX = "forum."


@dataclass(frozen=True)
class EncoderRow:
    text: str
    task: str
    label: int
    source: str
    split: str  # "train" | "calibration" | "test"


def model_text(text: str, task: str) -> str:
    """What the encoder reads: the detectors' normalised text; toxicity and moderation name
    their emoji."""
    text = normalise(text).text
    return name_emoji(text) if task in EMOJI_TASKS else text


def _is_calibration(group: str, seed: int) -> bool:
    return zlib.crc32(f"{seed}/{group}".encode()) % 1000 < CALIBRATION_SHARE * 1000


def _pair_is_test(group: str) -> bool:
    """HatemojiBuild groups are `hatemoji#<lowest entry id of the pair>`."""
    _, _, number = group.partition("#")
    return int(number.split(".")[0] or 0) % PAIR_TEST_MODULUS == 0


def encoder_split(task: str, samples: list[Sample]) -> tuple[list[int], list[int]]:
    """Train and test indices: held-out sources whole, pair-split sources one pair in five."""
    train, test = split_indices(samples, DEFAULT_HELD_OUT[task])
    paired = PAIR_SPLIT.get(task, frozenset())
    moved = {
        i for i in train if samples[i].source in paired and _pair_is_test(samples[i].group or "")
    }
    return [i for i in train if i not in moved], sorted([*test, *moved])


def _cap(source: str, label: int, task: str) -> float:
    if source in PAIR_SPLIT.get(task, frozenset()):
        return float("inf")
    return POSITIVE_CAP if label else PER_SOURCE_LABEL_CAP


def task_rows(task: str, seed: int = 0) -> list[EncoderRow]:
    samples = load_corpus(task)
    train, test = encoder_split(task, samples)
    rng = random.Random(f"encoder/{task}/{seed}")
    rng.shuffle(train)
    taken: Counter[tuple[str, int]] = Counter()
    rows: list[EncoderRow] = []
    for i in train:
        s = samples[i]
        split = "calibration" if _is_calibration(s.group or s.text, seed) else "train"
        if split == "train":
            if taken[(s.source, s.label)] >= _cap(s.source, s.label, task):
                continue
            taken[(s.source, s.label)] += 1
        rows.append(EncoderRow(model_text(s.text, task), task, s.label, s.source, split))
    evaluation = [samples[i] for i in test] + miss_class_eval(task, resolve_data_root(None), seed)
    if task in SYNTHETIC_EVAL_TASKS:
        evaluation += synthetic_eval(task)
    rows += [
        EncoderRow(model_text(s.text, task), task, s.label, s.source, "test") for s in evaluation
    ]
    if task in FORUM_TASKS:
        rows += forum_rows(task, seed)
    return rows


def forum_rows(task: str, seed: int = 0) -> list[EncoderRow]:
    """Label-0 rows of `task` from the toxicity corpora's forums (source `forum.<name>`):
    FORUM_TRAIN capped like any source (a calibration share kept back), FORUM_TEST as test."""
    forums = FORUM_TRAIN | FORUM_TEST
    by_source: dict[str, list[Sample]] = {}
    for s in load_corpus("toxicity"):
        if s.source in forums:
            by_source.setdefault(s.source, []).append(s)
    rows: list[EncoderRow] = []
    for source, samples in sorted(by_source.items()):
        random.Random(f"forum/{task}/{source}/{seed}").shuffle(samples)
        for s in samples[:PER_SOURCE_LABEL_CAP]:
            split = "test" if source in FORUM_TEST else "train"
            if split == "train" and _is_calibration(s.group or s.text, seed):
                split = "calibration"
            rows.append(EncoderRow(model_text(s.text, task), task, 0, FORUM_PREFIX + source, split))
    return rows


def build(out: Path, seed: int = 0) -> dict[str, dict[str, int]]:
    """Write every task's rows to `out` (JSON lines) and return the counts per task/split."""
    counts: dict[str, dict[str, int]] = {}
    with out.open("w", encoding="utf-8") as fh:
        for task in TASKS:
            rows = task_rows(task, seed)
            counts[task] = dict(Counter(r.split for r in rows))
            for r in rows:
                fh.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
    return counts


def read(path: Path) -> list[EncoderRow]:
    with path.open(encoding="utf-8") as fh:
        return [EncoderRow(**json.loads(line)) for line in fh]


UNSEEN_SHAREGPT = "benign_sharegpt.unseen"


def unseen_sharegpt(cap: int = 3000, seed: int = 0) -> list[EncoderRow]:
    """User turns of ShareGPT conversations none of whose turns is in any task's corpus:
    real traffic no model trained or set a threshold on (scored once, all heads)."""
    from guardstream.models.training.corpus import normalise as key
    from guardstream.models.training.corpus.benign_real import sharegpt_turns

    seen = {key(s.text) for task in TASKS for s in load_corpus(task)}
    conversations: dict[str, list[str]] = {}
    for conversation, text in sharegpt_turns(resolve_data_root(None)):
        conversations.setdefault(conversation, []).append(text)
    order = sorted(
        c for c, texts in conversations.items() if not any(key(t) in seen for t in texts)
    )
    random.Random(f"unseen/{seed}").shuffle(order)
    rows: list[EncoderRow] = []
    for conversation in order:
        for text in conversations[conversation]:
            rows.append(
                EncoderRow(model_text(text, "injection"), "injection", 0, UNSEEN_SHAREGPT, "test")
            )
        if len(rows) >= cap:
            break
    return rows[:cap]
