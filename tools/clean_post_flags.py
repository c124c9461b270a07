"""Flag rate of the default pipeline on tweets and forum posts (the toxicity corpora), by
detector and label: label-0 rows are the proxy for "moderation-queue texts rated clean" in
docs/wave2/issue-12.md. By hand, not a test.

Usage: .venv/bin/python tools/clean_post_flags.py [ROWS_PER_SOURCE_AND_LABEL]
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

from prompt_flags import prompt_flags

from guardstream.detectors.pipeline import build_pipeline
from guardstream.models.training.corpus.records import resolve_data_root
from guardstream.models.training.corpus.toxicity import load_davidson
from guardstream.models.training.corpus.toxicity_extra import (
    load_edos,
    load_ethos,
    load_olid,
    load_stormfront,
    load_toxic_spans,
)

LOADERS = {
    "toxic_spans": load_toxic_spans,
    "olid": load_olid,
    "edos": load_edos,
    "stormfront": load_stormfront,
    "ethos": load_ethos,
    "davidson": load_davidson,
}


def flag_rates(texts: list[str]) -> tuple[float, Counter[str]]:
    """(share of texts with any flag, flags per key) of the default pipeline, as prompts."""
    flagged, per_key = 0, Counter[str]()
    for flags in prompt_flags(PIPELINE, texts):
        flagged += bool(flags)
        per_key.update(flags)
    return flagged / max(len(texts), 1), per_key


PIPELINE = build_pipeline({})


def main(rows: int) -> None:
    root: Path = resolve_data_root(None)
    for name, load in LOADERS.items():
        samples = load(root)
        for label in (0, 1):
            texts = [s.text for s in samples if s.label == label]
            random.Random(0).shuffle(texts)
            texts = texts[:rows]
            share, per_key = flag_rates(texts)
            keys = {k: round(c / len(texts), 3) for k, c in per_key.most_common(6)}
            print(f"{name} label={label} rows={len(texts)} any flag {share:.3f} {keys}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
